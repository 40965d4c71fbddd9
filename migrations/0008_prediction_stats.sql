-- Purchase-cycle prediction (issue 6): per-customer statistics kept incrementally on every
-- sale, void and return, so one customer's list reads one row instead of their history, and
-- the fitted model (population, calibration weights, neighbour lists) shared by all requests.
--
-- One compact jsonb row per customer rather than a row per (customer, product): a list is one
-- primary-key read, an incremental update rewrites one row in the same transaction as the sale,
-- and a full rebuild is a single set-based insert ... select over sale_line (see docs/prediction.md).
create table customer_stats (
  customer_id bigint primary key references customer (id),
  -- 'calendar' (days since 1970-01-01) or 'sequence' (visit order); decay depends on it.
  time_mode text not null default 'calendar' check (time_mode in ('calendar', 'sequence')),
  trips integer not null,
  first_day integer not null,
  last_day integer not null,
  -- CustomerStats without customerId: { trips, firstDay, lastDay, recentTrips, products, categories }.
  stats jsonb not null,
  updated_at timestamptz not null default now()
);

create table prediction_model (
  id bigint generated always as identity primary key,
  fitted_at timestamptz not null default now(),
  as_of date,
  time_mode text not null check (time_mode in ('calendar', 'sequence')),
  customers integer not null,
  model jsonb not null
);
create index prediction_model_mode_idx on prediction_model (time_mode, id desc);
