import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { runPredict, writeRanked } from '../../scripts/predict.ts'

t.test('predict CLI path on a tiny CSV: header, ranks from 1, every customer, file ids', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lanelist-predict-test-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const lines = ['customer_id,transaction_id,day,product_id,quantity']
  for (let v = 1; v <= 6; v++) {
    lines.push(`c1,t1-${v},${v},p-milk,1`, `c1,t1-${v},${v},p-bread,1`)
    lines.push(`c2,t2-${v},${v},p-milk,1`)
    if (v % 2 === 0) lines.push(`c2,t2-${v},${v},p-eggs,2`)
  }
  lines.push('c3,t3-1,1,p-eggs,1')
  const csv = path.join(dir, 'tx.csv')
  writeFileSync(csv, `${lines.join('\n')}\n`)
  const run = await runPredict({ transactions: csv, top: 2, log: () => {} })
  t.equal(run.timeMode, 'sequence')
  const out = path.join(dir, 'pred.csv')
  writeRanked(out, run.ranked)
  const rows = readFileSync(out, 'utf8').trim().split('\n')
  t.equal(rows[0], 'customer_id,rank,product_id')
  const body = rows.slice(1).map((r) => r.split(','))
  t.same([...new Set(body.map((r) => r[0]))].sort(), ['c1', 'c2', 'c3'])
  for (const c of ['c1', 'c2', 'c3']) t.same(body.filter((r) => r[0] === c).map((r) => r[1]), ['1', '2'], `${c} ranks 1..2`)
  t.same(new Set(body.filter((r) => r[0] === 'c1').map((r) => r[2])), new Set(['p-milk', 'p-bread']))
  t.ok(body.every((r) => /^p-/.test(r[2] ?? '')), 'the file\'s product ids')
})
