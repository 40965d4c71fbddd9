// Top-k selection without sorting everything: explore candidates and neighbour lists need the
// best 100 of thousands, per request and per product.

// Min-heap order for top-k: smaller value first; among equal values the larger key first, so
// that ties keep the smaller key.
function before(v1: number, k1: number, v2: number, k2: number): boolean {
  return v1 < v2 || (v1 === v2 && k1 > k2)
}

function siftDown(keys: Int32Array, values: Float64Array, size: number, at: number): void {
  for (;;) {
    const l = 2 * at + 1
    const r = l + 1
    let m = at
    if (l < size && before(values[l] as number, keys[l] as number, values[m] as number, keys[m] as number)) m = l
    if (r < size && before(values[r] as number, keys[r] as number, values[m] as number, keys[m] as number)) m = r
    if (m === at) return
    const tk = keys[at] as number
    const tv = values[at] as number
    keys[at] = keys[m] as number
    values[at] = values[m] as number
    keys[m] = tk
    values[m] = tv
    at = m
  }
}

let heapKeys = new Int32Array(128)
let heapValues = new Float64Array(128)

/** The k largest (key, value) pairs, best first, ties by smaller key, in one pass (bounded heap). */
export function topEntries(keys: ArrayLike<number>, values: Float64Array, k: number): Array<[number, number]> {
  // The heap lives in arrays reused between calls (synchronous, so never shared by two at once):
  // a list's ranking calls this per customer, and fresh typed arrays of this size live off the
  // JavaScript heap, which costs an allocation and garbage collector bookkeeping each.
  if (k > heapKeys.length) {
    heapKeys = new Int32Array(k)
    heapValues = new Float64Array(k)
  }
  const hk = heapKeys
  const hv = heapValues
  let size = 0
  for (let n = 0; n < values.length; n++) {
    const v = values[n] as number
    const key = keys[n] as number
    if (size < k) {
      let at = size++
      while (at > 0) {
        const parent = (at - 1) >> 1
        if (!before(v, key, hv[parent] as number, hk[parent] as number)) break
        hk[at] = hk[parent] as number
        hv[at] = hv[parent] as number
        at = parent
      }
      hk[at] = key
      hv[at] = v
    } else if (k > 0 && before(hv[0] as number, hk[0] as number, v, key)) {
      hk[0] = key
      hv[0] = v
      siftDown(hk, hv, size, 0)
    }
  }
  const out: Array<[number, number]> = []
  for (let n = 0; n < size; n++) out.push([hk[n] as number, hv[n] as number])
  return out.sort((a, b) => b[1] - a[1] || a[0] - b[0])
}
