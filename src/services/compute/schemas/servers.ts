/**
 * Server request bodies and list queries, per microversion window: create (networks
 * required as a list or `none`/`auto` from 2.37, description 2.19, tags 2.52,
 * host/hypervisor_hostname 2.74, hostname 2.90, personality until 2.57), update,
 * metadata, tags, the delete-related actions, and the list filters and sort keys.
 */
import {
  boolean,
  DESCRIPTION_PATTERN,
  metadata,
  multi,
  name,
  nameWithSpaces,
  paging,
  positiveInteger,
  querySchema,
} from './types.js'
import { BLOCK_DEVICE_MAPPING_LEGACY, blockDeviceMappingV2 } from './volumes.js'

const UUID = '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$'
const IPV4 =
  '^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$'
const IPV6 = '^[0-9a-fA-F:.]*:[0-9a-fA-F:.]*$'
const HOSTNAME =
  '^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$'
const TAG = { type: 'string', minLength: 1, maxLength: 60, pattern: '^[^,/]*$' }
const description = { type: ['string', 'null'], minLength: 0, maxLength: 255, pattern: DESCRIPTION_PATTERN }

const network = {
  type: 'object',
  properties: {
    fixed_ip: { type: 'string', oneOf: [{ pattern: IPV4 }, { pattern: IPV6 }] },
    port: { type: ['string', 'null'], pattern: UUID },
    uuid: { type: 'string' },
    tag: TAG,
  },
  additionalProperties: false,
}

const hints = {
  type: 'object',
  properties: {
    group: { type: 'string', pattern: UUID },
    different_host: {
      oneOf: [
        { type: 'string', pattern: UUID },
        { type: 'array', items: { type: 'string', pattern: UUID } },
      ],
    },
    same_host: {
      oneOf: [
        { type: 'string', pattern: UUID },
        { type: 'array', items: { type: 'string', pattern: UUID } },
      ],
    },
    query: { type: ['string', 'object'] },
    target_cell: { type: 'string', minLength: 1, maxLength: 255 },
    different_cell: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    build_near_host_ip: { type: 'string', oneOf: [{ pattern: IPV4 }, { pattern: IPV6 }] },
    cidr: { type: 'string', pattern: '^/[0-9a-f.:]+$' },
  },
  additionalProperties: true,
}

/** Files injected into the guest (before 2.57): a path and base64 contents each. */
const personality = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      path: { type: 'string' },
      contents: { type: 'string', pattern: '^[A-Za-z0-9+/\\s]*={0,2}\\s*$' },
    },
    additionalProperties: false,
  },
}

/** The create body at a microversion. */
export function createServer(v: { gte(x: string): boolean }) {
  const server: Record<string, unknown> = {
    name: v.gte('2.1') ? nameWithSpaces : name,
    imageRef: { type: 'string' },
    flavorRef: { type: ['string', 'integer'], minLength: 1 },
    adminPass: { type: 'string' },
    metadata,
    networks: v.gte('2.37')
      ? {
          oneOf: [
            { type: 'array', items: network },
            { type: 'string', enum: ['none', 'auto'] },
          ],
        }
      : { type: 'array', items: network },
    'OS-DCF:diskConfig': { type: 'string', enum: ['AUTO', 'MANUAL'] },
    accessIPv4: { type: 'string', pattern: IPV4 },
    accessIPv6: { type: 'string', pattern: IPV6 },
    availability_zone: { type: 'string', minLength: 1, maxLength: 255 },
    block_device_mapping: BLOCK_DEVICE_MAPPING_LEGACY,
    block_device_mapping_v2: blockDeviceMappingV2(v),
    config_drive: boolean,
    key_name: { type: 'string', minLength: 1, maxLength: 255 },
    min_count: positiveInteger,
    max_count: positiveInteger,
    return_reservation_id: boolean,
    security_groups: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
    user_data: { type: 'string', maxLength: 65535 },
  }
  if (!v.gte('2.57')) server.personality = personality
  if (v.gte('2.19')) server.description = description
  if (v.gte('2.52')) server.tags = { type: 'array', items: TAG, maxItems: 50 }
  if (v.gte('2.63')) server.trusted_image_certificates = { type: ['array', 'null'] }
  if (v.gte('2.74')) {
    server.host = { type: 'string', minLength: 1, maxLength: 255 }
    server.hypervisor_hostname = { type: 'string', minLength: 1, maxLength: 255 }
  }
  if (v.gte('2.90')) server.hostname = { type: 'string', minLength: 1, maxLength: 255, pattern: HOSTNAME }
  return {
    type: 'object',
    properties: {
      server: {
        type: 'object',
        properties: server,
        required: v.gte('2.37') ? ['name', 'flavorRef', 'networks'] : ['name', 'flavorRef'],
        additionalProperties: false,
      },
      'os:scheduler_hints': hints,
      'OS-SCH-HNT:scheduler_hints': hints,
    },
    required: ['server'],
    additionalProperties: false,
  }
}

