-- Erasure must outlive re-imports (issue 4). Erasing a customer clears their chain id, so a
-- later import of an old history file that names that id would create a new, anonymous
-- customer and attach the erased person's history to it again. The chain ids of erased
-- customers are kept here as a one-way hash (sha256 of the id's UTF-8 text), enough for an
-- import to recognise and skip them without keeping the id itself. A chain id is short and
-- often numeric, so the hash hides it from a casual reader, not from someone enumerating the
-- chain's ids: it says "this id asked to be forgotten", which is what it has to say.
-- Customers erased before this migration have no chain id left to hash.
create table erased_customer (
  external_id_sha256 bytea primary key check (octet_length(external_id_sha256) = 32),
  erased_at timestamptz not null default now()
);
