-- The value report's rollup reads only customer_profile and took seconds per pass at 100,000
-- customers, so it runs only when the profiles changed (issue 8, docs/reports.md). Every
-- transaction that writes customer_profile leaves one row here (keyed by its transaction id, so
-- a chunk of a population refresh is one row, not one per statement); the rollup reads the
-- rows, recomputes from a snapshot that includes their changes, and deletes exactly the rows
-- it read. The row commits with the profile change or not at all, so no change is missed.
create table report_value_change (
  xid xid8 primary key,
  at timestamptz not null default now()
);

create function report_value_change() returns trigger language plpgsql as $$
begin
  insert into report_value_change (xid) values (pg_current_xact_id()) on conflict do nothing;
  return null;
end
$$;

create trigger customer_profile_report_value_change
  after insert or update or delete or truncate on customer_profile
  for each statement execute function report_value_change();

-- Databases migrated with profiles already in place roll the value report up once.
insert into report_value_change (xid) values (pg_current_xact_id());
