-- A counter that moves whenever what the lane's read takes from `offer` definitions or from
-- `product` changes, so each service instance can keep both in memory and still never price with
-- a stale copy (redemptions/pricing-catalog-cache.ts): every lane read returns the counter it
-- saw, and a copy is used only under the counter it was read with. The counter is one row
-- updated in the changing transaction, so it commits (and becomes visible) with the change and
-- two changing transactions queue on it: a reader that sees value N sees every change up to N.
--
-- What does NOT move it: the lane's own budget counters (budget_used_*; `update of` below lists
-- the other columns, so the lane's update never fires a trigger) and statements that changed no
-- product (an import's `on conflict do nothing` that inserted nothing).
create table pricing_catalog_version (
  only_row boolean primary key default true check (only_row),
  version bigint not null
);
insert into pricing_catalog_version (version) values (1);

create function pricing_catalog_changed() returns trigger language plpgsql as $$
begin
  update pricing_catalog_version set version = version + 1;
  return null;
end
$$;

create function pricing_catalog_products_changed() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    if exists (select from new_rows) then update pricing_catalog_version set version = version + 1; end if;
  elsif tg_op = 'DELETE' then
    if exists (select from old_rows) then update pricing_catalog_version set version = version + 1; end if;
  elsif exists (select from old_rows o join new_rows n on n.id = o.id
                 where (o.gtin, o.category, o.brand_type) is distinct from (n.gtin, n.category, n.brand_type)) then
    update pricing_catalog_version set version = version + 1;
  end if;
  return null;
end
$$;

create trigger offer_definition_changed
  after insert or delete or truncate or update of
    id, name, description, kind, scope, reward, targeting, valid_from, valid_until, units_per_redemption,
    redemptions_per_customer, budget_max_redemptions, budget_max_discount_cents, stackable,
    funded_by_manufacturer, status, created_at, updated_at
  on offer for each statement execute function pricing_catalog_changed();

create trigger product_inserted after insert on product
  referencing new table as new_rows for each statement execute function pricing_catalog_products_changed();
create trigger product_deleted after delete on product
  referencing old table as old_rows for each statement execute function pricing_catalog_products_changed();
create trigger product_updated after update on product
  referencing old table as old_rows new table as new_rows for each statement execute function pricing_catalog_products_changed();
create trigger product_truncated after truncate on product
  for each statement execute function pricing_catalog_changed();
