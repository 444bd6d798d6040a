/**
 * The compute API's tables as Kysely sees them. Only storage/*.repo.ts use these types.
 * Booleans are integers and timestamps ISO strings, so one schema serves SQLite,
 * PostgreSQL and MariaDB.
 */
import type { Generated } from 'kysely'

export interface FlavorsTable {
  id: Generated<number>
  flavorid: string
  name: string
  memory_mb: number
  vcpus: number
  root_gb: number
  ephemeral_gb: number
  swap: number
  rxtx_factor: number
  vcpu_weight: number | null
  disabled: number
  is_public: number
  description: string | null
  created_at: string
  updated_at: string | null
}

export interface FlavorProjectsTable {
  flavor_id: number
  project_id: string
}

export interface FlavorExtraSpecsTable {
  flavor_id: number
  key: string
  value: string
}

export interface KeyPairsTable {
  id: Generated<number>
  user_id: string
  name: string
  fingerprint: string
  public_key: string
  type: string
  created_at: string
  updated_at: string | null
}

export interface InstanceGroupsTable {
  id: Generated<number>
  uuid: string
  name: string
  user_id: string
  project_id: string
  policy: string
  max_server_per_host: number | null
  created_at: string
  updated_at: string | null
}

export interface InstanceGroupMembersTable {
  group_id: number
  instance_uuid: string
  created_at: string
}

export interface AggregatesTable {
  id: Generated<number>
  uuid: string
  name: string
  created_at: string
  updated_at: string | null
}

export interface AggregateHostsTable {
  aggregate_id: number
  host: string
}

export interface AggregateMetadataTable {
  aggregate_id: number
  key: string
  value: string
}

export interface QuotasTable {
  project_id: string
  resource: string
  hard_limit: number
}

export interface ProjectUserQuotasTable {
  project_id: string
  user_id: string
  resource: string
  hard_limit: number
}

export interface QuotaClassesTable {
  class_name: string
  resource: string
  hard_limit: number
}

export interface ComputeDatabase {
  flavors: FlavorsTable
  flavor_projects: FlavorProjectsTable
  flavor_extra_specs: FlavorExtraSpecsTable
  key_pairs: KeyPairsTable
  instance_groups: InstanceGroupsTable
  instance_group_members: InstanceGroupMembersTable
  aggregates: AggregatesTable
  aggregate_hosts: AggregateHostsTable
  aggregate_metadata: AggregateMetadataTable
  quotas: QuotasTable
  project_user_quotas: ProjectUserQuotasTable
  quota_classes: QuotaClassesTable
}
