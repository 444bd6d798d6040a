/**
 * Networks: ownership, shared and external flags, MTU from the segment's type, ML2
 * segments (a project network gets one from `[ml2] tenant_network_types`; an admin may
 * give provider attributes or several `segments`), and deletion that names the ports
 * holding a network.
 */
import { badRequest, invalidInput, networkInUse, notFound } from '../errors.js'
import { NETWORK } from '../schemas/attributes.js'
import type { Cond, Doc, NetworkStore, ResourceRepo } from '../storage/index.js'
import type { Ml2, Segment } from './ml2.js'
import type { ListQuery } from './query.js'
import type { Quotas } from './quotas.js'
import {
  boolCond,
  type Caller,
  checkRevision,
  type IfMatch,
  type Kind,
  newDoc,
  now,
  ownerOf,
  ResourceDomain,
  type ViewPlan,
} from './resource.js'

/** The ids of the networks some RBAC grants name (a subquery on neutron_rbac_policies). */
export function grants(where: { action?: string[]; target_tenant?: string[] }) {
  const conds: Cond[] = [{ col: 'object_type', in: ['network'] }]
  if (where.action) conds.push({ col: 'action', in: where.action })
  if (where.target_tenant) conds.push({ col: 'target_tenant', in: where.target_tenant })
  return { table: 'neutron_rbac_policies', col: 'object_id', where: { and: conds } }
}

/** Rows (ports, subnets) on the networks matching a condition. */
export const onNetworks = (where: Cond): Cond => ({
  col: 'network_id',
  inSelect: { table: 'neutron_networks', col: 'id', where },
})

/** Port owners whose ports go with their network (Neutron's AUTO_DELETE_PORT_OWNERS). */
export const AUTO_DELETE_OWNERS = new Set(['network:dhcp', 'network:distributed'])

const PROVIDER_KEYS = [
  'provider:network_type',
  'provider:physical_network',
  'provider:segmentation_id',
] as const

export interface RbacGrants {
  shared: Set<string>
  external: Set<string>
}

export interface NetworkHooks {
  /** Called inside the create transaction (the default security group of the project). */
  ensureDefaultGroup(projectId: string, s: NetworkStore): Promise<unknown>
  /** Whether RBAC shares a network with a project, per action. */
  rbacTargets(
    objectIds: readonly string[],
  ): Promise<Map<string, { shared: Set<string>; external: Set<string> }>>
  /** The project's default QoS policy, which a network created without one gets. */
  defaultQosPolicy?(projectId: string, s: NetworkStore): Promise<string | null>
}

export class Networks extends ResourceDomain {
  readonly kind: Kind = { resource: 'network', collection: 'networks', attrs: NETWORK, standard: true }

  constructor(
    store: NetworkStore,
    private readonly ml2: Ml2,
    private readonly quotas: Quotas,
    private readonly hooks: NetworkHooks,
  ) {
    super(store)
  }

  protected repo(s: NetworkStore): ResourceRepo {
    return s.networks
  }

  /** The policy target of a network, and of anything on it (`network:*`). */
  static networkTarget(net: Doc, viewer?: string, rbac?: RbacGrants) {
    const sharedTo = rbac && viewer !== undefined && (rbac.shared.has('*') || rbac.shared.has(viewer))
    const externalTo = rbac && viewer !== undefined && (rbac.external.has('*') || rbac.external.has(viewer))
    // An external network with access_as_external grants is external to whom they name
    // (and its owner); one without any (made before grants were recorded) to everyone.
    const external =
      rbac && viewer !== undefined && rbac.external.size > 0
        ? Boolean(externalTo) || viewer === net.project_id
        : Boolean(net['router:external']) || Boolean(externalTo)
    return {
      'network:shared': Boolean(net.shared) || Boolean(sharedTo),
      'network:router:external': external,
      'network:project_id': net.project_id,
      'network:tenant_id': net.project_id,
    }
  }

  override async target(doc: Doc): Promise<Record<string, unknown>> {
    return { ...doc, tenant_id: doc.project_id, ...Networks.networkTarget(doc) }
  }

