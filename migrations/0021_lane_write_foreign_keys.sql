-- The lane's redemption statement (redemptions/redemption-write.repository.ts) checked about
-- 25 foreign keys per sale: two per discount row, two per offer usage row, the store twice.
-- Each check is a query of its own with a KEY SHARE row lock, and the store's and the
-- popular offers' rows are shared by every lane, so concurrent lanes also piled up multixacts
-- on them. Measured with pg_stat_statements at one lane (bench:redeem): the statement took
-- 13-26% less time without the discount and usage checks.
--
-- These references are written only by that statement, from rows it has just read or
-- inserted itself (the redemption in the same statement, the offers and the store in the
-- read before it, re-checked by the statement's own conditions). What a foreign key would
-- still guard against is a parent deleted later, and offers, stores, customers and
-- redemptions are never deleted: offers end, stores and lanes are deactivated, customers are
-- erased in place, sales are voided. The trigger below makes that a rule of the database
-- instead of a habit of the code. (sale_line lost its foreign keys the same way in 0007.)
alter table redemption_discount
  drop constraint redemption_discount_offer_id_fkey,
  drop constraint redemption_discount_redemption_id_fkey;
alter table offer_usage
  drop constraint offer_usage_offer_id_fkey,
  drop constraint offer_usage_customer_id_fkey;
alter table sale drop constraint sale_store_id_fkey;
alter table redemption drop constraint redemption_store_id_fkey;

create function lanelist_never_deleted() returns trigger language plpgsql as $$
begin
  raise exception '% rows are never deleted (history refers to them): deactivate, end or erase instead', tg_table_name
    using errcode = 'restrict_violation';
end
$$;
create trigger offer_never_deleted before delete on offer for each statement execute function lanelist_never_deleted();
create trigger store_never_deleted before delete on store for each statement execute function lanelist_never_deleted();
create trigger customer_never_deleted before delete on customer for each statement execute function lanelist_never_deleted();
create trigger redemption_never_deleted before delete on redemption for each statement execute function lanelist_never_deleted();
