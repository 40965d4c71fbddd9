// The routes of the running app, read from its own OpenAPI document (app.swagger()), and a
// seeded world with a real resource behind every path parameter. Shared by the authorisation
// matrix (test/security) and the fuzzer (test/fuzz): a route added to the app is in both.
import type { FastifyInstance } from 'fastify'
import { insertGeneration } from '../helpers/list-fixtures.ts'
import { checkoutFixture, item, type CheckoutFixture } from '../helpers/checkout-fixtures.ts'

type Tap = Parameters<typeof checkoutFixture>[0]

export interface Operation {
  method: string
  /** OpenAPI path, e.g. /v1/customers/{id} */
  path: string
  tags: string[]
  needsKey: boolean
  params: string[]
  /** Request body content types, empty when the route takes no body. */
  bodyTypes: string[]
  bodySchema: unknown
  querySchema: { name: string; required: boolean; schema: unknown }[]
  /** status -> content types of that response */
  responses: Record<string, string[]>
}

export type OpenApiDocument = {
  paths: Record<string, Record<string, Record<string, unknown>>>
  components?: { schemas?: Record<string, unknown> }
}

export function documentOf(app: FastifyInstance): OpenApiDocument {
  return app.swagger() as unknown as OpenApiDocument
}

export function operations(app: FastifyInstance): Operation[] {
  const doc = documentOf(app)
  const ops: Operation[] = []
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(methods)) {
      const op = raw as {
        tags?: string[]
        security?: unknown[]
        parameters?: { in: string; name: string; required?: boolean; schema?: unknown }[]
        requestBody?: { content: Record<string, { schema?: unknown }> }
        responses?: Record<string, { content?: Record<string, unknown> }>
      }
      const parameters = op.parameters ?? []
      const bodyTypes = Object.keys(op.requestBody?.content ?? {})
      ops.push({
        method: method.toUpperCase(),
        path,
        tags: op.tags ?? [],
        needsKey: (op.security ?? []).length > 0,
        params: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        bodyTypes,
        bodySchema: bodyTypes[0] ? op.requestBody!.content[bodyTypes[0]]!.schema : undefined,
        querySchema: parameters.filter((p) => p.in === 'query').map((p) => ({ name: p.name, required: Boolean(p.required), schema: p.schema })),
        responses: Object.fromEntries(Object.entries(op.responses ?? {}).map(([s, r]) => [s, Object.keys(r.content ?? {})])),
      })
    }
  }
  return ops
}

export const routeKey = (op: Pick<Operation, 'method' | 'path'>) => `${op.method} ${op.path}`

/** Personal data of the seeded customer: none of it may reach a log or a pos key's answer. */
export const PII = {
  firstName: 'Wilhelmina',
  externalId: 'EXT-PRIVATE-4711',
  postalCode: '53703-1234',
}

export interface World extends CheckoutFixture {
  otherStoreId: string
  otherPosKey: string
  adminKey: string
  revokedKey: string
  customerId: string
  cardNumber: string
  listId: string
  barcode: string
  offerId: string
  generationId: string
  redemptionId: string
  webhookId: string
  /** Resources that destructive routes may use up: deleting them hurts no other case. */
  spare: { keyId: string; storeId: string; laneId: string; customerId: string; offerId: string; webhookId: string }
}

