-- Purchase-cycle statistics kept incrementally (issue 6). The lane's redemption write stays one
-- statement and does not touch customer_stats; the regenerate_list job it enqueues brings one
-- customer's row up to date by applying only what changed since the row was written. These
-- columns say what the row already reflects, so the job can find the rest without reading the
-- customer's lines:
--   through_sale_id  the customer's highest sale id reflected (every sale with a higher id is new);
--   sales_counted    how many of the customer's sales had an id <= through_sale_id when the row
--                    was written: more now means a sale with a lower id committed late (sale ids
--                    are taken before commit), and the job rebuilds the customer instead;
--   reversals        what voids and returns the row reflects, per sale id: "v" for a voided sale,
--                    else {"<line_no>": returned quantity}. Only sales with a reversal appear.
-- A row without through_sale_id (written before this migration, or by a rebuild "through" a day)
-- is rebuilt from history the next time.
alter table customer_stats
  add column through_sale_id bigint,
  add column sales_counted integer,
  add column reversals jsonb;

-- The statistics are written whole and read whole by Node, never queried inside by SQL: json
-- (kept as text, only checked) instead of jsonb (parsed into its binary form and back on every
-- write and read) made a full rebuild about twice as fast. Not compressed either: the rows
-- are rewritten in bulk and read one at a time, where pglz costs more CPU than the disk it saves.
alter table customer_stats
  alter column stats type json using stats::json,
  alter column stats set storage external;
