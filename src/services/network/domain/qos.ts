/**
 * QoS policies and their rules (admin-made, as upstream's defaults): a policy holds at
 * most one rule of a type per direction (bandwidth limit, DSCP marking, minimum bandwidth,
 * minimum packet rate), a minimum never above the limit in its direction, one default
 * policy per project (networks created without a policy get it), and a policy attached to
 * a network, port or floating IP cannot be deleted. A shared policy may be attached by any
 * project.
 *
 * The rules live inside their policy's document: a rule change is a compare-and-swap on
 * the policy's revision (which it bumps, as upstream), so two concurrent rule creates can
 * never both land a duplicate.
 */
import { randomUUID } from 'node:crypto'
import { typed } from '../errors.js'
import {
  type AttrMap,
  prepareBody,
  QOS_POLICY,
  QOS_RULE_TYPES,
  type QosRuleType,
} from '../schemas/attributes.js'
import type { Doc, NetworkStore, ResourceRepo } from '../storage/index.js'
import { filterDocs, type ListQuery, paginate, sortDocs } from './query.js'
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

export type QosRule = Record<string, unknown> & { id: string; type: QosRuleType; qos_policy_id: string }

/** The attributes of a rule type as its own resource (id and owner besides its fields). */
export function ruleAttrs(type: QosRuleType): AttrMap {
  return { id: {}, tenant_id: { post: true }, project_id: { post: true }, ...QOS_RULE_TYPES[type] }
}

const FIELDS = (type: QosRuleType) => Object.keys(QOS_RULE_TYPES[type])

export function policyNotFound(id: string) {
  return typed(
    'not_found',
    'network.qos.policy_not_found',
    'QosPolicyNotFound',
    `QoS policy ${id} could not be found.`,
  )
}

function ruleNotFound(ruleId: string, policyId: string) {
  return typed(
    'not_found',
    'network.qos.rule_not_found',
    'QosRuleNotFound',
    `QoS rule ${ruleId} for policy ${policyId} could not be found.`,
  )
}

/** What sharing a policy with everyone takes (the RBAC wildcard grant). */
export interface QosSharing {
  shareQos(s: NetworkStore, policy: Doc): Promise<void>
  unshareQos(s: NetworkStore, policyId: string): Promise<void>
}

export class QosPolicies extends ResourceDomain {
  readonly kind: Kind = { resource: 'policy', collection: 'policies', attrs: QOS_POLICY, standard: true }

  constructor(
    store: NetworkStore,
    private readonly sharing: QosSharing,
  ) {
    super(store)
  }

  protected repo(s: NetworkStore): ResourceRepo {
    return s.qosPolicies
  }

  override async target(doc: Doc): Promise<Record<string, unknown>> {
    return { ...doc, tenant_id: doc.project_id, 'qos_policy:shared': Boolean(doc.shared) }
  }

  /** Members tag their project's policies though only admins change them, as upstream. */
  protected override tagRule(): string {
    return 'update_policies_tags'
  }

  /** Shared with the caller: to everyone, or by a grant to the caller's project. */
  override async targetFor(caller: Caller, doc: Doc): Promise<Record<string, unknown>> {
    const granted =
      !doc.shared &&
      (
        await this.store.rbacPolicies.find({
          object_type: 'qos_policy',
          object_id: doc.id,
          target_tenant: caller.projectId,
        })
      ).length > 0
    return { ...(await this.target(doc)), ...(granted ? { 'qos_policy:shared': true } : {}) }
  }

  /** `shared` as the caller sees it (a grant to its project shows as shared). */
  override view(caller: Caller, doc: Doc, target: Record<string, unknown>, plan?: ViewPlan): Doc {
    const out = super.view(caller, doc, target, plan)
    out.shared = Boolean(target['qos_policy:shared'])
    return out
  }

  protected override candidates(_caller: Caller, _q: ListQuery): Promise<Doc[]> {
    // Shared policies of other projects are visible too: policy decides per item.
    return this.store.qosPolicies.find()
  }

  override async load(caller: Caller, id: string, s: NetworkStore = this.store): Promise<Doc> {
    return super.load(caller, id, s).catch(() => {
      throw policyNotFound(id)
    })
  }

  private async refuseSecondDefault(s: NetworkStore, projectId: string, except?: string) {
    const other = (await s.qosPolicies.find({ project_id: projectId })).find(
      (p) => p.is_default && p.id !== except,
    )
    if (other)
      throw typed(
        'conflict',
        'network.qos.default_exists',
        'QoSPolicyDefaultAlreadyExists',
        `A default QoS policy exists for project ${projectId}.`,
      )
  }

