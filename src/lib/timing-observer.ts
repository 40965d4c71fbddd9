/**
 * One observer of a module's timings, set by whoever exports them (plugins/metrics.ts), so the
 * timed code reports without knowing about prom-client: nothing is done while none is set.
 */
export function timingObserver<Part extends string>() {
  let observer: ((part: Part, ms: number) => void) | null = null
  return {
    observe(part: Part, ms: number): void {
      observer?.(part, ms)
    },
    /** Sets the observer; the function returned removes it unless another has replaced it since. */
    on(fn: (part: Part, ms: number) => void): () => void {
      observer = fn
      return () => {
        if (observer === fn) observer = null
      }
    },
  }
}
