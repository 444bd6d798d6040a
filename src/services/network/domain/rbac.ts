/**
 * RBAC policies on networks and QoS policies: `access_as_shared` lets a project (or every
 * project, `*`, admins only) use the object as its own; `access_as_external` lets it use a
 * network as an external network. The owner of the object (or an admin) grants; a grant
 * something of another project still relies on cannot be withdrawn, nor the wildcard
 * external grant of the default external network.
 */
import { notFound, typed } from '../errors.js'
import { RBAC_POLICY } from '../schemas/attributes.js'
import type { Cond, Doc, NetworkStore, ResourceRepo } from '../storage/index.js'
import { bumpNetwork } from './networks.js'
import type { ListQuery } from './query.js'
import type { Quotas } from './quotas.js'
import {
  type Caller,
  type Kind,
  type ListColumn,
  newDoc,
  now,
  ownerOf,
  ResourceDomain,
  STANDARD_COLUMNS,
  type ViewPlan,
} from './resource.js'

/** The columns of a grant's attributes (it shows no name, timestamps or revision). */
const RBAC_COLUMNS: Readonly<Record<string, ListColumn>> = {
  id: STANDARD_COLUMNS.id!,
  project_id: STANDARD_COLUMNS.project_id!,
  tenant_id: STANDARD_COLUMNS.tenant_id!,
  // The default order (creation, then id), though a grant does not show it.
  created_at: STANDARD_COLUMNS.created_at!,
  object_type: { col: 'object_type', text: true },
  object_id: { col: 'object_id', text: true },
  target_tenant: { col: 'target_tenant', text: true },
  action: { col: 'action', text: true },
}

/** Something of another project that relies on a grant. */
interface Held {
  id: string
  project_id: string
}

export class RbacPolicies extends ResourceDomain {
  readonly kind: Kind = { resource: 'rbac_policy', collection: 'rbac_policies', attrs: RBAC_POLICY }

  constructor(
    store: NetworkStore,
    private readonly quotas: Quotas,
  ) {
    super(store)
  }

  protected repo(s: NetworkStore): ResourceRepo {
    return s.rbacPolicies
  }

  protected override candidates(caller: Caller, _q: ListQuery): Promise<Doc[]> {
    return caller.isAdmin
      ? this.store.rbacPolicies.find()
      : this.store.rbacPolicies.find({ project_id: caller.projectId })
  }

  /** Lists in SQL: the candidates are the caller's own grants (all of them for admins). */
  protected override sqlScope(caller: Caller): Cond | undefined {
    return this.ownScope(caller)
  }

  /** Only the columns a grant shows (it has no name, timestamps or revision). */
  protected override listColumns() {
    return RBAC_COLUMNS
  }

  /** A grant shows no timestamps or revision, as upstream's. */
  override view(caller: Caller, doc: Doc, target: Record<string, unknown>, plan?: ViewPlan): Doc {
    const out = super.view(caller, doc, target, plan)
    for (const k of ['created_at', 'updated_at', 'revision_number', 'name']) delete out[k]
    return out
  }

  private repoOf(s: NetworkStore, type: unknown): ResourceRepo | undefined {
    return type === 'network' ? s.networks : type === 'qos_policy' ? s.qosPolicies : undefined
  }

  async create(caller: Caller, attrs: Record<string, unknown>): Promise<Doc> {
    const owner = ownerOf(caller, attrs)
    const type = String(attrs.object_type)
    const target = {
      ...attrs,
      project_id: owner,
      tenant_id: owner,
      'rbac:wildcard': attrs.target_tenant === '*',
    }
    caller.can('create_rbac_policy', target)
    caller.can('create_rbac_policy:target_tenant', target)
    const repo = this.repoOf(this.store, type)
    if (!repo || (type === 'qos_policy' && attrs.action !== 'access_as_shared'))
      throw typed(
        'bad_request',
        'network.rbac.object_type',
        'InvalidActionForType',
        `Invalid action '${String(attrs.action)}' for object type '${type}'. Valid actions: ${type === 'qos_policy' ? 'access_as_shared' : 'access_as_shared, access_as_external'}.`,
      )
    const obj = await repo.get(String(attrs.object_id))
    const visible = obj && (caller.isAdmin || (await this.visible(caller, type, obj)))
    if (!obj || !visible)
      throw typed(
        'not_found',
        'network.rbac.object_not_found',
        'RbacPolicyNotFound',
        `${type} ${String(attrs.object_id)} could not be found or does not belong to you.`,
      )
    if (!caller.isAdmin && obj.project_id !== caller.projectId)
      throw typed(
        'bad_request',
        'network.rbac.not_owner',
        'InvalidInput',
        `Invalid input for operation: Only the owner of ${type} ${obj.id} or an admin can grant access to it.`,
      )
    return this.store.tx(async (s) => {
      await this.quotas.check(s, owner, 'rbac_policy', 1)
      const dup = await s.rbacPolicies.find({
        object_type: type,
        object_id: obj.id,
        target_tenant: String(attrs.target_tenant),
        action: String(attrs.action),
      })
      if (dup.length)
        throw typed(
          'conflict',
          'network.rbac.duplicate',
          'DuplicateRbacPolicy',
          'An RBAC policy already exists with those values.',
        )
      const doc = newDoc(
        owner,
        { object_type: type, object_id: obj.id, target_tenant: attrs.target_tenant, action: attrs.action },
        false,
      )
      await s.rbacPolicies.insert(doc)
      await this.objectChanged(s, doc, true)
      return doc
    })
  }

