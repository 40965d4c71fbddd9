// The events lanelist publishes (payloads in docs/webhooks.md). An endpoint subscribes to a
// subset; 'webhook.test' is only ever sent by the test-send route, never stored.
export const EVENT_TYPES = [
  'list.created',
  'redemption.recorded',
  'redemption.voided',
  'redemption.returned',
  'customer.declining',
] as const

export type EventType = (typeof EVENT_TYPES)[number]

export const TEST_EVENT_TYPE = 'webhook.test'

export interface OutboxEvent {
  id: string
  type: string
  createdAt: string
  data: Record<string, unknown>
}
