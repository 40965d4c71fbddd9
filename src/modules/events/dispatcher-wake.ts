// In-process wake-up: a change that recorded an event nudges this process's dispatchers so
// the event usually leaves within tens of milliseconds instead of the next poll. The nudge
// may land before the writer commits; the poll then finds nothing and the next one (at most
// pollMs later) picks the event up. Other instances rely on their own polling: a NOTIFY per
// event would serialise every writer's commit.
const listeners = new Set<() => void>()
let pending: NodeJS.Timeout | undefined

export function onWake(fn: () => void): () => void {
  listeners.add(fn)
  return () => listeners.delete(fn)
}

export function wakeDispatchers(delayMs = 25): void {
  if (pending || listeners.size === 0) return
  pending = setTimeout(() => {
    pending = undefined
    for (const fn of listeners) fn()
  }, delayMs)
  pending.unref()
}
