-- The whole product's core schema, designed together so the lane, the list generator and the
-- back office agree on one model. Money is integer cents (bigint for sums), times timestamptz,
-- calendar days date. Tables that grow with customers carry customer_id so they can be
-- distributed by it later (docs/architecture.md, "Past one machine").

create table store (
  id text primary key check (id ~ '^[A-Za-z0-9_-]{1,32}$'),
  name text not null check (length(name) between 1 and 200),
  timezone text not null,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table lane (
  store_id text not null references store (id),
  id text not null check (id ~ '^[A-Za-z0-9_-]{1,32}$'),
  name text,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  primary key (store_id, id)
);

create table product (
  id bigint generated always as identity primary key,
  -- GTIN normalised to 14 digits; null for a chain product imported without one.
  gtin char(14) unique check (gtin ~ '^[0-9]{14}$'),
  -- The chain's own product id from imports; the lane always sends GTINs.
  external_id text unique,
  name text not null,
  category text not null,
  brand text,
  brand_type text not null default 'national' check (brand_type in ('national', 'store')),
  manufacturer text,
  size text,
  regular_price_cents integer check (regular_price_cents >= 0),
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (gtin is not null or external_id is not null)
);
create index product_category_idx on product (category text_pattern_ops);

create table customer (
  id bigint generated always as identity primary key,
  external_id text unique,
  first_name text,
  household jsonb not null default '{}',
  home_store_id text references store (id),
  personalisation_opt_out boolean not null default false,
  erased_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- A customer keeps one history across cards: a lost card is replaced, never re-pointed.
create table card (
  number text primary key check (number ~ '^[0-9]{13}$'),
  customer_id bigint not null references customer (id),
  status text not null default 'active' check (status in ('active', 'replaced')),
  issued_at timestamptz not null default now(),
  replaced_at timestamptz
);
create index card_customer_idx on card (customer_id);
create unique index card_one_active_per_customer on card (customer_id) where status = 'active';

create table offer (
  id bigint generated always as identity primary key,
  name text not null,
  description text not null default '',
  kind text not null default 'offer' check (kind in ('offer', 'perk')),
  scope jsonb not null,
  reward jsonb not null,
  targeting jsonb not null,
  valid_from date not null,
  valid_until date not null check (valid_until >= valid_from),
  units_per_redemption integer check (units_per_redemption > 0),
  redemptions_per_customer integer check (redemptions_per_customer > 0),
  budget_max_redemptions integer check (budget_max_redemptions >= 0),
  budget_max_discount_cents bigint check (budget_max_discount_cents >= 0),
  -- Counters live beside the limits so a conditional update enforces the budget atomically.
  budget_used_redemptions integer not null default 0,
  budget_used_discount_cents bigint not null default 0,
  stackable boolean not null default false,
  funded_by_manufacturer text,
  status text not null default 'active' check (status in ('active', 'paused', 'ended')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (budget_max_redemptions is null or budget_used_redemptions <= budget_max_redemptions),
  check (budget_max_discount_cents is null or budget_used_discount_cents <= budget_max_discount_cents)
);

create table list_generation (
  id bigint generated always as identity primary key,
  as_of date not null,
  customer_ids bigint[],
  force boolean not null default false,
  status text not null default 'queued' check (status in ('queued', 'running', 'succeeded', 'failed')),
  total integer not null default 0,
  done integer not null default 0,
  lists_created integer not null default 0,
  skipped_not_eligible integer not null default 0,
  skipped_current integer not null default 0,
  error text,
  requested_by text,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz
);

create table list (
  id bigint generated always as identity primary key,
  customer_id bigint not null references customer (id),
  -- Printed on the list; a random token so a list cannot be guessed from its neighbour's.
  barcode text not null unique,
  generation_id bigint references list_generation (id),
  -- The fortnight the list is for; a run creates at most one list per customer and cycle.
  cycle_start date not null,
  valid_from date not null,
  valid_until date not null,
  status text not null default 'current' check (status in ('current', 'superseded')),
  trigger text not null check (trigger in ('run', 'redemption', 'manual')),
  holdout boolean not null default false,
  total_coupon_cents bigint not null default 0,
  perks jsonb not null default '[]',
  created_at timestamptz not null default now()
);
create index list_customer_idx on list (customer_id, created_at desc);
create unique index list_one_current_per_customer on list (customer_id) where status = 'current';
create unique index list_one_per_run_cycle on list (customer_id, cycle_start) where trigger = 'run';
create index list_generation_idx on list (generation_id) where generation_id is not null;

create table list_item (
  list_id bigint not null references list (id),
  rank integer not null check (rank > 0),
  customer_id bigint not null,
  product_id bigint references product (id),
  category text,
  expected_date date,
  probability real,
  reason text not null,
  offer_id bigint references offer (id),
  offer_value_cents bigint,
  primary key (list_id, rank)
);

-- Why each eligible offer was given or withheld: what the service desk reads to the customer.
create table list_offer_decision (
  list_id bigint not null references list (id),
  offer_id bigint not null references offer (id),
  customer_id bigint not null,
  given boolean not null,
  reason text not null,
  primary key (list_id, offer_id)
);

create table sale (
  id bigint generated always as identity primary key,
  customer_id bigint not null references customer (id),
  store_id text references store (id),
  lane_id text,
  source text not null check (source in ('lane', 'offline', 'import')),
  -- The chain's transaction id for imports (idempotency), the POS transaction id for lanes.
  external_id text not null,
  occurred_at timestamptz not null,
  day date not null,
  total_before_cents bigint not null default 0,
  total_discount_cents bigint not null default 0,
  status text not null default 'recorded' check (status in ('recorded', 'voided')),
  created_at timestamptz not null default now()
);
create index sale_customer_day_idx on sale (customer_id, day);
create unique index sale_import_idem on sale (customer_id, external_id) where source = 'import';

create table sale_line (
  sale_id bigint not null references sale (id),
  line_no integer not null,
  customer_id bigint not null,
  product_id bigint references product (id),
  gtin char(14),
  quantity integer not null check (quantity >= 0),
  unit_price_cents integer check (unit_price_cents >= 0),
  discount_cents bigint not null default 0 check (discount_cents >= 0),
  returned_quantity integer not null default 0 check (returned_quantity >= 0 and returned_quantity <= quantity),
  primary key (sale_id, line_no)
);
create index sale_line_customer_product_idx on sale_line (customer_id, product_id);

create table redemption (
  id bigint generated always as identity primary key,
  store_id text not null references store (id),
  pos_transaction_id text not null,
  -- sha256 of the canonical request body: a replay must match it, else 409.
  request_hash text not null,
  customer_id bigint not null references customer (id),
  sale_id bigint not null references sale (id),
  list_id bigint references list (id),
  offline boolean not null default false,
  response jsonb not null,
  status text not null default 'recorded' check (status in ('recorded', 'voided')),
  voided_at timestamptz,
  created_at timestamptz not null default now(),
  unique (store_id, pos_transaction_id)
);
create index redemption_customer_idx on redemption (customer_id);

create table redemption_discount (
  redemption_id bigint not null references redemption (id),
  offer_id bigint not null references offer (id),
  gtin char(14) not null,
  quantity integer not null,
  amount_cents bigint not null check (amount_cents >= 0),
  -- Per-unit shares, so a return of some units claws back exactly their part.
  unit_cents integer[] not null,
  primary key (redemption_id, offer_id, gtin)
);
create index redemption_discount_offer_idx on redemption_discount (offer_id);

create table redemption_return (
  redemption_id bigint not null references redemption (id),
  pos_return_id text not null,
  request_hash text not null,
  response jsonb not null,
  clawback_cents bigint not null,
  created_at timestamptz not null default now(),
  primary key (redemption_id, pos_return_id)
);

-- How often each customer has used each offer; the conditional upsert enforces per-customer limits.
create table offer_usage (
  customer_id bigint not null references customer (id),
  offer_id bigint not null references offer (id),
  redemptions integer not null default 0 check (redemptions >= 0),
  discount_cents bigint not null default 0 check (discount_cents >= 0),
  primary key (customer_id, offer_id)
);

-- Offers a customer could have had at an offline lane, honoured on the next list.
create table rain_check (
  id bigint generated always as identity primary key,
  customer_id bigint not null references customer (id),
  offer_id bigint not null references offer (id),
  redemption_id bigint not null references redemption (id),
  value_cents bigint not null,
  used_on_list_id bigint references list (id),
  created_at timestamptz not null default now()
);
create index rain_check_open_idx on rain_check (customer_id) where used_on_list_id is null;

create table api_key (
  id bigint generated always as identity primary key,
  name text not null,
  role text not null check (role in ('pos', 'backoffice', 'admin')),
  store_id text references store (id),
  -- sha256 of the key: keys are 32 random bytes, so a fast hash is enough and lookups stay O(1).
  key_hash bytea not null unique,
  key_prefix text not null,
  created_at timestamptz not null default now(),
  revoked_at timestamptz,
  check ((role = 'pos') = (store_id is not null))
);

create table audit_log (
  id bigint generated always as identity primary key,
  at timestamptz not null default now(),
  actor text not null,
  action text not null,
  entity text not null,
  entity_id text,
  detail jsonb not null default '{}'
);
create index audit_log_entity_idx on audit_log (entity, entity_id);
