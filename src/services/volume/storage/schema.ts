/**
 * The block storage service's tables, as Kysely sees them. Only storage/*.repo.ts use
 * these. Timestamps are ISO-8601 strings (with milliseconds, so they sort as text);
 * booleans are integers 0/1. Quota tables carry a `volume_` prefix so that a
 * [database] shared with compute (whose `quotas` is Nova's) holds both.
 */
import type { Generated } from 'kysely'

export interface VolumesTable {
  id: string
  project_id: string
  user_id: string
  display_name: string | null
  display_description: string | null
  size: number
  status: string
  previous_status: string | null
  attach_status: string
  availability_zone: string
  volume_type_id: string
  snapshot_id: string | null
  source_volid: string | null
  bootable: number
  multiattach: number
  /** `host@backend#pool` */
  host: string | null
  migration_status: string | null
  replication_status: string | null
  use_quota: number
  created_at: string
  updated_at: string | null
  launched_at: string | null
  /** The generic volume group (3.13) the volume belongs to. */
  group_id: string | null
}

export interface KeyValueTable {
  volume_id: string
  key: string
  value: string
}

export interface VolumeTypesTable {
  id: string
  name: string
  description: string | null
  is_public: number
  qos_specs_id: string | null
  created_at: string
  updated_at: string | null
}

export interface VolumeTypeExtraSpecsTable {
  volume_type_id: string
  key: string
  value: string
}

export interface VolumeTypeProjectsTable {
  volume_type_id: string
  project_id: string
}

export interface SnapshotsTable {
  id: string
  volume_id: string
  project_id: string
  user_id: string
  display_name: string | null
  display_description: string | null
  status: string
  progress: string
  volume_size: number
  volume_type_id: string
  use_quota: number
  created_at: string
  updated_at: string | null
  /** The group snapshot (3.14) that took this snapshot. */
  group_snapshot_id: string | null
}

export interface SnapshotMetadataTable {
  snapshot_id: string
  key: string
  value: string
}

export interface VolumeAttachmentTable {
  id: string
  volume_id: string
  instance_uuid: string | null
  attached_host: string | null
  mountpoint: string | null
  attach_mode: string | null
  attach_status: string
  connector: string | null
  connection_info: string | null
  attach_time: string | null
  detach_time: string | null
  created_at: string
  updated_at: string | null
}

export interface QuotaTable {
  project_id: string
  resource: string
  hard_limit: number
}

export interface QuotaClassTable {
  class_name: string
  resource: string
  hard_limit: number
}

export interface QuotaLockTable {
  project_id: string
}

export interface ServicesTable {
  id: Generated<number>
  host: string
  binary: string
  topic: string
  availability_zone: string
  disabled: number
  disabled_reason: string | null
  created_at: string
  updated_at: string | null
}

export interface DefaultTypesTable {
  project_id: string
  volume_type_id: string
}

export interface TransfersTable {
  id: string
  volume_id: string
  display_name: string | null
  salt: string
  crypt_hash: string
  source_project_id: string
  destination_project_id: string | null
  accepted: number
  no_snapshots: number
  created_at: string
  updated_at: string | null
}

export interface QosSpecsTable {
  id: string
  name: string
  consumer: string
  created_at: string
}

export interface QosSpecsKeysTable {
  qos_id: string
  key: string
  value: string
}

export interface MessagesTable {
  id: string
  project_id: string
  request_id: string
  resource_type: string
  resource_uuid: string | null
  event_id: string
  message_level: string
  user_message: string
  created_at: string
  expires_at: string
}

export interface TypeEncryptionTable {
  volume_type_id: string
  encryption_id: string
  provider: string
  cipher: string | null
  key_size: number | null
  control_location: string
  created_at: string
  updated_at: string | null
}

export interface BackupsTable {
  id: string
  project_id: string
  user_id: string
  volume_id: string
  snapshot_id: string | null
  parent_id: string | null
  status: string
  display_name: string | null
  display_description: string | null
  container: string
  availability_zone: string | null
  size: number
  object_count: number
  is_incremental: number
  num_dependent_backups: number
  fail_reason: string | null
  restore_volume_id: string | null
  /** JSON object (3.43). */
  metadata: string
  /** The folder (backup id) holding the data; null: its own id. */
  service_metadata: string | null
  /** JSON: { metadata, image, bootable } of the volume when it was backed up. */
  volume_meta: string
  data_timestamp: string
  created_at: string
  updated_at: string | null
}

export interface GroupTypesTable {
  id: string
  name: string
  description: string | null
  is_public: number
  created_at: string
  updated_at: string | null
}

export interface GroupTypeSpecsTable {
  group_type_id: string
  key: string
  value: string
}

export interface GroupsTable {
  id: string
  project_id: string
  user_id: string
  name: string | null
  description: string | null
  status: string
  availability_zone: string
  group_type_id: string
  group_snapshot_id: string | null
  source_group_id: string | null
  host: string | null
  created_at: string
  updated_at: string | null
}

export interface GroupVolumeTypesTable {
  group_id: string
  volume_type_id: string
}

export interface GroupSnapshotsTable {
  id: string
  group_id: string
  project_id: string
  user_id: string
  name: string | null
  description: string | null
  status: string
  group_type_id: string
  created_at: string
  updated_at: string | null
}

/** A file an admin unmanaged: kept on its backend, no longer a volume or snapshot. */
export interface UnmanagedFilesTable {
  /** The backend's section. */
  backend: string
  name: string
  kind: 'volume' | 'snapshot'
  source_volume_id: string | null
  created_at: string
}

export interface VolumeDatabase {
  volume_unmanaged_files: UnmanagedFilesTable
  group_types: GroupTypesTable
  group_type_specs: GroupTypeSpecsTable
  volume_groups: GroupsTable
  group_volume_types: GroupVolumeTypesTable
  group_snapshots: GroupSnapshotsTable
  backups: BackupsTable
  volume_type_encryption: TypeEncryptionTable
  volume_messages: MessagesTable
  qos_specs: QosSpecsTable
  qos_specs_keys: QosSpecsKeysTable
  volume_transfers: TransfersTable
  volumes: VolumesTable
  volume_metadata: KeyValueTable
  volume_admin_metadata: KeyValueTable
  volume_glance_metadata: KeyValueTable
  volume_types: VolumeTypesTable
  volume_type_extra_specs: VolumeTypeExtraSpecsTable
  volume_type_projects: VolumeTypeProjectsTable
  snapshots: SnapshotsTable
  snapshot_metadata: SnapshotMetadataTable
  volume_attachment: VolumeAttachmentTable
  volume_quotas: QuotaTable
  volume_quota_classes: QuotaClassTable
  volume_quota_locks: QuotaLockTable
  volume_services: ServicesTable
  volume_default_types: DefaultTypesTable
}
