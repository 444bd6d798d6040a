/**
 * RBAC policies on networks: `access_as_shared` lets a project (or every project, `*`,
 * admins only) use a network as its own; `access_as_external` lets it see one as an
 * external network. The owner of the network (or an admin) grants; a grant other
 * projects' ports still rely on cannot be withdrawn.
 */
import { notFound, typed } from '../errors.js'
import { RBAC_POLICY } from '../schemas/attributes.js'
import type { Doc, NetworkStore, ResourceRepo } from '../storage/index.js'
import { bumpNetwork } from './networks.js'
import type { ListQuery } from './query.js'
import type { Quotas } from './quotas.js'
import { type Caller, type Kind, newDoc, ownerOf, ResourceDomain } from './resource.js'

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

  async create(caller: Caller, attrs: Record<string, unknown>): Promise<Doc> {
    const owner = ownerOf(caller, attrs)
    const target = {
      ...attrs,
      project_id: owner,
      tenant_id: owner,
      'rbac:wildcard': attrs.target_tenant === '*',
    }
    caller.can('create_rbac_policy', target)
    caller.can('create_rbac_policy:target_tenant', target)
    if (attrs.object_type !== 'network')
      throw typed(
        'bad_request',
        'network.rbac.object_type',
        'BadRequest',
        `Object type ${String(attrs.object_type)} is not supported here; only network.`,
      )
    const net = await this.store.networks.get(String(attrs.object_id))
    const visible = net && (caller.isAdmin || (await this.visible(caller, net)))
    if (!net || !visible)
      throw typed(
        'not_found',
        'network.rbac.object_not_found',
        'RbacPolicyNotFound',
        `network ${String(attrs.object_id)} could not be found or does not belong to you.`,
      )
    if (!caller.isAdmin && net.project_id !== caller.projectId)
      throw typed(
        'bad_request',
        'network.rbac.not_owner',
        'InvalidInput',
        `Invalid input for operation: Only the owner of network ${net.id} or an admin can grant access to it.`,
      )
    return this.store.tx(async (s) => {
      await this.quotas.check(s, owner, 'rbac_policy', 1)
      const dup = await s.rbacPolicies.find({
        object_type: 'network',
        object_id: net.id,
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
        {
          object_type: 'network',
          object_id: net.id,
          target_tenant: attrs.target_tenant,
          action: attrs.action,
        },
        false,
      )
      await s.rbacPolicies.insert(doc)
      // A grant changes the network (upstream bumps its revision); an external grant
      // makes it external.
      await bumpNetwork(s, net.id, attrs.action === 'access_as_external' ? { 'router:external': true } : {})
      return doc
    })
  }

  /** Whether the caller sees the network at all (owner, shared, or granted). */
  private async visible(caller: Caller, net: Doc): Promise<boolean> {
    if (net.project_id === caller.projectId || net.shared) return true
    const grants = await this.store.rbacPolicies.find({
      object_type: 'network',
      object_id: net.id,
      target_tenant: [caller.projectId, '*'],
    })
    return grants.length > 0
  }

  /**
   * What of other projects relies on a grant to `targetTenant` and no other grant covers:
   * ports for a shared grant, router gateways and floating IPs for an external one.
   */
  private async dependents(s: NetworkStore, policy: Doc, targetTenant: string): Promise<Held[]> {
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

  private async externalDependents(s: NetworkStore, policy: Doc, targetTenant: string): Promise<Held[]> {
    const net = await s.networks.get(String(policy.object_id))
    if (!net) return []
    const others = (
      await s.rbacPolicies.find({ object_type: 'network', object_id: net.id, action: 'access_as_external' })
    ).filter((r) => r.id !== policy.id)
    const covered = (project: string) =>
      project === net.project_id || others.some((r) => r.target_tenant === '*' || r.target_tenant === project)
    const relies = (project: string) =>
      (targetTenant === '*' || project === targetTenant) && !covered(project)
    const held: Held[] = []
    for (const p of await s.ports.find({ network_id: net.id, device_owner: 'network:router_gateway' })) {
      const router = await s.routers.get(String(p.device_id))
      if (router && relies(router.project_id)) held.push({ id: router.id, project_id: router.project_id })
    }
    for (const f of await s.floatingIps.find({ floating_network_id: net.id }))
      if (relies(f.project_id)) held.push({ id: f.id, project_id: f.project_id })
    return held
  }

  async update(caller: Caller, id: string, attrs: Record<string, unknown>): Promise<Doc> {
    const current = await this.load(caller, id)
    const target = { ...current, ...attrs, 'rbac:wildcard': attrs.target_tenant === '*' }
    caller.can('update_rbac_policy', target)
    caller.can('update_rbac_policy:target_tenant', target)
    const saved = await this.store.tx(async (s) => {
      // What relies on the grant may keep relying on it if the new target still covers it.
      const held = (await this.dependents(s, current, String(current.target_tenant))).filter(
        (d) => attrs.target_tenant !== '*' && d.project_id !== attrs.target_tenant,
      )
      if (held.length)
        throw typed(
          'conflict',
          'network.rbac.in_use',
          'RbacPolicyInUse',
          `RBAC policy on object ${current.object_id} cannot be changed because other objects depend on it (${held.map((d) => d.id).join(', ')}).`,
        )
      return this.modify(id, (d) => ({ ...d, target_tenant: attrs.target_tenant }), s, false)
    })
    return this.view(caller, saved, await this.target(saved))
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const current = await this.load(caller, id)
    caller.can('delete_rbac_policy', await this.target(current))
    await this.store.tx(async (s) => {
      const held = await this.dependents(s, current, String(current.target_tenant))
      if (held.length)
        throw typed(
          'conflict',
          'network.rbac.in_use',
          'RbacPolicyInUse',
          `RBAC policy on object ${current.object_id} cannot be removed because other objects depend on it (${held.map((d) => d.id).join(', ')}).`,
        )
      if (!(await s.rbacPolicies.delete(id))) throw notFound('rbac_policy', id)
      // The last external grant gone, the network is internal again (as upstream's).
      const external =
        current.action === 'access_as_external'
          ? (
              await s.rbacPolicies.find({
                object_type: 'network',
                object_id: String(current.object_id),
                action: 'access_as_external',
              })
            ).length > 0
          : undefined
      await bumpNetwork(
        s,
        String(current.object_id),
        external === undefined ? {} : { 'router:external': external },
      )
    })
  }
}
