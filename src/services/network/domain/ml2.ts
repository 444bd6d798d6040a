/**
 * ML2's type drivers: which network types may exist, what a provider segment must say,
 * and segmentation ids handed out race-free. An id is claimed by inserting
 * (type, physical network, id) under a unique key; the writer whose insert lands owns it,
 * so concurrent creates (in any process) never share a VNI or VLAN. A project network
 * gets the first of `[ml2] tenant_network_types` that still has a free id; when none has,
 * the error names the type, the configured ranges and the option that widens them.
 *
 *   type     physical network             segmentation id            ranges from
 *   local    none                         none                       -
 *   flat     [ml2_type_flat] flat_networks none (one network each)   -
 *   vlan     [ml2_type_vlan] ranges        1-4094                     network_vlan_ranges
 *   vxlan    none                         1-16777215                 [ml2_type_vxlan] vni_ranges
 *   geneve   none                         1-16777215                 [ml2_type_geneve] vni_ranges
 *   gre      none                         1-4294967295               [ml2_type_gre] tunnel_id_ranges
 */

import type { NetworkConfig } from '../config.js'
import { flatNetworkInUse, invalidInput, noNetworkAvailable, segmentationIdInUse } from '../errors.js'
import type { NetworkStore } from '../storage/index.js'

export interface Segment {
  network_type: string
  physical_network: string | null
  segmentation_id: number | null
}

interface Range {
  min: number
  max: number
}

const TUNNEL_MAX: Record<string, number> = { vxlan: 16777215, geneve: 16777215, gre: 4294967295 }
const TUNNEL_OPTION: Record<string, [section: string, option: string]> = {
  vxlan: ['ml2_type_vxlan', 'vni_ranges'],
  geneve: ['ml2_type_geneve', 'vni_ranges'],
  gre: ['ml2_type_gre', 'tunnel_id_ranges'],
}

function parseRange(text: string, what: string, max: number): Range {
  const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(text)
  if (!m) throw new Error(`${what}: '${text}' is not <min>:<max>`)
  const min = Number(m[1])
  const hi = Number(m[2])
  if (min < 1 || hi > max || min > hi)
    throw new Error(`${what}: '${text}' must be within 1:${max} with min <= max`)
  return { min, max: hi }
}

export class Ml2 {
  readonly typeDrivers: ReadonlySet<string>
  readonly tenantTypes: readonly string[]
  private readonly flat: readonly string[]
  private readonly vlan = new Map<string, Range[]>()
  private readonly tunnels = new Map<string, Range[]>()
  private readonly config: NetworkConfig

  constructor(config: NetworkConfig) {
    this.config = config
    this.typeDrivers = new Set(config.ml2.type_drivers)
    this.tenantTypes = config.ml2.tenant_network_types
    for (const t of this.tenantTypes)
      if (!this.typeDrivers.has(t))
        throw new Error(`[ml2] tenant_network_types: '${t}' is not one of [ml2] type_drivers`)
    this.flat = config.ml2_type_flat.flat_networks
    for (const entry of config.ml2_type_vlan.network_vlan_ranges) {
      const [physnet, lo, hi] = entry.split(':')
      if (!physnet)
        throw new Error(`[ml2_type_vlan] network_vlan_ranges: '${entry}' names no physical network`)
      const ranges = this.vlan.get(physnet) ?? []
      if (lo !== undefined)
        ranges.push(parseRange(`${lo}:${hi}`, '[ml2_type_vlan] network_vlan_ranges', 4094))
      this.vlan.set(physnet, ranges)
    }
    const tunnelRanges: Record<string, readonly string[]> = {
      vxlan: config.ml2_type_vxlan.vni_ranges,
      geneve: config.ml2_type_geneve.vni_ranges,
      gre: config.ml2_type_gre.tunnel_id_ranges,
    }
    for (const [type, list] of Object.entries(tunnelRanges)) {
      const [section, option] = TUNNEL_OPTION[type]!
      this.tunnels.set(
        type,
        list.map((r) => parseRange(r, `[${section}] ${option}`, TUNNEL_MAX[type]!)),
      )
    }
  }

  /** The MTU of a network of this type (overlays lose their encapsulation). */
  mtuOf(type: string): number {
    const phys = this.config.DEFAULT.global_physnet_mtu
    const path = this.config.ml2.path_mtu || phys
    switch (type) {
      case 'vxlan':
        return path - 50
      case 'geneve':
        return path - 20 - this.config.ml2_type_geneve.max_header_size
      case 'gre':
        return path - 42
      default:
        return phys
    }
  }

