// The customer shares the value report shows: the four the issue names (the department
// store's 2.5% among them) and a curve for the console's chart.
export const CONCENTRATION_SHARES = [0.01, 0.025, 0.1, 0.2] as const
export const CONCENTRATION_CURVE = [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1] as const
