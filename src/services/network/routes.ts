/**
 * The network service's route table: method and path (under /network) → handler, with
 * the Neutron policy each route answers to. Neutron checks most rules against the object
 * a request names (its project, its network's project, whether that network is shared),
 * so the domain enforces them once it has loaded it (`enforce: 'handler'`); lists check
 * `get_<resource>` per item and are declared `authenticated`.
 */
import type { FastifyRequest } from 'fastify'
import type { Route } from '../../kernel/http/index.js'
import type { NetworkDeps } from './handlers/common.js'
import * as discovery from './handlers/discovery.js'
import * as pf from './handlers/port-forwardings.js'
import * as qos from './handlers/qos.js'
import * as quotas from './handlers/quotas.js'
import * as res from './handlers/resources.js'
import { QOS_RULE_TYPES, type QosRuleType } from './schemas/attributes.js'

type R = Route<NetworkDeps>
const V = '/v2.0'

type Handlers = ReturnType<typeof import('./handlers/common.js').collection>

/** The routes of a standard collection; `ops` limits the methods. */
function collectionRoutes(
  path: string,
  resource: string,
  h: Handlers,
  ops: { update?: boolean; tags?: boolean; tagRule?: string } = {},
): R[] {
  const base = `${V}/${path}`
  const item = `${base}/:id`
  const onItem = (action: string): Pick<R, 'policy' | 'enforce'> => ({
    policy: `${action}_${resource}`,
    enforce: 'handler',
  })
  const routes: R[] = [
    { method: 'GET', path: base, authenticated: true, handler: h.list },
    { method: 'POST', path: base, ...onItem('create'), handler: h.create },
    { method: 'GET', path: item, ...onItem('get'), handler: h.show },
    { method: 'DELETE', path: item, ...onItem('delete'), handler: h.delete },
  ]
  if (ops.update !== false) routes.push({ method: 'PUT', path: item, ...onItem('update'), handler: h.update })
  if (ops.tags !== false) {
    const tags = `${item}/tags`
    const tagWrite = (): Pick<R, 'policy' | 'enforce'> =>
      ops.tagRule ? { policy: ops.tagRule, enforce: 'handler' } : onItem('update')
    routes.push(
      { method: 'GET', path: tags, ...onItem('get'), handler: h.getTags },
      { method: 'PUT', path: tags, ...tagWrite(), handler: h.putTags },
      { method: 'DELETE', path: tags, ...tagWrite(), handler: h.deleteTags },
      { method: 'GET', path: `${tags}/:tag`, ...onItem('get'), handler: h.hasTag },
      { method: 'PUT', path: `${tags}/:tag`, ...tagWrite(), handler: h.addTag },
      { method: 'DELETE', path: `${tags}/:tag`, ...tagWrite(), handler: h.removeTag },
    )
  }
  return routes
}

/** A router's member action: PUT /v2.0/routers/<id>/<action>. */
function routerAction(action: string, handler: R['handler']): R[] {
  return [{ method: 'PUT', path: `${V}/routers/:id/${action}`, policy: action, enforce: 'handler', handler }]
}

/** A floating IP's port forwardings. */
function portForwardingRoutes(): R[] {
  const base = `${V}/floatingips/:id/port_forwardings`
  const item = `${base}/:pf_id`
  const on = (action: string): Pick<R, 'policy' | 'enforce'> => ({
    policy: `${action}_floatingip_port_forwarding`,
    enforce: 'handler',
  })
  return [
    { method: 'GET', path: base, ...on('get'), handler: pf.list },
    { method: 'POST', path: base, ...on('create'), handler: pf.create },
    { method: 'GET', path: item, ...on('get'), handler: pf.show },
    { method: 'PUT', path: item, ...on('update'), handler: pf.update },
    { method: 'DELETE', path: item, ...on('delete'), handler: pf.remove },
  ]
}

