/**
 * Block storage's domain errors: one class per problem, each with a stable
 * `volume.<noun>.<problem>` code and Cinder's wording (cinder/exception.py). The kind
 * decides the status; the kernel's `computeFault` renders Cinder's body
 * (`{"itemNotFound": {"code": 404, "message": "..."}}`).
 */
import { DomainError, type DomainErrorOptions } from '../../kernel/errors/index.js'

/** The 403 of a policy rule, in Cinder's words. */
export const policyForbiddenMessage = (rule: string): string =>
  `Policy doesn't allow ${rule} to be performed.`

/** InvalidInput: a request Cinder refuses as malformed (400). */
export class InvalidInput extends DomainError {
  constructor(reason: string, options?: DomainErrorOptions) {
    super('bad_request', 'volume.request.invalid', `Invalid input received: ${reason}`, options)
  }
}

/** A 400 with a message of its own (schema failures, HTTPBadRequest in handlers). */
export class VolumeBadRequest extends DomainError {
  constructor(message: string, options?: DomainErrorOptions) {
    super('bad_request', 'volume.request.bad', message, options)
  }
}

export class VolumeNotFound extends DomainError {
  constructor(id: string) {
    super('not_found', 'volume.volume.not_found', `Volume ${id} could not be found.`)
  }
}

/** InvalidVolume: the volume's state forbids the operation (400). */
export class InvalidVolume extends DomainError {
  constructor(reason: string) {
    super('bad_request', 'volume.volume.invalid', `Invalid volume: ${reason}`)
  }
}

export class VolumeMetadataNotFound extends DomainError {
  constructor(volumeId: string, key: string) {
    super('not_found', 'volume.metadata.not_found', `Volume ${volumeId} has no metadata with key ${key}.`)
  }
}

export class SnapshotNotFound extends DomainError {
  constructor(id: string) {
    super('not_found', 'volume.snapshot.not_found', `Snapshot ${id} could not be found.`)
  }
}

export class InvalidSnapshot extends DomainError {
  constructor(reason: string) {
    super('bad_request', 'volume.snapshot.invalid', `Invalid snapshot: ${reason}`)
  }
}

export class SnapshotMetadataNotFound extends DomainError {
  constructor(snapshotId: string, key: string) {
    super(
      'not_found',
      'volume.snapshot_metadata.not_found',
      `Snapshot ${snapshotId} has no metadata with key ${key}.`,
    )
  }
}

export class VolumeTypeNotFound extends DomainError {
  constructor(id: string) {
    super('not_found', 'volume.type.not_found', `Volume type ${id} could not be found.`)
  }
}

export class VolumeTypeNotFoundByName extends DomainError {
  constructor(name: string) {
    super('not_found', 'volume.type.not_found', `Volume type with name ${name} could not be found.`)
  }
}

export class VolumeTypeExists extends DomainError {
  constructor(name: string) {
    super('conflict', 'volume.type.exists', `Volume Type ${name} already exists.`)
  }
}

export class VolumeTypeInUse extends DomainError {
  constructor(id: string) {
    super(
      'bad_request',
      'volume.type.in_use',
      `Volume Type ${id} deletion is not allowed with volumes present with the type.`,
    )
  }
}

export class InvalidVolumeType extends DomainError {
  constructor(reason: string) {
    super('bad_request', 'volume.type.invalid', `Invalid volume type: ${reason}`)
  }
}

export class VolumeTypeExtraSpecsNotFound extends DomainError {
  constructor(typeId: string, key: string) {
    super(
      'not_found',
      'volume.type.extra_spec_not_found',
      `Volume Type ${typeId} has no extra specs with key ${key}.`,
    )
  }
}

export class VolumeTypeAccessNotFound extends DomainError {
  constructor(typeId: string, projectId: string) {
    super(
      'not_found',
      'volume.type_access.not_found',
      `Volume type access not found for ${typeId} / ${projectId} combination.`,
    )
  }
}

export class VolumeTypeAccessExists extends DomainError {
  constructor(typeId: string, projectId: string) {
    super(
      'conflict',
      'volume.type_access.exists',
      `Volume type access for ${typeId} / ${projectId} combination already exists.`,
    )
  }
}

/** A create that would pass a count quota (VolumeLimitExceeded, SnapshotLimitExceeded). */
export class QuotaCountExceeded extends DomainError {
  constructor(what: 'volumes' | 'snapshots' | 'backups', allowed: number, resource: string) {
    super(
      'over_limit',
      `volume.quota.${what}_exceeded`,
      what === 'volumes'
        ? `Maximum number of volumes allowed (${allowed}) exceeded for quota '${resource}'.`
        : `Maximum number of ${what} allowed (${allowed}) exceeded`,
    )
  }
}