  async create(caller: Caller, attrs: Record<string, unknown>): Promise<Doc> {
    const owner = ownerOf(caller, attrs)
    caller.can('create_policy', { ...attrs, project_id: owner, tenant_id: owner })
    return this.store.tx(async (s) => {
      if (attrs.is_default) await this.refuseSecondDefault(s, owner)
      const doc = newDoc(owner, {
        name: attrs.name,
        description: attrs.description,
        shared: attrs.shared,
        is_default: attrs.is_default,
        rules: [],
        tags: attrs.tags ?? [],
      })
      await s.qosPolicies.insert(doc)
      if (doc.shared) await this.sharing.shareQos(s, doc)
      return doc
    })
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
    caller.can('update_policy', await this.target(current))
    const saved = await this.store.tx(async (s) => {
      if (attrs.is_default) await this.refuseSecondDefault(s, current.project_id, id)
      // `shared` is the wildcard grant: withdrawing it is refused while others rely on it.
      if (attrs.shared === true) await this.sharing.shareQos(s, current)
      if (attrs.shared === false) await this.sharing.unshareQos(s, id)
      return this.modify(
        id,
        (d) => {
          for (const k of ['name', 'description', 'shared', 'is_default']) if (k in attrs) d[k] = attrs[k]
          return d
        },
        s,
      )
    })
    return this.view(caller, saved, await this.targetFor(caller, saved))
  }

  async delete(caller: Caller, id: string, ifMatch?: IfMatch): Promise<void> {
    const current = await this.load(caller, id)
    checkRevision(current, ifMatch)
    caller.can('delete_policy', await this.target(current))
    await this.store.tx(async (s) => {
      const users: [string, Doc[]][] = [
        ['network', await s.networks.find()],
        ['port', await s.ports.find()],
        ['floatingip', await s.floatingIps.find()],
      ]
      for (const [type, docs] of users) {
        const user = docs.find((d) => d.qos_policy_id === id)
        if (user)
          throw typed(
            'conflict',
            'network.qos.policy_in_use',
            'QosPolicyInUse',
            `QoS Policy ${id} is used by ${type} ${user.id}.`,
          )
      }
      for (const g of await s.rbacPolicies.find({ object_type: 'qos_policy', object_id: id }))
        await s.rbacPolicies.delete(g.id)
      await s.qosPolicies.delete(id)
    })
  }

  /** The policy a new network of `projectId` gets when it names none (qos-default). */
  async defaultFor(projectId: string, s: NetworkStore = this.store): Promise<string | null> {
    return (await s.qosPolicies.find({ project_id: projectId })).find((p) => p.is_default)?.id ?? null
  }

  /** The policy a caller takes off a network, port or floating IP: visible, else 403. */
  async checkDetachable(caller: Caller, id: string | null | undefined): Promise<void> {
    if (!id) return
    await this.load(caller, id).catch(() => {
      throw typed('forbidden', 'network.qos.not_authorized', 'NotAuthorized', 'Not authorized.')
    })
  }

  /** A policy a caller attaches to a network, port or floating IP: visible, else 404. */
  async checkAttachable(caller: Caller, id: string | null | undefined): Promise<void> {
    if (id) await this.load(caller, id)
  }

  // --- rules (sub-resources of a policy)

  private ruleView(rule: QosRule): Doc {
    const out: Record<string, unknown> = { id: rule.id }
    for (const f of FIELDS(rule.type)) out[f] = rule[f]
    return out as Doc
  }

  private rulesOf(policy: Doc): QosRule[] {
    return (policy.rules as QosRule[] | undefined) ?? []
  }

  async listRules(caller: Caller, policyId: string, type: QosRuleType, q: ListQuery) {
    const policy = await this.load(caller, policyId)
    caller.can(`get_policy_${type}_rule`, await this.target(policy))
    const views = this.rulesOf(policy)
      .filter((r) => r.type === type)
      .map((r) => this.ruleView(r))
    return paginate(sortDocs(filterDocs(views, q), q), q)
  }

  async showRule(caller: Caller, policyId: string, type: QosRuleType, ruleId: string): Promise<Doc> {
    const policy = await this.load(caller, policyId)
    caller.can(`get_policy_${type}_rule`, await this.target(policy))
    const rule = this.rulesOf(policy).find((r) => r.id === ruleId && r.type === type)
    if (!rule) throw ruleNotFound(ruleId, policyId)
    return this.ruleView(rule)
  }

  async createRule(caller: Caller, policyId: string, type: QosRuleType, body: unknown): Promise<Doc> {
    const attrs = prepareBody(ruleAttrs(type), `${type}_rule`, body, 'create')
    // NOTE: a create is refused before the policy is looked up (upstream: 403 even for a
    // policy that does not exist); an update or delete of an invisible one is a 404.
    caller.can(`create_policy_${type}_rule`, { project_id: caller.projectId, tenant_id: caller.projectId })
    const policy = await this.load(caller, policyId)
    caller.can(`create_policy_${type}_rule`, await this.target(policy))
    const rule = { id: randomUUID(), type, qos_policy_id: policyId } as QosRule
    for (const f of FIELDS(type)) if (attrs[f] !== undefined) rule[f] = attrs[f]
    await this.modify(policyId, (d) => {
      checkRuleFits(d, this.rulesOf(d), rule)
      d.rules = [...this.rulesOf(d), rule]
      return d
    })
    return this.ruleView(rule)
  }

