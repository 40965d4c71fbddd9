import t from 'tap'
import { renderListsDocument } from '../../src/modules/lists/list-print.html.ts'
import { printGeneration, streamGenerationLists } from '../../src/modules/lists/list.service.ts'
import { testDatabase } from '../helpers/database.ts'
import { insertCustomer, insertGeneration, insertList, insertProduct } from '../helpers/list-fixtures.ts'

async function collect(gen: AsyncIterable<string>): Promise<string[]> {
  const chunks: string[] = []
  for await (const c of gen) chunks.push(c)
  return chunks
}

t.test('a whole run prints as one document, a page per list, streamed a list at a time', async (t) => {
  const { db } = await testDatabase(t)
  const run = await insertGeneration(db)
  const other = await insertGeneration(db)
  const product = await insertProduct(db, { category: 'Dairy/Milk', name: 'Whole milk 1 gal' })
  const lists = []
  for (const name of ['Ann', 'Ben', null, 'Cleo', 'Dev']) {
    const customer = await insertCustomer(db, { firstName: name })
    lists.push(await insertList(db, { customerId: customer, generationId: run, items: [{ productId: product.id, expectedDate: '2026-11-25' }] }))
  }
  await insertList(db, { customerId: await insertCustomer(db, { firstName: 'Elsewhere' }), generationId: other })

  const chunks = await collect(printGeneration(db, run, { pageSize: 2 }))
  t.equal(chunks.length, 1 + 5 + 1, 'head, one chunk per list, tail')
  const html = chunks.join('')
  t.match(html, /^<!doctype html>/)
  t.match(html, /<\/html>\n$/)
  t.equal(html.match(/<article class="list-page"/g)?.length, 5)
  t.notMatch(html, 'Elsewhere', 'only this run\'s lists')
  const order = ['Ann’s', 'Ben’s', 'Your shopping list', 'Cleo’s', 'Dev’s'].map((s) => html.indexOf(s))
  t.same([...order].sort((a, b) => a - b), order, 'in list id order')
  t.ok(order.every((i) => i > 0))
  t.equal(html.match(/@page/g)?.length, 1, 'the print CSS once, not per page')
  for (const l of lists) t.match(html, l.barcode)

  const ids: string[] = []
  for await (const l of streamGenerationLists(db, run, 2)) ids.push(l.id)
  t.same(ids, lists.map((l) => String(l.id)))

  const empty = (await collect(printGeneration(db, 999_999))).join('')
  t.match(empty, 'No lists.')
})

t.test('renderListsDocument takes any iterable', async (t) => {
  const chunks = await collect(renderListsDocument([], { title: 'Nothing <here>' }))
  t.match(chunks[0], '<title>Nothing &lt;here&gt;</title>')
  t.equal(chunks.length, 3)
})
