/**
 * The network service's configuration, with Neutron's section and option names: the
 * `[DEFAULT]` base MAC and MTU, ML2's type drivers and ranges (`[ml2]`, `[ml2_type_flat]`,
 * `[ml2_type_vlan]`, `[ml2_type_vxlan]`, `[ml2_type_geneve]`), `[quotas]` defaults, and
 * `[network_database] connection` for the service's own tables.
 *
 * NOTE: the ML2 defaults are devstack's (vxlan project networks over VNIs 1:1000, a flat
 * `public` physical network), not neutron.conf's (`local` networks, no ranges), so a fresh
 * `cloudlet up` can create project networks at once.
 */
import { type ConfigOf, defineSections, opt } from '../../kernel/config/index.js'
import type { HostConfig } from '../../kernel/host/index.js'

const quota = (name: string, def: number) =>
  opt.int({ default: def, min: -1, help: `Default number of ${name} per project; -1 is unlimited.` })

export const networkConfig = defineSections({
  DEFAULT: {
    base_mac: opt.str({
      default: 'fa:16:3e:00:00:00',
      help: 'The base MAC address ports get theirs from; the first three octets stay, the rest are random where the base has 00.',
    }),
    global_physnet_mtu: opt.int({
      default: 1500,
      min: 68,
      help: 'MTU of the underlying physical network; overlay networks get it minus their encapsulation overhead.',
    }),
    max_fixed_ips_per_port: opt.int({
      default: 5,
      min: 1,
      help: 'The largest number of fixed IPs a port may have (deprecated upstream, kept for its check).',
    }),
    dns_domain: opt.str({ default: 'openstacklocal', help: 'Domain used for hostnames of ports.' }),
  },
  ml2: {
    type_drivers: opt.list({
      default: ['local', 'flat', 'vlan', 'gre', 'vxlan', 'geneve'],
      help: 'Network types that may be created (local, flat, vlan, gre, vxlan, geneve).',
    }),
    tenant_network_types: opt.list({
      default: ['vxlan'],
      help: 'Network types given to project networks, in order of preference.',
    }),
    mechanism_drivers: opt.list({
      default: ['simulated'],
      help: 'Mechanism drivers that bind ports; `simulated` binds every port on any host (no datapath).',
    }),
    extension_drivers: opt.list({
      default: ['port_security'],
      help: 'ML2 extension drivers (port_security turns on the port security attribute).',
    }),
    path_mtu: opt.int({
      default: 0,
      min: 0,
      help: 'Maximum MTU of overlay paths; 0 uses global_physnet_mtu.',
    }),
  },
  ml2_type_flat: {
    flat_networks: opt.list({
      default: ['*'],
      help: 'Physical networks flat networks may be created on; * allows any name.',
    }),
  },
  ml2_type_vlan: {
    network_vlan_ranges: opt.list({
      default: ['physnet1:1000:1999'],
      help: '<physical_network>[:<vlan_min>:<vlan_max>] entries: where VLAN provider networks may be and which VLANs project networks get.',
    }),
  },
  ml2_type_vxlan: {
    vni_ranges: opt.list({
      default: ['1:1000'],
      help: '<vni_min>:<vni_max> ranges of VXLAN VNIs project networks are given.',
    }),
  },
  ml2_type_geneve: {
    vni_ranges: opt.list({
      default: ['1:1000'],
      help: '<vni_min>:<vni_max> ranges of Geneve VNIs project networks are given.',
    }),
    max_header_size: opt.int({ default: 38, min: 0, help: 'Geneve encapsulation header size.' }),
  },
  ml2_type_gre: {
    tunnel_id_ranges: opt.list({
      default: ['1:1000'],
      help: '<tun_min>:<tun_max> ranges of GRE tunnel ids project networks are given.',
    }),
  },
  quotas: {
    quota_network: quota('networks', 100),
    quota_subnet: quota('subnets', 100),
    quota_port: quota('ports', 500),
    quota_router: quota('routers', 10),
    quota_floatingip: quota('floating IPs', 50),
    quota_security_group: quota('security groups', 10),
    quota_security_group_rule: quota('security group rules', 100),
    quota_rbac_policy: quota('RBAC policies', 10),
    quota_subnetpool: quota('subnet pools', -1),
    quota_trunk: quota('trunks', -1),
  },
  network_database: {
    connection: opt.str({
      default: undefined,
      secret: true,
      help: "Database URL of the network service's tables; unset: [database] connection, else <data-dir>/network.db.",
    }),
  },
  cloudlet_network: {
    default_topology: opt.bool({
      default: true,
      help: 'On `cloudlet up`, create the devstack topology once: an external network `public` with a subnet and a shared network `private` with a subnet.',
    }),
    public_cidr: opt.str({ default: '172.24.4.0/24', help: 'CIDR of the default `public-subnet`.' }),
    private_cidr: opt.str({ default: '10.0.0.0/26', help: 'CIDR of the default `private-subnet`.' }),
    default_subnetpool_prefix: opt.str({
      default: '10.128.0.0/16',
      help: 'Prefix of the shared default subnet pool `shared-default-subnetpool-v4` (/26 subnets) the default topology creates, for auto-allocated topologies; empty for none.',
    }),
  },
})

export type NetworkConfig = ConfigOf<typeof networkConfig> & HostConfig