  /**
   * `shared` as the caller sees it: a wildcard share, or one to the caller's project,
   * shows as shared (upstream computes it from the grants).
   */
  override view(caller: Caller, doc: Doc, target: Record<string, unknown>, plan?: ViewPlan): Doc {
    const out = super.view(caller, doc, target, plan)
    if ('network:shared' in target) out.shared = Boolean(target['network:shared'])
    return out
  }

  /** The target as a given caller sees it (RBAC grants to the caller's project count). */
  override async targetFor(caller: Caller, doc: Doc): Promise<Record<string, unknown>> {
    return this.targetWith(caller, doc)
  }

  /** The target with the network's grants already read (a list reads them at once). */
  async targetWith(caller: Caller, doc: Doc, rbac?: RbacGrants): Promise<Record<string, unknown>> {
    const grants = rbac ?? (await this.hooks.rbacTargets([doc.id])).get(doc.id)
    return { ...doc, tenant_id: doc.project_id, ...Networks.networkTarget(doc, caller.projectId, grants) }
  }

  override async load(caller: Caller, id: string, s: NetworkStore = this.store): Promise<Doc> {
    const doc = await s.networks.get(id)
    if (!doc || !caller.allows('get_network', await this.targetFor(caller, doc)))
      throw notFound('network', id)
    return doc
  }

  protected override async candidates(caller: Caller, _q: ListQuery): Promise<Doc[]> {
    if (caller.isAdmin) return this.store.networks.find()
    const docs = await this.store.networks.find({}, [
      { project_id: caller.projectId },
      { shared: 1 },
      { external: 1 },
    ])
    const rbac = await this.store.rbacPolicies.find({
      object_type: 'network',
      target_tenant: [caller.projectId, '*'],
    })
    const extra = rbac.map((r) => String(r.object_id)).filter((id) => !docs.some((d) => d.id === id))
    if (!extra.length) return docs
    docs.push(...(await this.store.networks.find({ id: extra })))
    // In creation order, as every other list.
    return docs.sort((a, b) =>
      a.created_at === b.created_at
        ? a.id < b.id
          ? -1
          : 1
        : String(a.created_at) < String(b.created_at)
          ? -1
          : 1,
    )
  }

  /** Subnets, and `shared` as the caller sees it (an RBAC grant to its project shares). */
  private async decorateFor(caller: Caller, docs: Doc[], rbac: Map<string, RbacGrants>) {
    await this.decorate(docs)
    for (const d of docs) {
      const r = rbac.get(d.id)
      if (r && d.project_id !== caller.projectId && (r.shared.has('*') || r.shared.has(caller.projectId)))
        d.shared = true
    }
  }

  protected override async decorate(docs: Doc[]): Promise<void> {
    if (!docs.length) return
    const subnets = await this.store.subnets.find({ network_id: docs.map((d) => d.id) })
    for (const d of docs) d.subnets = subnets.filter((s) => s.network_id === d.id).map((s) => s.id)
  }

  override async show(caller: Caller, id: string): Promise<Doc> {
    const doc = await this.load(caller, id)
    const rbac = await this.hooks.rbacTargets([id])
    await this.decorateFor(caller, [doc], rbac)
    return this.view(caller, doc, await this.targetWith(caller, doc, rbac.get(id)))
  }

  /** Its targets read every network's grants at once. */
  protected override async targetsFor(caller: Caller, docs: Doc[]): Promise<Record<string, unknown>[]> {
    const rbac = await this.hooks.rbacTargets(docs.map((d) => d.id))
    return Promise.all(docs.map((d) => this.targetWith(caller, d, rbac.get(d.id))))
  }

  protected override readonly viewUsesTarget = true

  protected override sqlScope(caller: Caller): Cond | undefined {
    if (caller.isAdmin) return { all: true }
    const p = caller.projectId
    return {
      or: [
        { col: 'project_id', in: [p] },
        { col: 'shared', in: [1] },
        { col: 'external', in: [1] },
        { col: 'id', inSelect: grants({ target_tenant: [p, '*'] }) },
      ],
    }
  }