export function updateServer(v: { gte(x: string): boolean }) {
  const server: Record<string, unknown> = {
    name: nameWithSpaces,
    accessIPv4: { type: 'string', oneOf: [{ pattern: IPV4 }, { maxLength: 0 }] },
    accessIPv6: { type: 'string', oneOf: [{ pattern: IPV6 }, { maxLength: 0 }] },
    'OS-DCF:diskConfig': { type: 'string', enum: ['AUTO', 'MANUAL'] },
  }
  if (v.gte('2.19')) server.description = description
  if (v.gte('2.90')) server.hostname = { type: 'string', minLength: 1, maxLength: 255, pattern: HOSTNAME }
  return {
    type: 'object',
    properties: { server: { type: 'object', properties: server, additionalProperties: false } },
    required: ['server'],
    additionalProperties: false,
  }
}

export const METADATA = {
  type: 'object',
  properties: { metadata },
  required: ['metadata'],
  additionalProperties: false,
}

export const METADATA_ITEM = {
  type: 'object',
  properties: {
    meta: { ...metadata, minProperties: 1, maxProperties: 1 },
  },
  required: ['meta'],
  additionalProperties: false,
}

export const TAGS = {
  type: 'object',
  properties: { tags: { type: 'array', items: TAG } },
  required: ['tags'],
  additionalProperties: false,
}

export const TAG_PARAM = TAG

/** The event names each microversion window accepts (volume-extended 2.51, power-update 2.76, accelerator-request-bound 2.82, volume-reimaged 2.93). */
const EVENT_NAMES: [string, string[]][] = [
  ['2.1', ['network-changed', 'network-vif-plugged', 'network-vif-unplugged', 'network-vif-deleted']],
  ['2.51', ['volume-extended']],
  ['2.76', ['power-update']],
  ['2.82', ['accelerator-request-bound']],
  ['2.93', ['volume-reimaged']],
]

/** os-server-external-events' body for the window starting at `min`. */
function externalEvents(min: string) {
  const upTo = EVENT_NAMES.findIndex(([v]) => v === min)
  return {
    type: 'object',
    properties: {
      events: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          properties: {
            server_uuid: { type: 'string', pattern: UUID },
            name: { type: 'string', enum: EVENT_NAMES.slice(0, upTo + 1).flatMap(([, n]) => n) },
            status: { type: 'string', enum: ['failed', 'completed', 'in-progress'] },
            tag: { type: 'string', maxLength: 255 },
          },
          required: ['server_uuid', 'name'],
          additionalProperties: false,
        },
      },
    },
    required: ['events'],
    additionalProperties: false,
  }
}

/** The windows of os-server-external-events' body, for the route's `byVersion`. */
export const EXTERNAL_EVENTS_WINDOWS = EVENT_NAMES.map(
  ([v]) => [v, externalEvents(v)] as [string, Record<string, unknown>],
)

const text = multi({ type: 'string' })

