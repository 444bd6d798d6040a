/**
 * The image service's configuration, with Glance's option names and sections
 * (glance/common/config.py, glance_store's filesystem driver, [image_format]).
 * Cloudlet-only knobs live in [image_quota] and say so in their help.
 */
import { type ConfigOf, defineSections, opt } from '../../kernel/config/index.js'
import type { HostConfig } from '../../kernel/host/index.js'

export const DISK_FORMATS = [
  'ami',
  'ari',
  'aki',
  'vhd',
  'vhdx',
  'vmdk',
  'raw',
  'qcow2',
  'vdi',
  'iso',
  'ploop',
] as const
export const CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'] as const

export const IMPORT_METHODS = ['glance-direct', 'web-download', 'copy-image', 'glance-download'] as const

/** Port numbers from a list option; start-up refuses anything else. */
export function parsePorts(option: string, items: readonly string[]): number[] {
  const bad = items.find((p) => !/^\d+$/.test(p) || Number(p) > 65535)
  if (bad !== undefined) throw new Error(`[import_filtering_opts] ${option}: ${bad} is not a port number`)
  return items.map(Number)
}

/** The import methods offered; start-up refuses an unknown one. */
export function parseImportMethods(items: readonly string[]): string[] {
  const bad = items.find((m) => !(IMPORT_METHODS as readonly string[]).includes(m))
  if (bad !== undefined)
    throw new Error(
      `[DEFAULT] enabled_import_methods: unknown method ${bad}; known: ${IMPORT_METHODS.join(', ')}`,
    )
  return [...items]
}

/** A `user_storage_quota` value: a whole number with an optional unit. */
const STORAGE_QUOTA = /^\s*(\d+)\s*(B|KB|MB|GB|TB)?\s*$/i

/** The file store an `enabled_backends` item `<id>:file` names, e.g. `fast`. */
function storeOf(type: string): (item: string) => string | undefined {
  return (item) => {
    const [id, t] = item.split(':').map((s) => s.trim())
    return t === type && id ? id : undefined
  }
}

/**
 * A file store's own section, `[<id>]`, as glance_store's filesystem driver reads it in
 * multi-store mode (e.g. `[fast] filesystem_store_datadir = /srv/fast`).
 */
export const fileStoreSection = {
  namedBy: { section: 'DEFAULT', option: 'enabled_backends' },
  sectionOf: storeOf('file'),
  kind: 'image file store',
  options: {
    filesystem_store_datadir: opt.str({
      help: 'Where this store keeps its image data (relative paths are inside the data directory). Unset: <[glance_store] filesystem_store_datadir or data-dir/images>/<id>.',
    }),
    store_description: opt.str({
      help: 'What /v2/info/stores says of this store. Unset: "file store <id>".',
    }),
  },
} as const

/** An http store's own section, `[<id>]` (read-only; locations are read through the guarded fetch). */
export const httpStoreSection = {
  namedBy: { section: 'DEFAULT', option: 'enabled_backends' },
  sectionOf: storeOf('http'),
  kind: 'image http store',
  options: {
    store_description: opt.str({
      help: 'What /v2/info/stores says of this store. Unset: "http store <id>".',
    }),
  },
} as const

