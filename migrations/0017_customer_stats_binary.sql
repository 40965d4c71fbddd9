-- Purchase-cycle statistics stored in a compact binary form (src/modules/prediction/stats-codec.ts)
-- instead of JSON text: a full rebuild writes every customer's row, and as JSON the rows were about
-- 60 bytes per history line, so writing (and checking, and logging in the WAL) them was half the
-- rebuild. The encoding is about six times smaller and a single-customer read decodes it without a
-- parser. Existing rows become version 0 of the encoding (a zero byte, then the same JSON text),
-- which the decoder still reads; the next rebuild or refresh writes them in version 1.
alter table customer_stats
  alter column stats type bytea using ('\x00'::bytea || convert_to(stats::text, 'UTF8'));

-- Kept inline up to a page: a list reads one row by primary key, and a TOASTed value would cost a
-- second index lookup; nor compressed, as the rows are rewritten in bulk (storage external, 0014).
alter table customer_stats set (toast_tuple_target = 8160);
