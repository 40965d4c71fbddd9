import { evaluateOffer, optimisticCents, type Application } from './pricing-rewards.ts';
import { EXCLUSIVE, STACKED, type Claim, type PreparedOffer, type UnitSlot } from './pricing-units.ts';

/**
 * Up to this many offers competing for the same units are searched exhaustively
 * (8! = 40320 orders before pruning); larger groups fall back to greedy.
 */
export const EXACT_SEARCH_LIMIT = 8;
/**
 * Caps the work of one exhaustive search (a lane cannot wait); when it runs out, the
 * best combination found so far stands, which is never worse than greedy's.
 */
export const SEARCH_STATE_LIMIT = 20_000;

interface UndoEntry {
  unit: UnitSlot;
  remainingCents: number;
  claim: Claim;
}

function commit(application: Application): UndoEntry[] {
  const claim = application.prepared.offer.stackable ? STACKED : EXCLUSIVE;
  return application.grants.map(({ unit, amountCents }) => {
    const entry = { unit, remainingCents: unit.remainingCents, claim: unit.claim };
    unit.remainingCents -= amountCents;
    unit.claim = claim;
    return entry;
  });
}

function rollback(undo: readonly UndoEntry[]): void {
  for (let i = undo.length - 1; i >= 0; i--) {
    const entry = undo[i];
    if (!entry) continue;
    entry.unit.remainingCents = entry.remainingCents;
    entry.unit.claim = entry.claim;
  }
}

/**
 * Offers that share no unit cannot affect each other, so each connected group is
 * searched on its own: a basket's offers rarely overlap much, which keeps searches tiny.
 * Components keep offerId order, both among and within themselves.
 */
function competingGroups(offers: readonly PreparedOffer[]): PreparedOffer[][] {
  const parent = offers.map((_, i) => i);
  const find = (i: number): number => {
    let root = i;
    while (parent[root] !== root) root = parent[root] ?? root;
    parent[i] = root;
    return root;
  };
  const firstOfferOfUnit = new Map<UnitSlot, number>();
  offers.forEach((offer, i) => {
    for (const unit of offer.units) {
      const other = firstOfferOfUnit.get(unit);
      if (other === undefined) firstOfferOfUnit.set(unit, i);
      else parent[find(i)] = find(other);
    }
  });
  const groups = new Map<number, PreparedOffer[]>();
  offers.forEach((offer, i) => {
    const root = find(i);
    const group = groups.get(root);
    if (group) group.push(offer);
    else groups.set(root, [offer]);
  });
  return [...groups.values()];
}

function evaluateAll(offers: readonly PreparedOffer[]): Application[] {
  const applications: Application[] = [];
  for (const offer of offers) {
    const application = evaluateOffer(offer);
    if (application) applications.push(application);
  }
  return applications;
}

/**
 * Identifies a search state: which offers are still open and what every contested unit
 * has left. Different orders often lead to the same state; it is explored only once.
 */
function stateKeyer(offers: readonly PreparedOffer[]): (open: readonly PreparedOffer[]) => string {
  const bits = new Map(offers.map((offer, i) => [offer, 1 << i]));
  const units = [...new Set(offers.flatMap((offer) => offer.units))];
  return (open) => {
    let mask = 0;
    for (const offer of open) mask |= bits.get(offer) ?? 0;
    let key = String(mask);
    for (const unit of units) key += `,${unit.remainingCents * 3 + unit.claim}`;
    return key;
  };
}

/**
 * Tries every order in which the offers can claim units and keeps the one granting the
 * most; among equal totals, the first order in offerId order wins. An offer that grants
 * nothing in some state grants nothing in any later state (units only get taken), so it
 * is dropped from that subtree. Branches that cannot beat the best total so far, and
 * states already reached with at least the same total, are pruned.
 */
function searchExhaustively(offers: readonly PreparedOffer[]): readonly Application[] {
  // Greedy's answer is a lower bound that makes pruning bite from the first branch; an
  // order that merely ties it is still recorded, so ties resolve in offerId order.
  const greedy = applyGreedily(offers);
  rollback(greedy.undo);
  let greedyCents = 0;
  for (const application of greedy.applied) greedyCents += application.totalCents;

  const keyOf = stateKeyer(offers);
  const bestTotalAt = new Map<string, number>();
  let ceilingCents = Infinity;
  let bestCents = greedyCents - 1;
  let bestPath: readonly Application[] = greedy.applied;
  let statesLeft = SEARCH_STATE_LIMIT;
  const path: Application[] = [];

  const visit = (totalCents: number, open: readonly PreparedOffer[]): void => {
    if (statesLeft <= 0) return;
    statesLeft -= 1;
    const key = keyOf(open);
    const reached = bestTotalAt.get(key);
    if (reached !== undefined && reached >= totalCents) return;
    bestTotalAt.set(key, totalCents);

    const children = evaluateAll(open);
    if (children.length === 0) {
      if (totalCents > bestCents) {
        bestCents = totalCents;
        bestPath = [...path];
      }
      return;
    }
    let boundCents = totalCents;
    for (const child of children) boundCents += optimisticCents(child.prepared);
    if (ceilingCents === Infinity) ceilingCents = boundCents;
    if (boundCents <= bestCents) return;

    const childOffers = children.map((child) => child.prepared);
    for (const child of children) {
      if (bestCents >= ceilingCents) return;
      const undo = commit(child);
      path.push(child);
      visit(
        totalCents + child.totalCents,
        childOffers.filter((offer) => offer !== child.prepared),
      );
      path.pop();
      rollback(undo);
    }
  };

  visit(0, offers);
  for (const application of bestPath) commit(application);
  return bestPath;
}

/** Repeatedly applies the offer that adds the most given what is left; ties by offerId. */
function applyGreedily(offers: readonly PreparedOffer[]): { applied: Application[]; undo: UndoEntry[] } {
  const applied: Application[] = [];
  const undo: UndoEntry[] = [];
  let open = offers;
  for (;;) {
    const candidates = evaluateAll(open);
    let best: Application | undefined;
    for (const candidate of candidates) {
      if (!best || candidate.totalCents > best.totalCents) best = candidate;
    }
    if (!best) return { applied, undo };
    undo.push(...commit(best));
    applied.push(best);
    const chosen = best.prepared;
    open = candidates.map((candidate) => candidate.prepared).filter((offer) => offer !== chosen);
  }
}

/**
 * Decides which offers take which units, mutating the units' state to the final
 * outcome. Returns the applications in the order they were applied.
 */
export function chooseApplications(offers: readonly PreparedOffer[]): Application[] {
  const applied: Application[] = [];
  for (const group of competingGroups(offers)) {
    const chosen = group.length <= EXACT_SEARCH_LIMIT ? searchExhaustively(group) : applyGreedily(group).applied;
    applied.push(...chosen);
  }
  return applied;
}
