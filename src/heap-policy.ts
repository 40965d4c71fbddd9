// How far V8 lets the old generation grow past what survived its last full collection before
// collecting again (docs/lists.md, "Memory"). On a machine with a few gigabytes V8 allows four
// times the live heap; a list run promotes each chunk's rankings, allocations and write
// parameters (they live across the chunk's write in PostgreSQL while the next chunk is ranked),
// so the service's resident memory climbed with the number of lists until that factor was
// reached: 235 MiB at 10,000 customers, 347 MiB at 50,000, with 60 MiB live at either.
import v8 from 'node:v8'

/** The V8 flag for a growth of `percent` over the live heap, or null for V8's own policy (0). */
export function heapGrowingFlag(percent: number): string | null {
  if (!Number.isInteger(percent) || percent < 0) throw new RangeError(`heap growing percent must be a whole number >= 0, not ${percent}`)
  return percent === 0 ? null : `--heap-growing-percent=${percent}`
}

/**
 * Applies the growth at start-up, before the service allocates much. V8 reads the flag each time
 * it sets the next collection's limit, so setting it at run time takes effect (test/unit/heap-policy.test.ts
 * checks that on the running Node; a `--heap-growing-percent` on Node's command line is overridden).
 */
export function applyHeapPolicy(percent: number): void {
  const flag = heapGrowingFlag(percent)
  if (flag) v8.setFlagsFromString(flag)
}
