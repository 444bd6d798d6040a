/**
 * The flavor extra specs the service knows, and their validation (from 2.86 on): a known
 * key must have a value of its kind; an unknown key in a known namespace (`hw:`,
 * `resources:`, `trait:`, ...) is refused; a key outside every namespace passes, since
 * operators and out-of-tree filters use their own.
 *
 * NOTE: the standard resource classes and traits are facts of the Placement API
 * (os-resource-classes, os-traits), kept with the placement service's data.
 */
import { STANDARD_RESOURCE_CLASSES } from '../../placement/data/standard-classes.js'
import { STANDARD_TRAITS } from '../../placement/data/standard-traits.js'
import { FlavorExtraSpecInvalid } from '../errors.js'

type ValueRule =
  | { type: 'int'; min?: number; max?: number }
  | { type: 'bool' }
  | { type: 'str'; pattern?: string; enum?: readonly string[] }

interface KnownSpec {
  /** The key as documented, with `{param}` placeholders. */
  name: string
  /** The key as a regular expression (placeholders expanded). */
  regex: RegExp
  value: ValueRule
}

const CPU_MASK = '\\^?\\d+((-\\d+)?(,\\^?\\d+(-\\d+)?)?)*'
const GROUP = '([a-zA-Z0-9_-]{1,64})?'

function spec(name: string, value: ValueRule, params: Record<string, string> = {}): KnownSpec {
  let source = name.replace(/[.+?^$()[\]\\|]/g, (c) => (c === '{' || c === '}' ? c : `\\${c}`))
  for (const [param, pattern] of Object.entries(params)) source = source.replace(`{${param}}`, `(${pattern})`)
  return { name, regex: new RegExp(`^(?:${source})$`), value }
}

const int = (min?: number, max?: number): ValueRule => ({
  type: 'int',
  ...(min === undefined ? {} : { min }),
  ...(max === undefined ? {} : { max }),
})
const bool: ValueRule = { type: 'bool' }
const str = (pattern?: string): ValueRule => ({ type: 'str', ...(pattern ? { pattern } : {}) })
const oneOf = (...values: string[]): ValueRule => ({ type: 'str', enum: values })

const CAPABILITIES = [
  'id',
  'uuid',
  'service_id',
  'host',
  'vcpus',
  'memory_mb',
  'local_gb',
  'vcpus_used',
  'memory_mb_used',
  'local_gb_used',
  'hypervisor_type',
  'hypervisor_version',
  'hypervisor_hostname',
  'free_ram_mb',
  'free_disk_gb',
  'current_workload',
  'running_vms',
  'disk_available_least',
  'host_ip',
  'mapped',
  'cpu_allocation_ratio',
  'ram_allocation_ratio',
  'disk_allocation_ratio',
  'total_usable_ram_mb',
  'total_usable_disk_gb',
  'disk_mb_used',
  'free_disk_mb',
  'vcpus_total',
  'num_instances',
  'num_io_ops',
  'failed_builds',
  'aggregates',
  'cell_uuid',
  'updated',
]
const NESTED_CAPABILITIES = [
  'cpu_info',
  'metrics',
  'stats',
  'numa_topology',
  'supported_hv_specs',
  'pci_device_pools',
  'nodename',
  'pci_stats',
  'supported_instances',
  'limits',
  'instances',
]

