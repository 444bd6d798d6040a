/**
 * Address scopes and subnet pools (`address-scope`, `subnet_allocation`,
 * `default-subnetpools`): a pool hands subnets their CIDR, the first free block of the
 * asked size (or the default prefix length) inside its prefixes, never overlapping
 * another subnet of the pool; prefixes only grow; a pool or scope in use is not deleted.
 */
import { badRequest, notFound, typed } from '../errors.js'
import { ADDRESS_SCOPE, SUBNETPOOL } from '../schemas/attributes.js'
import type { Doc, NetworkStore, ResourceRepo } from '../storage/index.js'
import { type Cidr, formatCidr, type IpVersion, lastOf, overlaps, parseCidr } from './ip.js'
import type { ListQuery } from './query.js'
import {
  type Caller,
  checkRevision,
  type IfMatch,
  type Kind,
  newDoc,
  ownerOf,
  ResourceDomain,
  type ViewPlan,
} from './resource.js'
import type { SubnetPoolAllocator } from './subnets.js'

export class AddressScopes extends ResourceDomain {
  readonly kind: Kind = {
    resource: 'address_scope',
    collection: 'address_scopes',
    attrs: ADDRESS_SCOPE,
    standard: true,
  }

  protected repo(s: NetworkStore): ResourceRepo {
    return s.addressScopes
  }

  override async target(doc: Doc) {
    return { ...doc, tenant_id: doc.project_id, 'address_scope:shared': Boolean(doc.shared) }
  }

  protected override async candidates(caller: Caller, _q: ListQuery): Promise<Doc[]> {
    const all = await this.store.addressScopes.find()
    return caller.isAdmin ? all : all.filter((d) => d.project_id === caller.projectId || d.shared)
  }

  async create(caller: Caller, attrs: Record<string, unknown>, explicit: ReadonlySet<string>): Promise<Doc> {
    const owner = ownerOf(caller, attrs)
    const target = { ...attrs, project_id: owner, tenant_id: owner }
    caller.can('create_address_scope', target)
    this.checkAttributes(caller, 'create', attrs, target, explicit)
    const doc = newDoc(owner, {
      name: attrs.name,
      ip_version: attrs.ip_version,
      shared: attrs.shared ?? false,
      description: attrs.description ?? '',
      tags: attrs.tags ?? [],
    })
    await this.store.addressScopes.insert(doc)
    return doc
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
    const target = { ...(await this.target(current)), ...attrs }
    caller.can('update_address_scope', target)
    this.checkAttributes(caller, 'update', attrs, target, explicit)
    if (attrs.shared === false && current.shared)
      throw badRequest('Invalid input for operation: Unsharing an address scope is not allowed.')
    const saved = await this.modify(id, (d) => ({ ...d, ...attrs }))
    return this.view(caller, saved, await this.target(saved))
  }

  async delete(caller: Caller, id: string, ifMatch?: IfMatch): Promise<void> {
    const current = await this.load(caller, id)
    checkRevision(current, ifMatch)
    caller.can('delete_address_scope', await this.target(current))
    const pools = (await this.store.subnetPools.find()).filter((p) => p.address_scope_id === id)
    if (pools.length)
      throw typed(
        'conflict',
        'network.address_scope.in_use',
        'AddressScopeInUse',
        `Unable to complete operation on address scope ${id}. There are one or more subnet pools in use on the address scope (${pools.map((p) => p.id).join(', ')}).`,
      )
    await this.store.addressScopes.delete(id)
  }
}

export class SubnetPools extends ResourceDomain implements SubnetPoolAllocator {
  readonly kind: Kind = {
    resource: 'subnetpool',
    collection: 'subnetpools',
    attrs: SUBNETPOOL,
    standard: true,
  }

  constructor(
    store: NetworkStore,
    private readonly scopes: AddressScopes,
  ) {
    super(store)
  }

  protected repo(s: NetworkStore): ResourceRepo {
    return s.subnetPools
  }

  /** Upstream shows the prefix lengths of a pool as strings ("24"). */
  override view(caller: Caller, doc: Doc, target: Record<string, unknown>, plan?: ViewPlan): Doc {
    const out = super.view(caller, doc, target, plan)
    for (const k of ['default_prefixlen', 'min_prefixlen', 'max_prefixlen'])
      if (out[k] !== undefined && out[k] !== null) out[k] = String(out[k])
    return out
  }

  override async target(doc: Doc) {
    return { ...doc, tenant_id: doc.project_id, 'subnetpool:shared': Boolean(doc.shared) }
  }

  protected override async candidates(caller: Caller, _q: ListQuery): Promise<Doc[]> {
    const all = await this.store.subnetPools.find()
    return caller.isAdmin ? all : all.filter((d) => d.project_id === caller.projectId || d.shared)
  }

