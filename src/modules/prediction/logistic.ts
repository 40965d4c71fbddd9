// Weighted logistic regression by Newton's method (IRLS) for the handful of calibration
// weights. Few features, many rows: each iteration is one pass accumulating a small Hessian.

export interface LogisticModel {
  /** One weight per feature, then the intercept. */
  weights: number[]
}

export function logit(model: LogisticModel, x: readonly number[]): number {
  const w = model.weights
  let z = w[w.length - 1] ?? 0
  for (let k = 0; k < x.length; k++) z += (w[k] ?? 0) * (x[k] as number)
  return z
}

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z))

/** Solves A x = b for a small dense symmetric positive definite A (Gaussian elimination with pivoting). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length
  const m = a.map((row, i) => [...row, b[i] as number])
  for (let c = 0; c < n; c++) {
    let p = c
    for (let r = c + 1; r < n; r++) if (Math.abs((m[r] as number[])[c] as number) > Math.abs((m[p] as number[])[c] as number)) p = r
    ;[m[c], m[p]] = [m[p] as number[], m[c] as number[]]
    const pivot = m[c] as number[]
    for (let r = 0; r < n; r++) {
      if (r === c) continue
      const row = m[r] as number[]
      const f = (row[c] as number) / (pivot[c] as number)
      if (f === 0) continue
      for (let k = c; k <= n; k++) row[k] = (row[k] as number) - f * (pivot[k] as number)
    }
  }
  return m.map((row, i) => (row[n] as number) / (row[i] as number))
}

/**
 * Fits P(y = 1 | x). Features are standardised internally and the weights get a Gaussian prior
 * (ridge) of `priorStrength` pseudo-observations, so a small population (a new store, a test)
 * gives tame weights while a large one is barely affected. The result is on the raw features.
 */
export function fitLogistic(
  rows: readonly (readonly number[])[],
  labels: readonly number[],
  sampleWeights: readonly number[] | undefined,
  options: { priorStrength?: number; maxIterations?: number; features?: number } = {},
): LogisticModel {
  const d = rows[0]?.length ?? options.features ?? 0
  // No data (an empty store): all weights zero, every candidate scores the same.
  if (rows.length === 0) return { weights: new Array<number>(d + 1).fill(0) }
  const mean = new Array<number>(d).fill(0)
  const scale = new Array<number>(d).fill(0)
  let total = 0
  for (let r = 0; r < rows.length; r++) {
    const sw = sampleWeights?.[r] ?? 1
    total += sw
    const x = rows[r] as readonly number[]
    for (let k = 0; k < d; k++) mean[k] = (mean[k] as number) + sw * (x[k] as number)
  }
  for (let k = 0; k < d; k++) mean[k] = (mean[k] as number) / Math.max(total, 1e-12)
  for (let r = 0; r < rows.length; r++) {
    const sw = sampleWeights?.[r] ?? 1
    const x = rows[r] as readonly number[]
    for (let k = 0; k < d; k++) scale[k] = (scale[k] as number) + sw * ((x[k] as number) - (mean[k] as number)) ** 2
  }
  for (let k = 0; k < d; k++) scale[k] = Math.sqrt((scale[k] as number) / Math.max(total, 1e-12)) || 1
  const z = rows.map((x) => x.map((v, k) => (v - (mean[k] as number)) / (scale[k] as number)))
  const std = fitStandardised(z, labels, sampleWeights, options.priorStrength ?? 1, options.maxIterations ?? 25)
  // Back to raw features: w_k / s_k, intercept b - sum(w_k m_k / s_k).
  const weights = std.map((w, k) => (k < d ? w / (scale[k] as number) : w))
  let intercept = std[d] ?? 0
  for (let k = 0; k < d; k++) intercept -= (weights[k] as number) * (mean[k] as number)
  weights[d] = intercept
  return { weights }
}

function fitStandardised(
  rows: readonly (readonly number[])[],
  labels: readonly number[],
  sampleWeights: readonly number[] | undefined,
  prior: number,
  maxIterations: number,
): number[] {
  const d = rows[0]?.length ?? 0
  const dim = d + 1
  const model: LogisticModel = { weights: new Array<number>(dim).fill(0) }
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    const grad = new Array<number>(dim).fill(0)
    const hess = Array.from({ length: dim }, () => new Array<number>(dim).fill(0))
    const xa = new Array<number>(dim).fill(1)
    for (let r = 0; r < rows.length; r++) {
      const x = rows[r] as readonly number[]
      for (let k = 0; k < d; k++) xa[k] = x[k] as number
      const p = sigmoid(logit(model, x))
      const sw = sampleWeights?.[r] ?? 1
      const e = sw * (p - (labels[r] as number))
      const s = sw * Math.max(p * (1 - p), 1e-12)
      for (let a = 0; a < dim; a++) {
        const va = xa[a] as number
        grad[a] = (grad[a] as number) + e * va
        const row = hess[a] as number[]
        for (let b = 0; b <= a; b++) row[b] = (row[b] as number) + s * va * (xa[b] as number)
      }
    }
    for (let a = 0; a < dim; a++) {
      const row = hess[a] as number[]
      for (let b = 0; b < a; b++) (hess[b] as number[])[a] = row[b] as number
      if (a < d) {
        grad[a] = (grad[a] as number) + prior * (model.weights[a] as number)
        row[a] = (row[a] as number) + prior
      }
    }
    const step = solve(hess, grad)
    let change = 0
    for (let a = 0; a < dim; a++) {
      model.weights[a] = (model.weights[a] as number) - (step[a] as number)
      change = Math.max(change, Math.abs(step[a] as number))
    }
    if (change < 1e-7) break
  }
  return model.weights
}