function known(): KnownSpec[] {
  const out: KnownSpec[] = [
    spec('accel:device_profile', str()),
    spec('aggregate_instance_extra_specs:{key}', str(), { key: '.+' }),
    ...CAPABILITIES.map((c) => spec(`capabilities:${c}`, str())),
    ...NESTED_CAPABILITIES.map((c) => spec(`capabilities:${c}{filter}`, str(), { filter: '(:\\w+)*' })),
    spec('hw:cpu_realtime', bool),
    spec('hw:cpu_realtime_mask', str(`(\\^)?\\d+((-\\d+)?(,\\^?\\d+(-\\d+)?)?)*`)),
    spec('hw:hide_hypervisor_id', bool),
    spec('hw:cpu_policy', oneOf('dedicated', 'shared', 'mixed')),
    spec('hw:cpu_thread_policy', oneOf('prefer', 'isolate', 'require')),
    spec('hw:emulator_threads_policy', oneOf('isolate', 'share')),
    spec('hw:cpu_dedicated_mask', str(CPU_MASK)),
    spec('hw:mem_page_size', str('(large|small|any|\\d+([kKMGT]i?)?(b|bit|B)?)')),
    spec('hw:locked_memory', bool),
    spec('hw:numa_nodes', int(1)),
    spec('hw:numa_cpus.{num}', str(CPU_MASK), { num: '\\d+' }),
    spec('hw:numa_mem.{num}', int(1), { num: '\\d+' }),
    spec('hw:pci_numa_affinity_policy', oneOf('required', 'preferred', 'legacy', 'socket')),
    spec('hw:cpu_sockets', int(1)),
    spec('hw:cpu_cores', int(1)),
    spec('hw:cpu_threads', int(1)),
    spec('hw:max_cpu_sockets', int(1)),
    spec('hw:max_cpu_cores', int(1)),
    spec('hw:max_cpu_threads', int(1)),
    spec('hw:boot_menu', bool),
    spec('hw:vif_multiqueue_enabled', bool),
    spec('hw:mem_encryption', bool),
    spec('hw:pmem', str('([a-zA-Z0-9_]+(,)?)+')),
    spec('hw:pmu', bool),
    spec('hw:serial_port_count', int(0)),
    spec('hw:tpm_model', oneOf('tpm-tis', 'tpm-crb')),
    spec('hw:tpm_version', oneOf('1.2', '2.0')),
    spec('hw:watchdog_action', oneOf('none', 'pause', 'poweroff', 'reset', 'disabled')),
    spec('hw:viommu_model', oneOf('intel', 'smmuv3', 'virtio', 'auto')),
    spec('hw:ephemeral_encryption', bool),
    spec('hw:ephemeral_encryption_format', oneOf('luks', 'plain')),
    spec('hw_rng:allowed', bool),
    spec('hw_rng:rate_bytes', int(0)),
    spec('hw_rng:rate_period', int(0)),
    spec('hw_video:ram_max_mb', int(0)),
    spec('hide_hypervisor_id', bool),
    spec('group_policy', oneOf('isolate', 'none')),
    spec('os:secure_boot', oneOf('disabled', 'required')),
    spec('os:resolution', oneOf('1024x768', '1280x1024', '1600x1200', '1920x1200', '2560x1600', '3840x2160')),
    spec('os:monitors', int(1, 8)),
    spec('os:vram', oneOf('64', '128', '256', '512', '1024')),
    spec('pci_passthrough:alias', str('[^:]+:\\d+(?:\\s*,\\s*[^:]+:\\d+)*')),
    spec('quota:cpu_shares', int(0)),
    spec('quota:cpu_period', int(0)),
    spec('quota:cpu_quota', int()),
    spec('vmware:hw_version', str()),
    spec('vmware:storage_policy', str()),
  ]
  for (const key of ['cpu', 'memory', 'disk_io', 'vif']) {
    out.push(
      spec(`quota:${key}_limit`, int(0)),
      spec(`quota:${key}_reservation`, int()),
      spec(`quota:${key}_shares_level`, oneOf('custom', 'high', 'normal', 'low')),
      spec(`quota:${key}_shares_share`, int(0)),
    )
  }
  for (const stat of ['read', 'write', 'total'])
    for (const metric of ['bytes', 'iops']) out.push(spec(`quota:disk_${stat}_${metric}_sec`, int(0)))
  for (const stat of ['inbound', 'outbound'])
    for (const metric of ['average', 'peak', 'burst']) out.push(spec(`quota:vif_${stat}_${metric}`, int(0)))
  out.push(spec('resources{group}:CUSTOM_{resource}', int(), { group: GROUP, resource: '[A-Z0-9_]+' }))
  for (const rc of STANDARD_RESOURCE_CLASSES)
    out.push(spec(`resources{group}:${rc}`, int(), { group: GROUP }))
  const trait = oneOf('required', 'forbidden')
  out.push(spec('trait{group}:CUSTOM_{trait}', trait, { group: GROUP, trait: '[A-Z0-9_]+' }))
  for (const t of STANDARD_TRAITS) out.push(spec(`trait{group}:${t}`, trait, { group: GROUP }))
  return out
}

const KNOWN = known()
const BY_NAME = new Map(KNOWN.map((k) => [k.name, k]))
/** The namespaces (what precedes the first colon) of the known keys, as patterns. */
const NAMESPACES = [
  ...new Set(KNOWN.filter((k) => k.name.includes(':')).map((k) => k.name.split(':')[0]!)),
].map((ns) => new RegExp(`^(?:${ns.replace('{group}', GROUP)})$`))

/** Throws FlavorExtraSpecInvalid unless the key and value are acceptable. */
export function validateExtraSpec(name: string, value: string): void {
  const rule = BY_NAME.get(name) ?? KNOWN.find((k) => k.regex.test(name))
  if (rule) {
    checkValue(rule.value, value)
    return
  }
  if (!name.includes(':')) return
  const namespace = name.split(':')[0]!
  if (NAMESPACES.some((ns) => ns.test(namespace)))
    throw new FlavorExtraSpecInvalid(
      `Validation failed; extra spec '${name}' does not appear to be a valid extra spec.`,
    )
}

const TRUE_FALSE = new Set(['1', 't', 'true', 'on', 'y', 'yes', '0', 'f', 'false', 'off', 'n', 'no'])

function checkValue(rule: ValueRule, value: string): void {
  if (rule.type === 'bool') {
    if (!TRUE_FALSE.has(value.trim().toLowerCase()))
      throw new FlavorExtraSpecInvalid(`Validation failed; '${value}' is not a valid boolean-like value.`)
    return
  }
  if (rule.type === 'int') {
    if (!/^\s*[+-]?\d+\s*$/.test(value))
      throw new FlavorExtraSpecInvalid(`Validation failed; '${value}' is not a valid integer value.`)
    const n = Number.parseInt(value, 10)
    if (rule.max !== undefined && n > rule.max)
      throw new FlavorExtraSpecInvalid(
        `Validation failed; '${n}' is greater than the max value of '${rule.max}'.`,
      )
    if (rule.min !== undefined && n < rule.min)
      throw new FlavorExtraSpecInvalid(
        `Validation failed; '${n}' is less than the min value of '${rule.min}'.`,
      )
    return
  }
  if (rule.pattern !== undefined) {
    if (!new RegExp(`^(?:${rule.pattern})$`).test(value))
      throw new FlavorExtraSpecInvalid(
        `Validation failed; '${value}' is not of the format '${rule.pattern}'.`,
      )
  } else if (rule.enum && !rule.enum.includes(value)) {
    throw new FlavorExtraSpecInvalid(`Validation failed; '${value}' is not one of: ${rule.enum.join(', ')}.`)
  }
}
