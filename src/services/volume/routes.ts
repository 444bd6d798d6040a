/**
 * Block storage's route table: method and path (under /volume) → handler, with the
 * policy rule and body schema of each route. Every route answers both with and without
 * a project in the URL (`/v3/{project_id}/volumes` and, as 3.67 documents, `/v3/volumes`).
 * Rules whose target is a loaded volume or snapshot are enforced by the handler.
 */
import type { FastifyRequest } from 'fastify'
import type { Route } from '../../kernel/http/index.js'
import * as att from './handlers/attachments.js'
import * as backups from './handlers/backups.js'
import type { VolumeDeps } from './handlers/common.js'
import { listExtensions } from './handlers/extensions.js'
import * as groups from './handlers/groups.js'
import * as manage from './handlers/manage.js'
import * as messages from './handlers/messages.js'
import * as qos from './handlers/qos.js'
import * as quotas from './handlers/quotas.js'
import * as services from './handlers/services.js'
import * as snapshots from './handlers/snapshots.js'
import * as transfers from './handlers/transfers.js'
import * as types from './handlers/types.js'
import { listVersions, showVersion } from './handlers/versions.js'
import { ACTION_RULES, volumeAction } from './handlers/volume-actions.js'
import * as volumes from './handlers/volumes.js'
import * as workers from './handlers/workers.js'
import {
  ADMIN,
  ATTACHMENT,
  BACKUP,
  GROUP,
  MESSAGE,
  QOS,
  SNAPSHOT,
  TRANSFER,
  TYPE,
  VOLUME,
  WORKERS,
} from './policies/index.js'
import * as B from './schemas/bodies.js'

type R = Route<VolumeDeps>

const own = (req: FastifyRequest) => ({ project_id: req.ctx.who.project_id })
const urlProject = (req: FastifyRequest) => ({
  project_id: (req.params as Record<string, string>).project_id,
})
const onObject = (policy: string | readonly string[]) => ({ policy, enforce: 'handler' as const })

const VOL = '/volumes/:volume_id'
const SNAP = '/snapshots/:snapshot_id'
const TYP = '/types/:type_id'
const ATT = '/attachments/:attachment_id'
const QOS_ID = '/qos-specs/:qos_id'
const BAK = '/backups/:backup_id'
const GTYP = '/group_types/:group_type_id'
const GRP = '/groups/:group_id'
const GSNAP = '/group_snapshots/:group_snapshot_id'

