import type { ColumnType, Generated, JSONColumnType } from 'kysely'

// Kysely's view of migrations/*.sql. Keep in step with the migrations; test/db/schema.test.ts
// compares every table and column here with the migrated database so drift fails CI.

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>
type Id = Generated<number>
/** Dates travel as 'YYYY-MM-DD' strings (see the DATE type parser in database.ts). */
type DateString = string

export interface StoreTable {
  id: string
  name: string
  timezone: string
  active: Generated<boolean>
  created_at: DefaultTimestamp
  updated_at: DefaultTimestamp
}

export interface LaneTable {
  store_id: string
  id: string
  name: string | null
  active: Generated<boolean>
  created_at: DefaultTimestamp
}

export interface ProductTable {
  id: Id
  gtin: string | null
  external_id: string | null
  name: string
  category: string
  brand: string | null
  brand_type: Generated<'national' | 'store'>
  manufacturer: string | null
  size: string | null
  regular_price_cents: number | null
  active: Generated<boolean>
  created_at: DefaultTimestamp
  updated_at: DefaultTimestamp
}

export interface CustomerTable {
  id: Id
  external_id: string | null
  first_name: string | null
  household: ColumnType<Record<string, unknown>, string | undefined, string>
  home_store_id: string | null
  personalisation_opt_out: Generated<boolean>
  erased_at: Timestamp | null
  created_at: DefaultTimestamp
  updated_at: DefaultTimestamp
}

export interface CardTable {
  number: string
  customer_id: number
  status: Generated<'active' | 'replaced'>
  issued_at: DefaultTimestamp
  replaced_at: Timestamp | null
}

export interface OfferTable {
  id: Id
  name: string
  description: Generated<string>
  kind: Generated<'offer' | 'perk'>
  scope: JSONColumnType<Record<string, unknown>>
  reward: JSONColumnType<Record<string, unknown>>
  targeting: JSONColumnType<Record<string, unknown>>
  valid_from: DateString
  valid_until: DateString
  units_per_redemption: number | null
  redemptions_per_customer: number | null
  budget_max_redemptions: number | null
  budget_max_discount_cents: number | null
  budget_used_redemptions: Generated<number>
  budget_used_discount_cents: Generated<number>
  stackable: Generated<boolean>
  funded_by_manufacturer: string | null
  status: Generated<'active' | 'paused' | 'ended'>
  created_at: DefaultTimestamp
  updated_at: DefaultTimestamp
}

export interface ListGenerationTable {
  id: Id
  as_of: DateString
  customer_ids: number[] | null
  force: Generated<boolean>
  status: Generated<'queued' | 'running' | 'succeeded' | 'failed'>
  total: Generated<number>
  done: Generated<number>
  lists_created: Generated<number>
  skipped_not_eligible: Generated<number>
  skipped_current: Generated<number>
  error: string | null
  requested_by: string | null
  created_at: DefaultTimestamp
  started_at: Timestamp | null
  finished_at: Timestamp | null
  prepared_at: Timestamp | null
  next_seq: Generated<number>
  settings: ColumnType<unknown, string | undefined, string>
}

export interface ListGenerationCustomerTable {
  generation_id: number
  seq: number
  customer_id: number
}

export interface ListTable {
  id: Id
  customer_id: number
  barcode: string
  generation_id: number | null
  cycle_start: DateString
  valid_from: DateString
  valid_until: DateString
  status: Generated<'current' | 'superseded'>
  trigger: 'run' | 'redemption' | 'manual'
  holdout: Generated<boolean>
  total_coupon_cents: Generated<number>
  perks: ColumnType<unknown[], string | undefined, string>
  created_at: DefaultTimestamp
}

export interface ListItemTable {
  list_id: number
  rank: number
  customer_id: number
  product_id: number | null
  category: string | null
  expected_date: DateString | null
  probability: number | null
  reason: string
  offer_id: number | null
  offer_value_cents: number | null
}

export interface ListOfferDecisionTable {
  list_id: number
  offer_id: number
  customer_id: number
  given: boolean
  reason: string
}

export interface SaleTable {
  id: Id
  customer_id: number
  store_id: string | null
  lane_id: string | null
  source: 'lane' | 'offline' | 'import'
  external_id: string
  occurred_at: Timestamp
  day: DateString
  total_before_cents: Generated<number>
  total_discount_cents: Generated<number>
  status: Generated<'recorded' | 'voided'>
  created_at: DefaultTimestamp
}

export interface SaleLineTable {
  sale_id: number
  line_no: number
  customer_id: number
  product_id: number | null
  gtin: string | null
  quantity: number
  unit_price_cents: number | null
  discount_cents: Generated<number>
  returned_quantity: Generated<number>
}

