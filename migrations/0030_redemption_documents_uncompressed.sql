-- Each redemption row carries two documents: the response the lane was given (about 1.7 kB as
-- text) and the engine's per-unit pricing (about 1.1 kB). Together they pass the 2 kB at which
-- PostgreSQL starts compressing a row (pglz), and the one backend writing a group-commit batch
-- paid that for every sale on the lanes' critical path: replaying 178 captured batch writes,
-- 0.57 ms of backend CPU per sale with rows kept whole against 0.61 ms compressed (four rounds
-- each, docs/redemptions.md). Rows up to 8 kB now stay inline and uncompressed; larger ones (big
-- baskets) are still compressed and moved out of line. The price: a lane's redemption row takes
-- about 3.5-4 kB on disk instead of 1.6 kB (a sale's 30 lines take about 3 kB with their index).
alter table redemption set (toast_tuple_target = 8160);
