/**
 * What every network handler shares: the service's dependencies, the caller, query and
 * body reading, and the handlers of a standard collection (list, show, create with bulk,
 * update, delete, tags), so each resource's file only says which domain it calls.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { NetworkConfig } from '../config.js'
import { type Page, parseListQuery, pickFields, type RawQuery } from '../domain/query.js'
import { Caller, checkRequestOwner, type Kind, parseIfMatch } from '../domain/resource.js'
import { badRequest, typed } from '../errors.js'
import { prepareBody, prepareItem } from '../schemas/attributes.js'
import type { Services } from '../service-deps.js'
import type { Doc } from '../storage/index.js'

export interface NetworkDeps extends Services {
  config: NetworkConfig
  prefix: string
}

export const caller = (req: FastifyRequest) => new Caller(req.ctx)
export const params = (req: FastifyRequest) => req.params as Record<string, string>
export const query = (req: FastifyRequest) => (req.query ?? {}) as RawQuery
export const ifMatch = (req: FastifyRequest) => parseIfMatch(req.headers['if-match'] as string | undefined)

export function hostUrl(req: FastifyRequest, deps: NetworkDeps): string {
  const configured = deps.config.DEFAULT.public_endpoint
  if (configured) return configured.replace(/\/+$/, '')
  return `${req.protocol}://${req.headers.host ?? 'localhost'}`
}

export const apiUrl = (req: FastifyRequest, deps: NetworkDeps) => `${hostUrl(req, deps)}${deps.prefix}/v2.0`

/** The `fields` of a show request. */
export function fieldsOf(req: FastifyRequest): string[] | undefined {
  const f = query(req).fields
  if (f === undefined) return undefined
  const list = (Array.isArray(f) ? f : [f]).flatMap((x) => x.split(',')).filter(Boolean)
  return list.length ? list : undefined
}

/** The domain operations a standard collection has. */
export interface CollectionDomain {
  readonly kind: Kind
  list(c: Caller, q: ReturnType<typeof parseListQuery>): Promise<Page>
  show(c: Caller, id: string): Promise<Doc>
  create?(c: Caller, attrs: Record<string, unknown>, explicit: ReadonlySet<string>): Promise<Doc>
  update?(
    c: Caller,
    id: string,
    attrs: Record<string, unknown>,
    explicit: ReadonlySet<string>,
    ifMatch?: ReturnType<typeof parseIfMatch>,
  ): Promise<Doc>
  delete?(c: Caller, id: string, ifMatch?: ReturnType<typeof parseIfMatch>): Promise<void>
  tags(c: Caller, id: string): Promise<string[]>
  setTags(c: Caller, id: string, tags: string[] | ((old: string[]) => string[])): Promise<string[]>
}

type Pick = (deps: NetworkDeps) => CollectionDomain

function links(
  req: FastifyRequest,
  deps: NetworkDeps,
  path: string,
  page: { next?: string; previous?: string },
) {
  const out: { rel: string; href: string }[] = []
  const base = new URLSearchParams()
  for (const [k, v] of Object.entries(query(req))) {
    if (k === 'marker' || k === 'page_reverse' || v === undefined) continue
    for (const one of Array.isArray(v) ? v : [v]) base.append(k, one)
  }
  if (page.next !== undefined) {
    const p = new URLSearchParams(base)
    if (page.next) p.append('marker', page.next)
    out.push({ rel: 'next', href: `${apiUrl(req, deps)}/${path}?${p}` })
  }
  if (page.previous !== undefined) {
    const p = new URLSearchParams(base)
    if (page.previous) p.append('marker', page.previous)
    p.append('page_reverse', 'True')
    out.push({ rel: 'previous', href: `${apiUrl(req, deps)}/${path}?${p}` })
  }
  return out
}

/** A list's body from its items' JSON (a list from stored views), as Fastify would serialise it. */
function encodedList(
  collection: string,
  items: readonly (readonly Uint8Array[])[],
  links: readonly { rel: string; href: string }[],
): Buffer {
  const head = Buffer.from(`{"${collection}":[`)
  const tail = Buffer.from(links.length ? `],"${collection}_links":${JSON.stringify(links)}}` : ']}')
  // NOTE: one copy into a buffer of the total size; Buffer.concat costs several times
  // more for thousands of small parts.
  let size = head.length + tail.length + Math.max(items.length - 1, 0)
  for (const item of items) for (const p of item) size += p.length
  const out = Buffer.allocUnsafe(size)
  out.set(head, 0)
  let at = head.length
  items.forEach((item, i) => {
    if (i) out[at++] = 0x2c // ,
    for (const p of item) {
      out.set(p, at)
      at += p.length
    }
  })
  out.set(tail, at)
  return out
}