export async function seedWorld(t: Tap, env: Record<string, string> = {}): Promise<World> {
  const fx = await checkoutFixture(t, env)
  const db = fx.database.db
  const otherStoreId = await fx.createStore('S02')
  const otherPosKey = await fx.createKey('pos', otherStoreId)
  const adminKey = await fx.createKey('admin')
  const revokedKey = await fx.createKey('backoffice')
  const keys = await fx.call(adminKey, { method: 'GET', url: '/v1/api-keys' })
  const revokedId = keys.json().items.at(-1).id as string
  await fx.call(adminKey, { method: 'DELETE', url: `/v1/api-keys/${revokedId}` })
  const spareKey = await fx.call(adminKey, { method: 'POST', url: '/v1/api-keys', payload: { role: 'backoffice', name: 'spare' } })
  await fx.call(fx.officeKey, { method: 'PUT', url: '/v1/stores/S01/lanes/07', payload: { name: 'Lane 7' } })
  const spareStore = await fx.createStore('S77')
  await fx.call(fx.officeKey, { method: 'PUT', url: '/v1/stores/S77/lanes/99', payload: { name: 'Lane 99' } })

  const offerId = await fx.createOffer()
  const spareOffer = await fx.createOffer({ name: 'Spare offer' })
  const enrolled = await fx.call(fx.officeKey, {
    method: 'POST',
    url: '/v1/customers',
    payload: { firstName: PII.firstName, externalId: PII.externalId, homeStoreId: 'S01', household: { adults: 2, pets: true, postalCode: PII.postalCode } },
  })
  if (enrolled.statusCode !== 201) throw new Error(`enrol: ${enrolled.body}`)
  const customer = enrolled.json() as { id: string; cardNumber: string }
  const list = await fx.createList(customer.id, [offerId])
  const generationId = await insertGeneration(db)
  await db.updateTable('list').set({ generation_id: generationId, trigger: 'run' }).where('id', '=', Number(list.id)).execute()
  const spareCustomer = await fx.createCustomer()

  // Port 9 (discard) on loopback refuses at once: a test-send answers quickly, nothing is delivered.
  const webhook = (description: string) =>
    fx.call(adminKey, { method: 'POST', url: '/v1/webhooks', payload: { url: 'http://127.0.0.1:9/hook', description, eventTypes: ['list.created'] } }).then((r) => r.json().id as string)
  const webhookId = await webhook('seeded')
  const spareWebhook = await webhook('spare')

  const sale = await fx.redeem(fx.body(customer.cardNumber, [item('milk', 2), item('rice')]))
  if (sale.statusCode !== 201) throw new Error(`redeem: ${sale.body}`)

  return {
    ...fx,
    otherStoreId,
    otherPosKey,
    adminKey,
    revokedKey,
    customerId: customer.id,
    cardNumber: customer.cardNumber,
    listId: list.id,
    barcode: list.barcode,
    offerId,
    generationId: String(generationId),
    redemptionId: sale.json().redemptionId,
    webhookId,
    spare: { keyId: spareKey.json().id, storeId: spareStore, laneId: '99', customerId: spareCustomer.id, offerId: spareOffer, webhookId: spareWebhook },
  }
}

// Routes that use up or change what they name get the spare resources.
const DESTRUCTIVE = /^(DELETE |POST \/v1\/customers\/\{id\}\/(erase|opt-out|cards\/replace)|POST \/v1\/offers\/\{id\}\/(pause|resume|end)|PATCH )/

/** The value of a path parameter: a real resource of the seeded world. */
export function paramValue(world: World, op: Operation, name: string): string {
  const spare = DESTRUCTIVE.test(routeKey(op))
  switch (name) {
    case 'storeId':
      return spare ? world.spare.storeId : world.storeId
    case 'laneId':
      return spare ? world.spare.laneId : '07'
    case 'gtin':
      return item('milk').gtin
    case 'customerId':
      return world.customerId
    case 'listId':
      return world.listId
    case 'generationId':
      return world.generationId
    case 'redemptionId':
      return world.redemptionId
    case 'deliveryId':
      return '1'
    case 'id':
      if (op.path.startsWith('/v1/api-keys')) return world.spare.keyId
      if (op.path.startsWith('/v1/offers')) return spare ? world.spare.offerId : world.offerId
      if (op.path.startsWith('/v1/customers')) return spare ? world.spare.customerId : world.customerId
      if (op.path.startsWith('/v1/webhooks')) return spare ? world.spare.webhookId : world.webhookId
      throw new Error(`no value for {id} in ${op.path}: add one to test/security/route-catalog.ts`)
    default:
      throw new Error(`no value for {${name}} in ${op.path}: add one to test/security/route-catalog.ts`)
  }
}

export function urlOf(op: Operation, value: (name: string) => string): string {
  return op.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(value(name)))
}