  private prefixes(list: string[]): Cidr[] {
    const out = list.map((p) => parseCidr(p)!)
    const v = out[0]?.version
    if (!out.length) throw badRequest('Invalid input for prefixes. Reason: at least one prefix is needed.')
    if (out.some((c) => c.version !== v))
      throw typed(
        'bad_request',
        'network.subnetpool.mixed_versions',
        'PrefixVersionMismatch',
        'Cannot mix IPv4 and IPv6 prefixes in a subnet pool.',
      )
    // Contained or duplicate prefixes collapse into the wider one, as netaddr's cidr_merge.
    return out
      .sort((a, b) => a.prefix - b.prefix)
      .filter((c, i, all) => !all.slice(0, i).some((w) => overlaps(w, c)))
      .sort((a, b) => (a.network < b.network ? -1 : 1))
  }

  private bounds(attrs: Record<string, unknown>, version: IpVersion, current?: Doc) {
    const max =
      (attrs.max_prefixlen as number | undefined) ??
      (current?.max_prefixlen as number | undefined) ??
      (version === 4 ? 32 : 128)
    const min =
      (attrs.min_prefixlen as number | undefined) ??
      (current?.min_prefixlen as number | undefined) ??
      (version === 4 ? 8 : 64)
    const def =
      (attrs.default_prefixlen as number | undefined) ??
      (current?.default_prefixlen as number | undefined) ??
      min
    const top = version === 4 ? 32 : 128
    if (max > top || min > max || def < min || def > max)
      throw typed(
        'bad_request',
        'network.subnetpool.prefix_bounds',
        'IllegalSubnetPoolPrefixBounds',
        `Illegal prefix bounds: prefix_type=default_prefixlen, prefixlen=${def}, base_prefix_type=min_prefixlen, base_prefixlen=${min}.`,
      )
    return { min_prefixlen: min, max_prefixlen: max, default_prefixlen: def }
  }

  /**
   * A pool joins an address scope only if the caller owns the scope (or is an admin), its
   * IP version matches, and its prefixes overlap no other pool of the scope.
   */
  private async checkScope(
    caller: Caller,
    scopeId: unknown,
    version: number,
    prefixes: readonly Cidr[],
    poolId?: string,
  ) {
    if (!scopeId) return
    const scope = await this.scopes.load(caller, String(scopeId))
    if (!caller.isAdmin && scope.project_id !== caller.projectId)
      throw typed(
        'bad_request',
        'network.subnetpool.scope_owner',
        'IllegalSubnetPoolAssociationToAddressScope',
        `Illegal subnetpool association: subnetpool ${poolId ?? ''} cannot be associated with address scope ${scope.id}.`,
      )
    const others = (await this.store.subnetPools.find()).filter(
      (p) => p.address_scope_id === scope.id && p.id !== poolId,
    )
    for (const o of others)
      for (const c of (o.prefixes as string[]).map((x) => parseCidr(x)!))
        if (prefixes.some((n) => overlaps(n, c)))
          throw typed(
            'conflict',
            'network.subnetpool.scope_prefix_conflict',
            'AddressScopePrefixConflict',
            'Failed to associate address scope: subnetpools within an address scope must have unique prefixes.',
          )
    if (scope.ip_version !== version)
      throw typed(
        'bad_request',
        'network.subnetpool.scope_version',
        'IllegalSubnetPoolIpVersionAssociationWithAddressScope',
        `Illegal subnetpool association: subnetpool cannot associate with address scope ${scope.id} because subnetpool ip_version is not ${scope.ip_version}.`,
      )
  }

  async create(caller: Caller, attrs: Record<string, unknown>, explicit: ReadonlySet<string>): Promise<Doc> {
    const owner = ownerOf(caller, attrs)
    const target = { ...attrs, project_id: owner, tenant_id: owner }
    caller.can('create_subnetpool', target)
    this.checkAttributes(caller, 'create', attrs, target, explicit)
    const prefixes = this.prefixes(attrs.prefixes as string[])
    const version = prefixes[0]!.version
    await this.checkScope(caller, attrs.address_scope_id, version, prefixes)
    const doc = newDoc(owner, {
      name: attrs.name,
      description: attrs.description ?? '',
      prefixes: prefixes.map(formatCidr),
      ip_version: version,
      ...this.bounds(attrs, version),
      default_quota: attrs.default_quota ?? null,
      is_default: attrs.is_default ?? false,
      shared: attrs.shared ?? false,
      address_scope_id: attrs.address_scope_id ?? null,
      tags: attrs.tags ?? [],
    })
    await this.store.subnetPools.insert(doc)
    return doc
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
    const target = { ...(await this.target(current)), ...attrs }
    caller.can('update_subnetpool', target)
    this.checkAttributes(caller, 'update', attrs, target, explicit)
    const version = current.ip_version as IpVersion
    const change: Record<string, unknown> = { ...attrs, ...this.bounds(attrs, version, current) }
    if (attrs.prefixes) {
      const next = this.prefixes(attrs.prefixes as string[])
      if (next[0]!.version !== version)
        throw badRequest("Invalid input for operation: prefixes must keep the pool's IP version.")
      const old = (current.prefixes as string[]).map((p) => parseCidr(p)!)
      for (const o of old)
        if (!next.some((n) => n.prefix <= o.prefix && overlaps(n, o)))
          throw typed(
            'bad_request',
            'network.subnetpool.prefix_shrink',
            'IllegalSubnetPoolPrefixUpdate',
            `Illegal update to prefixes: ${formatCidr(o)} would be removed; prefixes can only grow.`,
          )
      change.prefixes = next.map(formatCidr)
    }
    const scopeId = 'address_scope_id' in attrs ? attrs.address_scope_id : current.address_scope_id
    if ('address_scope_id' in attrs || attrs.prefixes) {
      const prefixes = ((change.prefixes ?? current.prefixes) as string[]).map((x) => parseCidr(x)!)
      await this.checkScope(caller, scopeId, version, prefixes, id)
    }
    const saved = await this.modify(id, (d) => ({ ...d, ...change }))
    return this.view(caller, saved, await this.target(saved))
  }