export interface RedemptionTable {
  id: Id
  store_id: string
  pos_transaction_id: string
  request_hash: string
  customer_id: number
  sale_id: number
  list_id: number | null
  offline: Generated<boolean>
  response: JSONColumnType<Record<string, unknown>>
  status: Generated<'recorded' | 'voided'>
  voided_at: Timestamp | null
  created_at: DefaultTimestamp
  /** 0005: the discounted units' allocations and the applied offers, for returns. */
  pricing: ColumnType<unknown, string | null | undefined, string | null>
}

export interface RedemptionDiscountTable {
  redemption_id: number
  offer_id: number
  gtin: string
  quantity: number
  amount_cents: number
  unit_cents: number[]
}

export interface RedemptionReturnTable {
  redemption_id: number
  pos_return_id: string
  request_hash: string
  response: JSONColumnType<Record<string, unknown>>
  clawback_cents: number
  created_at: DefaultTimestamp
  /** 0005: the pricing engine's clawback shares of this return. */
  shares: ColumnType<unknown, string | undefined, string>
}

export interface OfferUsageTable {
  customer_id: number
  offer_id: number
  redemptions: Generated<number>
  discount_cents: Generated<number>
}

export interface ListRegenRequestTable {
  customer_id: number
  requested_at: Generated<Date>
}

export interface RainCheckTable {
  id: Id
  customer_id: number
  offer_id: number
  redemption_id: number
  value_cents: number
  created_at: DefaultTimestamp
  /** 0005 */
  description: Generated<string>
  expires_on: DateString | null
  redeemed_by: number | null
  cancelled_at: Timestamp | null
}

export interface ApiKeyTable {
  id: Id
  name: string
  role: 'pos' | 'backoffice' | 'admin'
  store_id: string | null
  key_hash: Buffer
  key_prefix: string
  created_at: DefaultTimestamp
  revoked_at: Timestamp | null
}

export interface AuditLogTable {
  id: Id
  at: DefaultTimestamp
  actor: string
  action: string
  entity: string
  entity_id: string | null
  detail: ColumnType<Record<string, unknown>, string | undefined, string>
}

/** 0006: computed profile (docs/lists.md); profiling columns are null when opted out. */
export interface CustomerProfileTable {
  customer_id: number
  as_of: DateString
  computed_at: DefaultTimestamp
  opt_out: Generated<boolean>
  weekly_spend_cents: Generated<number>
  eligible: Generated<boolean>
  spend_cents: number | null
  margin_cents: number | null
  rewards_cents: number | null
  value_cents: number | null
  value_tier: 'A' | 'B' | 'C' | 'D' | null
  negative_value: boolean | null
  trend: 'rising' | 'flat' | 'falling' | null
  recent_spend_cents: number | null
  previous_spend_cents: number | null
  lifecycle: 'new' | 'growing' | 'stable' | 'declining' | 'lapsed' | null
  life_stage: ColumnType<string[], string[] | undefined, string[]>
  first_purchase_day: DateString | null
  last_purchase_day: DateString | null
  median_gap_days: number | null
  trips: number | null
  regular_cycle: boolean | null
  wallet_share: 'high' | 'medium' | 'low' | null
  /** 0029: the segment cells, one element per category in code-point order (customer_segment is a view of them). */
  segment_categories: ColumnType<string[], string[] | undefined, string[]>
  segment_brand_groups: ColumnType<('national' | 'store' | 'switcher')[], string[] | undefined, string[]>
  segment_usages: ColumnType<('low' | 'medium' | 'high')[], string[] | undefined, string[]>
  segment_units: ColumnType<number[], number[] | undefined, number[]>
  segment_national_units: ColumnType<number[], number[] | undefined, number[]>
  /** int8[]: node-postgres gives the elements as strings. */
  segment_spend_cents: ColumnType<string[], number[] | undefined, number[]>
}

/** 0006; since 0029 a read-only view of customer_profile's segment arrays. */
export interface CustomerSegmentTable {
  customer_id: number
  category: string
  brand_group: 'national' | 'store' | 'switcher'
  usage: 'low' | 'medium' | 'high'
  units: number
  national_units: number
  spend_cents: number
}

/** 0006 */
export interface CategoryUsageCutoffTable {
  category: string
  as_of: DateString
  computed_at: DefaultTimestamp
  buyers: number
  low_max: number
  medium_max: number
}

