/**
 * Version discovery (GET / and /versions), schemas (/v2/schemas/*) and the info
 * documents (/v2/info/import, /v2/info/stores).
 */
import { NotFound } from '../../../kernel/errors/index.js'
import { imageSchema, imagesSchema, memberSchema, membersSchema } from '../schemas/image.js'
import { METADEF_SCHEMAS } from '../schemas/metadefs.js'
import { versionsDocument } from '../versions.js'
import { type Handler, params } from './deps.js'

export const versions: Handler = async (req, reply, d) => {
  // GET / is a 300 Multiple Choices, GET /versions a 200, as Glance.
  const root = !/\/versions\/?$/.test(req.url.split('?')[0]!)
  reply.code(root ? 300 : 200)
  return versionsDocument(d.baseUrl(req))
}

export const schema: Handler = async (req, _reply, d) => {
  const name = params(req).name
  switch (name) {
    case 'image':
      return imageSchema(d.formats)
    case 'images':
      return imagesSchema(d.formats)
    case 'member':
      return memberSchema
    case 'members':
      return membersSchema
    default:
      throw new NotFound(`Schema ${name} not found.`)
  }
}

export const metadefSchema: Handler = async (req) => {
  const name = params(req).name!
  const doc = Object.hasOwn(METADEF_SCHEMAS, name) ? METADEF_SCHEMAS[name] : undefined
  if (!doc) throw new NotFound(`Schema metadefs/${name} not found.`)
  return doc
}

export const infoImport: Handler = async (_req, _reply, d) => ({
  'import-methods': {
    description: 'Import methods available.',
    type: 'array',
    value: [...d.importMethods],
  },
})

/** GET /v2/info/stores: ids, descriptions, the default, read-only stores marked as Glance does. */
export const infoStores: Handler = async (_req, _reply, d) => ({
  stores: d.data.stores.infos.map((s) => ({
    id: s.id,
    description: s.description,
    ...(s.default ? { default: true } : {}),
    ...(s.readOnly ? { 'read-only': 'true' } : {}),
  })),
})

/** GET /v2/info/stores/detail (stores_info_detail, admin): each store's type and properties. */
export const infoStoresDetail: Handler = async (_req, _reply, d) => {
  return {
    stores: d.data.stores.infos.map((s) => ({
      id: s.id,
      description: s.description,
      type: s.type === 'file' ? 'file' : 'http',
      ...(s.default ? { default: true } : {}),
      ...(s.readOnly ? { 'read-only': 'true' } : {}),
      properties:
        s.type === 'file'
          ? { data_dir: d.data.stores.file(s.id)!.dir, chunk_size: 65536, thin_provisioning: false }
          : {},
    })),
  }
}
