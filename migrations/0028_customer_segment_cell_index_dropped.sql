-- customer_segment (category, brand_group, usage) was made for reading one segment cell's
-- customers, which nothing does: offers are matched to a customer's own cells in Node
-- (segments/profile-targeting.ts) and the segment reports read the whole table
-- (reports/segment-rollup.repository.ts). A population refresh writes every customer's cells
-- (141,000 rows at 10,000 demo customers), and this index cost a third of that insert: the same
-- 140,000 rows went in in 1.2 s with it and 0.6-0.65 s without it (plain insert, load 5).
drop index customer_segment_cell_idx;
