-- The lane's write path without a global serialisation point (issue 5).
--
-- 1. The durable request to regenerate a customer's list. The lane's statement used to call
--    graphile_worker.add_job, whose NOTIFY takes a database-wide lock at commit: measured
--    with 16 clients, 3,900 plain inserts/s against 420/s with the NOTIFY. The lane now
--    upserts one row per customer here (a retry or a second sale of the same customer only
--    moves requested_at), and src/modules/jobs/regen-requests.ts moves due rows into
--    graphile-worker in batches, one NOTIFY per batch, deleting them in the same
--    transaction: a request is in exactly one of the two places, so a crash loses none.
create table list_regen_request (
  customer_id bigint primary key references customer (id),
  requested_at timestamptz not null default now()
);
create index list_regen_request_due_idx on list_regen_request (requested_at);

-- 2. Offer counters only for offers with a budget. Counting every use on the offer row made
--    each popular offer a row every lane locks until its commit, so lanes queued behind
--    each other even when nothing had to be enforced. Offers without a budget are counted
--    from offer_usage (the same figures, kept per customer); this index sums them per offer.
--    When a budget is added to a running offer, its counters start from those sums
--    (offers/offer-changes.service.ts).
create index offer_usage_offer_idx on offer_usage (offer_id);
