-- A list run's snapshot (issue 7, 0009) inserts one row per customer of the chain in one
-- statement, and each row checked list_generation_customer -> list_generation: a query per row
-- with a KEY SHARE lock on the run's row. EXPLAIN ANALYZE of the snapshot at 50,000 customers
-- (load 5-7): 1,777 ms, of which 802 ms in the key's trigger (50,000 calls), all for the one run
-- the same transaction has just read and updates beside it (list-run.repository.ts
-- snapshotCustomers).
--
-- The key's other duty was its cascade, and nothing deletes a run: a run is the record of what a
-- generation did (its lists name it). The trigger below makes that a rule of the database, as 0021,
-- 0026 and 0032 did for the parents of the lane's and the list writes' rows.
alter table list_generation_customer drop constraint list_generation_customer_generation_id_fkey;

create trigger list_generation_never_deleted before delete on list_generation for each statement execute function lanelist_never_deleted();
