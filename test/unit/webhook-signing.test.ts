import { createHmac } from 'node:crypto'
import t from 'tap'
import { DEFAULT_RETRY, nextRetryDelayMs, nominalRetryWindowMs } from '../../src/modules/events/webhook-retry.ts'
import { generateWebhookSecret, signatureHeader, verifySignature } from '../../src/modules/events/webhook-signing.ts'

t.test('signature: HMAC-SHA256 of "timestamp.body", verified as the docs tell receivers', async (t) => {
  const secret = generateWebhookSecret()
  const body = '{"id":"e1","type":"list.created","data":{"listId":"7"}}'
  const ts = 1_790_000_000
  const header = signatureHeader(secret, ts, body)
  // The docs' recipe, written out independently of the implementation.
  t.equal(header, `v1=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`)
  const ok = (h: { signature?: string; timestamp?: string }, b = body, now = ts + 10) =>
    verifySignature(secret, { signature: h.signature, timestamp: h.timestamp }, b, { now })
  t.ok(ok({ signature: header, timestamp: String(ts) }))
  t.ok(ok({ signature: `v0=abc, ${header}`, timestamp: String(ts) }), 'any v1 entry of a list')
  t.notOk(ok({ signature: header, timestamp: String(ts) }, body.replace('7', '8')), 'a changed body')
  t.notOk(ok({ signature: header, timestamp: String(ts + 1) }), 'a changed timestamp')
  t.notOk(ok({ signature: header, timestamp: String(ts) }, body, ts + 301), 'outside the replay window')
  t.notOk(ok({ signature: header, timestamp: String(ts) }, body, ts - 301), 'from the future')
  t.notOk(ok({ signature: undefined, timestamp: String(ts) }))
  t.notOk(ok({ signature: 'v1=zz', timestamp: String(ts) }))
  t.notOk(ok({ signature: header, timestamp: 'soon' }))
  t.notOk(verifySignature(generateWebhookSecret(), { signature: header, timestamp: String(ts) }, body, { now: ts }), 'another secret')
  t.not(generateWebhookSecret(), generateWebhookSecret())
})

t.test('retry schedule: exponential, capped, jittered within 80-120%, then no more', async (t) => {
  const policy = { maxAttempts: 6, baseMs: 1000, capMs: 5000 }
  const nominal = [1000, 2000, 4000, 5000, 5000]
  for (let failed = 1; failed <= 5; failed++) {
    t.equal(nextRetryDelayMs(failed, policy, () => 0.5), nominal[failed - 1], `after ${failed} failures`)
    t.equal(nextRetryDelayMs(failed, policy, () => 0), nominal[failed - 1]! * 0.8)
    t.equal(nextRetryDelayMs(failed, policy, () => 0.999999), Math.round(nominal[failed - 1]! * 1.2))
  }
  t.equal(nextRetryDelayMs(6, policy), null, 'the last attempt failed: dead')
  t.equal(nominalRetryWindowMs(policy), 17_000)
  // The documented default: 16 attempts over about a day.
  t.equal(DEFAULT_RETRY.maxAttempts, 16)
  const hours = nominalRetryWindowMs(DEFAULT_RETRY) / 3_600_000
  t.ok(hours > 24 && hours < 24.5, `${hours} h`)
})
