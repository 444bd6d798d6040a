/**
 * The scheduler's test harness: builders for hosts, snapshots and requests with sensible
 * defaults; a fake placement that answers allocation candidates from the snapshot (each
 * host one root provider); a fake claimer that records claims and can be told to lose
 * races; and helpers that run one filter or weigher over a table of hosts. Only tests
 * and benchmarks import it.
 */
import { type DeepPartial, defaultSchedulerConfig, type SchedulerConfig } from '../config.js'
import {
  type Claimer,
  CycleState,
  type FilterPlugin,
  isPreFilter,
  normalize,
  type Plugin,
  type SchedulerContext,
  type ScorePlugin,
  type Selection,
} from '../framework.js'
import { capacity, type HostState, type Resource, type Snapshot } from '../host-state.js'
import { parsePciAliases } from '../pci.js'
import type { PluginModule } from '../registry.js'
import { buildPlacementQuery, type Flavor, type RequestSpec } from '../request-spec.js'
import type { Candidate, Prepared } from '../runtime.js'

export const NOW = 1_900_000_000

/** A resource with no reservation, nothing used and ratio 1 unless said otherwise. */
export const res = (total: number, used = 0, allocationRatio = 1, reserved = 0): Resource => ({
  total,
  used,
  allocationRatio,
  reserved,
})

type HostInput = Partial<Omit<HostState, 'service'>> & {
  host: string
  service?: Partial<HostState['service']>
}

/** A healthy 16-vCPU, 64 GiB, 1 TiB KVM host named `host`, with any field overridden. */
export function makeHost(h: HostInput): HostState {
  const { service, ...rest } = h
  return {
    nodename: h.host,
    uuid: `rp-${h.host}`,
    resources: { VCPU: res(16), MEMORY_MB: res(65536), DISK_GB: res(1024) },
    traits: [],
    aggregates: [],
    instances: [],
    numIoOps: 0,
    metrics: [],
    pciPools: [],
    failedBuilds: 0,
    hypervisorType: 'QEMU',
    hypervisorVersion: 8002000,
    hypervisorHostname: h.host,
    supportedInstances: [['x86_64', 'qemu', 'hvm']],
    ...rest,
    service: { disabled: false, forcedDown: false, up: true, ...service },
  }
}

export const makeSnapshot = (hosts: HostState[], now = NOW): Snapshot => ({
  hosts,
  now,
  defaultAvailabilityZone: 'nova',
})

export const FLAVOR: Flavor = {
  name: 'm1.small',
  vcpus: 1,
  memoryMb: 2048,
  rootGb: 20,
  ephemeralGb: 0,
  swap: 0,
  extraSpecs: {},
}

type RequestInput = Partial<Omit<RequestSpec, 'flavor' | 'placement'>> & { flavor?: Partial<Flavor> }

/** A one-server request for m1.small by project `p1`; the placement query follows the flavor. */
export function makeRequest(r: RequestInput = {}): RequestSpec {
  const flavor = { ...FLAVOR, ...r.flavor }
  const image = r.image ?? { id: 'img-1', diskFormat: 'qcow2', properties: {} }
  return {
    instanceUuids: ['server-1'],
    projectId: 'p1',
    hints: {},
    ...r,
    flavor,
    image,
    placement: buildPlacementQuery(flavor, image),
  }
}

export const config = (overrides: DeepPartial<SchedulerConfig> = {}): SchedulerConfig =>
  defaultSchedulerConfig(overrides)

/** Builds one plugin module with the given options. */
export function plugin<T extends Plugin>(m: PluginModule, overrides: DeepPartial<SchedulerConfig> = {}): T {
  const c = config(overrides)
  return m.create({ config: c, pciAliases: parsePciAliases(c.pci.alias) }) as T
}

/**
 * A fake placement: the hosts of the snapshot whose root provider fits the query
 * (resources within capacity, required and forbidden traits, member_of, forbidden
 * aggregates, root traits). Suffixed groups are folded onto the root, which is all a
 * one-provider host has.
 */
