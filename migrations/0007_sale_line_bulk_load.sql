-- Purchase history import (issue 4) must load a million lines fast (its target: within 3x of a
-- plain COPY of the file), and writing sale_line was nearly all of its time: the two foreign
-- keys were about three quarters of the cost of a line, and the (customer_id, product_id)
-- index most of the rest.
--
-- The foreign keys go. sale_line is written only by lanelist's own code, always in the same
-- transaction as its sale, from ids that code has just resolved: a lane sale's lines in the
-- statement that inserts the sale (redemptions), an imported sale's lines in the batch
-- transaction that inserted the sale, for products the import resolved (or created) just before.
-- Nothing deletes sales or products (a product is deactivated, a sale voided, an erased
-- customer's sales stay), so a checked reference could only fail through a bug in those writers.
--
-- Indexes: the primary key (sale_id, line_no) stays; every read of lines goes through it (a
-- sale's lines for redemptions and returns; a customer's history through sale, by
-- sale_customer_day_idx, then the primary key). One read needs lines by customer: segment facts
-- bound a chunk of customers on sale_line.customer_id too (segment-facts.repository.ts), so that
-- the planner reads the chunk's lines instead of hashing the whole table. No query looks lines
-- up by product within a customer, so the index keeps customer_id only: with many lines per
-- customer it deduplicates, and costs the import about half as much as the old one.
alter table sale_line
  drop constraint sale_line_sale_id_fkey,
  drop constraint sale_line_product_id_fkey;
drop index sale_line_customer_product_idx;
create index sale_line_customer_idx on sale_line (customer_id);
