-- The lane's redemption statement (redemptions/redemption-write.repository.ts), continued from
-- 0021: it still ran six foreign-key checks per sale, each a query of its own taking a KEY SHARE
-- row lock (which writes the locker into the parent row: a WAL record and a dirtied page on the
-- customer's row three times per sale): redemption -> customer, sale, list; voucher_entry ->
-- customer, sale; list_regen_request -> customer. Measured by replaying 1,000 captured lane
-- writes at one connection (PostgreSQL backend CPU): 0.04-0.10 ms of about 1.5 ms per write.
--
-- Every one of those references is written by that statement from rows it has just read (the
-- customer and list in the read before it) or inserted itself (the sale, in the same
-- statement). Customers are never deleted (0021's trigger); lists are not either, and the
-- trigger below makes that a rule; sales are never deleted by lanelist (sale_line has referred
-- to them unchecked since 0007, and sale -> customer since 0022).
alter table redemption
  drop constraint redemption_customer_id_fkey,
  drop constraint redemption_sale_id_fkey,
  drop constraint redemption_list_id_fkey;
alter table voucher_entry
  drop constraint voucher_entry_customer_id_fkey,
  drop constraint voucher_entry_sale_id_fkey;
alter table list_regen_request drop constraint list_regen_request_customer_id_fkey;

create trigger list_never_deleted before delete on list for each statement execute function lanelist_never_deleted();

-- Nine index entries per sale that no read uses: redemption_discount is read by redemption
-- (its primary key) only; this index served the offer foreign key 0021 dropped.
drop index redemption_discount_offer_idx;
