/** The import entry points, for routes, scripts and other modules (no HTTP in here). */
export { importProducts } from './product-import.service.ts'
export { importTransactions } from './transaction-import.service.ts'
export { DAY_NUMBER_EPOCH } from './row-checks.ts'
export type * from './import.types.ts'
