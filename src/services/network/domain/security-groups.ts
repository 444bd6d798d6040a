/**
 * Security groups and their rules: a `default` group per project, made on first use
 * (network, port or group creation, or a list) with upstream's four rules (ingress from
 * the group itself and egress anywhere, IPv4 and IPv6) and claimed race-free; rule
 * checks (protocols by name or number, port ranges, ICMP type/code, ethertype against
 * the prefix, remote group or prefix, duplicates); deletion that names the ports using a
 * group.
 */
import {
  badRequest,
  cannotRemoveDefault,
  notFound,
  securityGroupInUse,
  securityGroupRuleExists,
  typed,
} from '../errors.js'
import { SECURITY_GROUP, SECURITY_GROUP_RULE } from '../schemas/attributes.js'
import type { Cond, Doc, NetworkStore, ResourceRepo, ViewRow } from '../storage/index.js'
import { formatCidr, parseCidr } from './ip.js'
import type { ListQuery } from './query.js'
import type { Quotas } from './quotas.js'
import {
  type Caller,
  checkRevision,
  type IfMatch,
  type Kind,
  type ListColumn,
  newDoc,
  ownerOf,
  ResourceDomain,
  STANDARD_COLUMNS,
  type StoredExtras,
} from './resource.js'

const PROTOCOLS: Record<string, number> = {
  ah: 51,
  dccp: 33,
  egp: 8,
  esp: 50,
  gre: 47,
  hopopt: 0,
  icmp: 1,
  igmp: 2,
  ipip: 4,
  'ipv6-encap': 41,
  'ipv6-frag': 44,
  'ipv6-icmp': 58,
  icmpv6: 58,
  'ipv6-nonxt': 59,
  'ipv6-opts': 60,
  'ipv6-route': 43,
  ospf: 89,
  pgm: 113,
  rsvp: 46,
  sctp: 132,
  tcp: 6,
  udp: 17,
  udplite: 136,
  vrrp: 112,
}
const PORT_PROTOCOLS = new Set(['tcp', 'udp', 'sctp', 'dccp', 'udplite', '6', '17', '132', '33', '136'])
const ICMP = new Set(['icmp', 'icmpv6', 'ipv6-icmp', '1', '58'])
/** Protocols of IPv6 alone (by name and number): refused on an IPv4 rule, as upstream. */
const V6_ONLY = new Set([
  ...['icmpv6', 'ipv6-icmp', 'ipv6-encap', 'ipv6-frag', 'ipv6-nonxt', 'ipv6-opts', 'ipv6-route'],
  ...['58', '41', '44', '59', '60', '43'],
])

/** The rules of the groups matching `where`. */
const ofGroups = (where: Cond): Cond => ({
  col: 'security_group_id',
  inSelect: { table: 'neutron_security_groups', col: 'id', where },
})

/** A rule's group is always a string: filters on it are exact. */
const RULE_COLUMNS: Readonly<Record<string, ListColumn>> = {
  ...STANDARD_COLUMNS,
  security_group_id: { col: 'security_group_id', text: true, exact: true },
  remote_group_id: { col: 'remote_group_id', text: true },
}

const IN_DEFAULT = Buffer.from(',"belongs_to_default_sg":true}')
const NOT_IN_DEFAULT = Buffer.from(',"belongs_to_default_sg":false}')

export class SecurityGroupRules extends ResourceDomain {
  readonly kind: Kind = {
    resource: 'security_group_rule',
    collection: 'security_group_rules',
    attrs: SECURITY_GROUP_RULE,
  }

  constructor(
    store: NetworkStore,
    private readonly quotas: Quotas,
    private readonly groups: SecurityGroups,
  ) {
    super(store)
  }

  protected repo(s: NetworkStore): ResourceRepo {
    return s.securityGroupRules
  }

