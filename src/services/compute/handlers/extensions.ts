/**
 * GET /extensions and /extensions/{alias}: the v2 extension list that v2.1 keeps for old
 * clients. Microversions replaced extensions, so the list is fixed: the aliases and
 * names upstream's v2.1 API answers with (clients look them up by alias), each with the
 * placeholder namespace and date upstream gives every entry.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ComputeNotFound } from '../errors.js'
import { params } from './common.js'

const NAMESPACE = 'http://docs.openstack.org/compute/ext/fake_xml'
const UPDATED = '2014-12-03T00:00:00Z'

/** [alias, name, description], sorted by alias as upstream lists them. */
const EXTENSIONS: readonly (readonly [string, string, string])[] = [
  ['NMN', 'Multinic', 'Servers with several networks.'],
  ['OS-DCF', 'DiskConfig', 'The disk configuration of servers (OS-DCF:diskConfig).'],
  ['OS-EXT-AZ', 'ExtendedAvailabilityZone', "A server's availability zone in its view."],
  ['OS-EXT-IMG-SIZE', 'ImageSize', 'Image sizes in image listings.'],
  ['OS-EXT-IPS', 'ExtendedIps', 'The type of each address in the address list.'],
  ['OS-EXT-IPS-MAC', 'ExtendedIpsMac', 'The MAC address of each address in the address list.'],
  ['OS-EXT-SRV-ATTR', 'ExtendedServerAttributes', 'Host and hypervisor attributes of servers.'],
  ['OS-EXT-STS', 'ExtendedStatus', 'The vm, task and power states of servers.'],
  ['OS-FLV-DISABLED', 'FlavorDisabled', 'Whether a flavor is disabled.'],
  ['OS-FLV-EXT-DATA', 'FlavorExtraData', 'Ephemeral disk sizes of flavors.'],
  ['OS-SCH-HNT', 'SchedulerHints', 'Key/value hints to the scheduler.'],
  ['OS-SRV-USG', 'ServerUsage', 'launched_at and terminated_at of servers.'],
  ['os-access-ips', 'AccessIPs', 'The access addresses of servers.'],
  ['os-admin-actions', 'AdminActions', 'Administrative server actions (os-resetState and friends).'],
  ['os-admin-password', 'AdminPassword', 'Changing the administrative password of a server.'],
  ['os-agents', 'Agents', 'Guest agent builds.'],
  ['os-aggregates', 'Aggregates', 'Host aggregates (administrators).'],
  ['os-assisted-volume-snapshots', 'AssistedVolumeSnapshots', 'Volume snapshots assisted by the hypervisor.'],
  ['os-attach-interfaces', 'AttachInterfaces', 'Attaching and detaching network interfaces.'],
  ['os-availability-zone', 'AvailabilityZone', 'Availability zones: listing them, and a zone at create.'],
  ['os-baremetal-ext-status', 'BareMetalExtStatus', 'Extended status of bare-metal nodes.'],
  ['os-baremetal-nodes', 'BareMetalNodes', 'Bare-metal nodes (administrators).'],
  ['os-block-device-mapping', 'BlockDeviceMapping', 'Booting with block device mappings.'],
  ['os-block-device-mapping-v2-boot', 'BlockDeviceMappingV2Boot', 'Booting with the v2 block device format.'],
  ['os-cell-capacities', 'CellCapacities', 'Cell capacities.'],
  ['os-cells', 'Cells', 'Cells.'],
  ['os-certificates', 'Certificates', 'Certificates.'],
  ['os-cloudpipe', 'Cloudpipe', 'Cloudpipe instances.'],
  ['os-cloudpipe-update', 'CloudpipeUpdate', 'The VPN address and port of cloudpipe instances.'],
  ['os-config-drive', 'ConfigDrive', 'Config drives.'],
  ['os-console-auth-tokens', 'ConsoleAuthTokens', 'Console token authentication.'],
  ['os-console-output', 'ConsoleOutput', 'Console output of a server, tail included.'],
  ['os-consoles', 'Consoles', 'Interactive consoles.'],
  ['os-create-backup', 'CreateBackup', 'Backups of a server.'],
  ['os-create-server-ext', 'Createserverext', 'Extended server create.'],
  ['os-deferred-delete', 'DeferredDelete', 'Soft delete, restore and force delete of servers.'],
  ['os-evacuate', 'Evacuate', 'Evacuating servers.'],
  ['os-extended-evacuate-find-host', 'ExtendedEvacuateFindHost', 'Evacuation to a host the scheduler picks.'],
  ['os-extended-floating-ips', 'ExtendedFloatingIps', 'A fixed address when adding a floating IP.'],
  ['os-extended-hypervisors', 'ExtendedHypervisors', 'Extended hypervisor attributes.'],
  ['os-extended-networks', 'ExtendedNetworks', 'Extended network attributes.'],
  ['os-extended-quotas', 'ExtendedQuotas', 'Deleting quotas and forcing quota updates.'],
  ['os-extended-rescue-with-image', 'ExtendedRescueWithImage', 'Rescue with a chosen image.'],
  ['os-extended-services', 'ExtendedServices', 'Extended services.'],
  ['os-extended-services-delete', 'ExtendedServicesDelete', 'Deleting services.'],
  ['os-extended-status', 'ExtendedStatus', 'Extended server status.'],
  ['os-extended-volumes', 'ExtendedVolumes', 'Attached volumes in the server view.'],
  ['os-fixed-ips', 'FixedIPs', 'Fixed IPs.'],
  ['os-flavor-access', 'FlavorAccess', 'Project access to private flavors.'],
  ['os-flavor-extra-specs', 'FlavorExtraSpecs', 'Flavor extra specs.'],
  ['os-flavor-manage', 'FlavorManage', 'Creating and deleting flavors.'],
  ['os-flavor-rxtx', 'FlavorRxtx', 'The rxtx factor of flavors.'],
  ['os-flavor-swap', 'FlavorSwap', 'The swap size of flavors.'],
  ['os-floating-ip-dns', 'FloatingIpDns', 'DNS entries of floating IPs.'],
  ['os-floating-ip-pools', 'FloatingIpPools', 'Floating IP pools.'],
  ['os-floating-ips', 'FloatingIps', 'Floating IPs.'],
  ['os-floating-ips-bulk', 'FloatingIpsBulk', 'Floating IPs in bulk.'],
  ['os-fping', 'Fping', 'Pinging servers.'],
  ['os-hide-server-addresses', 'HideServerAddresses', 'Hiding server addresses in some states.'],
  ['os-hosts', 'Hosts', 'Host administration (administrators).'],
  ['os-hypervisor-status', 'HypervisorStatus', 'The status of hypervisors.'],
  ['os-hypervisors', 'Hypervisors', 'Hypervisor administration (administrators).'],
  ['os-instance-actions', 'InstanceActions', 'The actions taken on a server and their events.'],
  [
    'os-instance_usage_audit_log',
    'OSInstanceUsageAuditLog',
    'The instance usage audit log (administrators).',
  ],
  ['os-keypairs', 'Keypairs', 'Key pairs.'],
  ['os-lock-server', 'LockServer', 'Locking and unlocking servers.'],
  ['os-migrate-server', 'MigrateServer', 'Cold and live migration of servers.'],
  ['os-migrations', 'Migrations', 'Migration records.'],
  ['os-multiple-create', 'MultipleCreate', 'Creating several servers at once.'],
  ['os-networks', 'Networks', 'Network management (administrators).'],
  ['os-networks-associate', 'NetworkAssociationSupport', 'Associating networks.'],
  ['os-pause-server', 'PauseServer', 'Pausing and unpausing servers.'],
  ['os-personality', 'Personality', 'Files injected into servers.'],
  ['os-preserve-ephemeral-rebuild', 'PreserveEphemeralOnRebuild', 'Keeping the ephemeral disk on rebuild.'],
  ['os-quota-class-sets', 'QuotaClasses', 'Quota classes.'],
  ['os-quota-sets', 'Quotas', 'Quotas.'],
  ['os-rescue', 'Rescue', 'Rescuing servers.'],
  ['os-security-group-default-rules', 'SecurityGroupDefaultRules', 'Default security group rules.'],
  ['os-security-groups', 'SecurityGroups', 'Security groups.'],
  ['os-server-diagnostics', 'ServerDiagnostics', 'Server diagnostics (administrators).'],
  ['os-server-external-events', 'ServerExternalEvents', 'Events from other services about servers.'],
  ['os-server-group-quotas', 'ServerGroupQuotas', 'Quotas of server groups.'],
  ['os-server-groups', 'ServerGroups', 'Server groups.'],
  ['os-server-list-multi-status', 'ServerListMultiStatus', 'Filtering servers by several states.'],
  ['os-server-password', 'ServerPassword', 'Server passwords.'],
  ['os-server-sort-keys', 'ServerSortKeys', 'Sorting server lists.'],
  ['os-server-start-stop', 'ServerStartStop', 'Starting and stopping servers.'],
  ['os-services', 'Services', 'Services.'],
  ['os-shelve', 'Shelve', 'Shelving servers.'],
  ['os-simple-tenant-usage', 'SimpleTenantUsage', 'Usage per project.'],
  ['os-suspend-server', 'SuspendServer', 'Suspending and resuming servers.'],
  ['os-tenant-networks', 'OSTenantNetworks', 'Networks of a project.'],
  ['os-used-limits', 'UsedLimits', 'The usage of limited resources.'],
  [
    'os-used-limits-for-admin',
    'UsedLimitsForAdmin',
    "Other projects' usage of limited resources (administrators).",
  ],
  ['os-user-data', 'UserData', 'User data at server create.'],
  ['os-user-quotas', 'UserQuotas', 'Quotas per user of a project.'],
  ['os-virtual-interfaces', 'VirtualInterfaces', 'Virtual interfaces.'],
  ['os-volume-attachment-update', 'VolumeAttachmentUpdate', 'Updating a volume attachment.'],
  ['os-volumes', 'Volumes', 'Volumes.'],
]

const view = ([alias, name, description]: readonly [string, string, string]) => ({
  alias,
  name,
  description,
  namespace: NAMESPACE,
  updated: UPDATED,
  links: [],
})

export async function listExtensions() {
  return { extensions: EXTENSIONS.map(view) }
}

export async function showExtension(req: FastifyRequest, _r: FastifyReply) {
  const found = EXTENSIONS.find(([alias]) => alias === params(req).alias)
  if (!found) throw new ComputeNotFound()
  return { extension: view(found) }
}