/** A QoS rule type's sub-collection under its policy. */
function qosRuleRoutes(type: QosRuleType): R[] {
  const h = qos.rules(type)
  const base = `${V}/qos/policies/:id/${type}_rules`
  const item = `${base}/:rule_id`
  const rule = (action: string): Pick<R, 'policy' | 'enforce'> => ({
    policy: `${action}_policy_${type}_rule`,
    enforce: 'handler',
  })
  return [
    { method: 'GET', path: base, ...rule('get'), handler: h.list },
    { method: 'POST', path: base, ...rule('create'), handler: h.create },
    { method: 'GET', path: item, ...rule('get'), handler: h.show },
    { method: 'PUT', path: item, ...rule('update'), handler: h.update },
    { method: 'DELETE', path: item, ...rule('delete'), handler: h.delete },
  ]
}

const urlProject = (req: FastifyRequest) => {
  const p = (req.params as Record<string, string>).project_id
  return { project_id: p, tenant_id: p }
}

export const ROUTES: readonly R[] = [
  { method: 'GET', path: '/', public: true, handler: discovery.listVersions },
  { method: 'GET', path: V, public: true, handler: discovery.showVersion },
  { method: 'GET', path: `${V}/extensions`, authenticated: true, handler: discovery.listExtensions },
  { method: 'GET', path: `${V}/extensions/:alias`, authenticated: true, handler: discovery.showExtension },
  {
    method: 'GET',
    path: `${V}/service-providers`,
    policy: 'get_service_provider',
    handler: discovery.listServiceProviders,
  },

  ...collectionRoutes('networks', 'network', res.networks),
  ...collectionRoutes('subnets', 'subnet', res.subnets),
  ...collectionRoutes('ports', 'port', res.ports),
  ...collectionRoutes('security-groups', 'security_group', res.securityGroups),
  ...collectionRoutes('security-group-rules', 'security_group_rule', res.securityGroupRules, {
    update: false,
    tags: false,
  }),

  ...collectionRoutes('routers', 'router', res.routers),
  ...routerAction('add_router_interface', res.addRouterInterface),
  ...routerAction('remove_router_interface', res.removeRouterInterface),
  ...routerAction('add_extraroutes', res.addExtraRoutes),
  ...routerAction('remove_extraroutes', res.removeExtraRoutes),
  ...collectionRoutes('floatingips', 'floatingip', res.floatingIps),
  ...portForwardingRoutes(),

  // dhcp_agent_scheduler
  {
    method: 'GET',
    path: `${V}/networks/:id/dhcp-agents`,
    policy: 'get_dhcp-agents',
    enforce: 'handler',
    handler: res.listDhcpAgentsOfNetwork,
  },
  {
    method: 'GET',
    path: `${V}/agents/:id/dhcp-networks`,
    policy: 'get_dhcp-networks',
    enforce: 'handler',
    handler: res.listNetworksOfDhcpAgent,
  },
  {
    method: 'POST',
    path: `${V}/agents/:id/dhcp-networks`,
    policy: 'create_dhcp-network',
    enforce: 'handler',
    handler: res.addNetworkToDhcpAgent,
  },
  {
    method: 'DELETE',
    path: `${V}/agents/:id/dhcp-networks/:network_id`,
    policy: 'delete_dhcp-network',
    enforce: 'handler',
    handler: res.removeNetworkFromDhcpAgent,
  },
  // Agents: a member's list is empty (get_agent per item), as upstream's.
  { method: 'GET', path: `${V}/agents`, authenticated: true, handler: res.agents.list },
  {
    method: 'GET',
    path: `${V}/agents/:id`,
    policy: 'get_agent',
    enforce: 'handler',
    handler: res.agents.show,
  },
  {
    method: 'PUT',
    path: `${V}/agents/:id`,
    policy: 'update_agent',
    enforce: 'handler',
    handler: res.agents.update,
  },
  {
    method: 'DELETE',
    path: `${V}/agents/:id`,
    policy: 'delete_agent',
    enforce: 'handler',
    handler: res.agents.delete,
  },
  ...collectionRoutes('address-scopes', 'address_scope', res.addressScopes),
  ...collectionRoutes('subnetpools', 'subnetpool', res.subnetPools),
  ...collectionRoutes('trunks', 'trunk', res.trunks),
  {
    method: 'PUT',
    path: `${V}/trunks/:id/add_subports`,
    policy: 'add_subports',
    enforce: 'handler',
    handler: res.addSubports,
  },
  {
    method: 'PUT',
    path: `${V}/trunks/:id/remove_subports`,
    policy: 'remove_subports',
    enforce: 'handler',
    handler: res.removeSubports,
  },
  {
    method: 'GET',
    path: `${V}/trunks/:id/get_subports`,
    policy: 'get_subports',
    enforce: 'handler',
    handler: res.getSubports,
  },
  ...collectionRoutes('rbac-policies', 'rbac_policy', res.rbacPolicies, { tags: false }),
  ...collectionRoutes('segments', 'segment', res.segments, { tags: false }),
  ...collectionRoutes('metering/metering-labels', 'metering_label', res.meteringLabels, {
    update: false,
    tags: false,
  }),
  ...collectionRoutes('metering/metering-label-rules', 'metering_label_rule', res.meteringRules, {
    update: false,
    tags: false,
  }),
  ...collectionRoutes('qos/policies', 'policy', qos.policies, { tagRule: 'update_policies_tags' }),
  // NOTE: the tag extension names QoS policies `policies`, without the qos prefix.
  ...collectionRoutes('policies', 'policy', qos.policies, { tagRule: 'update_policies_tags' }).filter((r) =>
    r.path.includes('/tags'),
  ),
  ...(Object.keys(QOS_RULE_TYPES) as QosRuleType[]).flatMap(qosRuleRoutes),
  {
    method: 'GET',
    path: `${V}/qos/rule-types`,
    policy: 'get_rule_type',
    enforce: 'handler',
    handler: qos.listRuleTypes,
  },
  {
    method: 'GET',
    path: `${V}/qos/rule-types/:type`,
    policy: 'get_rule_type',
    enforce: 'handler',
    handler: qos.showRuleType,
  },
  {
    method: 'GET',
    path: `${V}/network-ip-availabilities`,
    policy: 'get_network_ip_availability',
    enforce: 'handler',
    handler: res.listIpAvailability,
  },
  {
    method: 'GET',
    path: `${V}/network-ip-availabilities/:id`,
    policy: 'get_network_ip_availability',
    enforce: 'handler',
    handler: res.showIpAvailability,
  },
  {
    method: 'GET',
    path: `${V}/availability_zones`,
    policy: 'get_availability_zone',
    enforce: 'handler',
    handler: res.listAvailabilityZones,
  },

  {
    method: 'GET',
    path: `${V}/auto-allocated-topology/:project_id`,
    policy: 'get_auto_allocated_topology',
    enforce: 'handler',
    handler: res.getAutoTopology,
  },
  {
    method: 'DELETE',
    path: `${V}/auto-allocated-topology/:project_id`,
    policy: 'delete_auto_allocated_topology',
    enforce: 'handler',
    handler: res.deleteAutoTopology,
  },

  { method: 'GET', path: `${V}/quotas`, authenticated: true, handler: quotas.listQuotas },
  {
    method: 'GET',
    path: `${V}/quotas/:project_id`,
    policy: 'get_quota',
    target: urlProject,
    handler: quotas.showQuota,
  },
  {
    method: 'GET',
    path: `${V}/quotas/:project_id/default`,
    policy: 'get_quota',
    target: urlProject,
    handler: quotas.showDefaultQuota,
  },
  {
    method: 'GET',
    path: `${V}/quotas/:project_id/details`,
    policy: 'get_quota',
    target: urlProject,
    handler: quotas.showQuotaDetails,
  },
  // NOTE: tempest's client still asks for the details with Neutron's old `.json` suffix.
  {
    method: 'GET',
    path: `${V}/quotas/:project_id/details.json`,
    policy: 'get_quota',
    target: urlProject,
    handler: quotas.showQuotaDetails,
  },
  {
    method: 'PUT',
    path: `${V}/quotas/:project_id`,
    policy: 'update_quota',
    target: urlProject,
    handler: quotas.updateQuota,
  },
  {
    method: 'DELETE',
    path: `${V}/quotas/:project_id`,
    policy: 'delete_quota',
    target: urlProject,
    handler: quotas.deleteQuota,
  },
]
