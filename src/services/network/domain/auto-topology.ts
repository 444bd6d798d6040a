/**
 * Auto-allocated topology ("get me a network"): for a project, a network
 * `auto_allocated_network` with one subnet per default subnet pool
 * (`auto_allocated_subnet_v4`, `_v6`) and a router `auto_allocated_router` joining them
 * to the default external network, all owned by the project. Built once: a claim row per
 * project decides who builds it; another caller meanwhile waits for it. `dry-run` says
 * whether the cloud has what it takes.
 */
import { RequestContext } from '../../../kernel/auth/index.js'
import type { Enforcer } from '../../../kernel/policy/index.js'
import { typed } from '../errors.js'
import type { Services } from '../service-deps.js'
import type { Doc, NetworkStore } from '../storage/index.js'
import { Caller } from './resource.js'

const NET = 'auto_allocated_network'
const ROUTER = 'auto_allocated_router'

function failure(reason: string) {
  return typed(
    'conflict',
    'network.auto_topology.failed',
    'AutoAllocationFailure',
    `Deployment error: ${reason}.`,
  )
}

export class AutoTopology {
  private enforcer?: Enforcer

  constructor(
    private readonly store: NetworkStore,
    private readonly services: Services,
  ) {}

  /** The enforcer the elevated context checks with (set once the service has it). */
  useEnforcer(enforcer: Enforcer) {
    this.enforcer = enforcer
  }

  /** The requirements: a default external network and at least one default pool. */
  private async requirements(): Promise<{ external: Doc; pools: Doc[] }> {
    const external = (await this.store.networks.find({ external: 1 })).find((n) => n.is_default)
    if (!external) throw failure('No default router:external network')
    const pools = (await this.store.subnetPools.find()).filter((p) => p.is_default)
    const byVersion = new Map<number, Doc>()
    for (const p of pools) if (!byVersion.has(Number(p.ip_version))) byVersion.set(Number(p.ip_version), p)
    if (!byVersion.size) throw failure('No default subnetpools defined')
    return { external, pools: [...byVersion.values()] }
  }

  async get(caller: Caller, projectId: string, dryRun: boolean) {
    caller.can('get_auto_allocated_topology', { project_id: projectId, tenant_id: projectId })
    if (dryRun) {
      await this.requirements()
      return { 'dry-run': 'pass' }
    }
    const existing = await this.waitBuilt(projectId, 0)
    if (existing) return { id: existing, tenant_id: projectId, project_id: projectId }
    if (!(await this.store.autoTopologies.claim(projectId))) {
      const built = await this.waitBuilt(projectId, 100)
      if (built) return { id: built, tenant_id: projectId, project_id: projectId }
      throw failure("Another request is still building this project's topology; try again")
    }
    try {
      const { network, router } = await this.build(projectId)
      await this.store.autoTopologies.built(projectId, network, router)
      return { id: network, tenant_id: projectId, project_id: projectId }
    } catch (e) {
      await this.store.autoTopologies.drop(projectId)
      throw e
    }
  }

  /** The built topology's network, waiting up to `tries` × 50 ms for another builder. */
  private async waitBuilt(projectId: string, tries: number): Promise<string | undefined> {
    for (let i = 0; ; i++) {
      const row = await this.store.autoTopologies.of(projectId)
      if (row?.network_id) return row.network_id
      if (!row || i >= tries) return undefined
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  /** A caller acting for the project with admin rights (the topology is the project's). */
  private elevated(projectId: string): Caller {
    if (!this.enforcer) throw new Error('auto-allocated topology used before the service started')
    const ctx = new RequestContext(
      'req-auto-allocated-topology',
      this.enforcer,
      { user_id: 'neutron', project_id: projectId, roles: ['admin', 'member', 'reader'] },
      undefined,
    )
    return new Caller(ctx)
  }

  private async build(projectId: string): Promise<{ network: string; router: string }> {
    const { external, pools } = await this.requirements()
    const c = this.elevated(projectId)
    const s = this.services
    const keys = (o: object) => new Set(Object.keys(o))
    const made: { kind: 'network' | 'router'; id: string }[] = []
    try {
      const net = { name: NET, admin_state_up: true, shared: false, description: '', project_id: projectId }
      const network = await s.networks.create(c, { ...net }, keys(net))
      made.push({ kind: 'network', id: network.id })
      const r = {
        name: ROUTER,
        admin_state_up: true,
        external_gateway_info: { network_id: external.id },
        description: '',
        project_id: projectId,
      }
      const router = await s.routers.create(c, { ...r }, keys(r))
      made.push({ kind: 'router', id: router.id })
      for (const pool of pools) {
        const v = Number(pool.ip_version)
        const sub = {
          name: `auto_allocated_subnet_v${v}`,
          network_id: network.id,
          ip_version: v,
          subnetpool_id: pool.id,
          enable_dhcp: true,
          dns_nameservers: [],
          host_routes: [],
          service_types: [],
          description: '',
          ipv6_ra_mode: v === 6 ? 'slaac' : null,
          ipv6_address_mode: v === 6 ? 'slaac' : null,
          project_id: projectId,
        }
        const subnet = await s.subnets.create(c, { ...sub }, keys(sub))
        await s.routers.addInterface(c, router.id, { subnet_id: subnet.id })
      }
      return { network: network.id, router: router.id }
    } catch (e) {
      // Nothing half-made stays: the router (with its interfaces), then the network.
      await this.teardown(c, made).catch(() => {})
      throw e
    }
  }

  private async teardown(c: Caller, made: { kind: 'network' | 'router'; id: string }[]) {
    for (const m of made.reverse()) {
      if (m.kind === 'router') {
        for (const p of await this.store.ports.find({
          device_id: m.id,
          device_owner: 'network:router_interface',
        }))
          await this.services.routers.removeInterface(c, m.id, { port_id: p.id })
        await this.services.routers.delete(c, m.id)
      } else await this.services.networks.delete(c, m.id)
    }
  }

  async delete(caller: Caller, projectId: string): Promise<void> {
    caller.can('delete_auto_allocated_topology', { project_id: projectId, tenant_id: projectId })
    const row = await this.store.autoTopologies.of(projectId)
    if (!row?.network_id) return
    const c = this.elevated(projectId)
    const made: { kind: 'network' | 'router'; id: string }[] = [{ kind: 'network', id: row.network_id }]
    if (row.router_id) made.push({ kind: 'router', id: row.router_id })
    await this.teardown(c, made)
    await this.store.autoTopologies.drop(projectId)
  }
}
