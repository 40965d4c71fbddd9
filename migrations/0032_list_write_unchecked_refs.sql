-- List writes (issue 7), continued from 0026: every list_item row checked three foreign keys
-- (list, offer, product) and every list_offer_decision row two (list, offer), each a query of
-- its own with a KEY SHARE row lock on the parent (which writes the locker into the row: a WAL
-- record and a dirtied page). Inserting a 10,000-customer run's 14,016 items and 30,581
-- decisions into copies of the tables (EXPLAIN ANALYZE) took 422 and 586 ms with the checks
-- against 34 and 91 ms without: 0.88 s of the run's PostgreSQL CPU, and about 1.2 ms of every
-- single regeneration (about 50 checks).
--
-- The list id is the one the same statement has just inserted (list-write.repository.ts); the
-- offers and products are the ones the run or regeneration has just read (the eligible offers,
-- the predicted products). What a key would still guard against is a parent deleted later:
-- lists are never deleted (0026's trigger), offers neither (0021's: they end or pause), and
-- products are deactivated, never deleted; the trigger below makes that a rule of the database
-- too. Nothing in lanelist deletes a product (the catalogue import upserts).
alter table list_item
  drop constraint list_item_list_id_fkey,
  drop constraint list_item_offer_id_fkey,
  drop constraint list_item_product_id_fkey;
alter table list_offer_decision
  drop constraint list_offer_decision_list_id_fkey,
  drop constraint list_offer_decision_offer_id_fkey;

create trigger product_never_deleted before delete on product for each statement execute function lanelist_never_deleted();

-- Autovacuum's analysis of customer_profile, which comes in the middle of a run's list chunks,
-- collected element statistics of the six segment arrays (0029) that no query uses: about
-- 0.35 s of CPU at 10,000 customers. The run's own analysis already leaves them out
-- (analyzeIfStale's skipColumns); statistics target 0 makes every analysis leave them out.
alter table customer_profile
  alter column segment_categories set statistics 0,
  alter column segment_brand_groups set statistics 0,
  alter column segment_usages set statistics 0,
  alter column segment_units set statistics 0,
  alter column segment_national_units set statistics 0,
  alter column segment_spend_cents set statistics 0;