export const imageConfig = defineSections(
  {
    DEFAULT: {
      enabled_backends: opt.list({
        default: [],
        shared: true,
        help: "Image stores as <id>:<type> (file, or http for the read-only http store), e.g. fast:file, cheap:file; each has a section [<id>] (filesystem_store_datadir, store_description). Unset: one file store, [glance_store] default_store. Items without a type are the volume service's backends (Cinder's form of the same option).",
      }),
      image_size_cap: opt.int({
        default: 1099511627776,
        min: 0,
        help: 'Largest image a user may upload, in bytes. @default 1 TiB',
      }),
      user_storage_quota: opt.str({
        default: '0',
        validate: (text) =>
          STORAGE_QUOTA.test(text) ? undefined : 'must be a size such as 0, 512MB or 10GB',
        help: 'Total image data a project may store, with an optional unit (B, KB, MB, GB, TB); 0 is unlimited.',
      }),
      image_member_quota: opt.int({ default: 128, min: -1, help: 'Members per image; -1 is unlimited.' }),
      image_property_quota: opt.int({
        default: 128,
        min: -1,
        help: 'Custom properties per image; -1 is unlimited.',
      }),
      image_tag_quota: opt.int({ default: 128, min: -1, help: 'Tags per image; -1 is unlimited.' }),
      limit_param_default: opt.int({ default: 25, min: 1, help: 'Default page size of image lists.' }),
      api_limit_max: opt.int({ default: 1000, min: 1, help: 'Largest page size a client may ask for.' }),
      show_image_direct_url: opt.bool({
        default: false,
        help: 'Show direct_url to administrators (never to other users, see OSSN-0065).',
      }),
      show_multiple_locations: opt.bool({
        default: false,
        help: 'Show and manage locations as an administrator (never shown to other users, see OSSN-0090).',
      }),
      image_cache_dir: opt.str({
        help: 'Directory of the local image cache (relative paths are inside the data directory); when set, the cache API (/v2/cache) is offered and downloads prefer cached copies.',
      }),
      use_keystone_limits: opt.bool({
        default: false,
        help: "Enforce image quotas from identity's unified limits (image_size_total, image_stage_total, image_count_total, image_count_uploading) instead of user_storage_quota and [image_quota].",
      }),
      enabled_import_methods: opt.list({
        default: ['glance-direct'],
        help: 'Interoperable import methods offered: glance-direct, web-download, copy-image, glance-download.',
      }),
      image_cache_max_size: opt.int({
        default: 10737418240,
        min: 0,
        help: 'Bytes the image cache may hold; the pruner removes least recently used copies beyond it. @default 10 GiB',
      }),
    },
    glance_store: {
      filesystem_store_datadir: opt.str({
        default: undefined,
        help: 'Where image data lives with one store; with [DEFAULT] enabled_backends, the directory under which a file store without its own filesystem_store_datadir keeps <id>/. Unset: <data-dir>/images.',
      }),
      default_store: opt.str({
        default: 'local',
        help: 'The id of the one store (without [DEFAULT] enabled_backends) reported in /v2/info/stores.',
      }),
      default_backend: opt.str({
        help: 'With enabled_backends: the store uploads and imports go to when none is named; unset: the first file store.',
      }),
    },
    import_filtering_opts: {
      allowed_schemes: opt.list({ default: ['http', 'https'], help: 'URL schemes web-download may fetch.' }),
      disallowed_schemes: opt.list({
        default: [],
        help: 'URL schemes refused (when allowed_schemes is empty).',
      }),
      allowed_hosts: opt.list({ default: [], help: 'When set, the only hosts web-download may fetch from.' }),
      disallowed_hosts: opt.list({ default: [], help: 'Hosts refused (when allowed_hosts is empty).' }),
      allowed_ports: opt.list({
        default: ['80', '443'],
        help: 'When set, the only ports web-download may connect to.',
      }),
      disallowed_ports: opt.list({ default: [], help: 'Ports refused (when allowed_ports is empty).' }),
      allowed_internal_hosts: opt.list({
        default: [],
        help: 'Cloudlet (OSSN-0078): hosts, by name or literal address, that web-download and http locations may reach although they resolve to loopback, link-local, private or unspecified addresses; every other such host is refused, at every redirect hop.',
      }),
    },
    glance_download_properties: {
      extra_properties: opt.list({
        default: ['hw_', 'trait:', 'os_distro', 'os_secure_boot', 'os_type'],
        help: 'Properties glance-download copies from the source image (a name ending in _ or : is a prefix).',
      }),
    },
    os_glance_staging_store: {
      filesystem_store_datadir: opt.str({
        default: undefined,
        help: 'Where staged (glance-direct) data waits for import; unset: <data-dir>/staging.',
      }),
    },
    image_format: {
      disk_formats: opt.list({ default: [...DISK_FORMATS], help: 'Disk formats images may declare.' }),
      container_formats: opt.list({
        default: [...CONTAINER_FORMATS],
        help: 'Container formats images may declare.',
      }),
    },
    oslo_limit: {
      endpoint_id: opt.str({
        help: 'The catalog endpoint whose service and region own the unified limits image reads; unset: found by endpoint_service_type and endpoint_region_name.',
      }),
      endpoint_service_type: opt.str({
        default: 'image',
        help: 'The service type whose unified limits image reads.',
      }),
      endpoint_region_name: opt.str({ help: 'The region of the endpoint whose unified limits image reads.' }),
    },
    image_quota: {
      image_count_total: opt.int({
        default: -1,
        min: -1,
        help: 'Cloudlet: images a project may own (the unified-limit name); -1 is unlimited.',
      }),
      image_size_total: opt.int({
        default: -1,
        min: -1,
        help: 'Cloudlet: MiB of image data a project may store (the unified-limit name); -1 is unlimited.',
      }),
    },
  },
  { named: [fileStoreSection, httpStoreSection] },
)

/** What the image service reads: its own sections and the host's ([DEFAULT], [oslo_policy], [cors]). */
export type ImageServiceConfig = ConfigOf<typeof imageConfig> & HostConfig

/** Parses `user_storage_quota` ("0", "10GB", "512 MB") into bytes; 0 means unlimited. */
export function parseStorageQuota(text: string): number {
  const m = STORAGE_QUOTA.exec(text)
  if (!m) throw new Error(`invalid user_storage_quota: ${text}`)
  const unit = (m[2] ?? 'B').toUpperCase()
  const mult = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 }[unit] ?? 1
  return Number(m[1]) * mult
}
