import { idCursor } from '../../lib/cursor.ts'

export const { encode: encodeProductCursor, schema: productCursorSchema } = idCursor('p1')
