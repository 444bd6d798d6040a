/**
 * Compute's domain errors: one class per problem, each with a stable
 * `compute.<noun>.<problem>` code and the message wording clients and tempest know.
 * The kind decides the status; the kernel's `computeFault` renders the body
 * (`{"itemNotFound": {"code": 404, "message": "..."}}`).
 */
import { DomainError, type DomainErrorOptions } from '../../kernel/errors/index.js'

/** A request the API refuses as malformed or invalid (400). */
export class ComputeBadRequest extends DomainError {
  constructor(message: string, options?: DomainErrorOptions) {
    super('bad_request', 'compute.request.invalid', message, options)
  }
}

/** The 403 of a policy rule, in Nova's words. */
export const policyForbiddenMessage = (rule: string): string =>
  `Policy doesn't allow ${rule} to be performed.`

// --- flavors

export class FlavorNotFound extends DomainError {
  constructor(flavorId: string) {
    super('not_found', 'compute.flavor.not_found', `Flavor ${flavorId} could not be found.`)
  }
}

export class FlavorNameExists extends DomainError {
  constructor(name: string) {
    super('conflict', 'compute.flavor.name_exists', `Flavor with name ${name} already exists.`)
  }
}

export class FlavorIdExists extends DomainError {
  constructor(flavorId: string) {
    super('conflict', 'compute.flavor.id_exists', `Flavor with ID ${flavorId} already exists.`)
  }
}

export class FlavorAccessExists extends DomainError {
  constructor(flavorId: string, projectId: string) {
    super(
      'conflict',
      'compute.flavor_access.exists',
      `Flavor access already exists for flavor ${flavorId} and project ${projectId} combination.`,
    )
  }
}

export class FlavorAccessNotFound extends DomainError {
  constructor(flavorId: string, projectId: string) {
    super(
      'not_found',
      'compute.flavor_access.not_found',
      `Flavor access not found for ${flavorId} / ${projectId} combination.`,
    )
  }
}

export class FlavorAccessOnPublicFlavor extends DomainError {
  constructor() {
    super('conflict', 'compute.flavor_access.public_flavor', 'Can not add access to a public flavor.')
  }
}

export class FlavorAccessListOfPublicFlavor extends DomainError {
  constructor() {
    super('not_found', 'compute.flavor_access.public_list', 'Access list not available for public flavors.')
  }
}

export class FlavorExtraSpecNotFound extends DomainError {
  constructor(flavorId: string, key: string) {
    super(
      'not_found',
      'compute.flavor_extra_spec.not_found',
      `Flavor ${flavorId} has no extra specs with key ${key}.`,
    )
  }
}

export class FlavorExtraSpecInvalid extends DomainError {
  constructor(message: string) {
    super('bad_request', 'compute.flavor_extra_spec.invalid', message)
  }
}

// --- keypairs

export class KeypairNotFound extends DomainError {
  constructor(name: string, userId: string) {
    super('not_found', 'compute.keypair.not_found', `Keypair ${name} not found for user ${userId}`)
  }
}

export class KeypairExists extends DomainError {
  constructor(name: string) {
    super('conflict', 'compute.keypair.exists', `Key pair '${name}' already exists.`)
  }
}

export class KeypairInvalid extends DomainError {
  constructor(reason: string) {
    super('bad_request', 'compute.keypair.invalid', `Keypair data is invalid: ${reason}`)
  }
}

export class KeypairLimitExceeded extends DomainError {
  constructor() {
    super('forbidden', 'compute.keypair.over_quota', 'Quota exceeded, too many key pairs.')
  }
}

// --- server groups

export class ServerGroupNotFound extends DomainError {
  constructor(id: string) {
    super('not_found', 'compute.server_group.not_found', `Instance group ${id} could not be found.`)
  }
}

export class ServerGroupInvalid extends DomainError {
  constructor(message: string) {
    super('bad_request', 'compute.server_group.invalid', message)
  }
}

export class ServerGroupLimitExceeded extends DomainError {
  constructor() {
    super('forbidden', 'compute.server_group.over_quota', 'Quota exceeded, too many server groups.')
  }
}

export class ServerGroupMemberLimitExceeded extends DomainError {
  constructor() {
    super('forbidden', 'compute.server_group.members_over_quota', 'Quota exceeded, too many servers in group')
  }
}

