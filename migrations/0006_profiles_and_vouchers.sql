-- Personalised lists (issue 7), the parts that need no prediction: each customer's computed
-- profile (value, tier, lifecycle, life stage, eligibility) and per-category segment cell, the
-- population cut-offs that let one customer be re-profiled without re-ranking everyone, and the
-- voucher base reward (a share of spend accrued per sale, issued every period). docs/lists.md.

create table customer_profile (
  customer_id bigint primary key references customer (id),
  as_of date not null,
  computed_at timestamptz not null default now(),
  -- Opted out: eligibility only; every profiling column below is null (or empty).
  opt_out boolean not null default false,
  weekly_spend_cents bigint not null default 0,
  eligible boolean not null default false,
  spend_cents bigint,
  margin_cents bigint,
  rewards_cents bigint,
  value_cents bigint,
  value_tier char(1) check (value_tier in ('A', 'B', 'C', 'D')),
  negative_value boolean,
  trend text check (trend in ('rising', 'flat', 'falling')),
  recent_spend_cents bigint,
  previous_spend_cents bigint,
  lifecycle text check (lifecycle in ('new', 'growing', 'stable', 'declining', 'lapsed')),
  life_stage text[] not null default '{}' check (life_stage <@ array['pet', 'baby', 'produce_heavy']),
  first_purchase_day date,
  last_purchase_day date,
  median_gap_days real,
  trips integer,
  regular_cycle boolean,
  wallet_share text check (wallet_share in ('high', 'medium', 'low'))
);
create index customer_profile_value_idx on customer_profile (value_cents desc) where not opt_out;
create index customer_profile_lifecycle_idx on customer_profile (lifecycle, value_tier);

-- The nine cells: brand group x usage per customer and category (leaf category path).
create table customer_segment (
  customer_id bigint not null references customer (id),
  category text not null,
  brand_group text not null check (brand_group in ('national', 'store', 'switcher')),
  usage text not null check (usage in ('low', 'medium', 'high')),
  units integer not null,
  national_units integer not null,
  spend_cents bigint not null,
  primary key (customer_id, category)
);
create index customer_segment_cell_idx on customer_segment (category, brand_group, usage);

-- Per-category usage quantiles over the buyers, from the last whole-population refresh.
create table category_usage_cutoff (
  category text primary key,
  as_of date not null,
  computed_at timestamptz not null default now(),
  buyers integer not null,
  low_max double precision not null,
  medium_max double precision not null
);

-- The lowest value in tiers A, B and C at the last whole-population ranking (one row).
create table value_tier_cutoff (
  id boolean primary key default true check (id),
  as_of date not null,
  computed_at timestamptz not null default now(),
  customers integer not null,
  a_min_cents bigint not null,
  b_min_cents bigint not null,
  c_min_cents bigint not null
);

-- Voucher ledger. units are ten-thousandths of a cent (spend cents x rate in basis points), so
-- every accrual is exact; whole cents are taken only when a voucher is issued.
create table voucher_entry (
  id bigint generated always as identity primary key,
  customer_id bigint not null references customer (id),
  sale_id bigint not null references sale (id),
  kind text not null check (kind in ('accrual', 'reversal')),
  -- Idempotency key within the sale: 'sale' for the accrual, the caller's key for a reversal.
  reference text,
  -- The period the entry counts in: the sale's day for an accrual, the day of a reversal.
  day date not null,
  spend_cents bigint not null check (spend_cents >= 0),
  rate_bp integer not null check (rate_bp >= 0),
  units bigint not null,
  created_at timestamptz not null default now(),
  check ((kind = 'accrual') = (units >= 0))
);
create unique index voucher_entry_accrual_once on voucher_entry (sale_id) where kind = 'accrual';
create unique index voucher_entry_reference on voucher_entry (sale_id, reference) where reference is not null;
create index voucher_entry_customer_day_idx on voucher_entry (customer_id, day);

create table voucher_account (
  customer_id bigint primary key references customer (id),
  -- Units already turned into vouchers; the balance is sum(voucher_entry.units) - issued_units.
  issued_units bigint not null default 0,
  -- Last period end settled (a voucher issued, or the balance carried below the minimum).
  issued_through date,
  updated_at timestamptz not null default now()
);

create table voucher (
  id bigint generated always as identity primary key,
  customer_id bigint not null references customer (id),
  period_start date not null,
  period_end date not null check (period_end >= period_start),
  value_cents bigint not null check (value_cents > 0),
  issued_on date not null,
  expires_on date,
  redeemed_by bigint references redemption (id),
  redeemed_at timestamptz,
  created_at timestamptz not null default now(),
  unique (customer_id, period_end)
);
create index voucher_open_idx on voucher (customer_id) where redeemed_by is null;
create index voucher_redemption_idx on voucher (redeemed_by) where redeemed_by is not null;

-- Which vouchers were printed on which list: a printed list stays what it was.
create table list_voucher (
  list_id bigint not null references list (id),
  voucher_id bigint not null references voucher (id),
  customer_id bigint not null,
  primary key (list_id, voucher_id)
);
create index list_voucher_voucher_idx on list_voucher (voucher_id);
