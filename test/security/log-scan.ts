// Finds personal data and secrets in log text. Used on one flow's logs (log-secrets.test.ts)
// and, by test/run.ts, on the logs every test app of the suite wrote (LANELIST_TEST_LOG_DIR).
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { hasValidCheckDigit } from '../../src/lib/codes.ts'

const PATTERNS: { what: string; re: RegExp; keep?: (m: string) => boolean }[] = [
  { what: 'API key', re: /\bll_[A-Za-z0-9_-]{40,}/g },
  { what: 'bootstrap key', re: /test-admin-key-0123456789abcdef|bench-admin-key-0123456789abcdef/g },
  // Card numbers: 13 digits from prefix 2 with a valid check digit (timestamps start with 1).
  { what: 'card number', re: /(?<![0-9])2[0-9]{12}(?![0-9])/g, keep: hasValidCheckDigit },
  { what: 'list barcode', re: /\bLL[0-9]{8,}\b/gi },
  { what: 'e-mail address', re: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z]{2,}/g },
  // Fields that only ever hold personal data: a logged body or row would show them.
  { what: 'personal field', re: /"(firstName|first_name|externalId|external_id|household|postalCode|postal_code|cardNumber|card_number|scannedCode)":(?!null\b|\{\}|"\[redacted\]"|"")[^,\]}]/g },
  { what: 'authorization header', re: /"authorization":"(?!\[redacted\])/gi },
]

export interface Finding {
  what: string
  match: string
  where: string
}

export function findSecrets(text: string, where = 'log', extra: string[] = []): Finding[] {
  const found: Finding[] = []
  for (const { what, re, keep } of PATTERNS) {
    for (const m of text.matchAll(re)) {
      if (keep && !keep(m[0])) continue
      found.push({ what, match: m[0], where })
    }
  }
  for (const secret of extra) {
    if (secret && text.includes(secret)) found.push({ what: 'known secret', match: secret, where })
  }
  return found
}

/** Scans every *.log file in dir; returns the findings and how much was read. */
export function scanLogDir(dir: string): { files: number; lines: number; findings: Finding[] } {
  let files = 0
  let lines = 0
  const findings: Finding[] = []
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.log'))) {
    const text = readFileSync(path.join(dir, name), 'utf8')
    files++
    for (const line of text.split('\n')) {
      if (!line) continue
      lines++
      for (const f of findSecrets(line, name)) findings.push({ ...f, where: `${name}: ${line.slice(0, 300)}` })
    }
  }
  return { files, lines, findings }
}
