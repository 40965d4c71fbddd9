// CI keeps only the tail of a run, and tap's coverage table pushes its failure reports
// far above it: this repeats each failed assertion, with its diagnostics, at the very end.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'

// tap keeps the results of files it did not run this time (a subset, a deleted test).
function tapFiles(dir: string, since: number): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.tap'))
    .map((e) => path.join(e.parentPath, e.name))
    .filter((file) => statSync(file).mtimeMs >= since)
}

/** The failed assertions of the tap run started at `since`: file, assertion, its YAML diagnostics. */
export function failureRecap(resultsDir: string, since: number, maxLines = 80): string[] {
  const out: string[] = []
  for (const file of tapFiles(resultsDir, since).sort()) {
    const lines = readFileSync(file, 'utf8').split('\n')
    const failed: string[] = []
    for (let i = 0; i < lines.length; i++) {
      if (!/^\s*not ok \d+ - /.test(lines[i]!)) continue
      failed.push(`  ${lines[i]!.trim()}`)
      // The diagnostics block follows as YAML between `---` and `...`; where the
      // assertion sits (at, stack, source) is long and the name already says it.
      if (lines[i + 1]?.trim() !== '---') continue
      const base = lines[i + 1]!.search(/\S/)
      let skipping = false
      for (let j = i + 2; j < lines.length && lines[j]!.trim() !== '...' && j < i + 60; j++) {
        const line = lines[j]!
        const indent = line.search(/\S/)
        if (indent === base) skipping = /^\s*(stack|source|at):/.test(line)
        if (!skipping) failed.push(`      ${line.slice(base)}`)
      }
    }
    if (failed.length > 0) out.push(`${path.relative(resultsDir, file).replace(/\.tap$/, '')}:`, ...failed)
  }
  return out.length > maxLines ? [...out.slice(0, maxLines), `... ${out.length - maxLines} more lines in ${resultsDir}`] : out
}
