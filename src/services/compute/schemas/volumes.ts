/**
 * Volume bodies: an attach (tag 2.49, delete_on_termination 2.79), an attachment
 * update (swap; from 2.85 the other fields may be repeated and delete_on_termination
 * changed), the block device mappings of a server create (v2 and the legacy form), and
 * the deprecated os-volumes / os-snapshots creates.
 */
import { boolean } from './types.js'

const UUID = '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$'
const DEVICE = '(^/dev/x{0,1}[a-z]{0,1}d{0,1})([a-z]+)[0-9]*$'
const TAG = { type: 'string', minLength: 1, maxLength: 60, pattern: '^[^,/]*$' }

export function attachVolume(v: { gte(x: string): boolean }) {
  const attachment: Record<string, unknown> = {
    volumeId: { type: 'string', pattern: UUID },
    device: { type: ['string', 'null'], pattern: DEVICE },
  }
  if (v.gte('2.49')) attachment.tag = TAG
  if (v.gte('2.79')) attachment.delete_on_termination = boolean
  return {
    type: 'object',
    properties: {
      volumeAttachment: {
        type: 'object',
        properties: attachment,
        required: ['volumeId'],
        additionalProperties: false,
      },
    },
    required: ['volumeAttachment'],
    additionalProperties: false,
  }
}

export function updateAttachment(v: { gte(x: string): boolean }) {
  const attachment: Record<string, unknown> = { volumeId: { type: 'string', pattern: UUID } }
  if (v.gte('2.85')) {
    attachment.id = { type: 'string', pattern: UUID }
    attachment.serverId = { type: 'string', pattern: UUID }
    attachment.device = { type: ['string', 'null'], pattern: DEVICE }
    attachment.tag = TAG
    attachment.delete_on_termination = boolean
  }
  return {
    type: 'object',
    properties: {
      volumeAttachment: {
        type: 'object',
        properties: attachment,
        required: ['volumeId'],
        additionalProperties: false,
      },
    },
    required: ['volumeAttachment'],
    additionalProperties: false,
  }
}

const volumeSize = { type: ['integer', 'string'], pattern: '^[0-9]+$', minimum: 1 }

/** One block_device_mapping_v2 item (tag 2.42, volume_type 2.67). */
export function blockDeviceMappingV2(v: { gte(x: string): boolean }) {
  const item: Record<string, unknown> = {
    virtual_name: { type: 'string', maxLength: 255 },
    volume_id: { type: 'string', pattern: UUID },
    snapshot_id: { type: 'string', pattern: UUID },
    volume_size: volumeSize,
    device_name: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9._/-]*$' },
    delete_on_termination: boolean,
    no_device: {},
    connection_info: { type: 'string', maxLength: 16777215 },
    source_type: { type: 'string', enum: ['volume', 'image', 'snapshot', 'blank'] },
    uuid: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9._-]*$' },
    image_id: { type: 'string', pattern: UUID },
    destination_type: { type: 'string', enum: ['local', 'volume'] },
    guest_format: { type: 'string', maxLength: 255 },
    device_type: { type: 'string', maxLength: 255 },
    disk_bus: { type: 'string', maxLength: 255 },
    boot_index: { type: ['integer', 'string', 'null'], pattern: '^-?[0-9]+$' },
  }
  if (v.gte('2.42')) item.tag = TAG
  if (v.gte('2.67')) item.volume_type = { type: ['string', 'null'], minLength: 0, maxLength: 255 }
  return { type: 'array', items: { type: 'object', properties: item, additionalProperties: false } }
}

/** The legacy block_device_mapping item. */
export const BLOCK_DEVICE_MAPPING_LEGACY = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      virtual_name: { type: 'string', maxLength: 255 },
      volume_id: { type: 'string', pattern: UUID },
      snapshot_id: { type: 'string', pattern: UUID },
      volume_size: volumeSize,
      device_name: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9._/-]*$' },
      delete_on_termination: boolean,
      no_device: {},
      connection_info: { type: 'string', maxLength: 16777215 },
    },
    additionalProperties: false,
  },
}

export const CREATE_VOLUME = {
  type: 'object',
  properties: {
    volume: {
      type: 'object',
      properties: {
        volume_type: { type: 'string' },
        metadata: { type: 'object' },
        snapshot_id: { type: 'string' },
        size: { type: ['integer', 'string'], pattern: '^[0-9]+$', minimum: 1 },
        availability_zone: { type: 'string' },
        display_name: { type: 'string' },
        display_description: { type: 'string' },
      },
      required: ['size'],
      additionalProperties: false,
    },
  },
  required: ['volume'],
  additionalProperties: false,
}

export const CREATE_SNAPSHOT = {
  type: 'object',
  properties: {
    snapshot: {
      type: 'object',
      properties: {
        volume_id: { type: 'string' },
        force: boolean,
        display_name: { type: 'string' },
        display_description: { type: 'string' },
      },
      required: ['volume_id'],
      additionalProperties: false,
    },
  },
  required: ['snapshot'],
  additionalProperties: false,
}