  protected override sqlTargetKey(caller: Caller, key: string, values: readonly string[]): Cond | undefined {
    switch (key) {
      case 'project_id':
      case 'tenant_id':
      case 'network:project_id':
      case 'network:tenant_id':
        return { col: 'project_id', in: values }
      case 'network:shared':
        return boolCond(values, Networks.sharedTo(caller.projectId))
      case 'network:router:external':
        return boolCond(values, Networks.externalTo(caller.projectId))
      default:
        return undefined
    }
  }

  /**
   * The networks (rows of neutron_networks) shared with a project, as `networkTarget`
   * says: marked shared, or an `access_as_shared` grant to it or to everyone.
   */
  static sharedTo(projectId: string): Cond {
    return {
      or: [
        { col: 'shared', in: [1] },
        { col: 'id', inSelect: grants({ action: ['access_as_shared'], target_tenant: [projectId, '*'] }) },
      ],
    }
  }

  /**
   * The networks external to a project, as `networkTarget` says: with
   * `access_as_external` grants, those naming it or everyone (and the owner's own);
   * without any, those marked external.
   */
  static externalTo(projectId: string): Cond {
    const anyGrant = grants({ action: ['access_as_external'] })
    return {
      or: [
        { col: 'id', inSelect: grants({ action: ['access_as_external'], target_tenant: [projectId, '*'] }) },
        {
          and: [
            { col: 'project_id', in: [projectId] },
            { col: 'id', inSelect: anyGrant },
          ],
        },
        { and: [{ col: 'external', in: [1] }, { not: { col: 'id', inSelect: anyGrant } }] },
      ],
    }
  }

  async create(caller: Caller, attrs: Record<string, unknown>, explicit: ReadonlySet<string>): Promise<Doc> {
    const owner = ownerOf(caller, attrs)
    const target = { ...attrs, project_id: owner, tenant_id: owner }
    caller.can('create_network', target)
    this.checkAttributes(caller, 'create', attrs, target, explicit)
    const requested = this.requestedSegments(attrs)
    const mtuAsked = attrs.mtu as number | undefined
    return this.store.tx(async (s) => {
      await this.quotas.check(s, owner, 'network', 1)
      const doc = newDoc(owner, {
        name: attrs.name,
        admin_state_up: attrs.admin_state_up,
        status: 'ACTIVE',
        subnets: [],
        shared: attrs.shared,
        'router:external': attrs['router:external'],
        port_security_enabled: attrs.port_security_enabled,
        availability_zone_hints: attrs.availability_zone_hints,
        availability_zones: ['nova'],
        is_default: attrs.is_default,
        qos_policy_id:
          attrs.qos_policy_id !== undefined && attrs.qos_policy_id !== null
            ? attrs.qos_policy_id
            : ((await this.hooks.defaultQosPolicy?.(owner, s)) ?? null),
        ipv4_address_scope: null,
        ipv6_address_scope: null,
        l2_adjacency: true,
        description: attrs.description,
        tags: attrs.tags ?? [],
      })
      const segments: Segment[] = []
      if (requested) {
        for (const seg of requested)
          segments.push(await this.ml2.reserve(s, doc.id, this.ml2.validateProvider(seg)))
      } else {
        segments.push(await this.ml2.allocateTenant(s, doc.id))
      }
      const maxMtu = Math.min(...segments.map((g) => this.ml2.mtuOf(g.network_type)))
      if (mtuAsked !== undefined && mtuAsked > maxMtu)
        throw invalidInput(`Requested MTU is too big, maximum is ${maxMtu}`)
      doc.mtu = mtuAsked ?? maxMtu
      this.showSegments(doc, segments)
      await s.networks.insert(doc)
      let index = 0
      for (const g of segments) await s.segments.insert(segmentDoc(doc, g, index++))
      if (doc['router:external']) await externalGrant(s, doc)
      await this.hooks.ensureDefaultGroup(owner, s)
      return doc
    })
  }

