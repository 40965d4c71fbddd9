-- Checkout redemptions (issue 5): what voids, returns and rain checks need beyond the core
-- schema. A return is priced from the sale's per-unit allocations (the pricing engine's
-- SaleRecord), so the redemption keeps them; a return keeps the per-offer shares it took back,
-- so a later void reverses only what is still outstanding; a rain check records its own
-- validity and who redeemed it, so an open one is honoured exactly once at a lane.

-- { units: [[lineIndex, unitIndex, [[offerId, cents, group?], ...]], ...], applied: AppliedOffer[] }
-- for the discounted units only; the undiscounted units are rebuilt from sale_line.
alter table redemption add column pricing jsonb;

-- The pricing engine's ClawbackShare[] of this return (engine offer ids: "123" or "rc:45").
alter table redemption_return add column shares jsonb not null default '[]';

alter table rain_check add column description text not null default '';
-- Last day (store time zone) a lane honours the rain check.
alter table rain_check add column expires_on date;
alter table rain_check add column redeemed_by bigint references redemption (id);
-- Set when the offline sale that earned the rain check was voided before it was redeemed.
alter table rain_check add column cancelled_at timestamptz;
create index rain_check_redeemable_idx on rain_check (customer_id) where redeemed_by is null and cancelled_at is null;
create index rain_check_redemption_idx on rain_check (redemption_id);


-- The lane's write is one statement whose parts are conditional (usage limit, budget, an
-- unredeemed rain check); when one does not hold, this aborts the whole statement so none
-- of it is kept, and the service retries (SQLSTATE LL001; docs/redemptions.md).
create function lanelist_assert(ok boolean, message text) returns boolean
language plpgsql as $$
begin
  if not ok then
    raise exception using errcode = 'LL001', message = message;
  end if;
  return true;
end
$$;