/** 0006: a single row */
export interface ValueTierCutoffTable {
  id: Generated<boolean>
  as_of: DateString
  computed_at: DefaultTimestamp
  customers: number
  a_min_cents: number
  b_min_cents: number
  c_min_cents: number
}

/** 0006: units are ten-thousandths of a cent */
export interface VoucherEntryTable {
  id: Id
  customer_id: number
  sale_id: number
  kind: 'accrual' | 'reversal'
  reference: string | null
  day: DateString
  spend_cents: number
  rate_bp: number
  units: number
  created_at: DefaultTimestamp
}

/** 0006 */
export interface VoucherAccountTable {
  customer_id: number
  issued_units: Generated<number>
  issued_through: DateString | null
  updated_at: DefaultTimestamp
}

/** 0006 */
export interface VoucherTable {
  id: Id
  customer_id: number
  period_start: DateString
  period_end: DateString
  value_cents: number
  issued_on: DateString
  expires_on: DateString | null
  redeemed_by: number | null
  redeemed_at: Timestamp | null
  created_at: DefaultTimestamp
}

/** 0006 */
export interface ListVoucherTable {
  list_id: number
  voucher_id: number
  customer_id: number
}

export interface CustomerStatsTable {
  customer_id: number
  time_mode: Generated<'calendar' | 'sequence'>
  trips: number
  first_day: number
  last_day: number
  /** stats-codec.ts encoding (migration 0017). */
  stats: Buffer
  updated_at: DefaultTimestamp
  through_sale_id: ColumnType<number | null, number | null | undefined, number | null>
  sales_counted: ColumnType<number | null, number | null | undefined, number | null>
  reversals: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>
}

export interface PredictionModelTable {
  id: Id
  fitted_at: DefaultTimestamp
  as_of: DateString | null
  time_mode: 'calendar' | 'sequence'
  customers: number
  model: JSONColumnType<Record<string, unknown>, string, string>
}

export interface LanelistMigrationTable {
  version: number
  name: string
  checksum: string
  applied_at: DefaultTimestamp
}

/** 0011: the event outbox and webhook deliveries (docs/webhooks.md). */
export interface EventOutboxTable {
  id: Generated<string>
  type: string
  payload: ColumnType<Record<string, unknown>, string, string>
  created_at: DefaultTimestamp
  dispatched_at: Timestamp | null
}

export interface WebhookEndpointTable {
  id: Id
  url: string
  description: string | null
  event_types: string[]
  secret: string
  enabled: Generated<boolean>
  created_by: string
  created_at: DefaultTimestamp
  updated_at: DefaultTimestamp
}

export interface WebhookDeliveryTable {
  id: Id
  event_id: string
  endpoint_id: number
  status: Generated<'pending' | 'succeeded' | 'dead'>
  attempts: Generated<number>
  next_attempt_at: DefaultTimestamp
  last_attempt_at: Timestamp | null
  last_status_code: number | null
  last_error: string | null
  last_duration_ms: number | null
  delivered_at: Timestamp | null
  created_at: DefaultTimestamp
}

/** Chain ids of erased customers, hashed: imports skip them (migration 0015). */
export interface ErasedCustomerTable {
  external_id_sha256: Buffer
  erased_at: DefaultTimestamp
}

export interface DB {
  store: StoreTable
  lane: LaneTable
  product: ProductTable
  customer: CustomerTable
  card: CardTable
  offer: OfferTable
  list_generation: ListGenerationTable
  list_generation_customer: ListGenerationCustomerTable
  list: ListTable
  list_item: ListItemTable
  list_offer_decision: ListOfferDecisionTable
  sale: SaleTable
  sale_line: SaleLineTable
  redemption: RedemptionTable
  redemption_discount: RedemptionDiscountTable
  redemption_return: RedemptionReturnTable
  offer_usage: OfferUsageTable
  list_regen_request: ListRegenRequestTable
  rain_check: RainCheckTable
  api_key: ApiKeyTable
  audit_log: AuditLogTable
  lanelist_migration: LanelistMigrationTable
  customer_profile: CustomerProfileTable
  customer_segment: CustomerSegmentTable
  category_usage_cutoff: CategoryUsageCutoffTable
  value_tier_cutoff: ValueTierCutoffTable
  voucher_entry: VoucherEntryTable
  voucher_account: VoucherAccountTable
  voucher: VoucherTable
  list_voucher: ListVoucherTable
  customer_stats: CustomerStatsTable
  prediction_model: PredictionModelTable
  event_outbox: EventOutboxTable
  webhook_endpoint: WebhookEndpointTable
  webhook_delivery: WebhookDeliveryTable
  erased_customer: ErasedCustomerTable
}