  async delete(caller: Caller, id: string, ifMatch?: IfMatch): Promise<void> {
    const current = await this.load(caller, id)
    checkRevision(current, ifMatch)
    caller.can('delete_subnetpool', await this.target(current))
    const subnets = await this.store.subnets.find({ subnetpool_id: id })
    if (subnets.length)
      throw typed(
        'conflict',
        'network.subnetpool.in_use',
        'SubnetPoolInUse',
        `Subnet pool ${id} could not be deleted: subnets ${subnets.map((s) => s.id).join(', ')} use it.`,
      )
    await this.store.subnetPools.delete(id)
  }

  async defaultPool(ipVersion: number): Promise<string | undefined> {
    return (await this.store.subnetPools.find()).find((p) => p.is_default && p.ip_version === ipVersion)?.id
  }

  async allocate(
    s: NetworkStore,
    caller: Caller,
    poolId: string,
    ipVersion: number,
    prefixlen?: number,
    cidr?: string,
  ): Promise<string> {
    const pool = await s.subnetPools.get(poolId)
    if (!pool || !(caller.isAdmin || pool.project_id === caller.projectId || pool.shared))
      throw notFound('subnetpool', poolId)
    if (pool.ip_version !== ipVersion)
      throw badRequest(
        `Invalid input for operation: subnet pool ${poolId} is IPv${pool.ip_version}, the subnet IPv${ipVersion}.`,
      )
    const prefixes = (pool.prefixes as string[]).map((p) => parseCidr(p)!)
    const used = (await s.subnets.find({ subnetpool_id: poolId })).map((x) => parseCidr(x.cidr)!)
    const min = Number(pool.min_prefixlen)
    const max = Number(pool.max_prefixlen)
    if (cidr) {
      const c = parseCidr(cidr)
      if (!c) throw badRequest(`Invalid input for cidr. Reason: '${cidr}' is not a valid IP subnet.`)
      if (!prefixes.some((p) => p.prefix <= c.prefix && overlaps(p, c)))
        throw typed(
          'bad_request',
          'network.subnetpool.outside',
          'CidrOutOfPool',
          `Cidr ${cidr} is not within the pool's prefixes.`,
        )
      if (c.prefix < min || c.prefix > max)
        throw typed(
          'bad_request',
          'network.subnetpool.prefix_bounds',
          'IllegalSubnetPoolPrefixBounds',
          `Illegal prefix bounds: prefixlen=${c.prefix}, min_prefixlen=${min}, max_prefixlen=${max}.`,
        )
      if (used.some((u) => overlaps(u, c)))
        throw typed(
          'conflict',
          'network.subnetpool.overlap',
          'SubnetAllocationError',
          `Failed to allocate subnet: ${cidr} overlaps a subnet allocated from pool ${poolId}.`,
        )
      return formatCidr(c)
    }
    const len = prefixlen ?? Number(pool.default_prefixlen)
    if (len < min || len > max)
      throw typed(
        'bad_request',
        'network.subnetpool.prefix_bounds',
        'IllegalSubnetPoolPrefixBounds',
        `Illegal prefix bounds: prefixlen=${len}, min_prefixlen=${min}, max_prefixlen=${max}.`,
      )
    const size = 1n << BigInt((ipVersion === 4 ? 32 : 128) - len)
    for (const p of prefixes) {
      if (p.prefix > len) continue
      for (let start = p.network; start + size - 1n <= lastOf(p); ) {
        const candidate: Cidr = { version: p.version, network: start, prefix: len }
        const hit = used.find((u) => overlaps(u, candidate))
        if (!hit) return formatCidr(candidate)
        // Skip past the subnet in the way, to the next aligned block.
        const next = lastOf(hit) + 1n
        start = ((next + size - 1n) / size) * size
      }
    }
    throw typed(
      'conflict',
      'network.subnetpool.exhausted',
      'SubnetAllocationError',
      `Failed to allocate subnet: Insufficient prefix space to allocate subnet size /${len}.`,
    )
  }
}