  override async target(doc: Doc): Promise<Record<string, unknown>> {
    const sg = await this.store.securityGroups.get(String(doc.security_group_id))
    return { ...doc, tenant_id: doc.project_id, 'security_group:project_id': sg?.project_id }
  }

  protected override async candidates(caller: Caller, _q: ListQuery): Promise<Doc[]> {
    if (caller.isAdmin) return this.store.securityGroupRules.find()
    const own = await this.store.securityGroups.find({ project_id: caller.projectId })
    return this.store.securityGroupRules.find({}, [
      { project_id: caller.projectId },
      { security_group_id: own.map((g) => g.id) },
    ])
  }

  /** Lists in SQL: the caller's own rules and the rules of its groups (all for admins). */
  protected override sqlScope(caller: Caller): Cond | undefined {
    if (caller.isAdmin) return { all: true }
    return {
      or: [
        { col: 'project_id', in: [caller.projectId] },
        ofGroups({ col: 'project_id', in: [caller.projectId] }),
      ],
    }
  }

  /** A rule's target carries its group's owner (`security_group:project_id`). */
  protected override sqlTargetKey(caller: Caller, key: string, values: readonly string[]): Cond | undefined {
    if (key === 'security_group:project_id') return ofGroups({ col: 'project_id', in: values })
    return super.sqlTargetKey(caller, key, values)
  }

  protected override listColumns() {
    return RULE_COLUMNS
  }

  protected override async decorate(docs: Doc[]): Promise<void> {
    const defaults = await this.store.portGroups.defaultsAmong(docs.map((d) => String(d.security_group_id)))
    for (const d of docs) d.belongs_to_default_sg = defaults.has(String(d.security_group_id))
  }

  protected override readonly storedColumns = ['security_group_id']

  /** `belongs_to_default_sg`, as `decorate` sets it. */
  protected override async storedExtras(rows: readonly ViewRow[]): Promise<StoredExtras> {
    const defaults = await this.store.portGroups.defaultsAmong(
      rows.map((r) => String(r.cols.security_group_id)),
    )
    return new Map(
      rows.map((r) => [r.id, defaults.has(String(r.cols.security_group_id)) ? IN_DEFAULT : NOT_IN_DEFAULT]),
    )
  }

