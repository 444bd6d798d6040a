/**
 * The block storage service's configuration, with Cinder's option names and sections
 * (cinder/common/config.py, cinder/quota.py, the volume manager's backend options).
 * Cinder's `default_availability_zone` is not declared: compute owns that [DEFAULT]
 * name in this program; `storage_availability_zone` serves for both here.
 */
import { type ConfigOf, defineSections, type NamedSections, opt } from '../../kernel/config/index.js'
import type { HostConfig } from '../../kernel/host/index.js'

/** The options of a backend's section, `[file]` and every other `[<name>]` enabled_backends names. */
const backendOptions = {
  volume_driver: opt.str({
    default: 'cloudlet.volume.drivers.file.FileDriver',
    help: "The driver of this backend: the file driver (sparse raw files, one pool), or cinder.volume.drivers.rbd.RBDDriver, Cloudlet's pool-based driver that behaves like Ceph RBD (thin pools, each a directory of sparse files).",
  }),
  rbd_pool: opt.str({
    default: 'rbd',
    help: 'RBD driver: the pool of the backend when rbd_pools is unset.',
  }),
  rbd_pools: opt.list({
    default: [],
    help: "RBD driver, Cloudlet's: the backend's pools, each `name` or `name:capacity_gb` (a pool without a capacity reports its file system's); each is a directory under volumes_dir. Unset: one pool, rbd_pool.",
  }),
  filter_function: opt.str({
    help: 'An expression the DriverFilter evaluates for this backend (volume.size, capabilities.*, stats.*, extra.*, qos.*); false removes the backend.',
  }),
  goodness_function: opt.str({
    help: 'An expression the GoodnessWeigher evaluates for this backend, 0 to 100 (same variables as filter_function).',
  }),
  volume_backend_name: opt.str({
    help: 'The backend name volume types select with extra spec volume_backend_name (also the pool name); unset: the section name.',
  }),
  volumes_dir: opt.str({
    help: 'Where the backend keeps its sparse raw files, relative to the data directory unless absolute; unset: <data-dir>/volumes for [file], <data-dir>/volumes-<name> for the others.',
  }),
  reserved_percentage: opt.int({ default: 0, min: 0, max: 100, help: 'Capacity kept free, in percent.' }),
  max_over_subscription_ratio: opt.float({
    default: 20,
    min: 1,
    help: 'How far provisioned capacity may exceed the real one (thin provisioning).',
  }),
  total_capacity_gb: opt.int({
    help: 'Capacity reported for the backend (file driver); unset: the size of the file system holding volumes_dir.',
  }),
} as const

/**
 * A backend's own section, `[<name>]`, for every bare item of `[DEFAULT] enabled_backends`
 * other than `file` (declared as a section of its own); items written `<id>:<type>` are
 * the image service's stores.
 */
export const volumeBackendSection: NamedSections<typeof backendOptions> = {
  namedBy: { section: 'DEFAULT', option: 'enabled_backends' },
  sectionOf: (item) => {
    const name = item.trim()
    return name && !name.includes(':') && name.toLowerCase() !== 'file' ? name : undefined
  },
  kind: 'volume backend',
  options: backendOptions,
}

export const volumeConfig = defineSections(
  {
    DEFAULT: {
      storage_availability_zone: opt.str({
        default: 'nova',
        help: 'The availability zone of this volume service; also the zone of volumes created without one.',
      }),
      allow_availability_zone_fallback: opt.bool({
        default: false,
        help: 'A volume asked for in an unknown zone goes to storage_availability_zone instead of failing.',
      }),
      default_volume_type: opt.str({
        default: '__DEFAULT__',
        help: 'The volume type of volumes created without one (and without a project default).',
      }),
      enabled_backends: opt.list({
        default: [],
        shared: true,
        help: 'The volume backends this service runs, each configured by the section of its name ([file] and, for any other name, [<name>]); unset: file. Items written <id>:<type> are image stores, which the image service reads from the same option.',
      }),
      scheduler_default_filters: opt.list({
        default: ['AvailabilityZoneFilter', 'CapacityFilter', 'CapabilitiesFilter'],
        help: 'The scheduler filters a volume create or retype runs, in order (AvailabilityZoneFilter, CapacityFilter, CapabilitiesFilter, DriverFilter).',
      }),
      scheduler_default_weighers: opt.list({
        default: ['CapacityWeigher'],
        help: 'The scheduler weighers (CapacityWeigher, GoodnessWeigher).',
      }),
      capacity_weight_multiplier: opt.float({
        default: 1,
        help: 'Multiplier of the CapacityWeigher (negative: stack volumes on the fullest pool).',
      }),
      goodness_weight_multiplier: opt.float({
        default: 1,
        help: "Cloudlet's: multiplier of the GoodnessWeigher.",
      }),
      osapi_max_limit: opt.int({ default: 1000, min: 1, help: 'Most items a list returns in one page.' }),
      quota_volumes: opt.int({ default: 10, min: -1, help: 'Volumes a project may have; -1 is unlimited.' }),
      quota_snapshots: opt.int({ default: 10, min: -1, help: 'Snapshots a project may have.' }),
      quota_gigabytes: opt.int({
        default: 1000,
        min: -1,
        help: 'GiB of volumes and snapshots a project may have.',
      }),
      quota_backups: opt.int({ default: 10, min: -1, help: 'Backups a project may have.' }),
      quota_backup_gigabytes: opt.int({ default: 1000, min: -1, help: 'GiB of backups a project may have.' }),
      quota_groups: opt.int({ default: 10, min: -1, help: 'Volume groups a project may have.' }),
      per_volume_size_limit: opt.int({
        default: -1,
        min: -1,
        help: 'Largest volume in GiB; -1 is unlimited.',
      }),
      no_snapshot_gb_quota: opt.bool({
        default: false,
        help: 'Snapshots do not count against the gigabytes quota.',
      }),
      backup_driver: opt.str({
        default: 'cinder.backup.drivers.posix.PosixBackupDriver',
        help: 'The backup driver; the directory (posix) driver is the one implemented.',
      }),
      backup_posix_path: opt.str({
        default: 'backups',
        help: 'Where the directory backup driver writes, relative to the data directory unless absolute.',
      }),
      allowed_direct_url_schemes: opt.list({
        default: [],
        help: "Schemes of an image's direct_url that a volume created from it is copied from directly, not downloaded through the image API; `file` is the one implemented (the image service must show direct_url: its show_image_direct_url).",
      }),
      message_ttl: opt.int({ default: 2592000, min: 1, help: 'Seconds a user message is kept.' }),
      use_default_quota_class: opt.bool({
        default: true,
        help: 'Defaults come from the `default` quota class when it sets them.',
      }),
    },
    file: backendOptions,
  },
  { named: [volumeBackendSection] },
)

/** What the block storage service reads: its own sections and the host's. */
export type VolumeConfig = ConfigOf<typeof volumeConfig> & HostConfig
