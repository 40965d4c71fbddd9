import t from 'tap'
import { GroupingCheck } from '../../src/modules/imports/input-scan.ts'

/** The check over `text`, fed in pieces of `piece` bytes (a line may be cut anywhere). */
function check(text: string, piece = 7): GroupingCheck {
  const bytes = Buffer.from(text)
  const c = new GroupingCheck()
  for (let i = 0; i < bytes.length; i += piece) c.write(bytes.subarray(i, i + piece))
  c.end()
  return c
}

const HEAD = 'customer_id,transaction_id,day,product_id,quantity\n'

t.test('transaction order and customer order are grouped; a transaction coming back is not', async (t) => {
  const byTransaction = `${HEAD}5,9,1,a,1\n5,9,1,b,1\n2,10,1,a,1\n5,11,1,a,1\n3,100,1,a,1\n`
  t.ok(check(byTransaction).grouped, 'transaction ids grow: 9 < 10 < 11 < 100 as numbers')
  t.equal(check(byTransaction).lines, 5)
  t.ok(check(`${HEAD}1,20,1,a,1\n1,21,1,a,1\n2,3,1,a,1\n10,1,1,a,1\n`).grouped, 'customers grow, and transactions within each')
  t.notOk(check(`${HEAD}1,20,1,a,1\n2,3,1,a,1\n1,20,1,b,1\n`).grouped, 'sale 1/20 split by another')
  t.notOk(check(`${HEAD}1,20,1,a,1\n1,3,1,a,1\n`).grouped, 'a customer\'s transactions going back')
  t.notOk(check(`${HEAD}1,7,1,a,1\n2,7,1,a,1\n1,7,1,b,1\n`).grouped, 'one transaction id for two customers, interleaved')
})

t.test('ids are compared as the reader reads them: trimmed; rows without both ids do not count', async (t) => {
  t.ok(check(`${HEAD}1,20,1,a,1\n 1 ,20 ,1,b,1\n1,21,1,a,1\n`).grouped, 'spaces around an id are trimmed, as the row checks do')
  t.notOk(check(`${HEAD}1,20,1,a,1\n1,21,1,a,1\n 1,20,1,b,1\n`).grouped)
  t.ok(check(`${HEAD}1,20,1,a,1\n,19,1,a,1\n1,,1,a,1\n1,21,1,a,1\n`).grouped, 'a row missing an id is rejected without a key')
  t.ok(check(`${HEAD}1,20,1,a,1\r\n\r\n1,21,1,a,1\r\n`).grouped, 'CRLF and empty lines')
  t.ok(check(`\ufeff${HEAD}1,20,1,a,1\n1,21,1,a,1`).grouped, 'a byte order mark, no final line break')
  t.ok(check('transaction_id,day,customer_id,product_id,quantity\n20,1,1,a,1\n21,1,1,a,1\n').grouped, 'columns in any order')
})

t.test('what the check cannot read exactly is not grouped, so the import spools', async (t) => {
  t.notOk(check(`${HEAD}1,20,1,"a",1\n1,21,1,a,1\n`).grouped, 'a quote anywhere')
  t.notOk(check(`${HEAD.replace('\n', '\r')}1,20,1,a,1\r1,21,1,a,1\r`).grouped, 'bare CR line ends')
  t.notOk(check(`${HEAD}1,20,1,a,1\n1é,21,1,a,1\n`).grouped, 'a non-ASCII id')
  t.notOk(check(`${HEAD}1,2\t0,1,a,1\n`).grouped, 'a tab inside an id')
  t.notOk(check('customer_id,day,product_id,quantity\n1,1,a,1\n').grouped, 'no transaction_id column')
  t.notOk(check('').grouped, 'nothing at all')
  t.ok(check(HEAD).grouped, 'a header alone: nothing to split')
})
