/**
 * The API extensions this service advertises at /v2.0/extensions: only what it really
 * implements, under upstream's aliases (clients and tempest decide what to call from
 * this list).
 */
export interface Extension {
  alias: string
  name: string
  description: string
}

const ext = (alias: string, name: string, description: string): Extension => ({ alias, name, description })

export const EXTENSIONS: readonly Extension[] = [
  ext('agent', 'agent', 'The agent management extension.'),
  ext('auto-allocated-topology', 'Auto Allocated Topology Services', 'Auto Allocated Topology Services.'),
  ext(
    'floating-ip-port-forwarding',
    'Floating IP Port Forwarding',
    'Provide port forwarding to floating IP.',
  ),
  ext(
    'expose-port-forwarding-in-fip',
    'Expose port forwardings in a floating IP',
    'Expose port forwardings in a floating IP',
  ),
  ext(
    'floating-ip-port-forwarding-detail',
    'Floating IP Port Forwarding Detail',
    'Add internal_port_id and id to the port forwardings of a floating IP',
  ),
  ext(
    'floating-ip-port-forwarding-description',
    'Floating IP Port Forwarding new attribute description',
    'Add a description field to Port Forwarding rules',
  ),
  ext(
    'floating-ip-port-forwarding-port-ranges',
    'Floating IP Port Forwarding support port ranges',
    'Add suport to port ranges on Port Forwarding rules',
  ),
  ext('qos', 'Quality of Service', 'The Quality of Service extension.'),
  ext('qos-default', 'QoS default policy', 'Expose the QoS default policy per project'),
  ext(
    'qos-bw-limit-direction',
    'Direction for QoS bandwidth limit rule',
    'Allow to configure QoS bandwidth limit rule with specific direction: ingress or egress',
  ),
  ext(
    'qos-bw-minimum-ingress',
    'Ingress direction for QoS minimum bandwidth rule',
    'Allow to configure QoS minumum bandwidth rule with ingress direction.',
  ),
  ext('qos-pps-minimum', 'QoS minimum packet rate rule', 'Allow to configure QoS minimum packet rate rule.'),
  ext(
    'qos-rule-type-details',
    'Details of QoS rule types',
    'Expose details about QoS rule types supported by loaded backend drivers',
  ),
  ext('address-scope', 'Address scope', 'Address scopes extension.'),
  ext(
    'default-subnetpools',
    'Default Subnetpools',
    'Provides ability to mark and use a subnetpool as the default.',
  ),
  ext('subnet_allocation', 'Subnet Allocation', 'Enables allocation of subnets from a subnet pool'),
  ext('dhcp_agent_scheduler', 'DHCP Agent Scheduler', 'Schedule networks among dhcp agents'),
  ext('dvr', 'Distributed Virtual Router', 'Enables configuration of Distributed Virtual Routers.'),
  ext(
    'ip-substring-filtering',
    'IP address substring filtering',
    'Provides IP address substring filtering when listing ports',
  ),
  ext('l3-ha', 'HA Router extension', 'Adds HA capability to routers.'),
  ext('availability_zone', 'Availability Zone', 'The availability zone extension.'),
  ext('metering', 'Neutron Metering', 'Neutron Metering extension.'),
  ext('network_availability_zone', 'Network Availability Zone', 'Availability zone support for network.'),
  ext(
    'network-ip-availability',
    'Network IP Availability',
    'Provides IP availability data for each network and subnet.',
  ),
  ext(
    'rbac-policies',
    'RBAC Policies',
    'Allows creation and modification of policies that control tenant access to resources.',
  ),
  ext('router_availability_zone', 'Router Availability Zone', 'Availability zone support for router.'),
  ext('segment', 'Segment', 'Segments extension.'),
  ext('trunk', 'Trunk Extension', 'Provides support for trunk ports'),
  ext('trunk-details', 'Trunk port details', 'Expose trunk port details'),
  ext('allowed-address-pairs', 'Allowed Address Pairs', 'Provides allowed address pairs'),
  ext('binding', 'Port Binding', 'Expose port bindings of a virtual port to external application'),
  ext('external-net', 'Neutron external network', 'Adds external network attribute to network resource.'),
  ext('extra_dhcp_opt', 'Neutron Extra DHCP options', 'Extra options configuration for DHCP.'),
  ext('extraroute', 'Neutron Extra Route', 'Extra routes configuration for L3 router'),
  ext(
    'extraroute-atomic',
    'Atomically add/remove extra routes',
    'Edit extra routes of a router on server side by atomically adding/removing extra routes',
  ),
  ext(
    'ext-gw-mode',
    'Neutron L3 Configurable external gateway mode',
    'Extension of the router abstraction for specifying whether SNAT should occur on the external gateway',
  ),
  ext('filter-validation', 'Filter parameters validation', 'Provides validation on filtering parameters.'),
  ext(
    'fip-port-details',
    'Floating IP Port Details Extension',
    'Add port_details attribute to Floating IP resource',
  ),
  ext(
    'multi-provider',
    'Multi Provider Network',
    'Expose mapping of virtual networks to multiple physical networks',
  ),
  ext('net-mtu', 'Network MTU', 'Provides MTU attribute for a network resource.'),
  ext(
    'net-mtu-writable',
    'Network MTU (writable)',
    'Provides a writable MTU attribute for a network resource.',
  ),
  ext('pagination', 'Pagination support', 'Extension that indicates that pagination is enabled.'),
  ext('port-security', 'Port Security', 'Provides port security'),
  ext('project-id', 'project_id field enabled', 'Extension that indicates that project_id field is enabled.'),
  ext('provider', 'Provider Network', 'Expose mapping of virtual networks to physical networks'),
  ext('quotas', 'Quota management support', 'Expose functions for quotas management per project'),
  ext(
    'quota_details',
    'Quota details management support',
    'Expose functions for quotas usage statistics per project',
  ),
  ext(
    'revision-if-match',
    'If-Match constraints based on revision_number',
    'Extension indicating that If-Match based on revision_number is supported.',
  ),
  ext(
    'router',
    'Neutron L3 Router',
    'Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.',
  ),
  ext('security-group', 'security-group', 'The security groups extension.'),
  ext(
    'service-type',
    'Neutron Service Type Management',
    'API for retrieving service providers for Neutron advanced services',
  ),
  ext('sorting', 'Sorting support', 'Extension that indicates that sorting is enabled.'),
  ext(
    'standard-attr-description',
    'standard-attr-description',
    'Extension to add descriptions to standard attributes',
  ),
  ext(
    'standard-attr-revisions',
    'Resource revision numbers',
    'This extension will display the revision number of neutron resources.',
  ),
  ext(
    'standard-attr-tag',
    'Tag support for resources with standard attribute: subnet, trunk, network_segment_range, router, network, policy, subnetpool, port, security_group, floatingip',
    'Enables to set tag on resources with standard attribute.',
  ),
  ext(
    'standard-attr-timestamp',
    'Resource timestamps',
    'Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.',
  ),
  ext(
    'stateful-security-group',
    'Stateful security group',
    'Indicates if the security group is stateful or not',
  ),
  ext(
    'subnet-service-types',
    'Subnet service types',
    'Provides ability to set the subnet service_types field',
  ),
]