// --- aggregates

export class AggregateNotFound extends DomainError {
  constructor(id: string | number) {
    super('not_found', 'compute.aggregate.not_found', `Aggregate ${id} could not be found.`)
  }
}

export class AggregateNameExists extends DomainError {
  constructor(name: string) {
    super('conflict', 'compute.aggregate.name_exists', `Aggregate ${name} already exists.`)
  }
}

export class AggregateHostExists extends DomainError {
  constructor(id: number, host: string) {
    super('conflict', 'compute.aggregate.host_exists', `Aggregate ${id} already has host ${host}.`)
  }
}

export class AggregateHostNotFound extends DomainError {
  constructor(id: number | string, host: string) {
    super('not_found', 'compute.aggregate.host_not_found', `Cannot remove host ${host} in aggregate ${id}`)
  }
}

/**
 * An aggregate change that would break a rule (a host in two zones, an empty zone
 * name, deleting an aggregate that has hosts). Upstream answers 400 for most actions
 * and 409 when adding a host; the caller picks.
 */
export class AggregateActionInvalid extends DomainError {
  constructor(message: string, kind: 'bad_request' | 'conflict' = 'bad_request') {
    super(kind, 'compute.aggregate.invalid_action', message)
  }
}

// --- quotas and lists

export class QuotaLimitInvalid extends DomainError {
  constructor(message: string) {
    super('bad_request', 'compute.quota.invalid_limit', message)
  }
}

export class MarkerNotFound extends DomainError {
  constructor(message: string) {
    super('bad_request', 'compute.list.marker_not_found', message)
  }
}

export class ComputeHostNotFound extends DomainError {
  constructor(host: string) {
    super('not_found', 'compute.host.not_found', `Compute host ${host} could not be found.`)
  }
}

/** A host-level feature the hypervisor driver does not implement (upstream's 501). */
export class HostFeatureNotSupported extends DomainError {
  constructor() {
    super('not_implemented', 'compute.host.not_supported', 'The requested functionality is not supported.')
  }
}

// --- servers

export class ServerNotFound extends DomainError {
  constructor(id: string) {
    super('not_found', 'compute.server.not_found', `Instance ${id} could not be found.`)
  }
}

/** A create that names something it may not use or that does not exist (400). */
export class ServerCreateInvalid extends DomainError {
  constructor(message: string, code = 'compute.server.invalid_request') {
    super('bad_request', code, message)
  }
}

/** Upstream's TooManyInstances and friends: a create over quota (403). */
export class ServerQuotaExceeded extends DomainError {
  constructor(message: string) {
    super('forbidden', 'compute.server.over_quota', message)
  }
}

export class ServerInvalidState extends DomainError {
  constructor(action: string, id: string, attr: string, state: string) {
    super(
      'conflict',
      'compute.server.invalid_state',
      `Cannot '${action}' instance ${id} while it is in ${attr} ${state}`,
    )
  }
}

export class ServerLocked extends DomainError {
  constructor(id: string) {
    super('conflict', 'compute.server.locked', `Instance ${id} is locked`)
  }
}

export class ServerMetadataNotFound extends DomainError {
  constructor() {
    super('not_found', 'compute.server.metadata_not_found', 'Metadata item was not found')
  }
}

export class ServerTagNotFound extends DomainError {
  constructor(id: string, tag: string) {
    super('not_found', 'compute.server.tag_not_found', `Instance ${id} has no tag '${tag}'`)
  }
}

export class ServerTagLimitExceeded extends DomainError {
  constructor(limit: number) {
    super(
      'bad_request',
      'compute.server.too_many_tags',
      `The number of tags exceeded the per-server limit ${limit}`,
    )
  }
}

export class ServerActionNotFound extends DomainError {
  constructor(requestId: string, id: string) {
    super(
      'not_found',
      'compute.server.action_not_found',
      `Action for request_id ${requestId} on instance ${id} not found`,
    )
  }
}

export class ServerNetworkNotFound extends DomainError {
  constructor() {
    super('not_found', 'compute.server.network_not_found', 'Instance is not a member of specified network')
  }
}

// --- services and hypervisors

export class ServiceNotFound extends DomainError {
  constructor(id: string) {
    super('not_found', 'compute.service.not_found', `Service ${id} could not be found.`)
  }
}

