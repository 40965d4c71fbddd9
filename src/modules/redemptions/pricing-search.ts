import { evaluateOffer, isUsableBy, type Application } from './pricing-rewards.ts'
import { EXCLUSIVE, STACKED, optimisticCents, type Claim, type PreparedOffer, type UnitSlot } from './pricing-units.ts'

/** Up to this many offers competing for the same units are searched exhaustively. */
export const EXACT_SEARCH_LIMIT = 8
/**
 * Caps the states one exhaustive search may visit, so that a lane never waits on a
 * pathological basket. When it runs out, the best combination found so far stands; the
 * first one found is greedy's, so it is never worse. Realistic baskets need a few dozen.
 */
export const SEARCH_STATE_LIMIT = 2_000

interface UndoEntry {
  unit: UnitSlot
  remainingCents: number
  claim: Claim
}

function commit(application: Application, undo: UndoEntry[]): void {
  const claim = application.prepared.offer.stackable ? STACKED : EXCLUSIVE
  for (const { unit, amountCents } of application.grants) {
    undo.push({ unit, remainingCents: unit.remainingCents, claim: unit.claim })
    unit.remainingCents -= amountCents
    unit.claim = claim
  }
}

function rollback(undo: UndoEntry[], toLength = 0): void {
  while (undo.length > toLength) {
    const entry = undo.pop()
    if (!entry) return
    entry.unit.remainingCents = entry.remainingCents
    entry.unit.claim = entry.claim
  }
}

/**
 * Offers that share no unit cannot affect each other, so each connected group is
 * searched on its own; a basket's offers rarely overlap much, which keeps searches tiny.
 * Groups and their members stay in offerId order.
 */
function competingGroups(offers: readonly PreparedOffer[]): PreparedOffer[][] {
  const parent = offers.map((_, i) => i)
  const find = (i: number): number => {
    let root = i
    while (parent[root] !== root) root = parent[root] ?? root
    parent[i] = root
    return root
  }
  const firstOfferOfUnit = new Map<UnitSlot, number>()
  offers.forEach((offer, i) => {
    for (const { unit } of offer.scope) {
      const other = firstOfferOfUnit.get(unit)
      if (other === undefined) firstOfferOfUnit.set(unit, i)
      else parent[find(i)] = find(other)
    }
  })
  const groups = new Map<number, PreparedOffer[]>()
  offers.forEach((offer, i) => {
    const root = find(i)
    const group = groups.get(root)
    if (group) group.push(offer)
    else groups.set(root, [offer])
  })
  return [...groups.values()]
}

function evaluateAll(offers: readonly PreparedOffer[]): Application[] {
  const applications: Application[] = []
  for (const offer of offers) for (const application of evaluateOffer(offer)) applications.push(application)
  return applications
}

/** The offers that still grant something, once each (an offer may have two applications). */
function offersOf(applications: readonly Application[]): PreparedOffer[] {
  const offers: PreparedOffer[] = []
  for (const { prepared } of applications) if (!offers.includes(prepared)) offers.push(prepared)
  return offers
}

/** Repeatedly applies the offer that adds the most given what is left; ties by offerId. */
function applyGreedily(offers: readonly PreparedOffer[], undo: UndoEntry[]): Application[] {
  const applied: Application[] = []
  let candidates = evaluateAll(offers)
  while (candidates.length > 0) {
    let best = candidates[0]
    for (const candidate of candidates) if (best && candidate.totalCents > best.totalCents) best = candidate
    if (!best) break
    commit(best, undo)
    applied.push(best)
    const chosen = best.prepared
    candidates = evaluateAll(offersOf(candidates).filter((offer) => offer !== chosen))
  }
  return applied
}

function sameState(a: Float64Array, b: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function hashState(state: Float64Array): number {
  let hash = 0x811c9dc5
  for (const value of state) hash = Math.imul(hash ^ value, 0x01000193)
  return hash
}

/**
 * Remembers search states: which offers are still open and what every contested unit has
 * left. Different orders often lead to the same state; a state reached again without a
 * better total is not explored again. Returns whether the state is settled.
 */
function stateMemo(offers: readonly PreparedOffer[]): (totalCents: number, open: readonly PreparedOffer[]) => boolean {
  const bits = new Map(offers.map((offer, i) => [offer, 1 << i]))
  const units = [...new Set(offers.flatMap((offer) => offer.scope.map(({ unit }) => unit)))]
  const seen = new Map<number, { state: Float64Array; totalCents: number }[]>()
  return (totalCents, open) => {
    const state = new Float64Array(units.length + 1)
    let mask = 0
    for (const offer of open) mask |= bits.get(offer) ?? 0
    state[0] = mask
    let i = 1
    for (const unit of units) state[i++] = unit.remainingCents * 3 + unit.claim
    const hash = hashState(state)
    const bucket = seen.get(hash)
    if (!bucket) {
      seen.set(hash, [{ state, totalCents }])
      return false
    }
    for (const entry of bucket) {
      if (!sameState(entry.state, state)) continue
      if (entry.totalCents >= totalCents) return true
      entry.totalCents = totalCents
      return false
    }
    bucket.push({ state, totalCents })
    return false
  }
}

/**
 * Tries the orders in which the offers can take their units and keeps the one granting
 * the most. At every step the offer saving the most right now is tried first (ties by
 * offerId), so the first complete order is greedy's and good totals come early; among
 * equal totals the first one found stands. An offer that grants nothing in some state
 * grants nothing later either (units only get taken), so it leaves that subtree. Subtrees
 * that cannot beat the best total so far, and states already reached with at least the
 * same total, are skipped.
 */
function searchExhaustively(offers: readonly PreparedOffer[]): Application[] {
  const undo: UndoEntry[] = []
  // With three offers or fewer there are at most 6 orders: the memo would cost more than it saves.
  const isSettled = offers.length > 3 ? stateMemo(offers) : () => false
  let bestCents = -1
  let bestPath: Application[] = []
  let statesLeft = SEARCH_STATE_LIMIT
  const path: Application[] = []

  const visit = (totalCents: number, open: readonly PreparedOffer[]): void => {
    if (statesLeft <= 0 || isSettled(totalCents, open)) return
    statesLeft -= 1
    // Bounding pays off only once there is a best total and more than one offer left.
    if (bestCents >= 0 && open.length > 1) {
      let boundCents = totalCents
      for (const offer of open) boundCents += optimisticCents(offer, isUsableBy(offer))
      if (boundCents <= bestCents) return
    }

    const children = evaluateAll(open).sort((a, b) => b.totalCents - a.totalCents)
    if (children.length === 0) {
      if (totalCents > bestCents) {
        bestCents = totalCents
        bestPath = [...path]
      }
      return
    }
    const childOffers = offersOf(children)
    for (const child of children) {
      const mark = undo.length
      commit(child, undo)
      path.push(child)
      visit(totalCents + child.totalCents, childOffers.filter((offer) => offer !== child.prepared))
      path.pop()
      rollback(undo, mark)
    }
  }

  visit(0, offers)
  for (const application of bestPath) commit(application, undo)
  return bestPath
}

/**
 * Decides which offers take which units, leaving the units' state at the final outcome.
 * Returns the applications in the order they were applied.
 */
export function chooseApplications(offers: readonly PreparedOffer[]): Application[] {
  const applied: Application[] = []
  for (const group of competingGroups(offers)) {
    applied.push(...(group.length > EXACT_SEARCH_LIMIT ? applyGreedily(group, []) : searchExhaustively(group)))
  }
  return applied
}
