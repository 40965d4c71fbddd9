import { z } from 'zod'

/**
 * Keyset cursors over an id, opaque to clients so the keyset can change later. The tag keeps a
 * cursor of one list from being replayed against another (a customers cursor on products).
 */
export function idCursor(tag: string) {
  const pattern = new RegExp(`^${tag}:([0-9]{1,15})$`)
  return {
    encode: (lastId: number): string => Buffer.from(`${tag}:${lastId}`).toString('base64url'),
    schema: z
      .string()
      .transform((raw, ctx) => {
        const m = pattern.exec(Buffer.from(raw, 'base64url').toString())
        if (!m) {
          ctx.issues.push({ code: 'custom', message: 'not a cursor from this list (pass nextCursor back unchanged)', input: raw })
          return z.NEVER
        }
        return Number(m[1])
      })
      .describe('nextCursor of the previous page'),
  }
}
