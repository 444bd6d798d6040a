/**
 * The provider tree a compute host should have in placement, computed from what its
 * driver reports and the agent's configuration; no I/O here (agent.ts writes it).
 *
 *   <host>                      root: the compute node
 *     inventories  VCPU, MEMORY_MB, DISK_GB (reserved amounts, allocation ratios),
 *                  MEM_ENCRYPTION_CONTEXT (SEV key slots, when the host has any)
 *     traits       COMPUTE_NODE, the driver's capability traits, the CPU model's
 *                  HW_CPU_X86_*, HW_CPU_X86_AMD_SEV, COMPUTE_STATUS_DISABLED (disabled)
 *   ├─ <host>_<address>         one per PCI device (type-PCI, type-PF) or per PF of VFs
 *   │    inventory  CUSTOM_PCI_<VENDOR>_<PRODUCT>: 1, or the PF's VF count
 *   │    traits     COMPUTE_MANAGED_PCI_DEVICE
 *   └─ …
 *
 * Provider uuids are derived from the provider name, so every process (conductor,
 * scheduler, a restarted agent) can name a host's provider without asking placement.
 */
import { createHash } from 'node:crypto'
import type { ComputeAgentConfig } from './config.js'
import { cpuTraits } from './drivers/cpu-models.js'
import {
  capabilityTraits,
  type DriverCapabilities,
  type HostResources,
  type PciDevice,
} from './drivers/driver.js'
import type { Inventories, Inventory } from './placement-client.js'

export interface ProviderPlan {
  name: string
  uuid: string
  /** Children name their parent; the root has none. */
  parentUuid?: string
  inventories: Inventories
  /** The traits the agent manages on this provider (CUSTOM_* traits others set are kept). */
  traits: string[]
}

export interface TreePlan {
  root: ProviderPlan
  children: ProviderPlan[]
  /** CUSTOM_* resource classes the inventories use: they must exist first. */
  customResourceClasses: string[]
}

export type RatioOptions = Pick<
  ComputeAgentConfig['DEFAULT'],
  | 'cpu_allocation_ratio'
  | 'ram_allocation_ratio'
  | 'disk_allocation_ratio'
  | 'initial_cpu_allocation_ratio'
  | 'initial_ram_allocation_ratio'
  | 'initial_disk_allocation_ratio'
  | 'reserved_host_memory_mb'
  | 'reserved_host_disk_mb'
  | 'reserved_host_cpus'
>

export interface PlanInput {
  host: string
  resources: HostResources
  capabilities: Readonly<DriverCapabilities>
  /** The service is disabled: the root gets COMPUTE_STATUS_DISABLED. */
  disabled: boolean
  options: RatioOptions
  /** The root's inventories as placement has them now (undefined: a new provider). */
  current?: Inventories
}

