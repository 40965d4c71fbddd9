import t from 'tap'
import { toCsv, wantsCsv } from '../../src/modules/reports/report-csv.ts'
import { topCount, variance } from '../../src/modules/reports/report-stats.ts'

t.test('CSV cells: quotes, separators, formulas, empty values', async (t) => {
  t.equal(toCsv(['a', 'b'], [['x,y', 'say "hi"'], ['=SUM(A1)', -5], [null, true], ['line\nbreak', '@x']]),
    'a,b\r\n"x,y","say ""hi"""\r\n\'=SUM(A1),-5\r\n,true\r\n"line\nbreak",\'@x\r\n')
})

t.test('Accept negotiation', async (t) => {
  t.ok(wantsCsv('text/csv'))
  t.ok(wantsCsv('application/json;q=0.5, text/csv'))
  t.ok(wantsCsv('TEXT/CSV; charset=utf-8'))
  t.notOk(wantsCsv('text/csv;q=0'))
  t.notOk(wantsCsv('*/*'))
  t.notOk(wantsCsv(undefined))
})

t.test('top shares and variance from sums', async (t) => {
  t.equal(topCount(50, 0.01), 1)
  t.equal(topCount(100, 0.025), 3)
  t.equal(topCount(1000, 0.025), 25)
  t.equal(topCount(5, 0.2), 1)
  t.equal(topCount(0, 0.1), 0)
  t.equal(variance({ n: 1, sum: 5, sumSq: 25 }), null)
  t.equal(variance({ n: 4, sum: 10, sumSq: 30 }), (30 - 25) / 3)
})
