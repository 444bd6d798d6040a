/**
 * Request bodies, as Cinder's schemas (cinder/api/schemas, 3.53+) declare them. Below
 * 3.53 Cinder checked by hand with the same outcome for the cases clients send; one
 * schema serves every version here.
 */
const NAME = { type: ['string', 'null'], maxLength: 255 }
const DESCRIPTION = { type: ['string', 'null'], maxLength: 255 }
const METADATA = {
  type: 'object',
  patternProperties: { '^.{1,255}$': { type: 'string', maxLength: 255 } },
  additionalProperties: false,
}
/** Cinder's volume_size: an integer, or a string of digits, from 1 to 2**31-1. */
const SIZE = { type: ['integer', 'string'], pattern: '^[0-9]+$', minimum: 1, maximum: 2147483647 }
const SIZE_OR_NULL = {
  type: ['integer', 'string', 'null'],
  pattern: '^[0-9]+$',
  minimum: 1,
  maximum: 2147483647,
}
const BOOL = {
  type: ['boolean', 'string'],
  enum: [
    true,
    false,
    'True',
    'False',
    'true',
    'false',
    '1',
    '0',
    'on',
    'off',
    'yes',
    'no',
    't',
    'f',
    'y',
    'n',
    'TRUE',
    'FALSE',
  ],
}
const UUID = { type: 'string', format: 'uuid' }
const UUID_OR_NULL = { type: ['string', 'null'], format: 'uuid' }

export const CREATE_VOLUME = {
  type: 'object',
  properties: {
    volume: {
      type: 'object',
      properties: {
        name: NAME,
        description: DESCRIPTION,
        display_name: NAME,
        display_description: DESCRIPTION,
        volume_type: { type: ['string', 'null'], maxLength: 255 },
        metadata: { ...METADATA, type: ['object', 'null'] },
        snapshot_id: UUID_OR_NULL,
        source_volid: UUID_OR_NULL,
        consistencygroup_id: UUID_OR_NULL,
        group_id: UUID_OR_NULL,
        size: SIZE_OR_NULL,
        availability_zone: { type: ['string', 'null'], maxLength: 255 },
        multiattach: BOOL,
        image_id: { type: ['string', 'null'], maxLength: 255 },
        imageRef: { type: ['string', 'null'], maxLength: 255 },
        backup_id: UUID_OR_NULL,
      },
      additionalProperties: true,
    },
    'OS-SCH-HNT:scheduler_hints': { type: ['object', 'null'] },
  },
  required: ['volume'],
  additionalProperties: false,
}

export const UPDATE_VOLUME = {
  type: 'object',
  properties: {
    volume: {
      type: 'object',
      properties: {
        name: NAME,
        description: DESCRIPTION,
        display_name: NAME,
        display_description: DESCRIPTION,
        metadata: METADATA,
      },
      additionalProperties: false,
    },
  },
  required: ['volume'],
  additionalProperties: false,
}

export const METADATA_BODY = {
  type: 'object',
  properties: { metadata: METADATA },
  required: ['metadata'],
  additionalProperties: false,
}

export const META_ITEM = {
  type: 'object',
  properties: { meta: { ...METADATA, minProperties: 1, maxProperties: 1 } },
  required: ['meta'],
  additionalProperties: false,
}

export const CREATE_SNAPSHOT = {
  type: 'object',
  properties: {
    snapshot: {
      type: 'object',
      properties: {
        name: NAME,
        display_name: NAME,
        description: DESCRIPTION,
        display_description: DESCRIPTION,
        volume_id: UUID,
        force: BOOL,
        metadata: METADATA,
      },
      required: ['volume_id'],
      additionalProperties: false,
    },
  },
  required: ['snapshot'],
  additionalProperties: false,
}

/** Before 3.53 Cinder checked snapshot bodies by hand: a missing volume is a 404, not a 400. */
export const CREATE_SNAPSHOT_LEGACY = {
  type: 'object',
  properties: {
    snapshot: {
      type: 'object',
      properties: { ...CREATE_SNAPSHOT.properties.snapshot.properties, volume_id: {} },
      additionalProperties: true,
    },
  },
  required: ['snapshot'],
}

export const UPDATE_SNAPSHOT = {
  type: 'object',
  properties: {
    snapshot: {
      type: 'object',
      properties: {
        name: NAME,
        description: DESCRIPTION,
        display_name: NAME,
        display_description: DESCRIPTION,
      },
      additionalProperties: false,
      minProperties: 1,
    },
  },
  required: ['snapshot'],
  additionalProperties: false,
}