/** GroupLimitExceeded: a group create over the project's `groups` quota. */
export class GroupLimitExceeded extends DomainError {
  constructor(allowed: number) {
    super(
      'over_limit',
      'volume.quota.groups_exceeded',
      `Maximum number of groups allowed (${allowed}) exceeded`,
    )
  }
}

/** VolumeSizeExceedsAvailableQuota. */
export class GigabytesQuotaExceeded extends DomainError {
  constructor(requested: number, quota: number, consumed: number, name = 'gigabytes') {
    super(
      'over_limit',
      'volume.quota.gigabytes_exceeded',
      `Requested volume or snapshot exceeds allowed ${name} quota. Requested ${requested}G, quota is ${quota}G and ${consumed}G has been consumed.`,
    )
  }
}

/** VolumeSizeExceedsLimit. */
export class VolumeSizeExceedsLimit extends DomainError {
  constructor(size: number, limit: number) {
    super(
      'over_limit',
      'volume.quota.per_volume_exceeded',
      `Requested volume size ${size}G is larger than maximum allowed limit ${limit}G.`,
    )
  }
}

export class QuotaLimitInvalid extends InvalidInput {}

export class AttachmentNotFound extends DomainError {
  constructor(id: string) {
    super('not_found', 'volume.attachment.not_found', `Volume attachment ${id} could not be found.`)
  }
}

export class ServiceNotFound extends DomainError {
  constructor(message = 'Unknown service') {
    super('not_found', 'volume.service.not_found', message)
  }
}

export class HostNotFound extends DomainError {
  constructor(host: string) {
    super('not_found', 'volume.host.not_found', `Host ${host} could not be found.`)
  }
}

export class AvailabilityZoneInvalid extends DomainError {
  constructor(zone: string) {
    super('bad_request', 'volume.availability_zone.invalid', `Availability zone '${zone}' is invalid.`)
  }
}

export class BackupNotFound extends DomainError {
  constructor(id: string) {
    super('not_found', 'volume.backup.not_found', `Backup ${id} could not be found.`)
  }
}

/** Upstream's InvalidBackup (400). */
export class InvalidBackup extends DomainError {
  constructor(reason: string) {
    super('bad_request', 'volume.backup.invalid', `Invalid backup: ${reason}`)
  }
}

export class GroupTypeNotFound extends DomainError {
  constructor(id: string) {
    super('not_found', 'volume.group_type.not_found', `Group type ${id} could not be found.`)
  }
}

export class GroupTypeExists extends DomainError {
  constructor(name: string) {
    super('conflict', 'volume.group_type.exists', `Group Type ${name} already exists.`)
  }
}

export class GroupTypeInUse extends DomainError {
  constructor(id: string) {
    super(
      'bad_request',
      'volume.group_type.in_use',
      `Group Type ${id} deletion is not allowed with groups present with the type.`,
    )
  }
}

export class GroupTypeSpecNotFound extends DomainError {
  constructor(id: string, key: string) {
    super('not_found', 'volume.group_type.spec_not_found', `Group Type ${id} has no specs with key ${key}.`)
  }
}

export class GroupNotFound extends DomainError {
  constructor(id: string) {
    super('not_found', 'volume.group.not_found', `Group ${id} could not be found.`)
  }
}

/** Upstream's InvalidGroup (400). */
export class InvalidGroup extends DomainError {
  constructor(reason: string) {
    super('bad_request', 'volume.group.invalid', `Invalid Group: ${reason}`)
  }
}

export class GroupSnapshotNotFound extends DomainError {
  constructor(id: string) {
    super('not_found', 'volume.group_snapshot.not_found', `GroupSnapshot ${id} could not be found.`)
  }
}

/** Upstream's InvalidGroupSnapshot (400). */
export class InvalidGroupSnapshot extends DomainError {
  constructor(reason: string) {
    super('bad_request', 'volume.group_snapshot.invalid', `Invalid GroupSnapshot: ${reason}`)
  }
}

/** Upstream's ManageExistingInvalidReference (400): the reference names nothing the backend can adopt. */
export class ManageExistingInvalidReference extends DomainError {
  constructor(ref: unknown, reason: string) {
    super(
      'bad_request',
      'volume.manage.invalid_reference',
      `Manage existing volume failed due to invalid backend reference ${JSON.stringify(ref)}: ${reason}`,
    )
  }
}

/** Upstream's ManageExistingAlreadyManaged (400). */
export class ManageExistingAlreadyManaged extends DomainError {
  constructor(ref: string) {
    super(
      'bad_request',
      'volume.manage.already_managed',
      `Unable to manage existing volume. Volume ${ref} already managed.`,
    )
  }
}
