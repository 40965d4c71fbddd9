// API keys are stored as SHA-256 digests only, looked up by digest, and the one key compared
// directly (the configured bootstrap key) is compared in constant time.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import t from 'tap'
import { hashApiKey, sameKey } from '../../src/modules/api-keys/api-key.crypto.ts'
import { ADMIN_KEY, buildTestApp } from '../helpers/app.ts'

t.test('a created key is stored as its SHA-256 digest and nowhere in clear', async (t) => {
  const { call, database, createStore } = await buildTestApp(t)
  await createStore('S01')
  const created = (await call(ADMIN_KEY, { method: 'POST', url: '/v1/api-keys', payload: { role: 'pos', storeId: 'S01', name: 'lane 1' } })).json()
  const key = created.key as string
  const row = await database.db.selectFrom('api_key').selectAll().where('id', '=', Number(created.id)).executeTakeFirstOrThrow()
  t.same(row.key_hash, createHash('sha256').update(key).digest(), 'the digest')
  t.equal(row.key_prefix, key.slice(0, 10), 'only a recognisable prefix in clear')

  // No table or column anywhere holds the key (or its secret part), nor the bootstrap key.
  const dump = await database.pool.query(`
    select string_agg(t::text, E'\\n') as text from (
      select row_to_json(x)::text as t from api_key x
      union all select row_to_json(a)::text from audit_log a) s`)
  const text = String(dump.rows[0].text)
  t.notOk(text.includes(key.slice(10)), 'the secret part of the key is not stored')
  t.notOk(text.includes(ADMIN_KEY), 'the bootstrap key is not stored')
  t.equal((await call(key, { method: 'POST', url: '/v1/redemptions/quote', payload: {} })).statusCode, 400, 'the key works (found by its digest)')
})

t.test('sameKey: equal only for the same key, whatever the lengths', async (t) => {
  const key = 'test-admin-key-0123456789abcdef'
  t.ok(sameKey(key, key))
  for (const other of ['', 'x', key.slice(0, -1), `${key}x`, `X${key.slice(1)}`, `${key.slice(0, -1)}X`, key.toUpperCase(), 'a'.repeat(10_000)]) {
    t.notOk(sameKey(other, key), `not equal: ${other.slice(0, 40)}`)
  }
  t.same(hashApiKey(key), createHash('sha256').update(key).digest())
})

t.test('sameKey takes the same time wherever the first difference is', async (t) => {
  // Both arguments are hashed to 32 bytes and compared with timingSafeEqual, so a key that
  // shares a long prefix with the real one takes no longer than one that shares nothing. The
  // bound is loose (the machine is shared); an early-exit comparison on the raw strings
  // would not be caught by timing alone, hence the source check below as well.
  const real = `ll_${'k'.repeat(43)}`
  const nearMiss = `${real.slice(0, -1)}X`
  const farMiss = `X${real.slice(1)}`
  const time = (candidate: string) => {
    const start = process.hrtime.bigint()
    for (let i = 0; i < 2000; i++) sameKey(candidate, real)
    return Number(process.hrtime.bigint() - start)
  }
  const near: number[] = []
  const far: number[] = []
  for (let round = 0; round < 15; round++) {
    near.push(time(nearMiss))
    far.push(time(farMiss))
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const ratio = median(near) / median(far)
  t.ok(ratio > 0.5 && ratio < 2, `near miss / far miss time ratio ${ratio.toFixed(2)}`)
})

t.test('the code compares keys only through digests and timingSafeEqual', async (t) => {
  const crypto = readFileSync(new URL('../../src/modules/api-keys/api-key.crypto.ts', import.meta.url), 'utf8')
  t.match(crypto, /timingSafeEqual\(hashApiKey\(presented\), hashApiKey\(expected\)\)/, 'sameKey compares equal-length digests in constant time')
  const auth = readFileSync(new URL('../../src/plugins/auth.ts', import.meta.url), 'utf8')
  t.match(auth, /sameKey\(key, opts\.adminKey\)/, 'the bootstrap key goes through sameKey')
  t.notMatch(auth, /(key|adminKey)\s*[!=]==|[!=]==\s*(key|opts\.adminKey)\b/, 'no direct string comparison of keys')
  t.match(auth, /findActiveKeyByHash\(opts\.db, hash\)/, 'stored keys are found by their digest')
})