const LIST = {
  ...paging,
  name: text,
  status: text,
  image: text,
  flavor: text,
  reservation_id: text,
  'changes-since': text,
  'changes-before': text,
  all_tenants: text,
  deleted: text,
  soft_deleted: text,
  project_id: text,
  tenant_id: text,
  user_id: text,
  host: text,
  node: text,
  uuid: text,
  ip: text,
  ip6: text,
  key_name: text,
  availability_zone: text,
  locked: text,
  task_state: text,
  vm_state: text,
  power_state: text,
  config_drive: text,
  tags: text,
  'tags-any': text,
  'not-tags': text,
  'not-tags-any': text,
  sort_key: text,
  sort_dir: text,
  description: text,
  hostname: text,
  created_at: text,
  launched_at: text,
  terminated_at: text,
  progress: text,
  access_ip_v4: text,
  access_ip_v6: text,
  display_name: text,
  display_description: text,
  launch_index: text,
}

export const LIST_SERVERS = querySchema(LIST, false)

export const LIST_ACTIONS = querySchema({ ...paging, 'changes-since': text, 'changes-before': text }, false)

// --- server actions (POST /servers/{id}/action), validated by the action's handler

export const REBOOT = {
  type: 'object',
  properties: {
    reboot: {
      type: 'object',
      properties: { type: { type: 'string', enum: ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft'] } },
      required: ['type'],
      additionalProperties: false,
    },
  },
  required: ['reboot'],
  additionalProperties: false,
}

/** The rebuild body at a microversion. */
export function rebuildServer(v: { gte(x: string): boolean }) {
  const rebuild: Record<string, unknown> = {
    name: nameWithSpaces,
    imageRef: { type: 'string', minLength: 1 },
    adminPass: { type: 'string' },
    metadata,
    preserve_ephemeral: boolean,
    'OS-DCF:diskConfig': { type: 'string', enum: ['AUTO', 'MANUAL'] },
    accessIPv4: { type: 'string', oneOf: [{ pattern: IPV4 }, { maxLength: 0 }] },
    accessIPv6: { type: 'string', oneOf: [{ pattern: IPV6 }, { maxLength: 0 }] },
  }
  if (!v.gte('2.57')) rebuild.personality = personality
  if (v.gte('2.19')) rebuild.description = description
  if (v.gte('2.54')) rebuild.key_name = { type: ['string', 'null'], minLength: 1, maxLength: 255 }
  if (v.gte('2.57')) rebuild.user_data = { type: ['string', 'null'], maxLength: 65535 }
  if (v.gte('2.63')) rebuild.trusted_image_certificates = { type: ['array', 'null'] }
  if (v.gte('2.90')) rebuild.hostname = { type: 'string', minLength: 1, maxLength: 255, pattern: HOSTNAME }
  return {
    type: 'object',
    properties: {
      rebuild: { type: 'object', properties: rebuild, required: ['imageRef'], additionalProperties: false },
    },
    required: ['rebuild'],
    additionalProperties: false,
  }
}

/** lock from 2.73: an optional reason. */
export const LOCK_273 = {
  type: 'object',
  properties: {
    lock: {
      type: ['object', 'null'],
      properties: { locked_reason: { type: 'string', minLength: 1, maxLength: 255 } },
      additionalProperties: false,
    },
  },
  required: ['lock'],
  additionalProperties: false,
}

export const CHANGE_PASSWORD = {
  type: 'object',
  properties: {
    changePassword: {
      type: 'object',
      properties: { adminPass: { type: 'string' } },
      required: ['adminPass'],
      additionalProperties: false,
    },
  },
  required: ['changePassword'],
  additionalProperties: false,
}

export const RESET_STATE = {
  type: 'object',
  properties: {
    'os-resetState': {
      type: 'object',
      properties: { state: { type: 'string', enum: ['active', 'error'] } },
      required: ['state'],
      additionalProperties: false,
    },
  },
  required: ['os-resetState'],
  additionalProperties: false,
}

export const CONSOLE_OUTPUT = {
  type: 'object',
  properties: {
    'os-getConsoleOutput': {
      type: 'object',
      properties: {
        length: { type: ['integer', 'string', 'null'], pattern: '^-?[0-9]+$', minimum: -1 },
      },
      additionalProperties: false,
    },
  },
  required: ['os-getConsoleOutput'],
  additionalProperties: false,
}

export const USAGE = querySchema({ start: text, end: text, detailed: text, ...paging }, false)
