-- A list shows the rain checks its customer held when it was made (issue 5: an offline sale's
-- offers "become a rain check on their next list"; docs/redemptions.md "Offline lanes and rain
-- checks"). lists/list.repository.ts reads them by customer, redeemed and cancelled ones too (a
-- list made before the redemption carried it). rain_check_open_idx was meant for a link to the
-- list, used_on_list_id, that nothing ever set; both go, and a plain index on the customer
-- serves the read. Rain checks come only from offline sales: the table is small and the build
-- is quick, so it runs in the migration's transaction.
drop index rain_check_open_idx;
alter table rain_check drop column used_on_list_id;
create index rain_check_customer_idx on rain_check (customer_id);
