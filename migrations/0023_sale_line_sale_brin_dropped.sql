-- lanelist:no-transaction
-- The sale_id btree (0018) finds a sale's lines in microseconds; the sale_id BRIN beside it
-- (0016) no longer serves any read and cost every import its upkeep and half of its summarising
-- (about 0.2 s of PostgreSQL CPU per million lines). Dropped concurrently: lanes keep writing.
drop index concurrently if exists sale_line_sale_brin;
