// The authorisation matrix: every route of the app's OpenAPI document x every kind of caller.
// The expected access is written down per route below; a route without an entry fails, so a
// new route cannot ship without someone deciding who may call it.
import t from 'tap'
import { operations, paramValue, PII, routeKey, seedWorld, urlOf, type Operation, type World } from './route-catalog.ts'

type Access = 'public' | 'pos' | 'backoffice' | 'admin'

const ACCESS: Record<string, Access> = {
  'GET /health/live': 'public',
  'GET /health/ready': 'public',
  'POST /v1/api-keys': 'admin',
  'GET /v1/api-keys': 'admin',
  'DELETE /v1/api-keys/{id}': 'admin',
  'POST /v1/webhooks': 'admin',
  'GET /v1/webhooks': 'admin',
  'GET /v1/webhooks/{id}': 'admin',
  'PATCH /v1/webhooks/{id}': 'admin',
  'DELETE /v1/webhooks/{id}': 'admin',
  'POST /v1/webhooks/{id}/secret': 'admin',
  'POST /v1/webhooks/{id}/test': 'admin',
  'GET /v1/webhooks/{id}/deliveries': 'admin',
  'POST /v1/webhooks/{id}/deliveries/{deliveryId}/redeliver': 'admin',
  'POST /v1/webhooks/{id}/redeliver-dead': 'admin',
  'GET /v1/audit-log': 'admin',
  'PUT /v1/stores/{storeId}': 'backoffice',
  'GET /v1/stores/{storeId}': 'backoffice',
  'DELETE /v1/stores/{storeId}': 'backoffice',
  'GET /v1/stores': 'backoffice',
  'PUT /v1/stores/{storeId}/lanes/{laneId}': 'backoffice',
  'DELETE /v1/stores/{storeId}/lanes/{laneId}': 'backoffice',
  'POST /v1/products': 'backoffice',
  'GET /v1/products': 'backoffice',
  'GET /v1/products/{gtin}': 'backoffice',
  'PATCH /v1/products/{gtin}': 'backoffice',
  'POST /v1/customers': 'backoffice',
  'GET /v1/customers': 'backoffice',
  'GET /v1/customers/lookup': 'backoffice',
  'GET /v1/customers/{id}': 'backoffice',
  'PATCH /v1/customers/{id}': 'backoffice',
  'POST /v1/customers/{id}/cards/replace': 'backoffice',
  'POST /v1/customers/{id}/opt-out': 'backoffice',
  'POST /v1/customers/{id}/erase': 'backoffice',
  'POST /v1/offers': 'backoffice',
  'GET /v1/offers': 'backoffice',
  'GET /v1/offers/{id}': 'backoffice',
  'PATCH /v1/offers/{id}': 'backoffice',
  'POST /v1/offers/{id}/pause': 'backoffice',
  'POST /v1/offers/{id}/resume': 'backoffice',
  'POST /v1/offers/{id}/end': 'backoffice',
  'POST /v1/imports/products': 'backoffice',
  'POST /v1/imports/transactions': 'backoffice',
  'GET /v1/customers/{customerId}/lists/current': 'backoffice',
  'GET /v1/lists/{listId}': 'backoffice',
  'GET /v1/lists/{listId}/barcode.svg': 'backoffice',
  'GET /v1/lists/{listId}/barcode.png': 'backoffice',
  'GET /v1/lists/{listId}/print': 'backoffice',
  'POST /v1/list-generations': 'backoffice',
  'GET /v1/list-generations/{generationId}': 'backoffice',
  'GET /v1/list-generations/{generationId}/lists': 'backoffice',
  'GET /v1/list-generations/{generationId}/print': 'backoffice',
  'POST /v1/customers/{customerId}/lists': 'backoffice',
  'GET /v1/customers/{customerId}/profile': 'backoffice',
  'GET /v1/customers/{id}/sales': 'backoffice',
  'GET /v1/lists/lookup': 'backoffice',
  'GET /v1/list-generations': 'backoffice',
  'GET /v1/ops/status': 'backoffice',
  'GET /v1/reports/segments': 'backoffice',
  'GET /v1/reports/value': 'backoffice',
  'GET /v1/reports/offers': 'backoffice',
  'GET /v1/reports/manufacturers': 'backoffice',
  'GET /v1/reports/rollup': 'backoffice',
  'POST /v1/reports/rollup': 'backoffice',
  'POST /v1/redemptions': 'pos',
  'POST /v1/redemptions/quote': 'pos',
  'POST /v1/redemptions/{redemptionId}/void': 'pos',
  'POST /v1/redemptions/{redemptionId}/returns': 'pos',
}

const CALLERS = ['none', 'unknown key', 'revoked key', 'pos own store', 'pos other store', 'backoffice', 'admin'] as const
type Caller = (typeof CALLERS)[number]

/** 'ok' = let through: any answer but 401/403 (and never a 5xx); GETs must answer 200. */
function expected(access: Access, caller: Caller): 401 | 403 | 'ok' {
  if (access === 'public') return 'ok'
  if (caller === 'none' || caller === 'unknown key' || caller === 'revoked key') return 401
  if (access === 'pos') return caller === 'pos own store' ? 'ok' : 403
  if (access === 'backoffice') return caller === 'backoffice' || caller === 'admin' ? 'ok' : 403
  return caller === 'admin' ? 'ok' : 403
}

