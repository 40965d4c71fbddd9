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

t.test('a row starting with the last key\'s bytes is that key, without a look at its fields', async (t) => {
  const sorted = check(`${HEAD}1,20,1,a,1\n1,20,1,b,1\n1,20,2,c,1\n1,201,1,a,1\n1,201,1,b,1\n2,3,1,a,1\n`)
  t.ok(sorted.grouped)
  t.equal(sorted.lines, 6)
  t.equal(sorted.repeats, 3, 'the second and third rows of 1/20, the second of 1/201 (not taken for 1/20: the comma ends the prefix)')
  t.notOk(check(`${HEAD}1,201,1,a,1\n1,20,1,a,1\n1,201,1,b,1\n`).grouped, '1/20 between the rows of 1/201')
  t.notOk(check(`${HEAD}1,20,1,a,1\n2,3,1,a,1\n1,20,1,b,1\n`).grouped, 'a key coming back after another is looked at')

  // Ids after other columns: the prefix takes the columns before them too.
  const late = check('day,transaction_id,customer_id,product_id,quantity\n1,20,1,a,1\n1,20,1,b,1\n2,20,1,c,1\n1,21,1,a,1\n')
  t.ok(late.grouped)
  t.equal(late.repeats, 1, 'a row of the same sale on another day is looked at, and found the same')
  t.notOk(check('day,transaction_id,customer_id,product_id,quantity\n1,20,1,a,1\n1,21,1,a,1\n2,20,1,b,1\n').grouped)

  // An id in the last column: no comma ends it, so no row is taken by its bytes.
  const last = check('product_id,quantity,day,customer_id,transaction_id\na,1,1,1,20\nb,1,1,1,20\na,1,1,1,21\n')
  t.ok(last.grouped)
  t.equal(last.repeats, 0)
  t.notOk(check('product_id,quantity,day,customer_id,transaction_id\na,1,1,1,20\na,1,1,1,21\nb,1,1,1,20\n').grouped)

  // Cut anywhere, a line is joined whole before it is looked at.
  for (const piece of [1, 2, 3, 5, 64]) {
    const c = check(`${HEAD}1,20,1,a,1\n1,20,1,b,1\n1,20,2,c,1\n1,201,1,a,1\n1,201,1,b,1\n2,3,1,a,1\n`, piece)
    t.same([c.grouped, c.lines, c.repeats], [true, 6, 3], `pieces of ${piece}`)
  }
})
