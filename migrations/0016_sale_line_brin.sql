-- Purchase history import (issue 4): a million lines within 3x of a plain COPY of the file.
-- Measured per million sale_line rows COPYed in 100k batches (PostgreSQL CPU): no index 1.0-1.2 s,
-- with the (sale_id, line_no) primary key 2.2-2.6 s, primary key plus the customer_id btree
-- (0007) 4.0-4.2 s, a btree on sale_id alone 2.3-2.7 s, BRIN on sale_id 1.0-1.1 s. Every btree
-- costs a descent and a WAL record per line; BRIN costs nothing while lines land in new block
-- ranges (they are summarised afterwards, by autovacuum, a sequential read).
--
-- BRIN works here because sale_line is append-only in sale id order: a sale's lines are always
-- inserted in the transaction that inserted the sale (lanes in one statement, imports COPY a
-- batch's lines right after its sales, in id order), and sale ids come from one sequence, so a
-- block range holds a narrow interval of sale ids. Small ranges (16 blocks, about 1,300 lines)
-- keep a one-sale lookup (returns, voids, a page of a customer's sales, the new sales of a stats
-- refresh) to one range read; minmax-multi keeps a range narrow when a stray line lands in an
-- old block (space freed by vacuum after a return updated a line).
--
-- Lines by customer: through sale (sale_customer_day_idx) and then by sale id, as before; the
-- customer_id btree goes. A BRIN on customer_id takes its place for the chunked whole-population
-- reads (segment facts bound sale_line.customer_id by the chunk's range): imported lines are
-- written customer by customer within each batch, so their ranges narrow a chunk well.
--
-- (sale_id, line_no) is no longer checked unique: as with the foreign keys dropped in 0007, the
-- only writers (the lane's statement and the import) number a new sale's lines themselves in
-- the transaction that creates the sale.
alter table sale_line drop constraint sale_line_pkey;
drop index sale_line_customer_idx;
create index sale_line_sale_brin on sale_line using brin (sale_id int8_minmax_multi_ops)
  with (pages_per_range = 16, autosummarize = on);
create index sale_line_customer_brin on sale_line using brin (customer_id)
  with (pages_per_range = 16, autosummarize = on);