  /** Checks a provider segment as an admin gave it; answers it normalised. */
  validateProvider(seg: Partial<Segment>): Segment {
    const type = seg.network_type
    if (!type || !this.typeDrivers.has(type))
      throw invalidInput(`network_type value '${type ?? ''}' not supported`)
    const physnet = seg.physical_network ?? null
    const segId = seg.segmentation_id ?? null
    switch (type) {
      case 'local':
        if (physnet) throw invalidInput('provider:physical_network specified for local network')
        if (segId !== null) throw invalidInput('provider:segmentation_id specified for local network')
        break
      case 'flat':
        if (!physnet) throw invalidInput('provider:physical_network required for flat provider network')
        if (segId !== null) throw invalidInput('provider:segmentation_id specified for flat network')
        if (!this.flat.includes('*') && !this.flat.includes(physnet))
          throw invalidInput(`physical_network '${physnet}' unknown for flat provider network`)
        break
      case 'vlan':
        if (!physnet) throw invalidInput('provider:physical_network required for VLAN provider network')
        if (!this.vlan.has(physnet))
          throw invalidInput(`physical_network '${physnet}' unknown for VLAN provider network`)
        if (segId !== null && (segId < 1 || segId > 4094))
          throw invalidInput(`provider:segmentation_id out of range (1 through 4094)`)
        break
      default: {
        if (physnet) throw invalidInput(`provider:physical_network specified for ${type} network`)
        const max = TUNNEL_MAX[type]
        if (max && segId !== null && (segId < 1 || segId > max))
          throw invalidInput(`provider:segmentation_id out of range (1 through ${max})`)
      }
    }
    return { network_type: type, physical_network: physnet, segmentation_id: segId }
  }

  /** Claims a provider segment's id (or allocates one in its ranges). */
  async reserve(s: NetworkStore, networkId: string, seg: Segment): Promise<Segment> {
    const row = (id: number) => ({
      network_type: seg.network_type,
      physical_network: seg.physical_network ?? '',
      segmentation_id: id,
      network_id: networkId,
    })
    if (seg.network_type === 'local') return seg
    if (seg.network_type === 'flat') {
      if (!(await s.segmentIds.tryClaim(row(0)))) throw flatNetworkInUse(seg.physical_network!)
      return seg
    }
    if (seg.segmentation_id !== null) {
      if (!(await s.segmentIds.tryClaim(row(seg.segmentation_id))))
        throw segmentationIdInUse(seg.network_type, seg.segmentation_id, seg.physical_network ?? undefined)
      return seg
    }
    const ranges =
      seg.network_type === 'vlan'
        ? this.vlan.get(seg.physical_network!)!
        : (this.tunnels.get(seg.network_type) ?? [])
    const id = await this.claimFree(s, seg.network_type, seg.physical_network ?? '', ranges, networkId)
    if (id === undefined)
      throw noNetworkAvailable(this.exhausted(seg.network_type, seg.physical_network ?? ''))
    return { ...seg, segmentation_id: id }
  }

  /** A project network's segment: the first tenant type with a free id. */
  async allocateTenant(s: NetworkStore, networkId: string): Promise<Segment> {
    const reasons: string[] = []
    for (const type of this.tenantTypes) {
      if (type === 'local') return { network_type: 'local', physical_network: null, segmentation_id: null }
      if (type === 'vlan') {
        for (const [physnet, ranges] of this.vlan) {
          if (!ranges.length) continue
          const id = await this.claimFree(s, 'vlan', physnet, ranges, networkId)
          if (id !== undefined)
            return { network_type: 'vlan', physical_network: physnet, segmentation_id: id }
        }
        reasons.push(this.exhausted('vlan', ''))
        continue
      }
      const ranges = this.tunnels.get(type)
      if (!ranges) continue
      const id = await this.claimFree(s, type, '', ranges, networkId)
      if (id !== undefined) return { network_type: type, physical_network: null, segmentation_id: id }
      reasons.push(this.exhausted(type, ''))
    }
    throw noNetworkAvailable(
      reasons.join(' ') || '[ml2] tenant_network_types names no type that allocates networks.',
    )
  }

  async release(s: NetworkStore, networkId: string): Promise<void> {
    await s.segmentIds.releaseNetwork(networkId)
  }

  /** The sentence naming what ran out and which option widens it. */
  exhausted(type: string, physnet: string): string {
    if (type === 'vlan') {
      const entries = this.config.ml2_type_vlan.network_vlan_ranges.filter(
        (e) => !physnet || e.startsWith(`${physnet}:`),
      )
      return `All VLANs of [ml2_type_vlan] network_vlan_ranges = ${entries.join(',') || '(none)'} are in use; widen network_vlan_ranges in [ml2_type_vlan] to allow more vlan networks.`
    }
    const [section, option] = TUNNEL_OPTION[type] ?? ['ml2', 'tenant_network_types']
    const ranges = this.tunnels.get(type) ?? []
    const total = ranges.reduce((n, r) => n + r.max - r.min + 1, 0)
    const text = ranges.map((r) => `${r.min}:${r.max}`).join(',') || '(none)'
    return `All ${total} ${type} segmentation ids of [${section}] ${option} = ${text} are in use; widen ${option} in [${section}] to allow more ${type} networks.`
  }

  private async claimFree(
    s: NetworkStore,
    type: string,
    physnet: string,
    ranges: readonly Range[],
    networkId: string,
  ): Promise<number | undefined> {
    const tried = new Set<number>()
    for (let round = 0; round < 50; round++) {
      const taken = await s.segmentIds.idsOf(type, physnet)
      const free: number[] = []
      for (const r of ranges) {
        for (let id = r.min; id <= r.max && free.length < 32; id++)
          if (!taken.has(id) && !tried.has(id)) free.push(id)
        if (free.length >= 32) break
      }
      if (!free.length) return undefined
      // NOTE: a random pick among the first free ids keeps concurrent writers apart.
      const id = free[Math.floor(Math.random() * free.length)]!
      tried.add(id)
      if (
        await s.segmentIds.tryClaim({
          network_type: type,
          physical_network: physnet,
          segmentation_id: id,
          network_id: networkId,
        })
      )
        return id
    }
    return undefined
  }
}