  /**
   * What a grant changes on its object: a network's revision (an external grant makes it
   * external, the last one gone makes it internal); a QoS policy's `shared` follows its
   * wildcard grant.
   */
  private async objectChanged(s: NetworkStore, grant: Doc, added: boolean) {
    const id = String(grant.object_id)
    if (grant.object_type === 'network') {
      if (grant.action !== 'access_as_external') return bumpNetwork(s, id)
      const left = await s.rbacPolicies.find({
        object_type: 'network',
        object_id: id,
        action: 'access_as_external',
      })
      return bumpNetwork(s, id, { 'router:external': added || left.length > 0 })
    }
    if (grant.target_tenant !== '*') return
    const wild = await s.rbacPolicies.find({ object_type: 'qos_policy', object_id: id, target_tenant: '*' })
    await setQosShared(s, id, wild.length > 0)
  }

  /** Whether the caller sees the object at all (owner, shared, or granted). */
  private async visible(caller: Caller, type: string, obj: Doc): Promise<boolean> {
    if (obj.project_id === caller.projectId || obj.shared) return true
    const grants = await this.store.rbacPolicies.find({
      object_type: type,
      object_id: obj.id,
      target_tenant: [caller.projectId, '*'],
    })
    return grants.length > 0
  }

  /**
   * What of other projects relies on a grant to `targetTenant` and no other grant covers:
   * ports for a shared network, router gateways and floating IPs for an external one,
   * networks and ports using a shared QoS policy.
   */
  private async dependents(s: NetworkStore, policy: Doc, targetTenant: string): Promise<Held[]> {
    if (policy.object_type === 'qos_policy') return this.qosDependents(s, policy, targetTenant)
    if (policy.action === 'access_as_external') return this.externalDependents(s, policy, targetTenant)
    if (policy.action !== 'access_as_shared') return []
    const net = await s.networks.get(String(policy.object_id))
    if (!net || net.shared) return []
    const ports = await s.ports.find({ network_id: net.id })
    return ports
      .filter(
        (p) =>
          p.project_id !== net.project_id &&
          p.project_id !== '' &&
          (targetTenant === '*' || p.project_id === targetTenant),
      )
      .map((p) => ({ id: p.id, project_id: p.project_id }))
  }

  /** Projects a grant covers that no other grant of the object covers. */
  private async uncovered(s: NetworkStore, policy: Doc, targetTenant: string, exempt?: string) {
    const others = (
      await s.rbacPolicies.find({
        object_type: String(policy.object_type),
        object_id: String(policy.object_id),
        action: String(policy.action),
      })
    ).filter((r) => r.id !== policy.id)
    return (project: string) =>
      (targetTenant === '*' || project === targetTenant) &&
      project !== exempt &&
      !others.some((r) => r.target_tenant === '*' || r.target_tenant === project)
  }

