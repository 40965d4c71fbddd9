-- List generation runs (issue 7) must resume after a restart in the same order they started:
-- the run's customers are snapshotted once, in allocation order (highest value first), and
-- the run remembers the last sequence number whose chunk committed. Settings are kept with
-- the run so a resumed run allocates with the same holdout share and caps.
create table list_generation_customer (
  generation_id bigint not null references list_generation (id) on delete cascade,
  seq integer not null,
  customer_id bigint not null,
  primary key (generation_id, seq)
);

alter table list_generation
  add column prepared_at timestamptz,
  add column next_seq integer not null default 1,
  add column settings jsonb not null default '{}';
