/**
 * The default topology `cloudlet up` makes once, as devstack does: an external flat
 * network `public` (physical network `public`) with `public-subnet`, a shared network
 * `private` with `private-subnet`, and `router1` joining them, all owned by the admin
 * project, and the shared default IPv4 subnet pool auto-allocated topologies draw from. A
 * data directory that has any network already is left alone.
 */
import { RequestContext } from '../../../kernel/auth/index.js'
import type { Enforcer } from '../../../kernel/policy/index.js'
import type { Services } from '../service-deps.js'
import type { NetworkStore } from '../storage/index.js'
import { Caller } from './resource.js'

export interface TopologyOptions {
  adminProjectId: string
  publicCidr: string
  privateCidr: string
  /** The prefix of the shared default subnet pool; none when empty. */
  defaultPoolPrefix?: string
}

export interface DefaultTopology {
  public: string
  private: string
  router: string
}

export async function ensureDefaultTopology(
  store: NetworkStore,
  services: Services,
  enforcer: Enforcer,
  opts: TopologyOptions,
): Promise<DefaultTopology | undefined> {
  if ((await store.networks.count()) > 0) return undefined
  const ctx = new RequestContext(
    'req-cloudlet-default-topology',
    enforcer,
    {
      user_id: 'cloudlet',
      project_id: opts.adminProjectId,
      roles: ['admin', 'member', 'reader'],
    },
    undefined,
  )
  const c = new Caller(ctx)
  const keys = (o: object) => new Set(Object.keys(o))
  const pub = {
    name: 'public',
    'router:external': true,
    'provider:network_type': 'flat',
    'provider:physical_network': 'public',
    admin_state_up: true,
    shared: false,
    port_security_enabled: true,
    availability_zone_hints: [],
    description: '',
    is_default: true,
  }
  const publicNet = await services.networks.create(c, { ...pub }, keys(pub))
  const pubSub = {
    name: 'public-subnet',
    network_id: publicNet.id,
    ip_version: 4,
    cidr: opts.publicCidr,
    enable_dhcp: false,
    dns_nameservers: [],
    host_routes: [],
    service_types: [],
    description: '',
    subnetpool_id: null,
    ipv6_ra_mode: null,
    ipv6_address_mode: null,
  }
  await services.subnets.create(c, { ...pubSub }, keys(pubSub))
  const priv = {
    name: 'private',
    shared: true,
    'router:external': false,
    admin_state_up: true,
    port_security_enabled: true,
    availability_zone_hints: [],
    description: '',
    is_default: false,
  }
  const privateNet = await services.networks.create(c, { ...priv }, keys(priv))
  const privSub = {
    ...pubSub,
    name: 'private-subnet',
    network_id: privateNet.id,
    cidr: opts.privateCidr,
    enable_dhcp: true,
  }
  const privateSubnet = await services.subnets.create(c, { ...privSub }, keys(privSub))
  const r = {
    name: 'router1',
    admin_state_up: true,
    external_gateway_info: { network_id: publicNet.id },
    availability_zone_hints: [],
    description: '',
  }
  const router = await services.routers.create(c, { ...r }, keys(r))
  await services.routers.addInterface(c, router.id, { subnet_id: privateSubnet.id })
  // The shared default pool `networks: auto` (auto-allocated topology) takes subnets from.
  if (opts.defaultPoolPrefix) {
    const pool = {
      name: 'shared-default-subnetpool-v4',
      prefixes: [opts.defaultPoolPrefix],
      default_prefixlen: 26,
      shared: true,
      is_default: true,
      description: '',
    }
    await services.subnetPools.create(c, { ...pool }, keys(pool))
  }
  return { public: publicNet.id, private: privateNet.id, router: router.id }
}