export function fakePlacement(snapshot: Snapshot): (prepared: Prepared) => Candidate[] {
  return (prepared) => {
    const q = prepared.request.placement
    const out: Candidate[] = []
    for (const h of snapshot.hosts) {
      const want: Record<string, number> = {}
      let ok = true
      for (const g of q.groups) {
        for (const [rc, n] of Object.entries(g.resources)) want[rc] = (want[rc] ?? 0) + n
        if (!g.required.every((t) => h.traits.includes(t))) ok = false
        if (g.forbidden.some((t) => h.traits.includes(t))) ok = false
        const aggs = new Set(h.aggregates.map((a) => a.uuid))
        if (!g.memberOf.every((any) => any.some((u) => aggs.has(u)))) ok = false
      }
      if (q.rootRequired.some((t) => !h.traits.includes(t))) ok = false
      if (q.rootForbidden.some((t) => h.traits.includes(t))) ok = false
      if (h.aggregates.some((a) => q.forbiddenAggregates.includes(a.uuid))) ok = false
      for (const [rc, n] of Object.entries(want)) {
        const r = h.resources[rc]
        if (!r || capacity(r) - r.used < n) ok = false
      }
      if (ok)
        out.push({
          rootProviderUuid: h.uuid,
          allocationRequest: { allocations: { [h.uuid]: { resources: want } } },
        })
    }
    return out
  }
}

/**
 * A fake claimer (the harness's planner): records every claim and release, and refuses
 * the hosts in `conflicts` as if another scheduler had claimed them first.
 */
export class FakeClaimer implements Claimer {
  readonly claims: { consumer: string; host: string }[] = []
  readonly releases: { consumer: string; host: string }[] = []
  constructor(readonly conflicts: Set<string> = new Set()) {}
  async claim(consumer: string, selection: Selection): Promise<boolean> {
    if (this.conflicts.has(selection.host)) return false
    this.claims.push({ consumer, host: selection.host })
    return true
  }
  async release(consumer: string, selection: Selection): Promise<void> {
    this.releases.push({ consumer, host: selection.host })
  }
  /** Claims still held: made and not released. */
  held(): string[] {
    const left = [...this.claims]
    for (const r of this.releases) {
      const i = left.findIndex((c) => c.consumer === r.consumer && c.host === r.host)
      if (i >= 0) left.splice(i, 1)
    }
    return left.map((c) => `${c.consumer}@${c.host}`)
  }
}

/** The outcome of one filter over a table of hosts: who passed, and why the others did not. */
export interface FilterTable {
  readonly passed: string[]
  /** Host -> first reason. */
  readonly rejected: Record<string, string>
  /** True when the filter's PreFilter said Skip (the filter was not run). */
  readonly skipped: boolean
}

/** Runs one filter plugin (PreFilter first, as the runtime does) over hosts. */
export function runFilter(f: FilterPlugin, hosts: HostState[], request: RequestSpec, now = NOW): FilterTable {
  const ctx: SchedulerContext = { snapshot: makeSnapshot(hosts, now), now }
  const state = new CycleState()
  if (isPreFilter(f)) {
    const s = f.preFilter(ctx, state, request).status
    if (s.isSkip()) return { passed: hosts.map((h) => h.host), rejected: {}, skipped: true }
    if (s.isRejection()) {
      return {
        passed: [],
        rejected: Object.fromEntries(hosts.map((h) => [h.host, s.reason()])),
        skipped: false,
      }
    }
  }
  const passed: string[] = []
  const rejected: Record<string, string> = {}
  for (const h of hosts) {
    const s = f.filter(ctx, state, request, h)
    if (s.isRejection()) rejected[h.host] = s.reason()
    else passed.push(h.host)
  }
  return { passed, rejected, skipped: false }
}

/** Runs one weigher over hosts: raw scores, normalised, and multiplier x normalised. */
export function runWeigher(w: ScorePlugin, hosts: HostState[], request: RequestSpec, now = NOW) {
  const ctx: SchedulerContext = { snapshot: makeSnapshot(hosts, now), now }
  const state = new CycleState()
  const raw = hosts.map((h) => w.score(ctx, state, request, h))
  const normalized = w.normalize ? w.normalize(raw) : normalize(raw, w.minval, w.maxval)
  const weights = hosts.map((h, i) => w.multiplier(h, request) * normalized[i]!)
  const order = hosts
    .map((h, i) => ({ host: h.host, weight: weights[i]! }))
    .sort((a, b) => b.weight - a.weight)
    .map((x) => x.host)
  return { raw, normalized, weights, order }
}
