// Security headers of the console. Scripts only from our own files (no inline script, no eval),
// API calls only to ourselves, nothing from elsewhere: the machines have no internet and a
// stolen key must not leave by a crafted page. The printable list pages are shown from blob:
// URLs, which inherit this policy; their one inline style block is allowed by its hash.
import { createHash } from 'node:crypto'
import { PRINT_CSS } from '../lists/list-print.html.ts'

const printStyleHash = `'sha256-${createHash('sha256').update(PRINT_CSS).digest('base64')}'`

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  `style-src 'self' ${printStyleHash}`,
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  'frame-src blob:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ')

export const CONSOLE_HEADERS: Record<string, string> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  // Revalidate on every load (ETag makes it cheap): a new release reaches the desks at once.
  'cache-control': 'no-cache',
}