/** The v3 resources, relative to `/v3` (or `/v3/{project_id}`). */
const RESOURCES: readonly R[] = [
  // --- volumes
  { method: 'GET', path: '/volumes', ...onObject(VOLUME.GET_ALL), handler: volumes.listVolumes },
  { method: 'GET', path: '/volumes/detail', ...onObject(VOLUME.GET_ALL), handler: volumes.listVolumeDetails },
  {
    method: 'GET',
    path: '/volumes/summary',
    min: '3.12',
    ...onObject(VOLUME.GET_ALL),
    handler: volumes.volumeSummaryTotals,
  },
  {
    method: 'POST',
    path: '/volumes',
    ...onObject(VOLUME.CREATE),
    body: B.CREATE_VOLUME,
    handler: volumes.createVolume,
  },
  { method: 'GET', path: VOL, ...onObject(VOLUME.GET), handler: volumes.showVolume },
  {
    method: 'PUT',
    path: VOL,
    ...onObject(VOLUME.UPDATE),
    body: B.UPDATE_VOLUME,
    handler: volumes.updateVolume,
  },
  { method: 'DELETE', path: VOL, ...onObject(VOLUME.DELETE), handler: volumes.deleteVolume },
  { method: 'POST', path: `${VOL}/action`, ...onObject(ACTION_RULES), handler: volumeAction },
  { method: 'GET', path: `${VOL}/metadata`, ...onObject(VOLUME.META_GET), handler: volumes.showMetadata },
  {
    method: 'POST',
    path: `${VOL}/metadata`,
    ...onObject(VOLUME.META_CREATE),
    body: B.METADATA_BODY,
    handler: volumes.createMetadata,
  },
  {
    method: 'PUT',
    path: `${VOL}/metadata`,
    ...onObject(VOLUME.META_UPDATE),
    body: B.METADATA_BODY,
    handler: volumes.replaceMetadata,
  },
  {
    method: 'GET',
    path: `${VOL}/metadata/:key`,
    ...onObject(VOLUME.META_GET),
    handler: volumes.showMetadataItem,
  },
  {
    method: 'PUT',
    path: `${VOL}/metadata/:key`,
    ...onObject(VOLUME.META_UPDATE),
    body: B.META_ITEM,
    handler: volumes.updateMetadataItem,
  },
  {
    method: 'DELETE',
    path: `${VOL}/metadata/:key`,
    ...onObject(VOLUME.META_DELETE),
    handler: volumes.deleteMetadataItem,
  },

  // --- snapshots
  { method: 'GET', path: '/snapshots', ...onObject(SNAPSHOT.GET_ALL), handler: snapshots.listSnapshots },
  {
    method: 'GET',
    path: '/snapshots/detail',
    ...onObject(SNAPSHOT.GET_ALL),
    handler: snapshots.listSnapshotDetails,
  },
  {
    method: 'POST',
    path: '/snapshots',
    ...onObject(SNAPSHOT.CREATE),
    body: (req) => (req.version.gte('3.53') ? B.CREATE_SNAPSHOT : B.CREATE_SNAPSHOT_LEGACY),
    handler: snapshots.createSnapshot,
  },
  { method: 'GET', path: SNAP, ...onObject(SNAPSHOT.GET), handler: snapshots.showSnapshot },
  {
    method: 'PUT',
    path: SNAP,
    ...onObject(SNAPSHOT.UPDATE),
    body: B.UPDATE_SNAPSHOT,
    handler: snapshots.updateSnapshot,
  },
  { method: 'DELETE', path: SNAP, ...onObject(SNAPSHOT.DELETE), handler: snapshots.deleteSnapshot },
  {
    method: 'POST',
    path: `${SNAP}/action`,
    ...onObject(snapshots.SNAPSHOT_ACTION_RULES),
    handler: snapshots.snapshotAction,
  },
  {
    method: 'GET',
    path: `${SNAP}/metadata`,
    ...onObject(SNAPSHOT.META_GET),
    handler: snapshots.showSnapshotMetadata,
  },
  {
    method: 'POST',
    path: `${SNAP}/metadata`,
    ...onObject(SNAPSHOT.META_UPDATE),
    body: B.METADATA_BODY,
    handler: snapshots.createSnapshotMetadata,
  },
  {
    method: 'PUT',
    path: `${SNAP}/metadata`,
    ...onObject(SNAPSHOT.META_UPDATE),
    body: B.METADATA_BODY,
    handler: snapshots.replaceSnapshotMetadata,
  },
  {
    method: 'GET',
    path: `${SNAP}/metadata/:key`,
    ...onObject(SNAPSHOT.META_GET),
    handler: snapshots.showSnapshotMetadataItem,
  },
  {
    method: 'PUT',
    path: `${SNAP}/metadata/:key`,
    ...onObject(SNAPSHOT.META_UPDATE),
    body: B.META_ITEM,
    handler: snapshots.updateSnapshotMetadataItem,
  },
  {
    method: 'DELETE',
    path: `${SNAP}/metadata/:key`,
    ...onObject(SNAPSHOT.META_DELETE),
    handler: snapshots.deleteSnapshotMetadataItem,
  },

  // --- manage and unmanage (os-unmanage is a volume and a snapshot action)
  ...(['/os-volume-manage', '/manageable_volumes'] as const).map(
    (path): R => ({
      method: 'POST',
      path,
      ...(path === '/manageable_volumes' ? { min: '3.8' } : {}),
      policy: VOLUME.MANAGE,
      target: own,
      handler: manage.manageVolume,
    }),
  ),
  ...(['/os-snapshot-manage', '/manageable_snapshots'] as const).map(
    (path): R => ({
      method: 'POST',
      path,
      ...(path === '/manageable_snapshots' ? { min: '3.8' } : {}),
      policy: SNAPSHOT.MANAGE,
      target: own,
      handler: manage.manageSnapshot,
    }),
  ),
  {
    method: 'GET',
    path: '/manageable_volumes',
    min: '3.8',
    policy: VOLUME.LIST_MANAGEABLE,
    target: own,
    handler: manage.listManageableVolumes,
  },
  {
    method: 'GET',
    path: '/manageable_volumes/detail',
    min: '3.8',
    policy: VOLUME.LIST_MANAGEABLE,
    target: own,
    handler: manage.listManageableVolumeDetails,
  },
  {
    method: 'GET',
    path: '/manageable_snapshots',
    min: '3.8',
    policy: SNAPSHOT.LIST_MANAGEABLE,
    target: own,
    handler: manage.listManageableSnapshots,
  },
  {
    method: 'GET',
    path: '/manageable_snapshots/detail',
    min: '3.8',
    policy: SNAPSHOT.LIST_MANAGEABLE,
    target: own,
    handler: manage.listManageableSnapshotDetails,
  },

  // --- volume types
  { method: 'GET', path: '/types', policy: TYPE.GET_ALL, target: own, handler: types.listTypes },
  {
    method: 'POST',
    path: '/types',
    policy: TYPE.CREATE,
    target: own,
    body: B.CREATE_TYPE,
    handler: types.createType,
  },
  { method: 'GET', path: TYP, policy: TYPE.GET, target: own, handler: types.showType },
  {
    method: 'PUT',
    path: TYP,
    policy: TYPE.UPDATE,
    target: own,
    body: B.UPDATE_TYPE,
    handler: types.updateType,
  },
  { method: 'DELETE', path: TYP, policy: TYPE.DELETE, target: own, handler: types.deleteType },
  {
    method: 'GET',
    path: `${TYP}/extra_specs`,
    policy: TYPE.SPECS_INDEX,
    target: own,
    handler: types.listSpecs,
  },
  {
    method: 'POST',
    path: `${TYP}/extra_specs`,
    policy: TYPE.SPECS_CREATE,
    target: own,
    body: B.EXTRA_SPECS,
    handler: types.createSpecs,
  },
  {
    method: 'GET',
    path: `${TYP}/extra_specs/:key`,
    policy: TYPE.SPECS_SHOW,
    target: own,
    handler: types.showSpec,
  },
  {
    method: 'PUT',
    path: `${TYP}/extra_specs/:key`,
    policy: TYPE.SPECS_UPDATE,
    target: own,
    body: B.EXTRA_SPEC_ITEM,
    handler: types.updateSpec,
  },
  {
    method: 'DELETE',
    path: `${TYP}/extra_specs/:key`,
    policy: TYPE.SPECS_DELETE,
    target: own,
    handler: types.deleteSpec,
  },
  {
    method: 'GET',
    path: `${TYP}/os-volume-type-access`,
    policy: TYPE.ACCESS_WHO,
    target: own,
    handler: types.listAccess,
  },
  {
    method: 'GET',
    path: `${TYP}/encryption`,
    policy: TYPE.ENCRYPTION_GET,
    target: own,
    handler: types.showEncryption,
  },
  {
    method: 'POST',
    path: `${TYP}/encryption`,
    policy: TYPE.ENCRYPTION_CREATE,
    target: own,
    handler: types.createEncryption,
  },
  {
    method: 'GET',
    path: `${TYP}/encryption/:encryption_key`,
    policy: TYPE.ENCRYPTION_GET,
    target: own,
    handler: types.showEncryptionItem,
  },
  {
    method: 'PUT',
    path: `${TYP}/encryption/:encryption_key`,
    policy: TYPE.ENCRYPTION_UPDATE,
    target: own,
    handler: types.updateEncryption,
  },
  {
    method: 'DELETE',
    path: `${TYP}/encryption/:encryption_key`,
    policy: TYPE.ENCRYPTION_DELETE,
    target: own,
    handler: types.deleteEncryption,
  },
  {
    method: 'POST',
    path: `${TYP}/action`,
    ...onObject([TYPE.ACCESS_ADD, TYPE.ACCESS_REMOVE]),
    handler: types.typeAction,
  },
  {
    method: 'PUT',
    path: '/default-types/:project_id',
    min: '3.62',
    policy: TYPE.DEFAULT_SET,
    target: urlProject,
    body: B.DEFAULT_TYPE,
    handler: types.setDefaultType,
  },
  {
    method: 'GET',
    path: '/default-types/:project_id',
    min: '3.62',
    policy: TYPE.DEFAULT_GET,
    target: urlProject,
    handler: types.showDefaultType,
  },
  {
    method: 'GET',
    path: '/default-types',
    min: '3.62',
    policy: TYPE.DEFAULT_GET_ALL,
    target: own,
    handler: types.listDefaultTypes,
  },
  {
    method: 'DELETE',
    path: '/default-types/:project_id',
    min: '3.62',
    policy: TYPE.DEFAULT_UNSET,
    target: urlProject,
    handler: types.unsetDefaultType,
  },

  // --- attachments (3.27)
  {
    method: 'GET',
    path: '/attachments',
    min: '3.27',
    ...onObject(VOLUME.GET_ALL),
    handler: att.listAttachments,
  },
  {
    method: 'GET',
    path: '/attachments/detail',
    min: '3.27',
    ...onObject(VOLUME.GET_ALL),
    handler: att.listAttachmentDetails,
  },
  {
    method: 'POST',
    path: '/attachments',
    min: '3.27',
    ...onObject(ATTACHMENT.CREATE),
    body: B.CREATE_ATTACHMENT,
    handler: att.createAttachment,
  },
  { method: 'GET', path: ATT, min: '3.27', ...onObject(VOLUME.GET), handler: att.showAttachment },
  {
    method: 'PUT',
    path: ATT,
    min: '3.27',
    ...onObject(ATTACHMENT.UPDATE),
    body: B.UPDATE_ATTACHMENT,
    handler: att.updateAttachment,
  },
  { method: 'DELETE', path: ATT, min: '3.27', ...onObject(ATTACHMENT.DELETE), handler: att.deleteAttachment },
  {
    method: 'POST',
    path: `${ATT}/action`,
    min: '3.44',
    ...onObject(ATTACHMENT.COMPLETE),
    handler: att.attachmentAction,
  },

  // --- transfers (the 3.55 API beside the older one)
  ...(['/os-volume-transfer', '/volume-transfers'] as const).flatMap((base): R[] => {
    const min = base === '/volume-transfers' ? { min: '3.55' } : {}
    return [
      { method: 'POST', path: base, ...min, ...onObject(TRANSFER.CREATE), handler: transfers.createTransfer },
      {
        method: 'GET',
        path: base,
        ...min,
        policy: TRANSFER.GET_ALL,
        target: own,
        handler: transfers.listTransfers,
      },
      {
        method: 'GET',
        path: `${base}/detail`,
        ...min,
        policy: TRANSFER.GET_ALL,
        target: own,
        handler: transfers.listTransferDetails,
      },
      {
        method: 'GET',
        path: `${base}/:transfer_id`,
        ...min,
        ...onObject(TRANSFER.GET),
        handler: transfers.showTransfer,
      },
      {
        method: 'DELETE',
        path: `${base}/:transfer_id`,
        ...min,
        ...onObject(TRANSFER.DELETE),
        handler: transfers.deleteTransfer,
      },
      {
        method: 'POST',
        path: `${base}/:transfer_id/accept`,
        ...min,
        policy: TRANSFER.ACCEPT,
        target: own,
        handler: transfers.acceptTransfer,
      },
    ]
  }),

  // --- user messages (3.3)
  {
    method: 'GET',
    path: '/messages',
    min: '3.3',
    ...onObject(MESSAGE.GET_ALL),
    handler: messages.listMessages,
  },
  {
    method: 'GET',
    path: '/messages/:message_id',
    min: '3.3',
    ...onObject(MESSAGE.GET),
    handler: messages.showMessage,
  },
  {
    method: 'DELETE',
    path: '/messages/:message_id',
    min: '3.3',
    ...onObject(MESSAGE.DELETE),
    handler: messages.deleteMessage,
  },

  // --- QoS specs
  { method: 'GET', path: '/qos-specs', policy: QOS.GET_ALL, target: own, handler: qos.listQos },
  { method: 'POST', path: '/qos-specs', policy: QOS.CREATE, target: own, handler: qos.createQos },
  { method: 'GET', path: QOS_ID, policy: QOS.GET, target: own, handler: qos.showQos },
  { method: 'PUT', path: QOS_ID, policy: QOS.UPDATE, target: own, handler: qos.setQosKeys },
  { method: 'DELETE', path: QOS_ID, policy: QOS.DELETE, target: own, handler: qos.deleteQos },
  {
    method: 'PUT',
    path: `${QOS_ID}/delete_keys`,
    policy: QOS.UPDATE,
    target: own,
    handler: qos.unsetQosKeys,
  },
  {
    method: 'GET',
    path: `${QOS_ID}/associations`,
    policy: QOS.GET,
    target: own,
    handler: qos.qosAssociations,
  },
  { method: 'GET', path: `${QOS_ID}/associate`, policy: QOS.UPDATE, target: own, handler: qos.associateQos },
  {
    method: 'GET',
    path: `${QOS_ID}/disassociate`,
    policy: QOS.UPDATE,
    target: own,
    handler: qos.disassociateQos,
  },
  {
    method: 'GET',
    path: `${QOS_ID}/disassociate_all`,
    policy: QOS.UPDATE,
    target: own,
    handler: qos.disassociateAllQos,
  },

  // --- quotas and limits
  {
    method: 'GET',
    path: '/os-quota-sets/:project_id',
    ...onObject(ADMIN.QUOTA_SHOW),
    handler: quotas.showQuotaSet,
  },
  {
    method: 'GET',
    path: '/os-quota-sets/:project_id/defaults',
    ...onObject(ADMIN.QUOTA_SHOW),
    handler: quotas.showQuotaDefaults,
  },
  {
    method: 'PUT',
    path: '/os-quota-sets/:project_id',
    policy: ADMIN.QUOTA_UPDATE,
    target: urlProject,
    body: B.QUOTA_SET,
    handler: quotas.updateQuotaSet,
  },
  {
    method: 'DELETE',
    path: '/os-quota-sets/:project_id',
    policy: ADMIN.QUOTA_DELETE,
    target: urlProject,
    handler: quotas.deleteQuotaSet,
  },
  {
    method: 'GET',
    path: '/os-quota-class-sets/:class_name',
    policy: ADMIN.QUOTA_CLASS_GET,
    target: own,
    handler: quotas.showQuotaClass,
  },
  {
    method: 'PUT',
    path: '/os-quota-class-sets/:class_name',
    policy: ADMIN.QUOTA_CLASS_UPDATE,
    target: own,
    body: B.QUOTA_CLASS_SET,
    handler: quotas.updateQuotaClass,
  },
  { method: 'GET', path: '/limits', ...onObject(ADMIN.USED_LIMITS), handler: quotas.showLimits },

  // --- backups (the directory driver)
  { method: 'GET', path: '/backups', ...onObject(BACKUP.GET_ALL), handler: backups.listBackups },
  { method: 'GET', path: '/backups/detail', ...onObject(BACKUP.GET_ALL), handler: backups.listBackupDetails },
  {
    method: 'POST',
    path: '/backups',
    ...onObject(BACKUP.CREATE),
    body: B.CREATE_BACKUP,
    handler: backups.createBackup,
  },
  {
    method: 'POST',
    path: '/backups/import_record',
    policy: BACKUP.IMPORT,
    target: own,
    body: B.IMPORT_BACKUP,
    handler: backups.importRecord,
  },
  { method: 'GET', path: `${BAK}/export_record`, ...onObject(BACKUP.EXPORT), handler: backups.exportRecord },
  { method: 'GET', path: BAK, ...onObject(BACKUP.GET), handler: backups.showBackup },
  {
    method: 'PUT',
    path: BAK,
    min: '3.9',
    ...onObject(BACKUP.UPDATE),
    body: B.UPDATE_BACKUP,
    handler: backups.updateBackup,
  },
  { method: 'DELETE', path: BAK, ...onObject(BACKUP.DELETE), handler: backups.deleteBackup },
  {
    method: 'POST',
    path: `${BAK}/restore`,
    ...onObject(BACKUP.RESTORE),
    body: B.RESTORE_BACKUP,
    handler: backups.restoreBackup,
  },
  {
    method: 'POST',
    path: `${BAK}/action`,
    ...onObject([BACKUP.RESET_STATUS, BACKUP.FORCE_DELETE]),
    handler: backups.backupAction,
  },

  // --- generic volume groups: group types (3.11), groups (3.13), group snapshots (3.14)
  { method: 'GET', path: '/group_types', min: '3.11', authenticated: true, handler: groups.listGroupTypes },
  {
    method: 'POST',
    path: '/group_types',
    min: '3.11',
    policy: GROUP.TYPE_CREATE,
    target: own,
    handler: groups.createGroupType,
  },
  { method: 'GET', path: GTYP, min: '3.11', authenticated: true, handler: groups.showGroupType },
  {
    method: 'PUT',
    path: GTYP,
    min: '3.11',
    policy: GROUP.TYPE_UPDATE,
    target: own,
    handler: groups.updateGroupType,
  },
  {
    method: 'DELETE',
    path: GTYP,
    min: '3.11',
    policy: GROUP.TYPE_DELETE,
    target: own,
    handler: groups.deleteGroupType,
  },
  {
    method: 'GET',
    path: `${GTYP}/group_specs`,
    min: '3.11',
    policy: GROUP.SPEC_GET_ALL,
    target: own,
    handler: groups.listGroupSpecs,
  },
  {
    method: 'POST',
    path: `${GTYP}/group_specs`,
    min: '3.11',
    policy: GROUP.SPEC_CREATE,
    target: own,
    handler: groups.createGroupSpecs,
  },
  {
    method: 'GET',
    path: `${GTYP}/group_specs/:spec_id`,
    min: '3.11',
    policy: GROUP.SPEC_GET,
    target: own,
    handler: groups.showGroupSpec,
  },
  {
    method: 'PUT',
    path: `${GTYP}/group_specs/:spec_id`,
    min: '3.11',
    policy: GROUP.SPEC_UPDATE,
    target: own,
    handler: groups.updateGroupSpec,
  },
  {
    method: 'DELETE',
    path: `${GTYP}/group_specs/:spec_id`,
    min: '3.11',
    policy: GROUP.SPEC_DELETE,
    target: own,
    handler: groups.deleteGroupSpec,
  },
  { method: 'GET', path: '/groups', min: '3.13', ...onObject(GROUP.GET_ALL), handler: groups.listGroups },
  {
    method: 'GET',
    path: '/groups/detail',
    min: '3.13',
    ...onObject(GROUP.GET_ALL),
    handler: groups.listGroupDetails,
  },
  { method: 'POST', path: '/groups', min: '3.13', ...onObject(GROUP.CREATE), handler: groups.createGroup },
  {
    method: 'POST',
    path: '/groups/action',
    min: '3.14',
    ...onObject(GROUP.CREATE),
    handler: groups.createGroupFromSource,
  },
  { method: 'GET', path: GRP, min: '3.13', ...onObject(GROUP.GET), handler: groups.showGroup },
  { method: 'PUT', path: GRP, min: '3.13', ...onObject(GROUP.UPDATE), handler: groups.updateGroup },
  {
    method: 'POST',
    path: `${GRP}/action`,
    min: '3.13',
    ...onObject([GROUP.DELETE, GROUP.RESET_STATUS]),
    handler: groups.groupAction,
  },
  {
    method: 'GET',
    path: '/group_snapshots',
    min: '3.14',
    ...onObject(GROUP.SNAPSHOT_GET_ALL),
    handler: groups.listGroupSnapshots,
  },
  {
    method: 'GET',
    path: '/group_snapshots/detail',
    min: '3.14',
    ...onObject(GROUP.SNAPSHOT_GET_ALL),
    handler: groups.listGroupSnapshotDetails,
  },
  {
    method: 'POST',
    path: '/group_snapshots',
    min: '3.14',
    ...onObject(GROUP.SNAPSHOT_CREATE),
    handler: groups.createGroupSnapshot,
  },
  {
    method: 'GET',
    path: GSNAP,
    min: '3.14',
    ...onObject(GROUP.SNAPSHOT_GET),
    handler: groups.showGroupSnapshot,
  },
  {
    method: 'DELETE',
    path: GSNAP,
    min: '3.14',
    ...onObject(GROUP.SNAPSHOT_DELETE),
    handler: groups.deleteGroupSnapshot,
  },
  {
    method: 'POST',
    path: `${GSNAP}/action`,
    min: '3.19',
    ...onObject(GROUP.SNAPSHOT_RESET_STATUS),
    handler: groups.groupSnapshotAction,
  },

  // --- services, pools, zones, hosts, capabilities
  {
    method: 'GET',
    path: '/os-services',
    policy: ADMIN.SERVICES_INDEX,
    target: own,
    handler: services.listServices,
  },
  {
    method: 'PUT',
    path: '/os-services/:action',
    policy: ADMIN.SERVICES_UPDATE,
    target: own,
    body: B.SERVICE_UPDATE,
    handler: services.updateService,
  },
  {
    method: 'GET',
    path: '/scheduler-stats/get_pools',
    policy: ADMIN.POOLS,
    target: own,
    handler: services.getPools,
  },
  { method: 'GET', path: '/os-availability-zone', authenticated: true, handler: services.listZones },
  { method: 'GET', path: '/extensions', authenticated: true, handler: listExtensions },
  {
    method: 'GET',
    path: '/capabilities/:host_name',
    policy: ADMIN.CAPABILITIES,
    target: own,
    handler: services.showCapabilities,
  },
  { method: 'GET', path: '/os-hosts', policy: ADMIN.HOSTS, target: own, handler: services.listHosts },
  {
    method: 'POST',
    path: '/workers/cleanup',
    min: '3.24',
    policy: WORKERS.CLEANUP,
    target: own,
    handler: workers.cleanup,
  },
  {
    method: 'POST',
    path: '/cloudlet-volume/update-host',
    policy: ADMIN.UPDATE_HOST,
    target: own,
    handler: services.updateHost,
  },
  {
    method: 'GET',
    path: '/os-hosts/:host_name',
    policy: ADMIN.HOSTS,
    target: own,
    handler: services.showHost,
  },
]

/** Every route: the version documents, then each resource without and with the project in the URL. */
export const ROUTES: readonly R[] = [
  { method: 'GET', path: '/', public: true, handler: listVersions },
  { method: 'GET', path: '/v3', public: true, handler: showVersion },
  ...RESOURCES.map((r) => ({ ...r, path: `/v3${r.path}` })),
  ...RESOURCES.map((r) => ({ ...r, path: `/v3/:url_project${r.path}` })),
]