export class ServiceInvalid extends DomainError {
  constructor(message: string, kind: 'bad_request' | 'conflict' = 'bad_request') {
    super(kind, 'compute.service.invalid', message)
  }
}

export class HypervisorNotFound extends DomainError {
  constructor(id: string) {
    super('not_found', 'compute.hypervisor.not_found', `Hypervisor ${id} could not be found.`)
  }
}

/** An action that needs the server on a host before it has one (upstream's InstanceNotReady). */
export class ServerNotReady extends DomainError {
  constructor(id: string) {
    super('conflict', 'compute.server.not_ready', `Instance ${id} is not ready`)
  }
}

/** A read the server's host could not answer (the agent is down or the guest is gone). */
export class ServerHostUnavailable extends DomainError {
  constructor(id: string, reason: string) {
    super('conflict', 'compute.server.host_unavailable', `Instance ${id} is not ready: ${reason}`)
  }
}

/** `networks` or `security_groups` name what no network service can give (400). */
export class ServerNetworkInvalid extends DomainError {
  constructor(message: string) {
    super('bad_request', 'compute.server.network_invalid', message)
  }
}

/** A path the API has no resource for. */
export class ComputeNotFound extends DomainError {
  constructor(message = 'The resource could not be found.') {
    super('not_found', 'compute.not_found', message)
  }
}

// --- volumes

/** A volume the block storage service does not know for the caller. */
export class VolumeNotFound extends DomainError {
  constructor(id: string) {
    super('not_found', 'compute.volume.not_found', `Volume ${id} could not be found.`)
  }
}

/** The server has no mapping of that volume. */
export class VolumeNotAttached extends DomainError {
  constructor(serverId: string, volumeId: string) {
    super(
      'not_found',
      'compute.volume.not_attached',
      `Instance ${serverId} is not attached to volume ${volumeId}`,
    )
  }
}

/** Upstream's InvalidVolume: the volume cannot be used that way (400). */
export class VolumeInvalid extends DomainError {
  constructor(reason: string) {
    super('bad_request', 'compute.volume.invalid', `Invalid volume: ${reason}`)
  }
}

/** Upstream's InvalidBDM family: a block device mapping that cannot be built (400). */
export class BlockDeviceMappingInvalid extends DomainError {
  constructor(reason: string) {
    super('bad_request', 'compute.bdm.invalid', `Block Device Mapping is Invalid: ${reason}`)
  }
}

// --- networking (ports, interfaces, floating IPs, security groups of servers)

/** A port, network or group a server request names is in use or ambiguous (409). */
export class ServerNetworkConflict extends DomainError {
  constructor(message: string) {
    super('conflict', 'compute.server.network_conflict', message)
  }
}

/** The network service refused what compute asked for a server (its status, Nova's body). */
export class ServerNetworkRefused extends DomainError {
  constructor(kind: 'bad_request' | 'not_found' | 'conflict' | 'forbidden', message: string) {
    super(kind, 'compute.server.network_refused', message)
  }
}

export class InterfaceNotFound extends DomainError {
  constructor(serverId: string, portId: string) {
    super(
      'not_found',
      'compute.interface.not_found',
      `Port ${portId} is not attached to instance ${serverId}`,
    )
  }
}
// --- migrations

/** A migration of the server that is not there (or not a live one). */
export class MigrationNotFoundForServer extends DomainError {
  constructor(id: number | string, serverId: string) {
    super('not_found', 'compute.migration.not_found', `Migration ${id} not found for instance ${serverId}`)
  }
}

/** The server migrations show of a migration that is not an in-progress live migration. */
export class InProgressMigrationNotFound extends DomainError {
  constructor(id: number | string, serverId: string) {
    super(
      'not_found',
      'compute.migration.not_in_progress',
      `In-progress live migration ${id} is not found for server ${serverId}.`,
    )
  }
}

/** force_complete / abort of a migration in a status that does not allow it (400). */
export class MigrationStateInvalid extends DomainError {
  constructor(m: { id: number; status: string }, serverId: string, method: string, why?: string) {
    super(
      'bad_request',
      'compute.migration.invalid_state',
      `Migration ${m.id} state of instance ${serverId} is ${m.status}. Cannot ${method} while the migration is in this state.${why ? ` ${why}` : ''}`,
    )
  }
}
