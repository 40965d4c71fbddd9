import pg from 'pg'

type Callback = (err: Error | null, result: unknown) => void

/**
 * pg's Client, with promise-style queries answered through its callback path.
 *
 * Why: pg 8's promise path (`client.query(text, values)` without a callback) assigns the query's
 * callback from inside a promise executor. Measured on Node 20 (.tmp harnesses; docs/lists.md,
 * "Current figures", session 15), that keeps each query's objects (the query, its rows, its
 * parameters) reachable for V8's young-generation collections until the next full collection:
 * about 1.5 KiB per `select 1`, and 80 KiB of every 640 KiB a list regeneration allocates,
 * promoted to the old generation at every scavenge, which made each scavenge copy twice as much
 * and pause about a millisecond longer on the worker and on the lanes. The same query through the
 * callback path leaves nothing behind. The result and the errors are the same; a failed query's
 * stack is captured again when it reaches the caller, as pg's promise path does.
 */
export class CallbackQueryClient extends pg.Client {
  override query(config: any, values?: any, callback?: any): any {
    // Callback-style calls, submittables (cursors, COPY streams) and config objects carrying
    // their own callback are pg's own business.
    if (typeof callback === 'function' || typeof values === 'function' || typeof config?.submit === 'function' || typeof config?.callback === 'function') {
      return super.query(config, values, callback)
    }
    let settle!: Callback
    const result = new Promise((resolve, reject) => {
      settle = (err, res) => (err ? reject(err) : resolve(res))
    })
    super.query(config, values, settle)
    return result.catch((err: unknown) => {
      if (err instanceof Error) Error.captureStackTrace(err)
      throw err
    })
  }
}
