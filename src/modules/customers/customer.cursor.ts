import { idCursor } from '../../lib/cursor.ts'

export const { encode: encodeCustomerCursor, schema: customerCursorSchema } = idCursor('c1')
