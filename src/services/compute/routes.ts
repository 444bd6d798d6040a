/**
 * Compute's route table: method and path (under /compute) → handler, with the
 * microversion window, the policy rule, and the body schema of each route. Policies
 * whose target is the loaded object (a keypair's user, a server group's project) or
 * that depend on the action in the body are enforced by the handler.
 */
import type { FastifyRequest } from 'fastify'
import type { Route } from '../../kernel/http/index.js'
import * as aggregates from './handlers/aggregates.js'
import * as zones from './handlers/availability-zones.js'
import type { ComputeDeps } from './handlers/common.js'
import * as extensions from './handlers/extensions.js'
import * as access from './handlers/flavor-access.js'
import * as specs from './handlers/flavor-extra-specs.js'
import * as flavors from './handlers/flavors.js'
import * as hostsApi from './handlers/hosts.js'
import * as images from './handlers/images-proxy.js'
import * as keypairs from './handlers/keypairs.js'
import * as migrations from './handlers/migrations.js'
import * as netproxy from './handlers/network-proxies.js'
import * as quotas from './handlers/quotas.js'
import * as scheduler from './handlers/scheduler.js'
import * as actions from './handlers/server-actions.js'
import * as groups from './handlers/server-groups.js'
import * as netsrv from './handlers/server-networking.js'
import { OPERATION_ACTIONS } from './handlers/server-operations.js'
import * as parts from './handlers/server-parts.js'
import * as servers from './handlers/servers.js'
import * as services from './handlers/services.js'
import * as usage from './handlers/usage.js'
import { listVersions, showLegacyVersion, showVersion } from './handlers/versions.js'
import * as attachments from './handlers/volume-attachments.js'
import * as volumes from './handlers/volumes-proxy.js'
import {
  AGGREGATE,
  FLAVOR,
  HOST,
  KEYPAIR,
  NET,
  OPERATION,
  QUOTA,
  SCHEDULER,
  SERVER,
  SERVER_GROUP,
  VOLUME,
} from './policies/index.js'
import * as AG from './schemas/aggregates.js'
import * as FL from './schemas/flavors.js'
import * as HO from './schemas/hosts.js'
import * as KP from './schemas/keypairs.js'
import * as QS from './schemas/quotas.js'
import * as SCH from './schemas/scheduler.js'
import * as SG from './schemas/server-groups.js'
import * as SV from './schemas/servers.js'
import * as VO from './schemas/volumes.js'

type R = Route<ComputeDeps>

const V = '/v2.1'
const FLAVOR_ID = `${V}/flavors/:flavor_id`
const SPECS = `${FLAVOR_ID}/os-extra_specs`
const AGG = `${V}/os-aggregates/:aggregate_id`
const QSET = `${V}/os-quota-sets/:project_id`
const SRV = `${V}/servers/:server_id`
const HYP = `${V}/os-hypervisors`
const HOST_NAME = `${V}/os-hosts/:host_name`
const AUDIT = `${V}/os-instance_usage_audit_log`

/** The caller's own project as the target (rules of the form project_id:%(project_id)s). */
const ownProject = (req: FastifyRequest) => ({ project_id: req.ctx.who.project_id })
/** The project named in the URL. */
const urlProject = (req: FastifyRequest) => ({
  project_id: (req.params as Record<string, string>).project_id,
})

const byVersion =
  (...windows: [min: string, schema: Record<string, unknown>][]) =>
  (req: FastifyRequest) => {
    let chosen: Record<string, unknown> | undefined
    for (const [min, schema] of windows) if (req.version.gte(min)) chosen = schema
    return chosen
  }

/** Rules the handler checks against the loaded server's project. */
const onServer = (policy: string | readonly string[]) => ({ policy, enforce: 'handler' as const })

/** A proxy route of the network service: served up to 2.35, as upstream. */
const proxy = (method: R['method'], path: string, policy: string, handler: R['handler']): R[] => [
  { method, path: `${V}${path}`, max: '2.35', policy, target: ownProject, handler },
]