function keyOf(world: World, caller: Caller): string | null {
  switch (caller) {
    case 'none':
      return null
    case 'unknown key':
      return 'll_thisKeyWasNeverIssuedByLanelist000000000000'
    case 'revoked key':
      return world.revokedKey
    case 'pos own store':
      return world.posKey
    case 'pos other store':
      return world.otherPosKey
    case 'backoffice':
      return world.officeKey
    case 'admin':
      return world.adminKey
  }
}

/** A request the route accepts, so that "let through" shows as a real answer. */
function requestFor(world: World, op: Operation): { url: string; payload?: string | object; headers?: Record<string, string> } {
  const url = urlOf(op, (name) => paramValue(world, op, name))
  const query = op.path === '/v1/customers/lookup' ? `?card=${world.cardNumber}` : op.path === '/v1/lists/lookup' ? `?barcode=${world.barcode}` : ''
  if (op.bodyTypes.length === 0) return { url: url + query }
  if (op.bodyTypes[0] === 'text/csv') return { url, payload: 'gtin\n', headers: { 'content-type': 'text/csv' } }
  if (op.path === '/v1/redemptions' || op.path === '/v1/redemptions/quote') {
    // Names the pos key's own store: only a pos key of that store may act on it.
    return { url, payload: world.body(world.cardNumber, [{ gtin: paramValue(world, op, 'gtin'), quantity: 1, unitPriceCents: 349 }]) }
  }
  if (op.path.endsWith('/returns')) return { url, payload: { posReturnId: `R-${Math.random()}`, items: [{ gtin: paramValue(world, op, 'gtin'), quantity: 1 }] } }
  return { url, payload: {} }
}

t.test('every route x every caller answers as the matrix says', async (t) => {
  const world = await seedWorld(t)
  const ops = operations(world.app)
  t.ok(ops.length >= 40, `${ops.length} routes in the OpenAPI document`)

  const missing = ops.map(routeKey).filter((k) => !(k in ACCESS))
  t.same(missing, [], 'every route has an entry in the matrix (add new routes to ACCESS)')
  const stale = Object.keys(ACCESS).filter((k) => !ops.some((op) => routeKey(op) === k))
  t.same(stale, [], 'every entry of the matrix is a route')

  // The document itself agrees: public routes declare no security, the others a bearer key.
  for (const op of ops) {
    const access = ACCESS[routeKey(op)]
    if (access) t.equal(op.needsKey, access !== 'public', `${routeKey(op)} declares ${op.needsKey ? 'a key' : 'no key'}`)
  }

  let checked = 0
  const wrong: string[] = []
  // Admin last: it may use up the spare resources of the destructive routes.
  for (const caller of CALLERS) {
    for (const op of ops) {
      const access = ACCESS[routeKey(op)]
      if (!access) continue
      const want = expected(access, caller)
      const req = requestFor(world, op)
      const res = await world.call(keyOf(world, caller), { method: op.method as 'GET', ...req })
      checked++
      const got = res.statusCode
      const ok =
        got < 500 &&
        (want === 'ok' ? got !== 401 && got !== 403 && (op.method !== 'GET' || got === 200) : got === want)
      if (!ok) wrong.push(`${caller} ${routeKey(op)}: expected ${want}, got ${got} ${res.body.slice(0, 200)}`)
      if (want !== 'ok' && got === want) {
        if (!/^application\/problem\+json/.test(String(res.headers['content-type']))) wrong.push(`${caller} ${routeKey(op)}: ${got} is not problem+json`)
      }
    }
  }
  t.same(wrong, [], `${checked} requests (${ops.length} routes x ${CALLERS.length} callers) as the matrix says`)
})

t.test('a pos key reads nothing but its lane calls: every GET is 403 and leaks no customer data', async (t) => {
  const world = await seedWorld(t)
  const gets = operations(world.app).filter((op) => op.method === 'GET' && ACCESS[routeKey(op)] !== 'public')
  t.ok(gets.length >= 15, `${gets.length} GET routes`)
  const secrets = [world.cardNumber, world.barcode, PII.firstName, PII.externalId, PII.postalCode]
  for (const op of gets) {
    const res = await world.call(world.posKey, { method: 'GET', ...requestFor(world, op) })
    t.equal(res.statusCode, 403, `pos GET ${op.path}`)
    for (const secret of secrets) t.notOk(res.body.includes(secret), `${op.path}: no ${secret}`)
  }

  // What the lane does get back: the customer's id, a masked card and a tier, nothing more.
  for (const scanned of [world.cardNumber, world.barcode]) {
    for (const path of ['/v1/redemptions/quote', '/v1/redemptions']) {
      const res = await world.call(world.posKey, { method: 'POST', url: path, payload: world.body(scanned, [{ gtin: paramValue(world, { path: '', method: 'GET' } as Operation, 'gtin'), quantity: 1, unitPriceCents: 349 }]) })
      t.ok(res.statusCode === 200 || res.statusCode === 201, `${path} with a ${scanned === world.cardNumber ? 'card' : 'list'}: ${res.statusCode}`)
      const body = res.json()
      t.same(Object.keys(body.customer).sort(), ['id', 'maskedCard', 'tier'], 'the customer is id, masked card and tier')
      t.notOk(body.customer.maskedCard.includes(world.cardNumber.slice(2, 9)), 'the card is masked')
      for (const secret of secrets) t.notOk(res.body.includes(secret), `${path}: no ${secret}`)
    }
  }
})
