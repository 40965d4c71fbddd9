// Shared population for the list-generation tests: regular shoppers of different value, one
// below the spend threshold, one opted out; offers for everyone, targeted, scarce and a perk.
import type { Kysely } from 'kysely'
import type { DB } from '../../src/db/schema.ts'
import { fitModel, rebuildStats } from '../../src/modules/prediction/prediction.service.ts'
import { insertCustomer, insertProduct, insertSale } from '../helpers/list-fixtures.ts'

export const AS_OF = '2026-11-23'
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10)

export async function insertOfferRow(
  db: Kysely<DB>,
  o: { name: string; kind?: 'offer' | 'perk'; scope?: object; reward: object; targeting?: object; maxRedemptions?: number },
): Promise<number> {
  const row = await db
    .insertInto('offer')
    .values({
      name: o.name,
      kind: o.kind ?? 'offer',
      scope: JSON.stringify(o.scope ?? {}),
      reward: JSON.stringify(o.reward),
      targeting: JSON.stringify(o.targeting ?? { everyone: true }),
      valid_from: '2026-01-01',
      valid_until: '2026-12-31',
      units_per_redemption: null,
      redemptions_per_customer: null,
      budget_max_redemptions: o.maxRedemptions ?? null,
      budget_max_discount_cents: null,
      funded_by_manufacturer: null,
    } as never)
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

export async function population(db: Kysely<DB>) {
  const coffee = await insertProduct(db, { category: 'Pantry/Coffee', brandType: 'national', priceCents: 900, name: 'Famous coffee' })
  await insertProduct(db, { category: 'Pantry/Coffee', brandType: 'store', priceCents: 600, name: 'Hometown coffee' })
  const milk = await insertProduct(db, { category: 'Dairy/Milk', priceCents: 300, name: 'Whole milk' })
  const bread = await insertProduct(db, { category: 'Bakery/Bread', priceCents: 400, name: 'Sourdough' })
  const eggs = await insertProduct(db, { category: 'Dairy/Eggs', priceCents: 600, name: 'Eggs' })
  const regular: number[] = []
  for (let i = 0; i < 6; i++) {
    const id = await insertCustomer(db, { createdAt: '2025-01-01T00:00:00Z', firstName: `Shopper${i}` })
    regular.push(id)
    for (let w = 0; w < 20; w++) {
      await insertSale(db, id, addDays(AS_OF, -(1 + w * 7)), [
        { product: coffee },
        { product: milk, quantity: 2 + i },
        { product: bread },
        { product: eggs, quantity: 2 },
      ])
    }
  }
  const small = await insertCustomer(db, { createdAt: '2025-01-01T00:00:00Z' })
  for (let w = 0; w < 8; w++) await insertSale(db, small, addDays(AS_OF, -(2 + w * 14)), [{ product: milk }])
  const optedOut = await insertCustomer(db, { createdAt: '2025-01-01T00:00:00Z', optOut: true })
  for (let w = 0; w < 20; w++) await insertSale(db, optedOut, addDays(AS_OF, -(1 + w * 7)), [{ product: milk, quantity: 4 }, { product: eggs, quantity: 4 }])

  const offers = {
    dairy: await insertOfferRow(db, { name: '50c off dairy', scope: { category: 'Dairy' }, reward: { type: 'amount_off', amountCents: 50 } }),
    bakery: await insertOfferRow(db, { name: 'Bread for top customers', scope: { category: 'Bakery' }, reward: { type: 'amount_off', amountCents: 100 }, targeting: { valueTiers: ['A', 'B', 'C', 'D'] }, maxRedemptions: 2 }),
    trial: await insertOfferRow(db, {
      name: 'Try Hometown coffee',
      scope: { category: 'Pantry/Coffee', brandType: 'store' },
      reward: { type: 'percent_off', percent: 50 },
      targeting: { segments: [{ category: 'Pantry/Coffee', brandGroup: 'national', usage: 'high' }] },
    }),
    perk: await insertOfferRow(db, { name: 'Weekly meal plan', kind: 'perk', reward: { type: 'perk', perkType: 'meal_plan', content: 'Five dinners from your usual basket' } }),
  }
  await rebuildStats(db)
  await fitModel(db, AS_OF)
  return { regular, small, optedOut, offers, products: { coffee, milk, bread, eggs } }
}