export const ROUTES: readonly R[] = [
  { method: 'GET', path: '/', public: true, handler: listVersions },
  { method: 'GET', path: '/v2', public: true, handler: showLegacyVersion },
  { method: 'GET', path: V, public: true, handler: showVersion },

  // --- flavors
  { method: 'GET', path: `${V}/flavors`, policy: FLAVOR.READ, handler: flavors.listFlavors },
  { method: 'GET', path: `${V}/flavors/detail`, policy: FLAVOR.READ, handler: flavors.listFlavorDetails },
  { method: 'GET', path: FLAVOR_ID, policy: FLAVOR.READ, handler: flavors.showFlavor },
  {
    method: 'POST',
    path: `${V}/flavors`,
    policy: FLAVOR.CREATE,
    body: byVersion(['2.1', FL.CREATE_FLAVOR], ['2.55', FL.CREATE_FLAVOR_255]),
    handler: flavors.createFlavor,
  },
  {
    method: 'PUT',
    path: FLAVOR_ID,
    min: '2.55',
    policy: FLAVOR.UPDATE,
    body: FL.UPDATE_FLAVOR_255,
    handler: flavors.updateFlavor,
  },
  { method: 'DELETE', path: FLAVOR_ID, policy: FLAVOR.DELETE, handler: flavors.deleteFlavor },
  {
    method: 'GET',
    path: `${FLAVOR_ID}/os-flavor-access`,
    policy: FLAVOR.ACCESS_LIST,
    handler: access.listAccess,
  },
  {
    method: 'POST',
    path: `${FLAVOR_ID}/action`,
    policy: [FLAVOR.ACCESS_ADD, FLAVOR.ACCESS_REMOVE],
    enforce: 'handler',
    handler: access.flavorAction,
  },
  { method: 'GET', path: SPECS, policy: FLAVOR.SPECS_INDEX, target: ownProject, handler: specs.listSpecs },
  {
    method: 'POST',
    path: SPECS,
    policy: FLAVOR.SPECS_CREATE,
    body: FL.CREATE_EXTRA_SPECS,
    handler: specs.createSpecs,
  },
  {
    method: 'GET',
    path: `${SPECS}/:key`,
    policy: FLAVOR.SPECS_SHOW,
    target: ownProject,
    handler: specs.showSpec,
  },
  {
    method: 'PUT',
    path: `${SPECS}/:key`,
    policy: FLAVOR.SPECS_UPDATE,
    body: FL.UPDATE_EXTRA_SPEC,
    handler: specs.updateSpec,
  },
  { method: 'DELETE', path: `${SPECS}/:key`, policy: FLAVOR.SPECS_DELETE, handler: specs.deleteSpec },

  // --- keypairs (the target user comes from the body or query: checked by the handler)
  {
    method: 'POST',
    path: `${V}/os-keypairs`,
    policy: KEYPAIR.CREATE,
    enforce: 'handler',
    body: byVersion(
      ['2.1', KP.CREATE_KEYPAIR],
      ['2.2', KP.CREATE_KEYPAIR_22],
      ['2.10', KP.CREATE_KEYPAIR_210],
      ['2.92', KP.CREATE_KEYPAIR_292],
    ),
    handler: keypairs.createKeypair,
  },
  {
    method: 'GET',
    path: `${V}/os-keypairs`,
    policy: KEYPAIR.INDEX,
    enforce: 'handler',
    handler: keypairs.listKeypairs,
  },
  {
    method: 'GET',
    path: `${V}/os-keypairs/:keypair_name`,
    policy: KEYPAIR.SHOW,
    enforce: 'handler',
    handler: keypairs.showKeypair,
  },
  {
    method: 'DELETE',
    path: `${V}/os-keypairs/:keypair_name`,
    policy: KEYPAIR.DELETE,
    enforce: 'handler',
    handler: keypairs.deleteKeypair,
  },

  // --- server groups
  {
    method: 'POST',
    path: `${V}/os-server-groups`,
    policy: SERVER_GROUP.CREATE,
    target: ownProject,
    body: byVersion(['2.1', SG.CREATE_GROUP], ['2.15', SG.CREATE_GROUP_215], ['2.64', SG.CREATE_GROUP_264]),
    handler: groups.createGroup,
  },
  {
    method: 'GET',
    path: `${V}/os-server-groups`,
    policy: SERVER_GROUP.INDEX,
    target: ownProject,
    handler: groups.listGroups,
  },
  {
    method: 'GET',
    path: `${V}/os-server-groups/:group_id`,
    policy: SERVER_GROUP.SHOW,
    enforce: 'handler',
    handler: groups.showGroup,
  },
  {
    method: 'DELETE',
    path: `${V}/os-server-groups/:group_id`,
    policy: SERVER_GROUP.DELETE,
    enforce: 'handler',
    handler: groups.deleteGroup,
  },

  // --- availability zones, limits, quotas
  { method: 'GET', path: `${V}/os-availability-zone`, policy: QUOTA.AZ_LIST, handler: zones.listZones },
  {
    method: 'GET',
    path: `${V}/os-availability-zone/detail`,
    policy: QUOTA.AZ_DETAIL,
    handler: zones.listZoneDetails,
  },
  { method: 'GET', path: `${V}/limits`, policy: QUOTA.LIMITS, handler: quotas.showLimits },
  { method: 'GET', path: QSET, policy: QUOTA.SHOW, target: urlProject, handler: quotas.showQuotas },
  {
    method: 'GET',
    path: `${QSET}/detail`,
    policy: QUOTA.DETAIL,
    target: urlProject,
    handler: quotas.quotaDetail,
  },
  {
    method: 'GET',
    path: `${QSET}/defaults`,
    policy: QUOTA.DEFAULTS,
    target: urlProject,
    handler: quotas.quotaDefaults,
  },
  {
    method: 'PUT',
    path: QSET,
    policy: QUOTA.UPDATE,
    target: urlProject,
    body: byVersion(
      ['2.1', QS.UPDATE_QUOTAS],
      ['2.36', QS.UPDATE_QUOTAS_236],
      ['2.57', QS.UPDATE_QUOTAS_257],
    ),
    handler: quotas.updateQuotas,
  },
  { method: 'DELETE', path: QSET, policy: QUOTA.DELETE, target: urlProject, handler: quotas.deleteQuotas },
  {
    method: 'GET',
    path: `${V}/os-quota-class-sets/:class_name`,
    policy: QUOTA.CLASS_SHOW,
    handler: quotas.showQuotaClass,
  },
  {
    method: 'PUT',
    path: `${V}/os-quota-class-sets/:class_name`,
    policy: QUOTA.CLASS_UPDATE,
    body: byVersion(['2.1', QS.UPDATE_CLASS], ['2.50', QS.UPDATE_CLASS_250], ['2.57', QS.UPDATE_CLASS_257]),
    handler: quotas.updateQuotaClass,
  },

  // --- aggregates
  { method: 'GET', path: `${V}/os-aggregates`, policy: AGGREGATE.INDEX, handler: aggregates.listAggregates },
  {
    method: 'POST',
    path: `${V}/os-aggregates`,
    policy: AGGREGATE.CREATE,
    body: AG.CREATE_AGGREGATE,
    handler: aggregates.createAggregate,
  },
  { method: 'GET', path: AGG, policy: AGGREGATE.SHOW, handler: aggregates.showAggregate },
  {
    method: 'PUT',
    path: AGG,
    policy: AGGREGATE.UPDATE,
    body: AG.UPDATE_AGGREGATE,
    handler: aggregates.updateAggregate,
  },
  { method: 'DELETE', path: AGG, policy: AGGREGATE.DELETE, handler: aggregates.deleteAggregate },
  {
    method: 'POST',
    path: `${AGG}/action`,
    policy: [AGGREGATE.ADD_HOST, AGGREGATE.REMOVE_HOST, AGGREGATE.SET_METADATA],
    enforce: 'handler',
    handler: aggregates.aggregateAction,
  },
  {
    method: 'POST',
    path: `${AGG}/images`,
    min: '2.81',
    policy: AGGREGATE.IMAGES,
    body: AG.CACHE_IMAGES,
    handler: aggregates.cacheImages,
  },

  // --- servers
  {
    method: 'POST',
    path: `${V}/servers`,
    policy: SERVER.CREATE,
    target: ownProject,
    body: (req) => SV.createServer(req.version),
    handler: servers.createServer,
  },
  {
    method: 'GET',
    path: `${V}/servers`,
    policy: SERVER.INDEX,
    target: ownProject,
    handler: servers.listServers,
  },
  {
    method: 'GET',
    path: `${V}/servers/detail`,
    policy: SERVER.DETAIL,
    target: ownProject,
    handler: servers.listServerDetails,
  },
  { method: 'GET', path: SRV, ...onServer(SERVER.SHOW), handler: servers.showServer },
  {
    method: 'PUT',
    path: SRV,
    ...onServer(SERVER.UPDATE),
    body: (req) => SV.updateServer(req.version),
    handler: servers.updateServer,
  },
  { method: 'DELETE', path: SRV, ...onServer(SERVER.DELETE), handler: servers.deleteServer },
  {
    method: 'POST',
    path: `${SRV}/action`,
    ...onServer([
      SERVER.FORCE_DELETE,
      SERVER.RESTORE,
      SERVER.SHOW,
      SERVER.STOP,
      SERVER.START,
      SERVER.REBOOT,
      SERVER.REBUILD,
      SERVER.REBUILD_TRUSTED_CERTS,
      SERVER.LOCK,
      SERVER.UNLOCK,
      SERVER.UNLOCK_OVERRIDE,
      SERVER.RESET_STATE,
      SERVER.PAUSE,
      SERVER.UNPAUSE,
      SERVER.SUSPEND,
      SERVER.RESUME,
      SERVER.CONSOLE_OUTPUT,
      SERVER.CHANGE_PASSWORD,
      ...Object.values(OPERATION_ACTIONS),
      OPERATION.UNSHELVE_TO_HOST,
    ]),
    handler: actions.serverAction,
  },
  {
    method: 'GET',
    path: `${V}/os-migrations`,
    policy: OPERATION.MIGRATIONS_INDEX,
    handler: migrations.listMigrations,
  },
  {
    method: 'GET',
    path: `${SRV}/migrations`,
    min: '2.23',
    ...onServer(OPERATION.SERVER_MIGRATIONS_INDEX),
    handler: migrations.listServerMigrations,
  },
  {
    method: 'GET',
    path: `${SRV}/migrations/:migration_id`,
    min: '2.23',
    ...onServer(OPERATION.SERVER_MIGRATIONS_SHOW),
    handler: migrations.showServerMigration,
  },
  {
    method: 'POST',
    path: `${SRV}/migrations/:migration_id/action`,
    min: '2.22',
    ...onServer(OPERATION.SERVER_MIGRATIONS_FORCE),
    handler: migrations.forceCompleteMigration,
  },
  {
    method: 'DELETE',
    path: `${SRV}/migrations/:migration_id`,
    min: '2.24',
    ...onServer(OPERATION.SERVER_MIGRATIONS_DELETE),
    handler: migrations.abortMigration,
  },
  {
    method: 'GET',
    path: `${SRV}/diagnostics`,
    ...onServer(SERVER.DIAGNOSTICS),
    handler: actions.showDiagnostics,
  },
  {
    method: 'GET',
    path: `${SRV}/os-server-password`,
    ...onServer(SERVER.PASSWORD_SHOW),
    handler: actions.showPassword,
  },
  {
    method: 'DELETE',
    path: `${SRV}/os-server-password`,
    ...onServer(SERVER.PASSWORD_CLEAR),
    handler: actions.clearPassword,
  },
  // --- the deprecated image proxy (no policy upstream: any authenticated caller; the
  // image service applies its own rules to the user's token)
  { method: 'GET', path: `${V}/images`, max: '2.35', authenticated: true, handler: images.listImages },
  {
    method: 'GET',
    path: `${V}/images/detail`,
    max: '2.35',
    authenticated: true,
    handler: images.listImageDetails,
  },
  {
    method: 'GET',
    path: `${V}/images/:image_id`,
    max: '2.35',
    authenticated: true,
    handler: images.showImage,
  },
  {
    method: 'DELETE',
    path: `${V}/images/:image_id`,
    max: '2.35',
    authenticated: true,
    handler: images.deleteImage,
  },
  {
    method: 'GET',
    path: `${V}/images/:image_id/metadata`,
    max: '2.35',
    authenticated: true,
    handler: images.showMetadata,
  },
  {
    method: 'POST',
    path: `${V}/images/:image_id/metadata`,
    max: '2.35',
    authenticated: true,
    body: SV.METADATA,
    handler: images.updateMetadata,
  },
  {
    method: 'PUT',
    path: `${V}/images/:image_id/metadata`,
    max: '2.35',
    authenticated: true,
    body: SV.METADATA,
    handler: images.replaceMetadata,
  },
  {
    method: 'GET',
    path: `${V}/images/:image_id/metadata/:key`,
    max: '2.35',
    authenticated: true,
    handler: images.showMetadataItem,
  },
  {
    method: 'PUT',
    path: `${V}/images/:image_id/metadata/:key`,
    max: '2.35',
    authenticated: true,
    body: SV.METADATA_ITEM,
    handler: images.setMetadataItem,
  },
  {
    method: 'DELETE',
    path: `${V}/images/:image_id/metadata/:key`,
    max: '2.35',
    authenticated: true,
    handler: images.deleteMetadataItem,
  },
  // --- a server's volumes (os-volume_attachments) and the deprecated proxies
  {
    method: 'GET',
    path: `${SRV}/os-volume_attachments`,
    ...onServer(VOLUME.ATTACH_INDEX),
    handler: attachments.listAttachments,
  },
  {
    method: 'POST',
    path: `${SRV}/os-volume_attachments`,
    ...onServer(VOLUME.ATTACH_CREATE),
    body: (req) => VO.attachVolume(req.version),
    handler: attachments.attachVolume,
  },
  {
    method: 'GET',
    path: `${SRV}/os-volume_attachments/:volume_id`,
    ...onServer(VOLUME.ATTACH_SHOW),
    handler: attachments.showAttachment,
  },
  {
    method: 'PUT',
    path: `${SRV}/os-volume_attachments/:volume_id`,
    ...onServer([VOLUME.ATTACH_UPDATE, VOLUME.ATTACH_SWAP]),
    body: (req) => VO.updateAttachment(req.version),
    handler: attachments.updateAttachment,
  },
  {
    method: 'DELETE',
    path: `${SRV}/os-volume_attachments/:volume_id`,
    ...onServer(VOLUME.ATTACH_DELETE),
    handler: attachments.detachVolume,
  },
  {
    method: 'GET',
    path: `${V}/os-volumes`,
    max: '2.35',
    policy: VOLUME.LIST,
    target: ownProject,
    handler: volumes.listVolumes,
  },
  {
    method: 'GET',
    path: `${V}/os-volumes/detail`,
    max: '2.35',
    policy: VOLUME.DETAIL,
    target: ownProject,
    handler: volumes.listVolumes,
  },
  {
    method: 'POST',
    path: `${V}/os-volumes`,
    max: '2.35',
    policy: VOLUME.CREATE,
    target: ownProject,
    body: VO.CREATE_VOLUME,
    handler: volumes.createVolume,
  },
  {
    method: 'GET',
    path: `${V}/os-volumes/:volume_id`,
    max: '2.35',
    policy: VOLUME.SHOW,
    target: ownProject,
    handler: volumes.showVolume,
  },
  {
    method: 'DELETE',
    path: `${V}/os-volumes/:volume_id`,
    max: '2.35',
    policy: VOLUME.DELETE,
    target: ownProject,
    handler: volumes.deleteVolume,
  },
  {
    method: 'GET',
    path: `${V}/os-snapshots`,
    max: '2.35',
    policy: VOLUME.SNAPSHOT_LIST,
    target: ownProject,
    handler: volumes.listSnapshots,
  },
  {
    method: 'GET',
    path: `${V}/os-snapshots/detail`,
    max: '2.35',
    policy: VOLUME.SNAPSHOT_DETAIL,
    target: ownProject,
    handler: volumes.listSnapshots,
  },
  {
    method: 'POST',
    path: `${V}/os-snapshots`,
    max: '2.35',
    policy: VOLUME.SNAPSHOT_CREATE,
    target: ownProject,
    body: VO.CREATE_SNAPSHOT,
    handler: volumes.createSnapshot,
  },
  {
    method: 'GET',
    path: `${V}/os-snapshots/:snapshot_id`,
    max: '2.35',
    policy: VOLUME.SNAPSHOT_SHOW,
    target: ownProject,
    handler: volumes.showSnapshot,
  },
  {
    method: 'DELETE',
    path: `${V}/os-snapshots/:snapshot_id`,
    max: '2.35',
    policy: VOLUME.SNAPSHOT_DELETE,
    target: ownProject,
    handler: volumes.deleteSnapshot,
  },
  { method: 'GET', path: `${V}/os-simple-tenant-usage`, policy: SERVER.USAGE_LIST, handler: usage.listUsage },
  {
    method: 'GET',
    path: `${V}/os-simple-tenant-usage/:tenant_id`,
    policy: SERVER.USAGE_SHOW,
    target: (req) => ({ project_id: (req.params as Record<string, string>).tenant_id }),
    handler: usage.showUsage,
  },
  { method: 'GET', path: `${SRV}/metadata`, ...onServer(SERVER.META_INDEX), handler: parts.listMetadata },
  {
    method: 'PUT',
    path: `${SRV}/metadata`,
    ...onServer(SERVER.META_UPDATE_ALL),
    body: SV.METADATA,
    handler: parts.replaceMetadata,
  },
  {
    method: 'POST',
    path: `${SRV}/metadata`,
    ...onServer(SERVER.META_CREATE),
    body: SV.METADATA,
    handler: parts.updateMetadata,
  },
  {
    method: 'GET',
    path: `${SRV}/metadata/:key`,
    ...onServer(SERVER.META_SHOW),
    handler: parts.showMetadataItem,
  },
  {
    method: 'PUT',
    path: `${SRV}/metadata/:key`,
    ...onServer(SERVER.META_UPDATE),
    body: SV.METADATA_ITEM,
    handler: parts.setMetadataItem,
  },
  {
    method: 'DELETE',
    path: `${SRV}/metadata/:key`,
    ...onServer(SERVER.META_DELETE),
    handler: parts.deleteMetadataItem,
  },
  {
    method: 'GET',
    path: `${SRV}/tags`,
    min: '2.26',
    ...onServer(SERVER.TAGS_INDEX),
    handler: parts.listTags,
  },
  {
    method: 'PUT',
    path: `${SRV}/tags`,
    min: '2.26',
    ...onServer(SERVER.TAGS_UPDATE_ALL),
    body: SV.TAGS,
    handler: parts.replaceTags,
  },
  {
    method: 'DELETE',
    path: `${SRV}/tags`,
    min: '2.26',
    ...onServer(SERVER.TAGS_DELETE_ALL),
    handler: parts.deleteTags,
  },
  {
    method: 'GET',
    path: `${SRV}/tags/:tag`,
    min: '2.26',
    ...onServer(SERVER.TAGS_SHOW),
    handler: parts.checkTag,
  },
  {
    method: 'PUT',
    path: `${SRV}/tags/:tag`,
    min: '2.26',
    ...onServer(SERVER.TAGS_UPDATE),
    handler: parts.addTag,
  },
  {
    method: 'DELETE',
    path: `${SRV}/tags/:tag`,
    min: '2.26',
    ...onServer(SERVER.TAGS_DELETE),
    handler: parts.deleteTag,
  },
  { method: 'GET', path: `${SRV}/ips`, ...onServer(SERVER.IPS_INDEX), handler: parts.listIps },
  { method: 'GET', path: `${SRV}/ips/:network`, ...onServer(SERVER.IPS_SHOW), handler: parts.showIps },
  {
    method: 'GET',
    path: `${SRV}/os-instance-actions`,
    ...onServer(SERVER.ACTIONS_LIST),
    handler: parts.listActions,
  },
  {
    method: 'GET',
    path: `${SRV}/os-instance-actions/:request_id`,
    ...onServer(SERVER.ACTIONS_SHOW),
    handler: parts.showAction,
  },
  // --- a server's networking (handlers/server-networking.ts)
  {
    method: 'GET',
    path: `${SRV}/os-interface`,
    ...onServer(NET.INTERFACE_LIST),
    handler: netsrv.listInterfaces,
  },
  {
    method: 'GET',
    path: `${SRV}/os-interface/:port_id`,
    ...onServer(NET.INTERFACE_SHOW),
    handler: netsrv.showInterface,
  },
  {
    method: 'POST',
    path: `${SRV}/os-interface`,
    ...onServer(NET.INTERFACE_CREATE),
    handler: netsrv.attachInterface,
  },
  {
    method: 'DELETE',
    path: `${SRV}/os-interface/:port_id`,
    ...onServer(NET.INTERFACE_DELETE),
    handler: netsrv.detachInterface,
  },
  {
    method: 'GET',
    path: `${SRV}/os-security-groups`,
    ...onServer(NET.SG_LIST_SERVER),
    handler: netsrv.listServerSecurityGroups,
  },
  // --- the network proxy APIs, removed at 2.36 (handlers/network-proxies.ts)
  ...proxy('GET', '/os-networks', NET.NETWORKS_LIST, netproxy.listNetworks),
  ...proxy('GET', '/os-networks/:network_id', NET.NETWORKS_VIEW, netproxy.showNetwork),
  ...proxy('GET', '/os-tenant-networks', NET.TENANT_NETWORKS_LIST, netproxy.listNetworks),
  ...proxy('GET', '/os-tenant-networks/:network_id', NET.TENANT_NETWORKS_SHOW, netproxy.showNetwork),
  ...proxy('GET', '/os-floating-ip-pools', NET.FIP_POOLS, netproxy.listFloatingIpPools),
  ...proxy('GET', '/os-floating-ips', NET.FIP_LIST, netproxy.listFloatingIps),
  ...proxy('POST', '/os-floating-ips', NET.FIP_CREATE, netproxy.createFloatingIp),
  ...proxy('GET', '/os-floating-ips/:floating_ip_id', NET.FIP_SHOW, netproxy.showFloatingIp),
  ...proxy('DELETE', '/os-floating-ips/:floating_ip_id', NET.FIP_DELETE, netproxy.deleteFloatingIp),
  ...proxy('GET', '/os-security-groups', NET.SG_GET, netproxy.listSecurityGroups),
  ...proxy('POST', '/os-security-groups', NET.SG_CREATE, netproxy.createSecurityGroup),
  ...proxy('GET', '/os-security-groups/:security_group_id', NET.SG_SHOW, netproxy.showSecurityGroup),
  ...proxy('PUT', '/os-security-groups/:security_group_id', NET.SG_UPDATE, netproxy.updateSecurityGroup),
  ...proxy('DELETE', '/os-security-groups/:security_group_id', NET.SG_DELETE, netproxy.deleteSecurityGroup),
  // NOTE: a DELETE with an empty id reaches the collection: no such group (404), as upstream.
  ...proxy('DELETE', '/os-security-groups', NET.SG_DELETE, netproxy.deleteSecurityGroupWithoutId),
  ...proxy('POST', '/os-security-group-rules', NET.SG_RULE_CREATE, netproxy.createSecurityGroupRule),
  ...proxy(
    'DELETE',
    '/os-security-group-rules/:rule_id',
    NET.SG_RULE_DELETE,
    netproxy.deleteSecurityGroupRule,
  ),

  {
    method: 'POST',
    path: `${V}/os-server-external-events`,
    policy: SERVER.EXTERNAL_EVENTS,
    body: byVersion(...SV.EXTERNAL_EVENTS_WINDOWS),
    handler: parts.createExternalEvents,
  },

  // --- services and hypervisors
  { method: 'GET', path: `${V}/os-services`, policy: SERVER.SERVICES_LIST, handler: services.listServices },
  {
    method: 'PUT',
    path: `${V}/os-services/:service_id`,
    max: '2.52',
    policy: SERVER.SERVICES_UPDATE,
    handler: services.updateServiceByAction,
  },
  {
    method: 'PUT',
    path: `${V}/os-services/:service_id`,
    min: '2.53',
    policy: SERVER.SERVICES_UPDATE,
    handler: services.updateService,
  },
  {
    method: 'DELETE',
    path: `${V}/os-services/:service_id`,
    policy: SERVER.SERVICES_DELETE,
    handler: services.deleteService,
  },
  { method: 'GET', path: HYP, policy: SERVER.HYPERVISORS_LIST, handler: services.listHypervisors },
  {
    method: 'GET',
    path: `${HYP}/detail`,
    policy: SERVER.HYPERVISORS_DETAIL,
    handler: services.listHypervisorDetails,
  },
  {
    method: 'GET',
    path: `${HYP}/statistics`,
    max: '2.87',
    policy: SERVER.HYPERVISORS_STATS,
    handler: services.hypervisorStatistics,
  },
  {
    method: 'GET',
    path: `${HYP}/:hypervisor_id`,
    policy: SERVER.HYPERVISORS_SHOW,
    handler: services.showHypervisor,
  },
  {
    method: 'GET',
    path: `${HYP}/:hypervisor_id/uptime`,
    max: '2.87',
    policy: SERVER.HYPERVISORS_UPTIME,
    handler: services.hypervisorUptime,
  },
  {
    method: 'GET',
    path: `${HYP}/:pattern/search`,
    max: '2.52',
    policy: SERVER.HYPERVISORS_SEARCH,
    handler: services.searchHypervisors,
  },
  {
    method: 'GET',
    path: `${HYP}/:pattern/servers`,
    max: '2.52',
    policy: SERVER.HYPERVISORS_SERVERS,
    handler: services.searchHypervisors,
  },

  // --- os-hosts (deprecated, gone at 2.43), the usage audit log, the v2 extension list
  { method: 'GET', path: `${V}/os-hosts`, max: '2.42', policy: HOST.LIST, handler: hostsApi.listHosts },
  { method: 'GET', path: HOST_NAME, max: '2.42', policy: HOST.SHOW, handler: hostsApi.showHost },
  {
    method: 'PUT',
    path: HOST_NAME,
    max: '2.42',
    policy: HOST.UPDATE,
    body: HO.UPDATE_HOST,
    handler: hostsApi.updateHost,
  },
  ...(
    [
      ['startup', HOST.START],
      ['shutdown', HOST.SHUTDOWN],
      ['reboot', HOST.REBOOT],
    ] as const
  ).map(
    ([action, policy]): R => ({
      method: 'GET',
      path: `${HOST_NAME}/${action}`,
      max: '2.42',
      policy,
      handler: hostsApi.hostPowerAction,
    }),
  ),
  { method: 'GET', path: AUDIT, policy: HOST.AUDIT_LIST, handler: hostsApi.listUsageAudits },
  {
    method: 'GET',
    path: `${AUDIT}/:before_timestamp`,
    policy: HOST.AUDIT_SHOW,
    handler: hostsApi.showUsageAudit,
  },
  { method: 'GET', path: `${V}/extensions`, policy: HOST.EXTENSIONS, handler: extensions.listExtensions },
  {
    method: 'GET',
    path: `${V}/extensions/:alias`,
    policy: HOST.EXTENSIONS,
    handler: extensions.showExtension,
  },

  // --- Cloudlet's own (no upstream counterpart): the scheduler's decision, explained
  {
    method: 'POST',
    path: `${V}/cloudlet-scheduler/explain`,
    policy: SCHEDULER.EXPLAIN,
    body: SCH.EXPLAIN,
    handler: scheduler.explainScheduling,
  },
]
