/**
 * The gate both lane coalescers (the read and the write) send their statements through: at most
 * `inFlight` statements count as running, and one running past `stallMs` (a lock, a backend
 * preempted) stops counting, so the lanes' next statement starts beside it instead of behind it.
 */
export class StatementSlots {
  private running = 0

  constructor(
    private readonly limits: () => { inFlight: number; stallMs: number },
    /** Whether anything is waiting to be sent. */
    private readonly hasWork: () => boolean,
    /** Sends the next statement; `release` may be called early to free its slot before it settles. */
    private readonly start: (release: () => void) => Promise<void>,
    private readonly onStall: () => void,
  ) {}

  /** Starts statements while a slot is free and something waits; called on arrival and on release. */
  fill(): void {
    while (this.running < Math.max(1, this.limits().inFlight) && this.hasWork()) {
      this.running++
      let counted = true
      const release = () => {
        if (!counted) return
        counted = false
        this.running--
        this.fill()
      }
      const stalled = setTimeout(() => {
        this.onStall()
        release()
      }, this.limits().stallMs)
      void this.start(release).finally(() => {
        clearTimeout(stalled)
        release()
      })
    }
  }
}
