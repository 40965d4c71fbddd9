import { z } from 'zod'
import { EVENT_TYPES } from './event.types.ts'

export const idParam = z.string().regex(/^[0-9]{1,15}$/, 'must be a numeric id')

const eventTypes = z
  .array(z.enum(EVENT_TYPES))
  .min(1, 'subscribe to at least one event type')
  .max(EVENT_TYPES.length)
  .transform((types) => [...new Set(types)])
  .describe(`Event types to receive: ${EVENT_TYPES.join(', ')}`)

const url = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .max(2000)
  .describe('Where deliveries are POSTed; https outside a private network')

const secret = z
  .string()
  .min(24, 'must be at least 24 characters')
  .max(200)
  .describe('HMAC key for the signatures; generated when omitted. Returned only here')

export const createEndpointBody = z.strictObject({
  url,
  description: z.string().trim().max(200).optional(),
  eventTypes,
  secret: secret.optional(),
  enabled: z.boolean().optional(),
})
export type CreateEndpointInput = z.infer<typeof createEndpointBody>

export const updateEndpointBody = z
  .strictObject({
    url: url.optional(),
    description: z.string().trim().max(200).nullable().optional(),
    eventTypes: eventTypes.optional(),
    secret: secret.optional().describe('A new HMAC key of your own (POST .../secret generates one instead)'),
    enabled: z.boolean().optional().describe('false stops new deliveries and pauses retries; true resumes them'),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'send at least one field to change')
export type UpdateEndpointInput = z.infer<typeof updateEndpointBody>

export const endpointOut = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    eventTypes: z.array(z.string()),
    enabled: z.boolean(),
    createdBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    deliveries: z.object({
      pending: z.number().int().describe('Waiting for their next attempt (or in flight)'),
      dead: z.number().int().describe('Gave up after the last attempt; redeliverable'),
      lastDeliveredAt: z.string().nullable(),
      lastFailure: z.object({ at: z.string(), statusCode: z.number().int().nullable(), error: z.string().nullable() }).nullable(),
    }),
  })
  .meta({ id: 'WebhookEndpoint' })
export type EndpointOut = z.infer<typeof endpointOut>

export const endpointWithSecret = endpointOut.extend({ secret: z.string().describe('Shown only in this response: keep it') })

export const deliveryStatus = z.enum(['pending', 'succeeded', 'dead'])

export const deliveryOut = z
  .object({
    id: z.string(),
    eventId: z.string().describe('The Lanelist-Event-Id receivers dedupe on'),
    eventType: z.string(),
    eventCreatedAt: z.string(),
    status: deliveryStatus,
    attempts: z.number().int(),
    nextAttemptAt: z.string().nullable().describe('When a pending delivery is tried next'),
    lastAttemptAt: z.string().nullable(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    lastDurationMs: z.number().int().nullable(),
    deliveredAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'WebhookDelivery' })
export type DeliveryOut = z.infer<typeof deliveryOut>

export const testSendOut = z.object({
  delivered: z.boolean(),
  eventId: z.string(),
  statusCode: z.number().int().nullable(),
  error: z.string().nullable(),
  durationMs: z.number().int(),
})