  /** Provider attributes (one segment) or `segments` (several), as an admin gave them. */
  private requestedSegments(attrs: Record<string, unknown>): Partial<Segment>[] | undefined {
    const hasProvider = PROVIDER_KEYS.some((k) => attrs[k] !== undefined)
    const segs = attrs.segments as Record<string, unknown>[] | undefined
    if (hasProvider && segs) throw invalidInput('Segments and provider values cannot both be set.')
    if (segs) {
      if (!segs.length) return undefined
      const seen = new Set<string>()
      return segs.map((g) => {
        const unknown = Object.keys(g).filter(
          (k) => !PROVIDER_KEYS.includes(k as (typeof PROVIDER_KEYS)[number]),
        )
        if (unknown.length) throw badRequest(`Unrecognized attribute(s) '${unknown.join(', ')}'`)
        const key = JSON.stringify(g)
        if (seen.has(key)) throw invalidInput('Duplicate segment entry in request.')
        seen.add(key)
        return {
          network_type: g['provider:network_type'] as string,
          physical_network: (g['provider:physical_network'] as string | null | undefined) ?? null,
          segmentation_id:
            g['provider:segmentation_id'] === undefined || g['provider:segmentation_id'] === null
              ? null
              : Number(g['provider:segmentation_id']),
        }
      })
    }
    if (!hasProvider) return undefined
    return [
      {
        network_type: attrs['provider:network_type'] as string,
        physical_network: (attrs['provider:physical_network'] as string | null | undefined) ?? null,
        segmentation_id: (attrs['provider:segmentation_id'] as number | null | undefined) ?? null,
      },
    ]
  }

  /** One segment shows as provider attributes; several as `segments`. */
  private showSegments(doc: Doc, segments: readonly Segment[]) {
    if (segments.length === 1) {
      const g = segments[0]!
      doc['provider:network_type'] = g.network_type
      doc['provider:physical_network'] = g.physical_network
      doc['provider:segmentation_id'] = g.segmentation_id
      delete doc.segments
    } else {
      for (const k of PROVIDER_KEYS) delete doc[k]
      doc.segments = segments.map((g) => ({
        'provider:network_type': g.network_type,
        'provider:physical_network': g.physical_network,
        'provider:segmentation_id': g.segmentation_id,
      }))
    }
  }

  async update(
    caller: Caller,
    id: string,
    attrs: Record<string, unknown>,
    explicit: ReadonlySet<string>,
    ifMatch?: IfMatch,
  ): Promise<Doc> {
    const current = await this.load(caller, id)
    checkRevision(current, ifMatch)
    const target = { ...(await this.targetFor(caller, current)), ...attrs }
    caller.can('update_network', target)
    this.checkAttributes(caller, 'update', attrs, target, explicit)
    if (PROVIDER_KEYS.some((k) => k in attrs) || 'segments' in attrs)
      throw invalidInput('Plugin does not support updating provider attributes')
    if (attrs.shared === false && current.shared) {
      const others = await this.store.ports.find({ network_id: id })
      const foreign = others.filter(
        (p) => p.project_id !== current.project_id && !String(p.device_owner).startsWith('network:'),
      )
      if (foreign.length)
        throw invalidInput(
          `Unable to reconfigure sharing settings for network ${id}. Multiple tenants are using it.`,
        )
    }
    if (attrs['router:external'] === false && current['router:external']) {
      const fips = await this.store.floatingIps.find({ floating_network_id: id })
      if (fips.length)
        throw invalidInput(
          `External network ${id} cannot be updated to be internal: floating IPs ${fips.map((f) => f.id).join(', ')} use it`,
        )
      const gws = (
        await this.store.ports.find({ network_id: id, device_owner: 'network:router_gateway' })
      ).map((p) => p.device_id)
      if (gws.length)
        throw invalidInput(
          `External network ${id} cannot be updated to be internal: routers ${gws.join(', ')} use it as gateway`,
        )
    }
    const saved = await this.store.tx(async (s) => {
      const next = await this.modify(id, async (d) => this.applyUpdate(s, d, attrs), s)
      // Making a network external grants it to everyone, as upstream's; making it internal
      // withdraws every external grant.
      if (attrs['router:external'] === true && !current['router:external']) await externalGrant(s, next)
      if (attrs['router:external'] === false && current['router:external'])
        for (const r of await s.rbacPolicies.find({
          object_type: 'network',
          object_id: id,
          action: 'access_as_external',
        }))
          await s.rbacPolicies.delete(r.id)
      return next
    })
    await this.decorate([saved])
    return this.view(caller, saved, await this.target(saved))
  }

