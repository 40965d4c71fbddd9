import { z } from 'zod'

// Same shape as the check constraints on store.id and lane.id, so a bad id is a 400 naming
// the field rather than a database error.
export const storeIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,32}$/, 'a store id is 1-32 letters, digits, "_" or "-"')
  .describe('The chain\'s own store id, e.g. "S01"')
export const laneIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,32}$/, 'a lane id is 1-32 letters, digits, "_" or "-"')
  .describe('The lane number as the POS knows it, e.g. "07"')

/** The zone's canonical IANA name, or undefined if the runtime's time zone data does not know it. */
export function canonicalTimeZone(name: string): string | undefined {
  // Offsets like "+01:00" are not zones: a store's clock follows daylight saving, an offset does not.
  if (!/^[A-Za-z]/.test(name)) return undefined
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone
  } catch {
    return undefined
  }
}

export const timeZoneSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .refine((v) => canonicalTimeZone(v) !== undefined, 'not an IANA time zone (e.g. "America/Chicago")')
  .describe('IANA time zone of the store, e.g. "America/Chicago"; stored in its canonical spelling')

export const storeBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  timezone: timeZoneSchema,
  active: z.boolean().optional().describe('false deactivates the store (soft: its history stays); omitted keeps the current state'),
})

export const laneBody = z.strictObject({
  name: z.string().trim().min(1).max(200).nullable().optional().describe('Omitted keeps the current name; null clears it'),
  active: z.boolean().optional().describe('Omitted keeps the current state (a new lane is active)'),
})

export const lane = z
  .object({ id: z.string(), name: z.string().nullable(), active: z.boolean(), createdAt: z.string() })
  .meta({ id: 'Lane' })

export const store = z
  .object({
    id: z.string(),
    name: z.string(),
    timezone: z.string(),
    active: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Store' })

export const storeWithLanes = store.extend({ lanes: z.array(lane) }).meta({ id: 'StoreWithLanes' })

export type StoreBody = z.infer<typeof storeBody>
export type LaneBody = z.infer<typeof laneBody>
export type Store = z.infer<typeof store>
export type Lane = z.infer<typeof lane>
export type StoreWithLanes = z.infer<typeof storeWithLanes>
