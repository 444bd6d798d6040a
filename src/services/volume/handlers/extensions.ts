/** GET /v3/extensions: the v2-era extensions this service implements, as Cinder lists them. */
import type { FastifyReply, FastifyRequest } from 'fastify'

const EXTENSIONS: readonly [name: string, alias: string, description: string][] = [
  ['AdminActions', 'os-admin-actions', 'Enable admin actions.'],
  ['AvailabilityZones', 'os-availability-zone', 'Describe Availability Zones.'],
  ['Capabilities', 'capabilities', 'Capabilities support.'],
  ['ExtendedServices', 'os-extended-services', 'Extended services support.'],
  ['ExtendedSnapshotAttributes', 'os-extended-snapshot-attributes', 'Extended SnapshotAttributes support.'],
  ['Hosts', 'os-hosts', 'Admin-only host administration.'],
  ['QuotaClasses', 'os-quota-class-sets', 'Quota classes management support.'],
  ['Quotas', 'os-quota-sets', 'Quota management support.'],
  ['SchedulerStats', 'scheduler-stats', 'Scheduler stats support.'],
  ['Services', 'os-services', 'Services support.'],
  ['TypesExtraSpecs', 'os-types-extra-specs', 'Type extra specs support.'],
  ['TypesManage', 'os-types-manage', 'Types manage support.'],
  ['UsedLimits', 'os-used-limits', 'Provide data on limited resources that are being used.'],
  ['VolumeActions', 'os-volume-actions', 'Enable volume actions.'],
  ['VolumeHostAttribute', 'os-vol-host-attr', 'Expose host as an attribute of a volume.'],
  ['VolumeImageMetadata', 'os-vol-image-meta', 'Show image metadata associated with the volume.'],
  [
    'VolumeMigStatusAttribute',
    'os-vol-mig-status-attr',
    'Expose migration_status as an attribute of a volume.',
  ],
  [
    'VolumeTenantAttribute',
    'os-vol-tenant-attr',
    'Expose the internal project_id as an attribute of a volume.',
  ],
  ['VolumeTypeAccess', 'os-volume-type-access', 'Volume type access support.'],
]

export async function listExtensions(_req: FastifyRequest, _reply: FastifyReply) {
  return {
    extensions: EXTENSIONS.map(([name, alias, description]) => ({
      name,
      alias,
      description,
      updated: '2013-08-08T00:00:00+00:00',
      links: [],
      namespace: `https://docs.openstack.org/volume/ext/${alias}/api/v1`,
    })),
  }
}
