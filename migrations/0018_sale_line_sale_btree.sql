-- One customer's history by sale id (issue 7: a list regenerates after every lane sale, within
-- 20 ms). sale_line's BRIN indexes (0016) find one customer's lines only while they sit together,
-- as a customer-by-customer import writes them; lane sales interleave every customer, so there a
-- customer who shops weekly has lines in nearly every block range and the customer_id BRIN reads
-- most of the table: measured on 295,000 lines in sale-id (time) order, one customer's year took
-- 63-68 ms through either BRIN and grows with the table; through this btree, 106 index descents
-- from the customer's sales, 3 ms, whatever the table's size. It is the step docs/architecture.md
-- named: a btree on sale_id alone, appended at the right edge (sale ids come from one sequence), at
-- about 1.2-1.5 s of PostgreSQL CPU per million imported lines (0016's measurements).
create index sale_line_sale_idx on sale_line (sale_id);