  /** Checks and normalises a rule; answers the stored fields. */
  normalise(attrs: Record<string, unknown>): Record<string, unknown> {
    let protocol = attrs.protocol as string | number | null
    if (protocol !== null && protocol !== undefined) {
      const p = String(protocol).toLowerCase()
      if (p === 'any' || p === '') protocol = null
      else if (/^\d+$/.test(p)) {
        if (Number(p) > 255) throw protocolError(String(protocol))
        protocol = String(Number(p))
      } else if (!(p in PROTOCOLS)) throw protocolError(String(protocol))
      else protocol = p
    }
    const ethertype = attrs.ethertype as string
    if (protocol !== null && V6_ONLY.has(String(protocol)) && ethertype === 'IPv4')
      throw badRequest(
        `Invalid input for operation: Protocol ${protocol} is not supported for ethertype IPv4.`,
      )
    const min = attrs.port_range_min as number | null
    const max = attrs.port_range_max as number | null
    if ((min !== null || max !== null) && protocol === null)
      throw typed(
        'bad_request',
        'network.security_group_rule.port_without_protocol',
        'SecurityGroupProtocolRequiredWithPorts',
        'Must also specify protocol if port range is given.',
      )
    if (protocol !== null && PORT_PROTOCOLS.has(String(protocol))) {
      if ((min !== null && max !== null && min > max) || (min === null && max !== null))
        throw typed(
          'bad_request',
          'network.security_group_rule.port_range',
          'SecurityGroupInvalidPortRange',
          'For TCP/UDP protocols, port_range_min must be <= port_range_max',
        )
      for (const v of [min, max])
        if (v !== null && (v < 1 || v > 65535))
          throw typed(
            'bad_request',
            'network.security_group_rule.port_value',
            'SecurityGroupInvalidPortValue',
            `Invalid value for port ${v}`,
          )
    } else if (protocol !== null && ICMP.has(String(protocol))) {
      for (const [name, v] of [
        ['type', min],
        ['code', max],
      ] as const)
        if (v !== null && (v < 0 || v > 255))
          throw typed(
            'bad_request',
            'network.security_group_rule.icmp_value',
            'SecurityGroupInvalidIcmpValue',
            `Invalid value for ICMP ${name} (port-range-${name === 'type' ? 'min' : 'max'}): ${v}`,
          )
      if (min === null && max !== null)
        throw typed(
          'bad_request',
          'network.security_group_rule.icmp_code',
          'SecurityGroupMissingIcmpType',
          `ICMP code (port-range-max) ${max} is provided but ICMP type (port-range-min) is missing.`,
        )
    } else if (protocol !== null && (min !== null || max !== null)) {
      throw badRequest(`Invalid input for operation: Port range is not supported for protocol ${protocol}.`)
    }
    let prefix = attrs.remote_ip_prefix as string | null
    let normalized: string | null = null
    if (prefix !== null && prefix !== undefined) {
      const c = parseCidr(prefix)
      if (!c)
        throw badRequest(`Invalid input for remote_ip_prefix. Reason: '${prefix}' is not a valid IP subnet.`)
      if ((c.version === 4 ? 'IPv4' : 'IPv6') !== ethertype)
        throw typed(
          'bad_request',
          'network.security_group_rule.ethertype',
          'SecurityGroupRuleParameterConflict',
          `Conflicting value ethertype ${ethertype} for CIDR ${prefix}`,
        )
      normalized = formatCidr(c)
      if (!prefix.includes('/')) prefix = normalized
    }
    if (prefix && attrs.remote_group_id)
      throw typed(
        'bad_request',
        'network.security_group_rule.remote_both',
        'SecurityGroupRemoteGroupAndRemoteIpPrefix',
        'Only remote_ip_prefix or remote_group_id may be provided.',
      )
    return {
      protocol,
      port_range_min: min,
      port_range_max: max,
      ethertype,
      direction: attrs.direction,
      remote_ip_prefix: prefix ?? null,
      normalized_cidr: normalized,
      remote_group_id: attrs.remote_group_id ?? null,
      remote_address_group_id: attrs.remote_address_group_id ?? null,
    }
  }

  async create(caller: Caller, attrs: Record<string, unknown>): Promise<Doc> {
    const groups = this.groups
    const owner = ownerOf(caller, attrs)
    const sg = await groups.load(caller, String(attrs.security_group_id))
    caller.can('create_security_group_rule', {
      ...attrs,
      project_id: owner,
      tenant_id: owner,
      'security_group:project_id': sg.project_id,
    })
    if (!caller.isAdmin && sg.project_id !== caller.projectId) throw notFound('security_group', sg.id)
    const fields = this.normalise(attrs)
    if (fields.remote_group_id) await groups.load(caller, String(fields.remote_group_id))
    return this.store.tx(async (s) => {
      await this.quotas.check(s, owner, 'security_group_rule', 1)
      const existing = await s.securityGroupRules.find({ security_group_id: sg.id })
      const same = existing.find((r) => RULE_KEYS.every((k) => equalValue(k, r[k], fields[k])))
      if (same) throw securityGroupRuleExists(same.id)
      const doc = ruleDoc(owner, sg.id, { ...fields, description: attrs.description ?? '' })
      await s.securityGroupRules.insert(doc)
      await this.touchGroup(s, sg.id)
      return doc
    })
  }

