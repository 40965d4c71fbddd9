import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pino from 'pino'
import t from 'tap'
import { loadDemoIfEmpty } from '../../src/demo/load-demo.ts'
import { runGeneration } from '../../src/modules/lists/list-run.service.ts'
import { classifyScannedCode } from '../../src/lib/codes.ts'
import { testDatabase } from '../helpers/database.ts'

const log = pino({ level: 'silent' })

t.test('the demo loads a realistic chain into an empty database, once', async (t) => {
  const database = await testDatabase(t)
  const { db } = database
  const dataDir = mkdtempSync(path.join(tmpdir(), 'lanelist-demo-'))
  // It holds the demo's API keys: removed with the test.
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const summary = await loadDemoIfEmpty(db, { customers: 60, log, dataDir, today: '2026-11-23' })
  t.ok(summary)
  t.equal(summary!.stores, 8)
  t.equal(summary!.customers, 60)
  t.ok(summary!.sales > 100, `a year of history (${summary!.sales} sales)`)
  for (const card of summary!.sampleCards) t.equal(classifyScannedCode(card).kind, 'card')

  const categories = await db
    .selectFrom('product')
    .select(['category', 'brand_type'])
    .distinct()
    .execute()
  for (const needed of ['Health/Pain relief', 'Pet/Cat food', 'Baby/Diapers', 'Produce/Fruit']) {
    const types = categories.filter((c) => c.category === needed).map((c) => c.brand_type).sort()
    t.same(types, ['national', 'store'], `${needed} has national and store brands`)
  }
  const [lanes, cards, offers, lines] = await Promise.all([
    db.selectFrom('lane').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    db.selectFrom('card').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'active').executeTakeFirstOrThrow(),
    db.selectFrom('offer').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    db.selectFrom('sale_line').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ])
  t.ok(lanes.n >= 48, 'every store has lanes')
  t.equal(cards.n, 60, 'every customer has a card')
  t.ok(offers.n >= 4, 'some offers')
  t.ok(lines.n > summary!.sales, 'sales have lines')

  const keys = JSON.parse(readFileSync(summary!.keysFile!, 'utf8'))
  t.match(keys.backoffice, /^ll_/)
  t.same(Object.keys(keys.pos).sort(), ['S01', 'S02', 'S03', 'S04', 'S05', 'S06', 'S07', 'S08'])

  // The demo queues its first list generation; run it as the worker would.
  await runGeneration(db, Number(summary!.listGenerationId))
  const run = await db.selectFrom('list_generation').selectAll().where('id', '=', Number(summary!.listGenerationId)).executeTakeFirstOrThrow()
  t.equal(run.status, 'succeeded')
  t.ok(run.lists_created > 0, `${run.lists_created} demo lists`)
  const perks = await db.selectFrom('offer').select('id').where('kind', '=', 'perk').execute()
  t.ok(perks.length >= 4, 'the demo has perks')

  t.equal(await loadDemoIfEmpty(db, { customers: 60, log, dataDir }), null, 'a database with data is never touched')
})
