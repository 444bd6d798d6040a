/**
 * The network service's tables. Every API resource is one row: the columns lists filter
 * and constraints need (project, network, device, addresses), and `data`, the resource's
 * whole JSON document as the API shows it. `revision_number` doubles as the row's
 * generation: every update is a compare-and-swap on it.
 *
 * The tables that make allocation race-free hold one row per thing handed out, under a
 * unique key, so two writers can never both get it:
 *   neutron_ip_allocations        (subnet_id, ip_address)
 *   neutron_segment_allocations   (network_type, physical_network, segmentation_id)
 *   neutron_ports                 (network_id, mac_address)
 *   neutron_default_security_groups (project_id)
 */

/** The columns every resource table has. */
export interface ResourceRow {
  id: string
  project_id: string
  name: string
  data: string
  revision_number: number
  created_at: string
  updated_at: string
}

/** A table whose rows also hold their view as lists answer it (migration 0004). */
export interface StoredViewRow {
  view: Uint8Array | null
}

export interface NetworkRow extends ResourceRow {
  shared: number
  external: number
}

export interface SubnetRow extends ResourceRow, StoredViewRow {
  network_id: string
  ip_version: number
  cidr: string
  subnetpool_id: string | null
  segment_id: string | null
}

export interface PortRow extends ResourceRow, StoredViewRow {
  network_id: string
  device_id: string
  device_owner: string
  mac_address: string
}

export interface SegmentRow extends ResourceRow {
  network_id: string
  network_type: string
  physical_network: string
  segmentation_id: number | null
  segment_index: number
}

export interface SecurityGroupRuleRow extends ResourceRow, StoredViewRow {
  security_group_id: string
  remote_group_id: string | null
}

export interface FloatingIpRow extends ResourceRow {
  floating_network_id: string
  floating_port_id: string
  port_id: string | null
  router_id: string | null
}

export interface TrunkRow extends ResourceRow {
  port_id: string
}

export interface RbacRow extends ResourceRow {
  object_type: string
  object_id: string
  target_tenant: string
  action: string
}

export interface PortForwardingRow extends ResourceRow {
  floatingip_id: string
  internal_port_id: string
  protocol: string
  /** The port or range (`80`, `8000:8010`) as given. */
  external_port: string
  /** `<address>:<port or range>`. */
  internal_socket: string
}

/** A project's auto-allocated topology ('' ids while it is being built). */
export interface AutoTopologyRow {
  project_id: string
  network_id: string
  router_id: string
}

export interface IpAllocationRow {
  subnet_id: string
  ip_address: string
  port_id: string
  network_id: string
}

export interface SegmentAllocationRow {
  network_type: string
  /** '' for types without physical networks (vxlan, geneve, gre). */
  physical_network: string
  segmentation_id: number
  network_id: string
}

export interface PortSecurityGroupRow {
  port_id: string
  security_group_id: string
}

export interface DefaultSecurityGroupRow {
  project_id: string
  security_group_id: string
}

export interface QuotaRow {
  project_id: string
  resource: string
  hard_limit: number
}

export interface SubportRow {
  port_id: string
  trunk_id: string
  segmentation_type: string
  segmentation_id: number
}

export interface NetworkDatabase {
  neutron_networks: NetworkRow
  neutron_subnets: SubnetRow
  neutron_ports: PortRow
  neutron_segments: SegmentRow
  neutron_security_groups: ResourceRow
  neutron_security_group_rules: SecurityGroupRuleRow
  neutron_routers: ResourceRow
  neutron_floatingips: FloatingIpRow
  neutron_trunks: TrunkRow
  neutron_rbac_policies: RbacRow
  neutron_address_scopes: ResourceRow
  neutron_subnetpools: ResourceRow
  neutron_metering_labels: ResourceRow
  neutron_metering_label_rules: ResourceRow
  neutron_qos_policies: ResourceRow
  neutron_agents: ResourceRow
  neutron_port_forwardings: PortForwardingRow
  neutron_auto_allocated_topologies: AutoTopologyRow
  neutron_ip_allocations: IpAllocationRow
  neutron_segment_allocations: SegmentAllocationRow
  neutron_port_security_groups: PortSecurityGroupRow
  neutron_default_security_groups: DefaultSecurityGroupRow
  neutron_quotas: QuotaRow
  neutron_subports: SubportRow
}

export type ResourceTable = {
  [K in keyof NetworkDatabase]: NetworkDatabase[K] extends ResourceRow ? K : never
}[keyof NetworkDatabase]
