import { z } from 'zod'

// Opaque to clients so the keyset can change later; the tag keeps a customer cursor from
// being replayed against the products list (and vice versa).
const TAG = 'p1'

export function encodeProductCursor(lastId: number): string {
  return Buffer.from(`${TAG}:${lastId}`).toString('base64url')
}

export const productCursorSchema = z
  .string()
  .transform((raw, ctx) => {
    const m = /^p1:([0-9]{1,15})$/.exec(Buffer.from(raw, 'base64url').toString())
    if (!m) {
      ctx.issues.push({ code: 'custom', message: 'not a cursor from this list (pass nextCursor back unchanged)', input: raw })
      return z.NEVER
    }
    return Number(m[1])
  })
  .describe('nextCursor of the previous page')
