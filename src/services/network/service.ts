/**
 * Builds the network service from its module context: storage, ML2, the domain services
 * and the API plugin. Loaded only when a process runs the network module.
 */
import type { ModuleContext, ServiceInstance } from '../../kernel/host/index.js'
import type { NetworkConfig } from './config.js'
import { Agents } from './domain/agents.js'
import { AutoTopology } from './domain/auto-topology.js'
import { IpAvailability } from './domain/availability.js'
import { FloatingIps } from './domain/floating-ips.js'
import { Ipam } from './domain/ipam.js'
import { MeteringLabels, MeteringRules } from './domain/metering.js'
import { Ml2 } from './domain/ml2.js'
import { Networks } from './domain/networks.js'
import { PortForwardings } from './domain/port-forwardings.js'
import { Ports } from './domain/ports.js'
import { QosPolicies } from './domain/qos.js'
import { Quotas } from './domain/quotas.js'
import { RbacPolicies } from './domain/rbac.js'
import { policedAttributes } from './domain/resource.js'
import { Routers } from './domain/routers.js'
import { SecurityGroupRules, SecurityGroups } from './domain/security-groups.js'
import { Segments } from './domain/segments.js'
import { AddressScopes, SubnetPools } from './domain/subnet-pools.js'
import { Subnets } from './domain/subnets.js'
import { ensureDefaultTopology } from './domain/topology.js'
import { Trunks } from './domain/trunks.js'
import type { NetworkDeps } from './handlers/common.js'
import { NETWORK_PREFIX } from './module.js'
import { networkPlugin } from './plugin.js'
import { NETWORK_POLICY_RULES } from './policies/index.js'
import { PORT, SECURITY_GROUP_RULE, SUBNET } from './schemas/attributes.js'
import type { Services } from './service-deps.js'
import { NetworkStore, StoredViews, type ViewLayouts } from './storage/index.js'
import type { NetworkDatabase } from './storage/schema.js'

/** Wires the domain services over one store. */
export function buildServices(
  store: NetworkStore,
  config: NetworkConfig,
  computeHosts?: () => Promise<string[]>,
): Services {
  const ml2 = new Ml2(config)
  const quotas = new Quotas(store, config.quotas)
  const ipam = new Ipam()
  const securityGroups = new SecurityGroups(store, quotas)
  const securityGroupRules = new SecurityGroupRules(store, quotas, securityGroups)
  const rbacPolicies = new RbacPolicies(store, quotas)
  const qosPolicies = new QosPolicies(store, rbacPolicies)
  const networks = new Networks(store, ml2, quotas, {
    defaultQosPolicy: (projectId, s) => qosPolicies.defaultFor(projectId, s),
    ensureDefaultGroup: (projectId, s) => securityGroups.ensureDefault(projectId, s),
    rbacTargets: async (ids) => {
      const out = new Map<string, { shared: Set<string>; external: Set<string> }>()
      if (!ids.length) return out
      for (const r of await store.rbacPolicies.find({ object_type: 'network', object_id: [...ids] })) {
        const e = out.get(String(r.object_id)) ?? { shared: new Set<string>(), external: new Set<string>() }
        ;(r.action === 'access_as_external' ? e.external : e.shared).add(String(r.target_tenant))
        out.set(String(r.object_id), e)
      }
      return out
    },
  })
  const addressScopes = new AddressScopes(store)
  const subnetPools = new SubnetPools(store, addressScopes)
  const subnets = new Subnets(store, networks, quotas, ipam, subnetPools)
  const ports = new Ports(store, networks, securityGroups, quotas, ipam, config)
  const routers = new Routers(store, networks, subnets, ports, quotas)
  const floatingIps = new FloatingIps(store, networks, ports, quotas)
  const meteringLabels = new MeteringLabels(store)
  const services: Omit<Services, 'autoTopology'> = {
    networks,
    subnets,
    ports,
    securityGroups,
    securityGroupRules,
    quotas,
    routers,
    floatingIps,
    trunks: new Trunks(store, ports, quotas),
    rbacPolicies,
    segments: new Segments(store, ml2),
    meteringLabels,
    meteringRules: new MeteringRules(store, meteringLabels),
    ipAvailability: new IpAvailability(store),
    agents: new Agents(store, computeHosts),
    addressScopes,
    subnetPools,
    qosPolicies,
    portForwardings: new PortForwardings(store, floatingIps, ports),
  }
  const all = services as Services
  all.autoTopology = new AutoTopology(store, all)
  return all
}

/**
 * The tables whose rows store their views (migration 0004), each with its resource's
 * policed attributes kept apart, so lists of them concatenate stored JSON.
 */
const STORED_VIEWS: ViewLayouts = {
  neutron_ports: new StoredViews(policedAttributes('port', PORT)),
  neutron_subnets: new StoredViews(policedAttributes('subnet', SUBNET)),
  neutron_security_group_rules: new StoredViews(
    policedAttributes('security_group_rule', SECURITY_GROUP_RULE),
  ),
}

export async function createNetworkService(
  ctx: ModuleContext<NetworkConfig, NetworkDatabase>,
): Promise<ServiceInstance> {
  const store = new NetworkStore(ctx.db, ctx.dialect, STORED_VIEWS)
  // The compute hosts compute's service registry knows (nova-compute services).
  const computeHosts = async () => {
    const r = await ctx
      .client('compute')
      .get<{ services: { host: string }[] }>('/v2.1/os-services?binary=nova-compute')
    return [...new Set(r.services.map((x) => x.host))]
  }
  const services = buildServices(store, ctx.config, computeHosts)
  if (ctx.roles.has('api')) await services.agents.register(ctx.hostName)
  const deps: NetworkDeps = { ...services, config: ctx.config, prefix: NETWORK_PREFIX }
  const enforcer = ctx.enforcer(NETWORK_POLICY_RULES, {
    forbiddenMessage: (rule) => `(rule:${rule}) is disallowed by policy`,
  })
  services.autoTopology.useEnforcer(enforcer)
  const topology = {
    async ensureDefault(adminProjectName: string) {
      const cfg = ctx.config.cloudlet_network
      if (!cfg.default_topology || (await store.networks.count()) > 0) return false
      const found = await ctx
        .client('identity')
        .get<{ projects: { id: string }[] }>(`/v3/projects?name=${encodeURIComponent(adminProjectName)}`)
      const adminProjectId = found.projects[0]?.id
      if (!adminProjectId) return false
      const made = await ensureDefaultTopology(store, services, enforcer, {
        adminProjectId,
        publicCidr: cfg.public_cidr,
        privateCidr: cfg.private_cidr,
        defaultPoolPrefix: cfg.default_subnetpool_prefix,
      })
      if (made) ctx.logger.info(made, 'created the default network topology')
      return made !== undefined
    },
  }
  return {
    ...(ctx.roles.has('api') ? { plugin: networkPlugin(deps, ctx.auth, enforcer) } : {}),
    provides: { networkTopology: topology },
  }
}
