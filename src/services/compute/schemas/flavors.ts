/** Flavor request bodies and list queries, per microversion window, as upstream's schemas. */
import { FLAVOR_SORT_KEYS } from '../domain/flavors.js'
import {
  boolean,
  DESCRIPTION_PATTERN,
  flavorNonNegative,
  flavorPositive,
  metadata,
  multi,
  name,
  paging,
  querySchema,
} from './types.js'

const description = { type: ['string', 'null'], minLength: 0, maxLength: 65535, pattern: DESCRIPTION_PATTERN }

function createFlavor(withDescription: boolean) {
  return {
    type: 'object',
    properties: {
      flavor: {
        type: 'object',
        properties: {
          name,
          id: {
            type: ['string', 'number', 'null'],
            minLength: 1,
            maxLength: 255,
            pattern: '^(?! )[a-zA-Z0-9. _-]+(?<! )$',
          },
          ram: flavorPositive,
          vcpus: flavorPositive,
          disk: flavorNonNegative,
          'OS-FLV-EXT-DATA:ephemeral': flavorNonNegative,
          swap: flavorNonNegative,
          rxtx_factor: {
            type: ['number', 'string'],
            pattern: '^[0-9]+(\\.[0-9]+)?$',
            exclusiveMinimum: 0,
            maximum: 3.40282e38,
          },
          'os-flavor-access:is_public': boolean,
          ...(withDescription ? { description } : {}),
        },
        required: ['name', 'ram', 'vcpus', 'disk'],
        additionalProperties: false,
      },
    },
    required: ['flavor'],
    additionalProperties: false,
  }
}

export const CREATE_FLAVOR = createFlavor(false)
export const CREATE_FLAVOR_255 = createFlavor(true)

export const UPDATE_FLAVOR_255 = {
  type: 'object',
  properties: {
    flavor: {
      type: 'object',
      properties: { description },
      required: ['description'],
      additionalProperties: false,
    },
  },
  required: ['flavor'],
  additionalProperties: false,
}

const LIST = {
  ...paging,
  is_public: multi({ type: 'string' }),
  minRam: multi({ type: 'string' }),
  minDisk: multi({ type: 'string' }),
  sort_key: multi({ type: 'string', enum: [...FLAVOR_SORT_KEYS] }),
  sort_dir: multi({ type: 'string', enum: ['asc', 'desc'] }),
}
export const LIST_FLAVORS = querySchema(LIST, false)
export const LIST_FLAVORS_275 = querySchema(LIST, true)

const tenant = { type: 'string', minLength: 1, maxLength: 255 }
const accessAction = (action: string) => ({
  type: 'object',
  properties: {
    [action]: {
      type: 'object',
      properties: { tenant },
      required: ['tenant'],
      additionalProperties: false,
    },
  },
  required: [action],
  additionalProperties: false,
})
export const ADD_TENANT_ACCESS = accessAction('addTenantAccess')
export const REMOVE_TENANT_ACCESS = accessAction('removeTenantAccess')

const specs = {
  ...metadata,
  patternProperties: { '^[a-zA-Z0-9-_:. ]{1,255}$': { type: ['string', 'number'], maxLength: 255 } },
}
export const CREATE_EXTRA_SPECS = {
  type: 'object',
  properties: { extra_specs: specs },
  required: ['extra_specs'],
  additionalProperties: false,
}
export const UPDATE_EXTRA_SPEC = { ...specs, minProperties: 1, maxProperties: 1 }