  async updateRule(
    caller: Caller,
    policyId: string,
    type: QosRuleType,
    ruleId: string,
    body: unknown,
  ): Promise<Doc> {
    const attrs = prepareBody(ruleAttrs(type), `${type}_rule`, body, 'update')
    const policy = await this.load(caller, policyId)
    caller.can(`update_policy_${type}_rule`, await this.target(policy))
    let updated: QosRule | undefined
    await this.modify(policyId, (d) => {
      const rules = this.rulesOf(d)
      const old = rules.find((r) => r.id === ruleId && r.type === type)
      if (!old) throw ruleNotFound(ruleId, policyId)
      updated = { ...old }
      for (const f of FIELDS(type)) if (attrs[f] !== undefined) updated[f] = attrs[f]
      const others = rules.filter((r) => r.id !== ruleId)
      checkRuleFits(d, others, updated)
      d.rules = rules.map((r) => (r.id === ruleId ? updated! : r))
      return d
    })
    return this.ruleView(updated!)
  }

  async deleteRule(caller: Caller, policyId: string, type: QosRuleType, ruleId: string): Promise<void> {
    const policy = await this.load(caller, policyId)
    caller.can(`delete_policy_${type}_rule`, await this.target(policy))
    await this.modify(policyId, (d) => {
      const rules = this.rulesOf(d)
      if (!rules.some((r) => r.id === ruleId && r.type === type)) throw ruleNotFound(ruleId, policyId)
      d.rules = rules.filter((r) => r.id !== ruleId)
      return d
    })
  }
}

/**
 * One rule of a type per direction (an `any` packet-rate minimum covers both), and a
 * minimum bandwidth never above the bandwidth limit of its direction.
 */
function checkRuleFits(policy: Doc, others: QosRule[], rule: QosRule) {
  const clash = others.find(
    (r) =>
      r.type === rule.type &&
      (r.direction === undefined ||
        r.direction === rule.direction ||
        r.direction === 'any' ||
        rule.direction === 'any'),
  )
  if (clash)
    throw typed(
      'conflict',
      'network.qos.rules_conflict',
      'QoSRulesConflict',
      `Rule ${rule.type} conflicts with rule ${clash.id} which already exists in QoS Policy ${policy.id}.`,
    )
  const pair = (min: QosRule, max: QosRule) => Number(min.min_kbps) > Number(max.max_kbps)
  for (const r of others) {
    if (r.direction !== rule.direction) continue
    if (rule.type === 'minimum_bandwidth' && r.type === 'bandwidth_limit' && pair(rule, r))
      throw parameterConflict(policy, rule.min_kbps, 'bandwidth_limit', r.max_kbps)
    if (rule.type === 'bandwidth_limit' && r.type === 'minimum_bandwidth' && pair(r, rule))
      throw parameterConflict(policy, rule.max_kbps, 'minimum_bandwidth', r.min_kbps)
  }
}

function parameterConflict(policy: Doc, value: unknown, existing: string, existingValue: unknown) {
  return typed(
    'conflict',
    'network.qos.parameter_conflict',
    'QoSRuleParameterConflict',
    `Unable to add the rule with value ${String(value)} to the policy ${policy.id} as the existing rule of type ${existing} restricts the bandwidth to ${String(existingValue)}.`,
  )
}

const RANGE = (max = 2147483647) => ({ parameter_type: 'range', parameter_values: { start: 0, end: max } })
const DIRECTIONS = { parameter_type: 'choices', parameter_values: ['ingress', 'egress'] }

/** What the (simulated) Open vSwitch driver takes of each rule type. */
const PARAMETERS: Record<QosRuleType, Record<string, unknown>> = {
  bandwidth_limit: { max_kbps: RANGE(), max_burst_kbps: RANGE(), direction: DIRECTIONS },
  dscp_marking: {
    dscp_mark: {
      parameter_type: 'choices',
      parameter_values: [0, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40, 46, 48, 56],
    },
  },
  minimum_bandwidth: { min_kbps: RANGE(), direction: DIRECTIONS },
  minimum_packet_rate: {
    min_kpps: RANGE(),
    direction: { parameter_type: 'choices', parameter_values: ['any', 'ingress', 'egress'] },
  },
}

export function ruleTypes(): { type: QosRuleType }[] {
  return (Object.keys(QOS_RULE_TYPES) as QosRuleType[]).map((type) => ({ type }))
}

export function ruleTypeDetails(type: string) {
  const params = PARAMETERS[type as QosRuleType]
  if (!params)
    throw typed(
      'not_found',
      'network.qos.rule_type_not_found',
      'QosRuleTypeNotFound',
      `Rule type ${type} could not be found.`,
    )
  return {
    type,
    drivers: [
      {
        name: 'openvswitch',
        supported_parameters: Object.entries(params).map(([parameter_name, p]) => ({
          parameter_name,
          ...(p as object),
        })),
      },
    ],
  }
}