/** A name-based uuid (SHA-1, version 5 layout) in Cloudlet's namespace for providers. */
export function providerUuid(name: string): string {
  const h = createHash('sha1').update(`cloudlet:resource-provider:${name}`).digest()
  h[6] = (h[6]! & 0x0f) | 0x50
  h[8] = (h[8]! & 0x3f) | 0x80
  const hex = h.subarray(0, 16).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** The resource class of a PCI device in placement: `CUSTOM_PCI_<VENDOR>_<PRODUCT>`. */
export function pciResourceClass(device: Pick<PciDevice, 'vendorId' | 'productId'>): string {
  return `CUSTOM_PCI_${device.vendorId.toUpperCase()}_${device.productId.toUpperCase()}`
}

/** The name of the provider of a PCI device (or of a PF's VFs). */
export function pciProviderName(host: string, address: string): string {
  return `${host}_${address}`
}

/**
 * The allocation ratio to write: the configured one when set above 0; otherwise what
 * placement has (an operator may have set it there); for a new provider, the initial one.
 */
export function allocationRatio(
  configured: number | undefined,
  current: number | undefined,
  initial: number,
): number {
  if (configured !== undefined && configured > 0) return configured
  if (current !== undefined) return current
  return initial
}

function inventory(total: number, reserved: number, ratio: number, maxUnit = total): Inventory {
  return {
    total,
    // NOTE: placement refuses reserved above total; a small simulated host with the
    // default 512 MiB reserved must still report, with nothing left to give.
    reserved: Math.min(reserved, total),
    min_unit: 1,
    max_unit: maxUnit,
    step_size: 1,
    allocation_ratio: ratio,
  }
}

export function planTree(input: PlanInput): TreePlan {
  const { host, resources: r, options: o, current } = input
  const root: ProviderPlan = {
    name: host,
    uuid: providerUuid(host),
    inventories: {
      VCPU: inventory(
        r.vcpus,
        o.reserved_host_cpus,
        allocationRatio(
          o.cpu_allocation_ratio,
          current?.VCPU?.allocation_ratio,
          o.initial_cpu_allocation_ratio,
        ),
      ),
      MEMORY_MB: inventory(
        r.memoryMb,
        o.reserved_host_memory_mb,
        allocationRatio(
          o.ram_allocation_ratio,
          current?.MEMORY_MB?.allocation_ratio,
          o.initial_ram_allocation_ratio,
        ),
      ),
      DISK_GB: inventory(
        r.diskGb,
        Math.ceil(o.reserved_host_disk_mb / 1024),
        allocationRatio(
          o.disk_allocation_ratio,
          current?.DISK_GB?.allocation_ratio,
          o.initial_disk_allocation_ratio,
        ),
      ),
    },
    traits: ['COMPUTE_NODE', ...capabilityTraits(input.capabilities), ...cpuTraits(r.cpuModel)],
  }
  if (r.sevKeySlots > 0) {
    root.inventories.MEM_ENCRYPTION_CONTEXT = inventory(r.sevKeySlots, 0, 1.0)
    root.traits.push('HW_CPU_X86_AMD_SEV')
  }
  if (input.disabled) root.traits.push('COMPUTE_STATUS_DISABLED')
  root.traits = [...new Set(root.traits)].sort()

  // One provider per device, except VFs: one per PF, holding as many units as it has VFs.
  const groups = new Map<string, { devices: PciDevice[]; rc: string }>()
  for (const d of r.pciDevices) {
    const address = d.type === 'type-VF' ? (d.parentAddress ?? d.address) : d.address
    const g = groups.get(address) ?? { devices: [], rc: pciResourceClass(d) }
    g.devices.push(d)
    groups.set(address, g)
  }
  const children: ProviderPlan[] = []
  for (const [address, g] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const name = pciProviderName(host, address)
    children.push({
      name,
      uuid: providerUuid(name),
      parentUuid: root.uuid,
      inventories: { [g.rc]: inventory(g.devices.length, 0, 1.0) },
      traits: ['COMPUTE_MANAGED_PCI_DEVICE'],
    })
  }
  const customResourceClasses = [...new Set([...groups.values()].map((g) => g.rc))].sort()
  return { root, children, customResourceClasses }
}

/**
 * The traits to write on a provider: the agent's own, plus the CUSTOM_* traits others
 * (an operator) put there, which the agent never removes.
 */
export function mergeTraits(current: readonly string[], managed: readonly string[]): string[] {
  return [...new Set([...current.filter((t) => t.startsWith('CUSTOM_')), ...managed])].sort()
}

/** Two inventory sets say the same thing. */
export function sameInventories(a: Inventories, b: Inventories): boolean {
  const ka = Object.keys(a).sort()
  const kb = Object.keys(b).sort()
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false
  return ka.every((k) => {
    const x = a[k]!
    const y = b[k]!
    return (
      x.total === y.total &&
      x.reserved === y.reserved &&
      x.min_unit === y.min_unit &&
      x.max_unit === y.max_unit &&
      x.step_size === y.step_size &&
      Math.abs(x.allocation_ratio - y.allocation_ratio) < 1e-6
    )
  })
}
