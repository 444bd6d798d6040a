/**
 * Placement's tables as Kysely sees them. Timestamps are ISO-8601 strings on every
 * dialect; allocation ratios are doubles.
 */
import type { Generated } from 'kysely'

export interface ResourceProviderTable {
  id: Generated<number>
  uuid: string
  name: string
  generation: number
  root_provider_id: number | null
  parent_provider_id: number | null
  created_at: string
  updated_at: string | null
}

export interface InventoryTable {
  id: Generated<number>
  resource_provider_id: number
  resource_class_id: number
  total: number
  reserved: number
  min_unit: number
  max_unit: number
  step_size: number
  allocation_ratio: number
  created_at: string
  updated_at: string | null
}

export interface AllocationTable {
  id: Generated<number>
  resource_provider_id: number
  consumer_id: string
  resource_class_id: number
  used: number
  created_at: string
  updated_at: string | null
}

export interface ConsumerTable {
  id: Generated<number>
  uuid: string
  project_id: number
  user_id: number
  consumer_type_id: number | null
  generation: number
  created_at: string
  updated_at: string | null
}

export interface ExternalIdTable {
  id: Generated<number>
  external_id: string
  created_at: string
}

export interface NamedTable {
  id: Generated<number>
  name: string
  created_at: string
  updated_at: string | null
}

export interface ResourceClassTable {
  id: number
  name: string
  created_at: string
  updated_at: string | null
}

export interface AggregateTable {
  id: Generated<number>
  uuid: string
  created_at: string
}

export interface ProviderAggregateTable {
  resource_provider_id: number
  aggregate_id: number
  created_at: string
}

export interface ProviderTraitTable {
  resource_provider_id: number
  trait_id: number
  created_at: string
}

/** One row (id 1): bumped by every write transaction, polled by every process's index. */
export interface ChangeCounterTable {
  id: number
  counter: number
}

export interface PlacementDatabase {
  resource_providers: ResourceProviderTable
  inventories: InventoryTable
  allocations: AllocationTable
  consumers: ConsumerTable
  projects: ExternalIdTable
  users: ExternalIdTable
  consumer_types: NamedTable
  resource_classes: ResourceClassTable
  traits: NamedTable
  placement_aggregates: AggregateTable
  resource_provider_aggregates: ProviderAggregateTable
  resource_provider_traits: ProviderTraitTable
  placement_changes: ChangeCounterTable
  placement_change_log: ChangeLogTable
}

/** One row per committed write: what it touched (migrations/0002-change-log.ts). */
export interface ChangeLogTable {
  seq: number | string
  kind: string
  providers: string | null
  consumers: string | null
}