export const CREATE_TYPE = {
  type: 'object',
  properties: {
    volume_type: {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 255 },
        description: DESCRIPTION,
        is_public: BOOL,
        'os-volume-type-access:is_public': BOOL,
        extra_specs: { ...METADATA },
      },
      required: ['name'],
      additionalProperties: false,
    },
  },
  required: ['volume_type'],
  additionalProperties: false,
}

export const UPDATE_TYPE = {
  type: 'object',
  properties: {
    volume_type: {
      type: 'object',
      properties: {
        name: { type: ['string', 'null'], minLength: 1, maxLength: 255 },
        description: DESCRIPTION,
        is_public: BOOL,
      },
      additionalProperties: false,
    },
  },
  required: ['volume_type'],
  additionalProperties: false,
}

export const EXTRA_SPECS = {
  type: 'object',
  properties: { extra_specs: { ...METADATA, minProperties: 1 } },
  required: ['extra_specs'],
  additionalProperties: false,
}

export const EXTRA_SPEC_ITEM = { ...METADATA, minProperties: 1, maxProperties: 1 }

export const QUOTA_SET = {
  type: 'object',
  properties: { quota_set: { type: 'object' } },
  required: ['quota_set'],
  additionalProperties: false,
}

export const QUOTA_CLASS_SET = {
  type: 'object',
  properties: { quota_class_set: { type: 'object' } },
  required: ['quota_class_set'],
  additionalProperties: false,
}

export const SERVICE_UPDATE = {
  type: 'object',
  properties: {
    host: { type: 'string', maxLength: 255 },
    binary: { type: 'string', maxLength: 255 },
    disabled_reason: { type: ['string', 'null'] },
    cluster: { type: ['string', 'null'] },
  },
  additionalProperties: true,
}

export const CREATE_ATTACHMENT = {
  type: 'object',
  properties: {
    attachment: {
      type: 'object',
      properties: {
        instance_uuid: UUID_OR_NULL,
        connector: { type: ['object', 'null'] },
        volume_uuid: UUID,
        mode: { type: ['string', 'null'], enum: ['rw', 'ro', 'null', null] },
      },
      required: ['volume_uuid'],
      additionalProperties: false,
    },
  },
  required: ['attachment'],
  additionalProperties: false,
}

export const UPDATE_ATTACHMENT = {
  type: 'object',
  properties: {
    attachment: {
      type: 'object',
      properties: { connector: { type: 'object' } },
      required: ['connector'],
      additionalProperties: false,
    },
  },
  required: ['attachment'],
  additionalProperties: false,
}

export const DEFAULT_TYPE = {
  type: 'object',
  properties: {
    default_type: {
      type: 'object',
      properties: { volume_type: { type: 'string', minLength: 1, maxLength: 255 } },
      required: ['volume_type'],
      additionalProperties: false,
    },
  },
  required: ['default_type'],
  additionalProperties: false,
}

export { BOOL, SIZE }

export const CREATE_BACKUP = {
  type: 'object',
  properties: {
    backup: {
      type: 'object',
      properties: {
        volume_id: { type: 'string', format: 'uuid' },
        container: { type: ['string', 'null'], maxLength: 255 },
        description: DESCRIPTION,
        incremental: { ...BOOL, type: ['boolean', 'string', 'null'], enum: [...BOOL.enum, null] },
        force: { ...BOOL, type: ['boolean', 'string', 'null'], enum: [...BOOL.enum, null] },
        name: NAME,
        snapshot_id: { type: ['string', 'null'], format: 'uuid' },
        metadata: METADATA,
        availability_zone: { type: ['string', 'null'], maxLength: 255 },
      },
      required: ['volume_id'],
      additionalProperties: false,
    },
  },
  required: ['backup'],
  additionalProperties: false,
}

export const UPDATE_BACKUP = {
  type: 'object',
  properties: {
    backup: {
      type: 'object',
      properties: { name: NAME, description: DESCRIPTION, metadata: METADATA },
      additionalProperties: false,
    },
  },
  required: ['backup'],
  additionalProperties: false,
}

export const RESTORE_BACKUP = {
  type: 'object',
  properties: {
    restore: {
      type: ['object', 'null'],
      properties: {
        name: NAME,
        volume_id: { type: ['string', 'null'], format: 'uuid' },
      },
      additionalProperties: false,
    },
  },
  required: ['restore'],
  additionalProperties: false,
}

export const IMPORT_BACKUP = {
  type: 'object',
  properties: {
    'backup-record': {
      type: 'object',
      properties: {
        backup_service: { type: 'string', minLength: 1, maxLength: 255 },
        backup_url: { type: 'string', minLength: 1 },
      },
      required: ['backup_service', 'backup_url'],
      additionalProperties: false,
    },
  },
  required: ['backup-record'],
  additionalProperties: false,
}
