-- The customer_id BRIN (0016) serves the whole-population reads in customer chunks. Its
-- autosummarize queue holds 256 requests: a large import overflowed it with thousands of "BRIN
-- range summarization ... not recorded" log lines while the import summarises its own ranges
-- after each batch (transaction-import.repository.ts summarizeNewLines) and vacuum summarises
-- the lanes' ranges. SHARE UPDATE EXCLUSIVE: lanes keep writing.
alter index sale_line_customer_brin set (autosummarize = off);