  private async applyUpdate(s: NetworkStore, d: Doc, attrs: Record<string, unknown>): Promise<Doc> {
    if (attrs.mtu !== undefined) {
      const segs = await s.segments.find({ network_id: d.id })
      const maxMtu = Math.min(...segs.map((g) => this.ml2.mtuOf(String(g.network_type))))
      if (Number(attrs.mtu) > maxMtu) throw invalidInput(`Requested MTU is too big, maximum is ${maxMtu}`)
    }
    for (const [k, v] of Object.entries(attrs)) d[k] = v
    return d
  }

  async delete(caller: Caller, id: string, ifMatch?: IfMatch): Promise<void> {
    const current = await this.load(caller, id)
    checkRevision(current, ifMatch)
    caller.can('delete_network', await this.targetFor(caller, current))
    await this.store.tx(async (s) => {
      // NOTE: floating IPs associated with nothing go with their external network, as
      // upstream's; an associated one, or a router's gateway, holds it.
      const fips = await s.floatingIps.find({ floating_network_id: id })
      const loose = new Set(fips.filter((f) => !f.port_id).map((f) => String(f.floating_port_id)))
      const ports = await s.ports.find({ network_id: id })
      const holding = ports.filter((p) => !AUTO_DELETE_OWNERS.has(String(p.device_owner)) && !loose.has(p.id))
      if (holding.length)
        throw networkInUse(
          id,
          holding.map((p) => p.id),
        )
      for (const f of fips) {
        for (const pf of await s.portForwardings.find({ floatingip_id: f.id }))
          await s.portForwardings.delete(pf.id)
        await s.floatingIps.delete(f.id)
      }
      for (const p of ports) {
        await s.ips.release(p.id)
        await s.portGroups.set(p.id, [])
        await s.ports.delete(p.id)
      }
      for (const sub of await s.subnets.find({ network_id: id })) await s.subnets.delete(sub.id)
      for (const seg of await s.segments.find({ network_id: id })) await s.segments.delete(seg.id)
      for (const r of await s.rbacPolicies.find({ object_type: 'network', object_id: id }))
        await s.rbacPolicies.delete(r.id)
      await this.ml2.release(s, id)
      await s.networks.delete(id)
    })
  }
}

/**
 * Bumps a network's revision when something it shows changes (a subnet, an RBAC grant),
 * as upstream's; `patch` sets attributes with it.
 */
export async function bumpNetwork(s: NetworkStore, id: string, patch: Record<string, unknown> = {}) {
  for (let attempt = 0; attempt < 10; attempt++) {
    const net = await s.networks.get(id)
    if (!net) return
    const rev = Number(net.revision_number)
    if (await s.networks.update({ ...net, ...patch, revision_number: rev + 1, updated_at: now() }, rev))
      return
  }
}

/** The wildcard access_as_external grant an external network gets from its owner. */
export async function externalGrant(s: NetworkStore, net: Doc): Promise<void> {
  const have = await s.rbacPolicies.find({
    object_type: 'network',
    object_id: net.id,
    action: 'access_as_external',
    target_tenant: '*',
  })
  if (have.length) return
  const grant = newDoc(
    net.project_id,
    { object_type: 'network', object_id: net.id, target_tenant: '*', action: 'access_as_external' },
    false,
  )
  await s.rbacPolicies.insert(grant)
}

export function segmentDoc(net: Doc, g: Segment, index: number): Doc {
  const at = now()
  return {
    id: crypto.randomUUID(),
    tenant_id: net.project_id,
    project_id: net.project_id,
    name: null,
    description: '',
    network_id: net.id,
    network_type: g.network_type,
    physical_network: g.physical_network,
    segmentation_id: g.segmentation_id,
    segment_index: index,
    created_at: at,
    updated_at: at,
    revision_number: 0,
  }
}
