/**
 * What an image's attributes may hold beyond the body schemas (a patch's values, the
 * configured formats, read-only and reserved names), and the JSON-schema documents
 * served at /v2/schemas/image and /v2/schemas/images.
 */
import { isReserved, READ_ONLY, VISIBILITIES } from '../domain/image.js'
import { InvalidImageInput, ReadOnlyAttribute, ReservedAttribute } from '../errors.js'
import { imageValue } from './bodies.js'
import { validateBody } from './validate-body.js'

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i

export interface Formats {
  disk: readonly string[]
  container: readonly string[]
}

/**
 * Checks one attribute's value as a patch sets it, with the create body's checks
 * (bodies.ts), and the configured formats; returns it normalised (tags deduplicated).
 */
export function checkImageValue(name: string, value: unknown, formats: Formats): unknown {
  validateBody(imageValue, { [name]: value })
  return normaliseValue(name, value, formats)
}

/** A value the create schema accepted, judged against the configured formats and normalised. */
export function normaliseValue(name: string, value: unknown, formats: Formats): unknown {
  if (name === 'disk_format' || name === 'container_format') {
    const allowed = name === 'disk_format' ? formats.disk : formats.container
    if (value !== null && (typeof value !== 'string' || !allowed.includes(value))) {
      throw new InvalidImageInput(
        `Invalid value '${String(value)}' for '${name}': must be one of ${allowed.join(', ')}`,
      )
    }
  }
  if (name === 'tags') return [...new Set(value as string[])]
  return value
}

export function checkAttributeAllowed(name: string): void {
  if (READ_ONLY.has(name) || name === 'locations') throw new ReadOnlyAttribute(name)
  if (isReserved(name)) throw new ReservedAttribute(name)
}

export function isUuidLike(value: string): boolean {
  return UUID.test(value)
}

const str = (description: string, extra: Record<string, unknown> = {}) => ({
  type: ['null', 'string'],
  description,
  ...extra,
})

/** The image schema document (GET /v2/schemas/image). */
export function imageSchema(formats: Formats) {
  return {
    name: 'image',
    properties: {
      id: {
        type: 'string',
        description: 'An identifier for the image',
        pattern: '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$',
      },
      name: str('Descriptive name for the image', { maxLength: 255 }),
      status: {
        type: 'string',
        readOnly: true,
        description: 'Status of the image',
        enum: [
          'queued',
          'saving',
          'active',
          'killed',
          'deleted',
          'uploading',
          'importing',
          'pending_delete',
          'deactivated',
        ],
      },
      visibility: { type: 'string', description: 'Scope of image accessibility', enum: [...VISIBILITIES] },
      protected: { type: 'boolean', description: 'If true, image will not be deletable.' },
      os_hidden: {
        type: 'boolean',
        description: 'If true, image will not appear in default image list response.',
      },
      checksum: str('md5 hash of image contents.', { readOnly: true, maxLength: 32 }),
      os_hash_algo: str('Algorithm to calculate the os_hash_value', { readOnly: true, maxLength: 64 }),
      os_hash_value: str(
        'Hexdigest of the image contents using the algorithm specified by the os_hash_algo',
        { readOnly: true, maxLength: 128 },
      ),
      owner: str('Owner of the image', { maxLength: 255 }),
      size: { type: ['null', 'integer'], readOnly: true, description: 'Size of image file in bytes' },
      virtual_size: {
        type: ['null', 'integer'],
        readOnly: true,
        description: 'Virtual size of image in bytes',
      },
      container_format: {
        type: ['null', 'string'],
        description: 'Format of the container',
        enum: [null, ...formats.container],
      },
      disk_format: {
        type: ['null', 'string'],
        description: 'Format of the disk',
        enum: [null, ...formats.disk],
      },
      created_at: { type: 'string', readOnly: true, description: 'Date and time of image registration' },
      updated_at: {
        type: 'string',
        readOnly: true,
        description: 'Date and time of the last image modification',
      },
      tags: {
        type: 'array',
        description: 'List of strings related to the image',
        items: { type: 'string', maxLength: 255 },
      },
      direct_url: {
        type: 'string',
        readOnly: true,
        description: 'URL to access the image file kept in external store',
      },
      min_ram: { type: 'integer', description: 'Amount of ram (in MB) required to boot image.' },
      min_disk: { type: 'integer', description: 'Amount of disk space (in GB) required to boot image.' },
      self: { type: 'string', readOnly: true, description: 'An image self url' },
      file: { type: 'string', readOnly: true, description: 'An image file url' },
      stores: { type: 'string', readOnly: true, description: 'Store in which image data resides.' },
      schema: { type: 'string', readOnly: true, description: 'An image schema url' },
      locations: {
        type: 'array',
        description: 'A set of URLs to access the image file kept in external store',
        items: {
          type: 'object',
          properties: { url: { type: 'string', maxLength: 255 }, metadata: { type: 'object' } },
          required: ['url', 'metadata'],
        },
      },
      kernel_id: str(
        'ID of image stored in Glance that should be used as the kernel when booting an AMI-style image.',
        { is_base: false },
      ),
      ramdisk_id: str(
        'ID of image stored in Glance that should be used as the ramdisk when booting an AMI-style image.',
        { is_base: false },
      ),
      instance_uuid: {
        type: 'string',
        description: 'Metadata which can be used to record which instance this image is associated with.',
        is_base: false,
      },
      architecture: { type: 'string', description: 'Operating system architecture', is_base: false },
      os_distro: {
        type: 'string',
        description: 'Common name of operating system distribution',
        is_base: false,
      },
      os_version: {
        type: 'string',
        description: 'Operating system version as specified by the distributor',
        is_base: false,
      },
    },
    additionalProperties: { type: 'string' },
    links: [
      { rel: 'self', href: '{self}' },
      { rel: 'enclosure', href: '{file}' },
      { rel: 'describedby', href: '{schema}' },
    ],
  }
}

export function imagesSchema(formats: Formats) {
  return {
    name: 'images',
    properties: {
      images: { type: 'array', items: imageSchema(formats) },
      schema: { type: 'string' },
      first: { type: 'string' },
      next: { type: 'string' },
    },
    links: [
      { rel: 'first', href: '{first}' },
      { rel: 'next', href: '{next}' },
      { rel: 'describedby', href: '{schema}' },
    ],
  }
}

export const memberSchema = {
  name: 'member',
  properties: {
    created_at: { type: 'string', description: 'Date and time of image member creation' },
    image_id: {
      type: 'string',
      description: 'An identifier for the image',
      pattern: '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$',
    },
    member_id: { type: 'string', description: 'An identifier for the image member (tenantId)' },
    status: {
      type: 'string',
      description: 'The status of this image member',
      enum: ['pending', 'accepted', 'rejected'],
    },
    updated_at: { type: 'string', description: 'Date and time of last modification of image member' },
    schema: { type: 'string', readOnly: true },
  },
}

export const membersSchema = {
  name: 'members',
  properties: {
    members: { type: 'array', items: memberSchema },
    schema: { type: 'string' },
  },
  links: [{ rel: 'describedby', href: '{schema}' }],
}