  private async touchGroup(s: NetworkStore, id: string) {
    const g = await s.securityGroups.get(id)
    if (g)
      await s.securityGroups.update(
        { ...g, revision_number: Number(g.revision_number) + 1 },
        Number(g.revision_number),
      )
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const rule = await this.load(caller, id)
    caller.can('delete_security_group_rule', await this.target(rule))
    await this.store.tx(async (s) => {
      await s.securityGroupRules.delete(id)
      await this.touchGroup(s, String(rule.security_group_id))
    })
  }
}

const RULE_KEYS = [
  'direction',
  'ethertype',
  'protocol',
  'port_range_min',
  'port_range_max',
  'remote_group_id',
  'normalized_cidr',
  'remote_address_group_id',
] as const

function equalValue(key: string, a: unknown, b: unknown): boolean {
  if (key === 'protocol') {
    const n = (v: unknown) => (v === null || v === undefined ? null : String(PROTOCOLS[String(v)] ?? v))
    return n(a) === n(b)
  }
  return (a ?? null) === (b ?? null)
}

function defaultExists() {
  return typed(
    'conflict',
    'network.security_group.default_exists',
    'SecurityGroupDefaultAlreadyExists',
    'Default security group already exists.',
  )
}

function protocolError(p: string) {
  return typed(
    'bad_request',
    'network.security_group_rule.protocol',
    'SecurityGroupRuleInvalidProtocol',
    `Security group rule protocol ${p} not supported. Only protocol values [None, ${Object.keys(PROTOCOLS).join(', ')}] and integer representations [0 to 255] are supported.`,
  )
}

function ruleDoc(projectId: string, groupId: string, fields: Record<string, unknown>): Doc {
  const d = newDoc(projectId, { security_group_id: groupId, ...fields }, false)
  d.tags = undefined
  delete d.tags
  return d
}

/** The rules Neutron gives a project's default group. */
function defaultRules(projectId: string, groupId: string): Doc[] {
  const rule = (direction: string, ethertype: string, remote: boolean) =>
    ruleDoc(projectId, groupId, {
      direction,
      ethertype,
      protocol: null,
      port_range_min: null,
      port_range_max: null,
      remote_ip_prefix: null,
      normalized_cidr: null,
      remote_group_id: remote ? groupId : null,
      remote_address_group_id: null,
      description: '',
    })
  return [
    rule('ingress', 'IPv4', true),
    rule('ingress', 'IPv6', true),
    rule('egress', 'IPv4', false),
    rule('egress', 'IPv6', false),
  ]
}

function egressRules(projectId: string, groupId: string): Doc[] {
  return defaultRules(projectId, groupId).filter((r) => r.direction === 'egress')
}

export class SecurityGroups extends ResourceDomain {
  readonly kind: Kind = {
    resource: 'security_group',
    collection: 'security_groups',
    attrs: SECURITY_GROUP,
    standard: true,
  }

  constructor(
    store: NetworkStore,
    private readonly quotas: Quotas,
  ) {
    super(store)
  }

  protected repo(s: NetworkStore): ResourceRepo {
    return s.securityGroups
  }

  /** Lists in SQL: the candidates are the caller's own rows (all of them for admins). */
  protected override sqlScope(caller: Caller): Cond | undefined {
    return this.ownScope(caller)
  }

  protected override async decorate(docs: Doc[]): Promise<void> {
    if (!docs.length) return
    const rules = await this.store.securityGroupRules.find({ security_group_id: docs.map((d) => d.id) })
    for (const d of docs) {
      d.security_group_rules = rules.filter((r) => r.security_group_id === d.id)
      d.shared = false
    }
  }

  /** The project's default group, made (with its rules) when it has none. */
  async ensureDefault(projectId: string, s: NetworkStore = this.store): Promise<string> {
    const existing = await s.portGroups.defaultOf(projectId)
    if (existing) return existing
    if (!projectId) return ''
    const group = newDoc(projectId, {
      name: 'default',
      description: 'Default security group',
      stateful: true,
    })
    // NOTE: the claim row decides who made the default group; a loser's group and rules
    // never get written (its claim fails before them), inside its own transaction.
    const won = await s.tx(async (t) => {
      if (!(await t.portGroups.claimDefault(projectId, group.id))) return false
      await t.securityGroups.insert(group)
      for (const r of defaultRules(projectId, group.id)) await t.securityGroupRules.insert(r)
      return true
    })
    return won ? group.id : ((await s.portGroups.defaultOf(projectId)) ?? '')
  }

