/**
 * Version discovery (GET / and /versions), schemas (/v2/schemas/*) and the info
 * documents (/v2/info/import, /v2/info/stores).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { NotFound } from '../../../kernel/errors/index.js'
import { imageSchema, imagesSchema, memberSchema, membersSchema } from '../schemas/image.js'
import { METADEF_SCHEMAS } from '../schemas/metadefs.js'
import { versionsDocument } from '../versions.js'
import type { HandlerDeps } from './deps.js'

export const discoveryHandlers = (d: HandlerDeps) => ({
  async versions(req: FastifyRequest, reply: FastifyReply) {
    // GET / is a 300 Multiple Choices, GET /versions a 200, as Glance.
    const root = !/\/versions\/?$/.test(req.url.split('?')[0]!)
    reply.code(root ? 300 : 200)
    return versionsDocument(d.baseUrl(req))
  },

  async schema(req: FastifyRequest<{ Params: { name: string } }>) {
    switch (req.params.name) {
      case 'image':
        return imageSchema(d.formats)
      case 'images':
        return imagesSchema(d.formats)
      case 'member':
        return memberSchema
      case 'members':
        return membersSchema
      default:
        throw new NotFound(`Schema ${req.params.name} not found.`)
    }
  },

  async metadefSchema(req: FastifyRequest<{ Params: { name: string } }>) {
    const doc = Object.hasOwn(METADEF_SCHEMAS, req.params.name) ? METADEF_SCHEMAS[req.params.name] : undefined
    if (!doc) throw new NotFound(`Schema metadefs/${req.params.name} not found.`)
    return doc
  },

  async infoImport() {
    return {
      'import-methods': {
        description: 'Import methods available.',
        type: 'array',
        value: [...d.importMethods],
      },
    }
  },

  async infoStores() {
    return { stores: [{ id: d.view.storeId, description: 'Local file store', default: true }] }
  },
})
