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

export interface CellMappingsTable {
  id: Generated<number>
  uuid: string
  name: string | null
  transport_url: string
  database_connection: string
  disabled: number
  created_at: string
}

export interface HostMappingsTable {
  host: string
  cell_id: number
}

export interface InstanceMappingsTable {
  instance_uuid: string
  /** Null while the instance waits for the scheduler. */
  cell_id: number | null
  project_id: string
  user_id: string
  queued_for_delete: number
  created_at: string
}

export interface InstancesTable {
  id: Generated<number>
  uuid: string
  project_id: string
  user_id: string
  display_name: string
  display_description: string | null
  hostname: string
  reservation_id: string
  launch_index: number
  /** The flavor as it was at create time (JSON), as upstream keeps it with the instance. */
  flavor: string
  instance_type_id: number
  vcpus: number
  memory_mb: number
  root_gb: number
  ephemeral_gb: number
  image_ref: string
  /** What the scheduler and views need of the image (JSON). */
  image: string
  key_name: string | null
  key_data: string | null
  user_data: string | null
  availability_zone: string | null
  config_drive: string
  access_ip_v4: string | null
  access_ip_v6: string | null
  /** The scheduling request (JSON): hints, destination, group, networks. */
  request: string
  host: string | null
  node: string | null
  launched_on: string | null
  vm_state: string
  task_state: string | null
  power_state: number
  progress: number
  locked: number
  locked_by: string | null
  locked_reason: string | null
  created_at: string
  updated_at: string
  launched_at: string | null
  terminated_at: string | null
  deleted_at: string | null
  /** 0 while live; the row id once deleted (upstream's soft-delete convention). */
  deleted: number
  /** The encrypted password the guest posted (os-server-password); null when none. */
  password: string | null
  /** 1: `OS-DCF:diskConfig` AUTO. */
  auto_disk_config: number
}

export interface InstanceMetadataTable {
  instance_uuid: string
  key: string
  value: string
}

export interface InstanceTagsTable {
  instance_uuid: string
  tag: string
}

export interface InstanceFaultsTable {
  id: Generated<number>
  instance_uuid: string
  code: number
  message: string
  details: string | null
  host: string | null
  created_at: string
}

export interface InstanceActionsTable {
  id: Generated<number>
  action: string
  instance_uuid: string
  request_id: string
  user_id: string | null
  project_id: string | null
  start_time: string
  finish_time: string | null
  message: string | null
  updated_at: string | null
}

export interface InstanceActionsEventsTable {
  id: Generated<number>
  action_id: number
  event: string
  start_time: string
  finish_time: string | null
  result: string | null
  traceback: string | null
  host: string | null
  details: string | null
}

export interface InstanceExternalEventsTable {
  id: Generated<number>
  instance_uuid: string
  name: string
  tag: string | null
  status: string
  created_at: string
}

/** A resize, cold or live migration, or evacuation (upstream's `migrations`). */
export interface MigrationsTable {
  id: Generated<number>
  uuid: string
  instance_uuid: string
  /** `resize`, `migration`, `live-migration`, `evacuation`. */
  migration_type: string
  status: string
  source_compute: string | null
  source_node: string | null
  dest_compute: string | null
  dest_node: string | null
  dest_host: string | null
  old_instance_type_id: number | null
  new_instance_type_id: number | null
  /** The flavors (JSON, as instances keep theirs) before and after. */
  old_flavor: string
  new_flavor: string
  /** The vm_state a revert or rollback restores. */
  old_vm_state: string
  hidden: number
  project_id: string
  user_id: string
  memory_total: number | null
  memory_processed: number | null
  memory_remaining: number | null
  disk_total: number | null
  disk_processed: number | null
  disk_remaining: number | null
  created_at: string
  updated_at: string | null
}

/** What compute keeps about a server that users do not set (upstream's system metadata). */
export interface InstanceSystemMetadataTable {
  instance_uuid: string
  key: string
  value: string | null
}

export interface InstancePortsTable {
  instance_uuid: string
  port_id: string
  /** 1: the user's port before the server took it (given back on delete, not deleted). */
  preserve_on_delete: number
  created_at: string
}

export interface ProjectQuotaLocksTable {
  project_id: string
}

/** A server's disk beyond its image: a volume, a blank or an image copied to a volume. */
export interface BlockDeviceMappingTable {
  uuid: string
  instance_uuid: string
  source_type: string
  destination_type: string
  device_name: string | null
  device_type: string | null
  disk_bus: string | null
  boot_index: number | null
  delete_on_termination: number
  image_id: string | null
  snapshot_id: string | null
  volume_id: string | null
  volume_size: number | null
  volume_type: string | null
  guest_format: string | null
  tag: string | null
  attachment_id: string | null
  connection_info: string | null
  created_at: string
  updated_at: string | null
}

export interface ComputeDatabase {
  block_device_mapping: BlockDeviceMappingTable
  cell_mappings: CellMappingsTable
  host_mappings: HostMappingsTable
  instance_mappings: InstanceMappingsTable
  instances: InstancesTable
  instance_metadata: InstanceMetadataTable
  instance_tags: InstanceTagsTable
  instance_faults: InstanceFaultsTable
  instance_actions: InstanceActionsTable
  instance_actions_events: InstanceActionsEventsTable
  instance_external_events: InstanceExternalEventsTable
  instance_ports: InstancePortsTable
  project_quota_locks: ProjectQuotaLocksTable
  migrations: MigrationsTable
  instance_system_metadata: InstanceSystemMetadataTable
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
