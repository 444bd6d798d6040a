/** Keypair request bodies and queries, per microversion window, as upstream's schemas. */
import { multi, name, paging, querySchema } from './types.js'

const keypairName = (format: 'keypair_name_20' | 'keypair_name_292') => ({
  allOf: [name, { type: 'string', minLength: 1, maxLength: 255, format }],
})

function create(opts: { type?: boolean; userId?: boolean; v292?: boolean }) {
  return {
    type: 'object',
    properties: {
      keypair: {
        type: 'object',
        properties: {
          name: keypairName(opts.v292 ? 'keypair_name_292' : 'keypair_name_20'),
          ...(opts.type ? { type: { type: 'string', enum: ['ssh', 'x509'] } } : {}),
          public_key: { type: 'string' },
          ...(opts.userId ? { user_id: { type: 'string' } } : {}),
        },
        required: opts.v292 ? ['name', 'public_key'] : ['name'],
        additionalProperties: false,
      },
    },
    required: ['keypair'],
    additionalProperties: false,
  }
}

export const CREATE_KEYPAIR = create({})
export const CREATE_KEYPAIR_22 = create({ type: true })
export const CREATE_KEYPAIR_210 = create({ type: true, userId: true })
export const CREATE_KEYPAIR_292 = create({ type: true, userId: true, v292: true })

const userId = { user_id: multi({ type: 'string' }) }
export const QUERY_V21 = querySchema({}, false)
export const QUERY_V210 = querySchema(userId, false)
export const QUERY_V275 = querySchema(userId, true)
export const LIST_V235 = querySchema({ ...userId, ...paging }, false)
export const LIST_V275 = querySchema({ ...userId, ...paging }, true)
