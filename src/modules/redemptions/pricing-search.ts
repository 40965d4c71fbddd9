import { evaluateOffer, type Application } from './pricing-rewards.ts';
import { EXCLUSIVE, STACKED, type Claim, type PreparedOffer, type UnitSlot } from './pricing-units.ts';

/**
 * Up to this many offers competing for the same units are searched exhaustively
 * (8! = 40320 orders before pruning); larger groups fall back to greedy.
 */
export const EXACT_SEARCH_LIMIT = 8;

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
 * Tries every order in which the offers can claim units and keeps the one granting the
 * most; among equal totals, the first order in offerId order wins. An offer that grants
 * nothing in some state grants nothing in any later state (units only get taken), so it
 * is dropped from that subtree. Branches that cannot beat the best total are pruned.
 */
function searchExhaustively(offers: readonly PreparedOffer[]): Application[] {
  let ceilingCents = 0;
  for (const offer of offers) ceilingCents += offer.boundCents;
  let bestCents = -1;
  let bestPath: Application[] = [];
  const path: Application[] = [];

  const visit = (totalCents: number, open: readonly PreparedOffer[]): void => {
    const children = evaluateAll(open);
    if (children.length === 0) {
      if (totalCents > bestCents) {
        bestCents = totalCents;
        bestPath = [...path];
      }
      return;
    }
    let boundCents = totalCents;
    for (const child of children) boundCents += child.prepared.boundCents;
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
function applyGreedily(offers: readonly PreparedOffer[]): Application[] {
  const applied: Application[] = [];
  let open = offers;
  for (;;) {
    const candidates = evaluateAll(open);
    let best: Application | undefined;
    for (const candidate of candidates) {
      if (!best || candidate.totalCents > best.totalCents) best = candidate;
    }
    if (!best) return applied;
    commit(best);
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
    const chosen = group.length <= EXACT_SEARCH_LIMIT ? searchExhaustively(group) : applyGreedily(group);
    applied.push(...chosen);
  }
  return applied;
}