  override async list(caller: Caller, q: ListQuery) {
    await this.ensureDefault(caller.projectId)
    return super.list(caller, q)
  }

  async create(caller: Caller, attrs: Record<string, unknown>): Promise<Doc> {
    const owner = ownerOf(caller, attrs)
    caller.can('create_security_group', { ...attrs, project_id: owner, tenant_id: owner })
    // NOTE: the default group is made first, so a group named `default` always meets it;
    // as upstream's, the request that makes it does not pay for it in the quota.
    const fresh = !(await this.store.portGroups.defaultOf(owner))
    await this.ensureDefault(owner)
    if (attrs.name === 'default') throw defaultExists()
    const doc = await this.store.tx(async (s) => {
      await this.quotas.check(s, owner, 'security_group', fresh ? 0 : 1)
      await this.quotas.check(s, owner, 'security_group_rule', fresh ? 0 : 2)
      const g = newDoc(owner, {
        name: attrs.name,
        description: attrs.description,
        stateful: attrs.stateful,
        tags: attrs.tags ?? [],
      })
      await s.securityGroups.insert(g)
      for (const r of egressRules(owner, g.id)) await s.securityGroupRules.insert(r)
      return g
    })
    await this.decorate([doc])
    return doc
  }

  async update(
    caller: Caller,
    id: string,
    attrs: Record<string, unknown>,
    _explicit: ReadonlySet<string>,
    ifMatch?: IfMatch,
  ): Promise<Doc> {
    const current = await this.load(caller, id)
    checkRevision(current, ifMatch)
    caller.can('update_security_group', await this.target(current))
    const isDefault = await this.store.portGroups.isDefault(id)
    if (isDefault && attrs.name !== undefined && attrs.name !== 'default')
      throw typed(
        'conflict',
        'network.security_group.default_update',
        'SecurityGroupCannotUpdateDefault',
        'Updating default security group not allowed.',
      )
    if (!isDefault && attrs.name === 'default') throw defaultExists()
    if (
      'stateful' in attrs &&
      attrs.stateful !== current.stateful &&
      (await this.store.portGroups.portsUsing(id)).length
    )
      throw securityGroupInUse(id, await this.store.portGroups.portsUsing(id))
    const saved = await this.modify(id, (d) => {
      for (const k of ['name', 'description', 'stateful']) if (k in attrs) d[k] = attrs[k]
      return d
    })
    await this.decorate([saved])
    return this.view(caller, saved, await this.target(saved))
  }

  async delete(caller: Caller, id: string, ifMatch?: IfMatch): Promise<void> {
    const current = await this.load(caller, id)
    checkRevision(current, ifMatch)
    caller.can('delete_security_group', await this.target(current))
    const isDefault = await this.store.portGroups.isDefault(id)
    if (isDefault && !caller.isAdmin) throw cannotRemoveDefault()
    await this.store.tx(async (s) => {
      const ports = await s.portGroups.portsUsing(id)
      if (ports.length) throw securityGroupInUse(id, ports)
      const remoteUsers = (await s.securityGroupRules.find({ remote_group_id: id })).filter(
        (r) => r.security_group_id !== id,
      )
      for (const r of remoteUsers) await s.securityGroupRules.delete(r.id)
      for (const r of await s.securityGroupRules.find({ security_group_id: id }))
        await s.securityGroupRules.delete(r.id)
      if (isDefault) await s.portGroups.dropDefault(String(current.project_id))
      await s.securityGroups.delete(id)
    })
  }
}
