import { z } from 'zod'

// Opaque to clients so the keyset can change later; the tag keeps a product cursor from
// being replayed against the customers list (and vice versa).
export function encodeCustomerCursor(lastId: number): string {
  return Buffer.from(`c1:${lastId}`).toString('base64url')
}

export const customerCursorSchema = z
  .string()
  .transform((raw, ctx) => {
    const m = /^c1:([0-9]{1,15})$/.exec(Buffer.from(raw, 'base64url').toString())
    if (!m) {
      ctx.issues.push({ code: 'custom', message: 'not a cursor from this list (pass nextCursor back unchanged)', input: raw })
      return z.NEVER
    }
    return Number(m[1])
  })
  .describe('nextCursor of the previous page')
