-- Reports (issue 8) read rollups, never the transaction history per request. A rollup job
-- (reports/rollup.service.ts, a graphile-worker task off the lane's path) keeps these tables
-- current and records how fresh they are; docs/reports.md describes each table's freshness.
-- Nothing here touches the lane's redemption statement: voids and returns (other statements)
-- leave an event row by trigger, and new redemptions are read by id past a watermark.

-- Where each incremental rollup stands (one row).
create table report_rollup_state (
  id boolean primary key default true check (id),
  -- Redemptions with id <= this are counted in report_offer_day.
  redemption_watermark bigint not null default 0,
  -- created_at of the newest redemption counted: the offer figures are complete up to here.
  redemptions_through timestamptz,
  offers_rolled_at timestamptz,
  value_rolled_at timestamptz,
  segments_rolled_at timestamptz,
  cycles_rolled_at timestamptz,
  last_error text,
  last_error_at timestamptz
);
insert into report_rollup_state (id) values (true);

-- Per offer and sale day (the store's calendar day): redemptions, units and discount, net of
-- voids and of what returns clawed back. Applied as deltas by the rollup.
create table report_offer_day (
  offer_id bigint not null,
  day date not null,
  redemptions integer not null default 0,
  units integer not null default 0,
  discount_cents bigint not null default 0,
  clawback_cents bigint not null default 0,
  primary key (offer_id, day)
);
create index report_offer_day_day_idx on report_offer_day (day);

-- Voids and returns of redemptions, queued for the rollup. Filled by triggers on the reversal
-- statements only (an UPDATE of redemption.status, an INSERT into redemption_return): the
-- lane's redemption statement inserts and never fires them.
create table report_redemption_event (
  id bigint generated always as identity primary key,
  redemption_id bigint not null,
  kind text not null check (kind in ('void', 'return')),
  pos_return_id text,
  created_at timestamptz not null default now()
);

create function report_queue_void() returns trigger language plpgsql as $$
begin
  insert into report_redemption_event (redemption_id, kind) values (new.id, 'void');
  return null;
end
$$;
create trigger report_redemption_voided after update of status on redemption
  for each row when (old.status = 'recorded' and new.status = 'voided')
  execute function report_queue_void();

create function report_queue_return() returns trigger language plpgsql as $$
begin
  insert into report_redemption_event (redemption_id, kind, pos_return_id) values (new.redemption_id, 'return', new.pos_return_id);
  return null;
end
$$;
create trigger report_redemption_returned after insert on redemption_return
  for each row execute function report_queue_return();

-- Offer results per list cycle (a run's as-of day; a cycle's lists share cycle_start): lists
-- carrying the offer, and for lift the customers the offer was in play for, split into treated
-- (not held out) and held out, with the sufficient statistics of their in-scope spend over the
-- cycle's window. The outcome is filled once the window has ended (final).
create table report_offer_cycle (
  offer_id bigint not null,
  cycle_start date not null,
  window_end date not null,
  lists integer not null default 0,
  customers_given integer not null default 0,
  treated integer not null default 0,
  holdout integer not null default 0,
  final boolean not null default false,
  treated_spend_cents bigint,
  treated_spend_sq numeric,
  holdout_spend_cents bigint,
  holdout_spend_sq numeric,
  computed_at timestamptz not null default now(),
  primary key (offer_id, cycle_start)
);
create index report_offer_cycle_start_idx on report_offer_cycle (cycle_start);

-- The cycles the rollup has seen: recomputed while lists are still being added, frozen once final.
create table report_cycle (
  cycle_start date primary key,
  max_list_id bigint not null,
  window_end date not null,
  final boolean not null default false,
  computed_at timestamptz not null default now()
);

-- Lists by cycle, so a cycle's lists and decisions are read by index (the rollup's only list read).
create index report_list_cycle_idx on list (cycle_start, id);

-- Segment cells per snapshot. A snapshot is taken once per population profile refresh (each
-- list run refreshes every profile), so moves are "since the last run".
create table report_segment_snapshot (
  id bigint generated always as identity primary key,
  as_of date not null,
  profiles_computed_at timestamptz,
  taken_at timestamptz not null default now(),
  previous_id bigint references report_segment_snapshot (id),
  customers integer not null
);

create table report_segment_cell (
  snapshot_id bigint not null references report_segment_snapshot (id) on delete cascade,
  category text not null,
  brand_group text not null,
  usage text not null,
  customers integer not null,
  units bigint not null,
  spend_cents bigint not null,
  primary key (snapshot_id, category, brand_group, usage)
);

-- Customers who changed cell between a snapshot and the one before; 'none' = not a buyer in
-- the category then. after_offer counts those who redeemed a discount in the category between
-- the two snapshots (the trial offer the reference program used to move heavy users).
create table report_segment_move (
  snapshot_id bigint not null references report_segment_snapshot (id) on delete cascade,
  category text not null,
  from_group text not null,
  from_usage text not null,
  to_group text not null,
  to_usage text not null,
  customers integer not null,
  after_offer integer not null,
  primary key (snapshot_id, category, from_group, from_usage, to_group, to_usage)
);

-- Every customer's cells at the latest snapshot: what the next snapshot's moves compare with.
create table report_segment_member (
  customer_id bigint not null,
  category text not null,
  brand_group text not null,
  usage text not null,
  primary key (customer_id, category)
);

-- Value concentration and the tier x lifecycle grid, from the stored profiles (one row).
create table report_value_rollup (
  id boolean primary key default true check (id),
  rolled_at timestamptz not null default now(),
  profiles_as_of date,
  customers integer not null,
  spend_cents bigint not null,
  concentration jsonb not null,
  grid jsonb not null,
  negative_customers integer not null,
  negative_value_cents bigint not null
);
