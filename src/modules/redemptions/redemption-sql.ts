// Moved to src/db/prepared-statements.ts, which the list regeneration uses too.
export { executePrepared, usePreparedStatements } from '../../db/prepared-statements.ts'
