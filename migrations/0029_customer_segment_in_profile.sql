-- A customer's segment cells move into their profile row as parallel arrays, one element per
-- category in code-point order. A population refresh wrote about 14 cell rows per customer
-- (141,000 at 10,000 demo customers), each a heap tuple and a primary-key entry: 0.57 s of
-- insert alone, and the statement that sorted new, changed and gone cells around it 180-300 ms
-- per 1,000 customers, against 40 ms for the 1,000 profile rows themselves. The profile row is
-- rewritten by every refresh anyway, so the cells now travel in it.
--
-- customer_segment stays as a view with the same columns, for the readers that want rows (the
-- segment reports, tests, scripts/lists-dump.ts). Nothing writes it.
alter table customer_profile
  add column segment_categories text[] not null default '{}',
  add column segment_brand_groups text[] not null default '{}',
  add column segment_usages text[] not null default '{}',
  add column segment_units integer[] not null default '{}',
  add column segment_national_units integer[] not null default '{}',
  add column segment_spend_cents bigint[] not null default '{}',
  add constraint customer_profile_segments_check check (
    cardinality(segment_brand_groups) = cardinality(segment_categories)
    and cardinality(segment_usages) = cardinality(segment_categories)
    and cardinality(segment_units) = cardinality(segment_categories)
    and cardinality(segment_national_units) = cardinality(segment_categories)
    and cardinality(segment_spend_cents) = cardinality(segment_categories)
    and segment_brand_groups <@ array['national', 'store', 'switcher']
    and segment_usages <@ array['low', 'medium', 'high']);

-- Cells without a profile cannot exist (both were written and deleted in one statement).
update customer_profile p
set segment_categories = s.categories, segment_brand_groups = s.brand_groups, segment_usages = s.usages,
  segment_units = s.units, segment_national_units = s.national_units, segment_spend_cents = s.spend_cents
from (
  select customer_id,
    array_agg(category order by category collate "C") as categories,
    array_agg(brand_group order by category collate "C") as brand_groups,
    array_agg(usage order by category collate "C") as usages,
    array_agg(units order by category collate "C") as units,
    array_agg(national_units order by category collate "C") as national_units,
    array_agg(spend_cents order by category collate "C") as spend_cents
  from customer_segment
  group by customer_id
) s
where s.customer_id = p.customer_id;

drop table customer_segment;

create view customer_segment as
select p.customer_id, s.category, s.brand_group, s.usage, s.units, s.national_units, s.spend_cents
from customer_profile p
cross join lateral unnest(p.segment_categories, p.segment_brand_groups, p.segment_usages, p.segment_units,
  p.segment_national_units, p.segment_spend_cents) as s(category, brand_group, usage, units, national_units, spend_cents);