/** The handlers of a collection at `/v2.0/<path>`. */
export function collection(pick: Pick, path: string) {
  return {
    async list(req: FastifyRequest, reply: FastifyReply, deps: NetworkDeps) {
      const d = pick(deps)
      const q = parseListQuery(query(req), d.kind.attrs, d.kind.extraFilters)
      q.encoded = true
      const page = await d.list(caller(req), q)
      const l = links(req, deps, path, page)
      if (page.encoded)
        return reply.type('application/json').send(encodedList(d.kind.collection, page.encoded, l))
      const out: Record<string, unknown> = {
        [d.kind.collection]: page.items.map((i) => pickFields(i, q.fields)),
      }
      if (l.length) out[`${d.kind.collection}_links`] = l
      return out
    },
    async show(req: FastifyRequest, _reply: FastifyReply, deps: NetworkDeps) {
      const d = pick(deps)
      const doc = await d.show(caller(req), params(req).id!)
      return { [d.kind.resource]: pickFields(doc, fieldsOf(req)) }
    },
    async create(req: FastifyRequest, reply: FastifyReply, deps: NetworkDeps) {
      const d = pick(deps)
      const body = req.body as Record<string, unknown> | undefined
      const c = caller(req)
      reply.code(201)
      if (body && typeof body === 'object' && Array.isArray(body[d.kind.collection])) {
        const items = body[d.kind.collection] as unknown[]
        if (!items.length) throw badRequest(`Resources required`)
        const created: Doc[] = []
        try {
          for (const raw of items) {
            // NOTE: an item may come wrapped in its singular key, as upstream accepts.
            const wrapped = raw && typeof raw === 'object' && Object.keys(raw).length === 1
            const item =
              wrapped && d.kind.resource in raw ? (raw as Record<string, unknown>)[d.kind.resource] : raw
            const attrs = prepareItem(d.kind.attrs, item, 'create')
            checkRequestOwner(c, attrs)
            await deps.qosPolicies.checkAttachable(c, attrs.qos_policy_id as string | null | undefined)
            created.push(await d.create!(c, attrs, new Set(Object.keys(item as object))))
          }
        } catch (e) {
          // NOTE: a bulk create is all or nothing, as upstream's: undo what was made.
          for (const doc of created.reverse()) await d.delete!(c, doc.id).catch(() => {})
          throw e
        }
        return { [d.kind.collection]: await Promise.all(created.map((x) => d.show(c, x.id))) }
      }
      const attrs = prepareBody(d.kind.attrs, d.kind.resource, body, 'create')
      checkRequestOwner(c, attrs)
      // A QoS policy named on a network, port or floating IP must be one the caller sees.
      await deps.qosPolicies.checkAttachable(c, attrs.qos_policy_id as string | null | undefined)
      const inner = (body as Record<string, object>)[d.kind.resource]!
      const doc = await d.create!(c, attrs, new Set(Object.keys(inner)))
      return { [d.kind.resource]: await d.show(c, doc.id) }
    },
    async update(req: FastifyRequest, _reply: FastifyReply, deps: NetworkDeps) {
      const d = pick(deps)
      const attrs = prepareBody(d.kind.attrs, d.kind.resource, req.body, 'update')
      if ('qos_policy_id' in attrs) {
        const c = caller(req)
        await deps.qosPolicies.checkAttachable(c, attrs.qos_policy_id as string | null | undefined)
        // Changing the policy needs the current one in reach too (upstream: NotAuthorized).
        const current = await d.show(c, params(req).id!)
        await deps.qosPolicies.checkDetachable(c, current.qos_policy_id as string | null | undefined)
      }
      const doc = await d.update!(
        caller(req),
        params(req).id!,
        attrs,
        new Set(Object.keys(attrs)),
        ifMatch(req),
      )
      return { [d.kind.resource]: doc }
    },
    async delete(req: FastifyRequest, reply: FastifyReply, deps: NetworkDeps) {
      await pick(deps).delete!(caller(req), params(req).id!, ifMatch(req))
      return reply.code(204).send()
    },
    async getTags(req: FastifyRequest, _reply: FastifyReply, deps: NetworkDeps) {
      return { tags: await pick(deps).tags(caller(req), params(req).id!) }
    },
    async putTags(req: FastifyRequest, _reply: FastifyReply, deps: NetworkDeps) {
      const tags = (req.body as { tags?: unknown } | undefined)?.tags
      if (!Array.isArray(tags)) throw badRequest("Invalid input for tags. Reason: 'tags' must be a list.")
      for (const t of tags) checkTag(t)
      return { tags: await pick(deps).setTags(caller(req), params(req).id!, tags as string[]) }
    },
    async deleteTags(req: FastifyRequest, reply: FastifyReply, deps: NetworkDeps) {
      await pick(deps).setTags(caller(req), params(req).id!, [])
      return reply.code(204).send()
    },
    async hasTag(req: FastifyRequest, reply: FastifyReply, deps: NetworkDeps) {
      const tag = params(req).tag!
      const tags = await pick(deps).tags(caller(req), params(req).id!)
      if (!tags.includes(tag)) throw tagNotFound(params(req).id!, tag)
      return reply.code(204).send()
    },
    async addTag(req: FastifyRequest, reply: FastifyReply, deps: NetworkDeps) {
      const tag = params(req).tag!
      checkTag(tag)
      await pick(deps).setTags(caller(req), params(req).id!, (old) => [...old, tag])
      return reply.code(201).send()
    },
    async removeTag(req: FastifyRequest, reply: FastifyReply, deps: NetworkDeps) {
      const tag = params(req).tag!
      const d = pick(deps)
      const id = params(req).id!
      if (!(await d.tags(caller(req), id)).includes(tag)) throw tagNotFound(id, tag)
      await d.setTags(caller(req), id, (old) => old.filter((t) => t !== tag))
      return reply.code(204).send()
    },
  }
}

function checkTag(t: unknown) {
  if (typeof t !== 'string' || t.length === 0 || t.length > 255 || t.includes(','))
    throw badRequest(`Invalid input for operation: '${String(t)}' is not a valid tag.`)
}

function tagNotFound(id: string, tag: string) {
  return typed(
    'not_found',
    'network.tag.not_found',
    'TagNotFound',
    `Tag ${tag} could not be found for resource ${id}.`,
  )
}