  private async externalDependents(s: NetworkStore, policy: Doc, targetTenant: string): Promise<Held[]> {
    const net = await s.networks.get(String(policy.object_id))
    if (!net) return []
    // The default external network stays external to everyone.
    if (net.is_default && policy.target_tenant === '*')
      return [{ id: net.id, project_id: 'Default external networks must be shared to everyone' }]
    const relies = await this.uncovered(s, policy, targetTenant, net.project_id)
    const held: Held[] = []
    for (const p of await s.ports.find({ network_id: net.id, device_owner: 'network:router_gateway' })) {
      const router = await s.routers.get(String(p.device_id))
      if (router && relies(router.project_id)) held.push({ id: router.id, project_id: router.project_id })
    }
    for (const f of await s.floatingIps.find({ floating_network_id: net.id }))
      if (relies(f.project_id)) held.push({ id: f.id, project_id: f.project_id })
    return held
  }

  /** Networks and ports bound to the policy (the owner's too, as upstream counts them). */
  private async qosDependents(s: NetworkStore, policy: Doc, targetTenant: string): Promise<Held[]> {
    const relies = await this.uncovered(s, policy, targetTenant)
    const held: Held[] = []
    for (const d of [...(await s.networks.find()), ...(await s.ports.find())])
      if (d.qos_policy_id === policy.object_id && relies(d.project_id))
        held.push({ id: d.id, project_id: d.project_id })
    return held
  }

  /** Withdraws the wildcard share of a QoS policy (its `shared` turned off), unless used. */
  async unshareQos(s: NetworkStore, policyId: string): Promise<void> {
    for (const g of await s.rbacPolicies.find({
      object_type: 'qos_policy',
      object_id: policyId,
      target_tenant: '*',
    })) {
      await this.refuseHeld(s, g, undefined, 'removed')
      await s.rbacPolicies.delete(g.id)
    }
  }

  /** Shares a QoS policy with everyone (its `shared` turned on). */
  async shareQos(s: NetworkStore, policy: Doc): Promise<void> {
    const have = await s.rbacPolicies.find({
      object_type: 'qos_policy',
      object_id: policy.id,
      target_tenant: '*',
    })
    if (have.length) return
    await s.rbacPolicies.insert(
      newDoc(
        policy.project_id,
        { object_type: 'qos_policy', object_id: policy.id, target_tenant: '*', action: 'access_as_shared' },
        false,
      ),
    )
  }

  private async refuseHeld(s: NetworkStore, grant: Doc, nextTarget: string | undefined, verb: string) {
    const held = (await this.dependents(s, grant, String(grant.target_tenant))).filter(
      (d) => nextTarget === undefined || (nextTarget !== '*' && d.project_id !== nextTarget),
    )
    if (held.length)
      throw typed(
        'conflict',
        'network.rbac.in_use',
        'RbacPolicyInUse',
        `RBAC policy on object ${String(grant.object_id)} cannot be ${verb} because other objects depend on it (${held.map((d) => d.id).join(', ')}).`,
      )
  }

  async update(caller: Caller, id: string, attrs: Record<string, unknown>): Promise<Doc> {
    const current = await this.load(caller, id)
    const target = { ...current, ...attrs, 'rbac:wildcard': attrs.target_tenant === '*' }
    caller.can('update_rbac_policy', target)
    caller.can('update_rbac_policy:target_tenant', target)
    const saved = await this.store.tx(async (s) => {
      // What relies on a network grant may keep relying on it if the new target still
      // covers it; a QoS policy grant in use is not retargeted at all (as upstream's).
      const still = current.object_type === 'qos_policy' ? undefined : String(attrs.target_tenant)
      await this.refuseHeld(s, current, still, 'changed')
      const next = await this.modify(id, (d) => ({ ...d, target_tenant: attrs.target_tenant }), s, false)
      if (current.object_type === 'qos_policy')
        await this.objectChanged(s, { ...current, target_tenant: '*' }, true)
      return next
    })
    return this.view(caller, saved, await this.target(saved))
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const current = await this.load(caller, id)
    caller.can('delete_rbac_policy', await this.target(current))
    await this.store.tx(async (s) => {
      await this.refuseHeld(s, current, undefined, 'removed')
      if (!(await s.rbacPolicies.delete(id))) throw notFound('rbac_policy', id)
      await this.objectChanged(s, current, false)
    })
  }
}

/** Sets a QoS policy's `shared` (bumping its revision). */
async function setQosShared(s: NetworkStore, id: string, shared: boolean) {
  for (let attempt = 0; attempt < 10; attempt++) {
    const p = await s.qosPolicies.get(id)
    if (!p || Boolean(p.shared) === shared) return
    const rev = Number(p.revision_number)
    if (await s.qosPolicies.update({ ...p, shared, revision_number: rev + 1, updated_at: now() }, rev)) return
  }
}
