/**
 * The metadata-definition catalogue: namespaces and what they hold (resource-type
 * associations, objects, properties, tags), and the resource types.
 *
 * Access has Glance's two layers: a namespace exists for a caller when the caller is
 * an admin, it is public, or the caller's project owns it (404 otherwise); then the
 * `*_metadef_*` policy rule decides (403). By default only admins write. Everything in
 * a protected namespace, and the namespace itself, cannot be deleted (403).
 */
import { randomUUID } from 'node:crypto'
import type { RequestContext } from '../../../kernel/auth/index.js'
import { InvalidImageInput, MetadefDuplicate, MetadefNotFound, MetadefProtected } from '../errors.js'
import { forbidden } from '../policies/index.js'
import { METADEF_POLICIES as P } from '../policies/metadefs.js'
import {
  type AssociationBody,
  associationInput,
  type NamespaceBody,
  namespaceInput,
  type ObjectBody,
  objectInput,
  type PropertyBody,
  parseTagName,
  propertyInput,
  type TagBody,
  type TagsBody,
} from '../schemas/metadef-input.js'
import type { MetadefRepository } from '../storage/metadef.repo.js'
import { now } from './image.js'
import { isAdmin } from './images.js'
import {
  type MetadefObject,
  type MetadefProperty,
  type MetadefTag,
  NAMESPACE_SORT_KEYS,
  type Namespace,
  type NamespaceSortKey,
  type ResourceType,
  type ResourceTypeAssociation,
  TAG_SORT_KEYS,
  type TagSortKey,
} from './metadef.js'

export interface MetadefLimits {
  limitDefault: number
  limitMax: number
}

export type RawQuery = Record<string, string | string[] | undefined>

/** A namespace with what a show or list displays of its content. */
export interface NamespaceDetail {
  namespace: Namespace
  associations: ResourceTypeAssociation[]
  objects?: MetadefObject[]
  properties?: MetadefProperty[]
  tags?: MetadefTag[]
}

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[v.length - 1] : v)

function parseLimit(raw: string | undefined, limits: MetadefLimits): number {
  if (raw === undefined) return limits.limitDefault
  if (!/^-?\d+$/.test(raw.trim())) throw new InvalidImageInput('limit param must be an integer')
  const n = Number(raw)
  if (n < 0) throw new InvalidImageInput('limit param must be positive')
  return Math.min(n, limits.limitMax)
}

function parseSortDir(raw: string | undefined): 'asc' | 'desc' {
  const dir = raw ?? 'desc'
  if (dir !== 'asc' && dir !== 'desc') throw new InvalidImageInput(`Invalid sort direction: ${dir}`)
  return dir
}

function parseSortKey<K extends string>(raw: string | undefined, allowed: readonly K[]): K {
  const key = raw ?? 'created_at'
  if (!allowed.includes(key as K)) throw new InvalidImageInput(`Invalid sort key: ${key}`)
  return key as K
}

/** The page after `marker` (exclusive) of at most `limit` items. */
function page<T>(items: T[], limit: number, markerIndex: number): T[] {
  return items.slice(markerIndex + 1, markerIndex + 1 + limit)
}

export class MetadefCatalog {
  constructor(
    readonly repo: MetadefRepository,
    private readonly limits: MetadefLimits,
  ) {}

  // --- namespaces ---

  async listNamespaces(
    ctx: RequestContext,
    query: RawQuery,
  ): Promise<{ namespaces: NamespaceDetail[]; next?: string }> {
    const limit = parseLimit(one(query.limit), this.limits)
    const sortKey = parseSortKey<NamespaceSortKey>(one(query.sort_key), NAMESPACE_SORT_KEYS)
    const sortDir = parseSortDir(one(query.sort_dir))
    const visibility = one(query.visibility)
    if (visibility !== undefined && visibility !== 'public' && visibility !== 'private')
      throw new InvalidImageInput(`Invalid visibility value: ${visibility}`)
    const project = ctx.who.project_id
    this.authorize(ctx, P.GET_NAMESPACES, { project_id: project })
    this.authorize(ctx, P.LIST_RESOURCE_TYPES, { project_id: project })
    const rt = one(query.resource_types)
    // NOTE: namespaces are few (Glance's whole seed set is ~30), so the visible set is
    // sorted in SQL and paged here; the marker is a namespace name.
    const all = (
      await this.repo.listNamespaces({
        viewer: { admin: isAdmin(ctx), project },
        visibility,
        resourceTypes: rt === undefined ? undefined : rt.split(','),
        sortKey,
        sortDir,
      })
    ).filter((ns) => ctx.allows(P.GET_NAMESPACE, this.target(ns)))
    const marker = one(query.marker)
    let markerIndex = -1
    if (marker !== undefined) {
      markerIndex = all.findIndex((ns) => ns.namespace === marker)
      if (markerIndex < 0) throw new MetadefNotFound(`Namespace ${marker} not found`)
    }
    const shown = page(all, limit, markerIndex)
    const assoc = await this.repo.associations(shown.map((ns) => ns.id))
    const namespaces = shown.map((ns) => ({ namespace: ns, associations: assoc.get(ns.id) ?? [] }))
    const last = shown[shown.length - 1]
    return shown.length > 0 && shown.length === limit ? { namespaces, next: last!.namespace } : { namespaces }
  }

  async showNamespace(ctx: RequestContext, name: string, resourceType?: string): Promise<NamespaceDetail> {
    const ns = await this.repo.getNamespace(name)
    if (!ns || !this.sees(ctx, ns) || !ctx.allows(P.GET_NAMESPACE, this.target(ns)))
      throw new MetadefNotFound(`Metadata definition namespace=${name} was not found.`)
    const target = this.target(ns)
    for (const rule of [P.LIST_RESOURCE_TYPES, P.GET_OBJECTS, P.GET_PROPERTIES, P.GET_TAGS])
      this.authorize(ctx, rule, target)
    const associations = (await this.repo.associations([ns.id])).get(ns.id) ?? []
    let objects = await this.repo.listObjects(ns.id)
    let properties = await this.repo.listProperties(ns.id)
    const tags = await this.repo.listTags(ns.id)
    // With ?resource_type=X, names carry the prefix of the namespace's association with X.
    const prefix = resourceType ? associations.find((a) => a.name === resourceType)?.prefix : undefined
    if (prefix) {
      properties = properties.map((p) => ({ ...p, name: `${prefix}${p.name}` }))
      objects = objects.map((o) => ({
        ...o,
        properties: Object.fromEntries(Object.entries(o.properties).map(([k, v]) => [`${prefix}${k}`, v])),
        required: o.required?.map((r) => `${prefix}${r}`) ?? null,
      }))
    }
    return { namespace: ns, associations, objects, properties, tags }
  }

  /**
   * add_metadef_namespace is the route's (its target is the caller's project); the
   * rules for the content it brings are checked here.
   */
  async createNamespace(ctx: RequestContext, body: NamespaceBody): Promise<NamespaceDetail> {
    const { fields, content } = namespaceInput(body)
    const project = ctx.who.project_id
    const target = { project_id: project }
    if (content.associations.length > 0) this.authorize(ctx, P.ADD_RESOURCE_TYPE_ASSOCIATION, target)
    if (content.objects.length > 0) this.authorize(ctx, P.ADD_OBJECT, target)
    if (content.properties.length > 0) this.authorize(ctx, P.ADD_PROPERTY, target)
    if (content.tags.length > 0) this.authorize(ctx, P.ADD_TAG, target)
    const at = now()
    const ns: Namespace = {
      id: randomUUID(),
      ...fields,
      owner: fields.owner ?? project ?? null,
      created_at: at,
      updated_at: at,
    }
    const out = await this.repo.createNamespace(ns, content)
    if (out === 'duplicate')
      throw new MetadefDuplicate(`The metadata definition namespace=${ns.namespace} already exists.`)
    if (out !== 'ok') throw this.duplicate(out.duplicate, out.name, ns.namespace)
    return this.showNamespace(ctx, ns.namespace)
  }

  /** Replaces the namespace's own fields (content is left alone), as Glance's PUT. */
  async updateNamespace(ctx: RequestContext, name: string, body: NamespaceBody): Promise<NamespaceDetail> {
    const ns = await this.namespace(ctx, name)
    this.authorize(ctx, P.MODIFY_NAMESPACE, this.target(ns))
    const { fields } = namespaceInput(body)
    const owner = fields.owner ?? ctx.who.project_id ?? null
    if ((await this.repo.updateNamespace(ns.id, { ...fields, owner }, now())) === 'duplicate')
      throw new MetadefDuplicate(`The metadata definition namespace=${fields.namespace} already exists.`)
    const updated = (await this.repo.getNamespace(fields.namespace))!
    const associations = (await this.repo.associations([ns.id])).get(ns.id) ?? []
    return { namespace: updated, associations }
  }

  async deleteNamespace(ctx: RequestContext, name: string): Promise<void> {
    const ns = await this.namespace(ctx, name)
    this.authorize(ctx, P.DELETE_NAMESPACE, this.target(ns))
    if (ns.protected)
      throw new MetadefProtected(`Metadata definition namespace ${name} is protected and cannot be deleted.`)
    await this.repo.deleteNamespace(ns.id)
  }

  /** DELETE /namespaces/{ns}/objects|properties|tags: empties the namespace of one kind. */
  async deleteNamespaceContent(
    ctx: RequestContext,
    name: string,
    kind: 'objects' | 'properties' | 'tags',
  ): Promise<void> {
    const ns = await this.namespace(ctx, name)
    this.authorize(ctx, P.DELETE_NAMESPACE, this.target(ns))
    if (kind === 'tags') this.authorize(ctx, P.DELETE_TAGS, this.target(ns))
    if (ns.protected)
      throw new MetadefProtected(`Metadata definition namespace ${name} is protected and cannot be deleted.`)
    await this.repo.deleteAll(ns.id, kind)
  }

  // --- resource types ---

  /** list_metadef_resource_types is the route's. */
  async listResourceTypes(): Promise<ResourceType[]> {
    return this.repo.listResourceTypes()
  }

  async listAssociations(ctx: RequestContext, name: string): Promise<ResourceTypeAssociation[]> {
    const ns = await this.namespace(ctx, name)
    this.authorize(ctx, P.GET_RESOURCE_TYPE, this.target(ns))
    return (await this.repo.associations([ns.id])).get(ns.id) ?? []
  }

  async createAssociation(
    ctx: RequestContext,
    name: string,
    body: AssociationBody,
  ): Promise<ResourceTypeAssociation> {
    const ns = await this.namespace(ctx, name)
    this.authorize(ctx, P.ADD_RESOURCE_TYPE_ASSOCIATION, this.target(ns))
    const a = associationInput(body)
    const out = await this.repo.createAssociation(ns.id, a, now())
    if (out === 'duplicate') throw this.duplicate('association', a.name, name)
    return out
  }

  async deleteAssociation(ctx: RequestContext, name: string, resourceType: string): Promise<void> {
    const ns = await this.namespace(ctx, name)
    this.authorize(ctx, P.REMOVE_RESOURCE_TYPE_ASSOCIATION, this.target(ns))
    if (ns.protected)
      throw new MetadefProtected(
        `Metadata definition resource-type-association ${resourceType} is protected and cannot be deleted.`,
      )
    if (!(await this.repo.deleteAssociation(ns.id, resourceType)))
      throw new MetadefNotFound(
        `The metadata definition resource-type association of resource-type=${resourceType} to namespace=${name}, was not found.`,
      )
  }

  // --- objects ---

  async listObjects(ctx: RequestContext, name: string): Promise<MetadefObject[]> {
    const ns = await this.namespace(ctx, name)
    this.authorize(ctx, P.GET_OBJECTS, this.target(ns))
    return this.repo.listObjects(ns.id)
  }

  async showObject(ctx: RequestContext, name: string, objectName: string): Promise<MetadefObject> {
    const ns = await this.namespace(ctx, name)
    this.authorize(ctx, P.GET_OBJECT, this.target(ns))
    return this.object(ns, objectName)
  }

  async createObject(ctx: RequestContext, name: string, body: ObjectBody): Promise<MetadefObject> {
    const ns = await this.namespace(ctx, name)
    this.authorize(ctx, P.ADD_OBJECT, this.target(ns))
    const input = objectInput(body)
    if ((await this.repo.createObject(ns.id, input, now())) === 'duplicate')
      throw this.duplicate('object', input.name, name)
    return this.object(ns, input.name)
  }

  async updateObject(
    ctx: RequestContext,
    name: string,
    objectName: string,
    body: ObjectBody,
  ): Promise<MetadefObject> {
    const ns = await this.namespace(ctx, name)
    this.authorize(ctx, P.MODIFY_OBJECT, this.target(ns))
    const existing = await this.object(ns, objectName)
    const input = objectInput(body)
    if ((await this.repo.updateObject(existing.id, input, now())) === 'duplicate')
      throw new MetadefDuplicate(
        `Invalid update. It would result in a duplicate metadata definition object with the same name=${input.name} in namespace=${name}.`,
      )
    return this.object(ns, input.name)
  }

  async deleteObject(ctx: RequestContext, name: string, objectName: string): Promise<void> {
    const ns = await this.namespace(ctx, name)
    this.authorize(ctx, P.DELETE_OBJECT, this.target(ns))
    await this.object(ns, objectName)
    if (ns.protected)
      throw new MetadefProtected(
        `Metadata definition object ${objectName} is protected and cannot be deleted.`,
      )
    await this.repo.deleteChild('objects', ns.id, objectName)
  }

  // --- properties ---

  async listProperties(ctx: RequestContext, name: string): Promise<MetadefProperty[]> {
    const ns = await this.namespace(ctx, name)
    this.authorize(ctx, P.GET_PROPERTIES, this.target(ns))
    return this.repo.listProperties(ns.id)
  }

  /** With `resourceType`, `propertyName` carries that association's prefix, which is stripped. */
  async showProperty(
    ctx: RequestContext,
    name: string,
    propertyName: string,
    resourceType?: string,
  ): Promise<MetadefProperty> {
    const ns = await this.namespace(ctx, name)
    const target = this.target(ns)
    this.authorize(ctx, P.GET_PROPERTY, target)
    let bare = propertyName
    if (resourceType) {
      this.authorize(ctx, P.GET_RESOURCE_TYPE, target)
      const assoc = ((await this.repo.associations([ns.id])).get(ns.id) ?? []).find(
        (a) => a.name === resourceType,
      )
      if (!assoc)
        throw new MetadefNotFound(
          `The metadata definition resource-type association of resource-type=${resourceType} to namespace=${name}, was not found.`,
        )
      if (!assoc.prefix || !propertyName.startsWith(assoc.prefix))
        throw new MetadefNotFound(
          `Property ${propertyName} does not start with the expected resource type association prefix of '${assoc.prefix ?? ''}'.`,
        )
      bare = propertyName.slice(assoc.prefix.length)
    }
    return this.property(ns, bare)
  }

  async createProperty(ctx: RequestContext, name: string, body: PropertyBody): Promise<MetadefProperty> {
    const ns = await this.namespace(ctx, name)
    this.authorize(ctx, P.ADD_PROPERTY, this.target(ns))
    const input = propertyInput(body)
    if ((await this.repo.createProperty(ns.id, input, now())) === 'duplicate')
      throw this.duplicate('property', input.name, name)
    return this.property(ns, input.name)
  }

  async updateProperty(
    ctx: RequestContext,
    name: string,
    propertyName: string,
    body: PropertyBody,
  ): Promise<MetadefProperty> {
    const ns = await this.namespace(ctx, name)
    this.authorize(ctx, P.MODIFY_PROPERTY, this.target(ns))
    const existing = await this.property(ns, propertyName)
    const input = propertyInput(body)
    if ((await this.repo.updateProperty(existing.id, input, now())) === 'duplicate')
      throw this.duplicate('property', input.name, name)
    return this.property(ns, input.name)
  }

  async deleteProperty(ctx: RequestContext, name: string, propertyName: string): Promise<void> {
    const ns = await this.namespace(ctx, name)
    this.authorize(ctx, P.REMOVE_PROPERTY, this.target(ns))
    await this.property(ns, propertyName)
    if (ns.protected)
      throw new MetadefProtected(
        `Metadata definition property ${propertyName} is protected and cannot be deleted.`,
      )
    await this.repo.deleteChild('properties', ns.id, propertyName)
  }

  // --- tags ---

  async listTags(ctx: RequestContext, name: string, query: RawQuery): Promise<MetadefTag[]> {
    const limit = parseLimit(one(query.limit), this.limits)
    const sortKey = parseSortKey<TagSortKey>(one(query.sort_key), TAG_SORT_KEYS)
    const sortDir = parseSortDir(one(query.sort_dir))
    const ns = await this.namespace(ctx, name)
    this.authorize(ctx, P.GET_TAGS, this.target(ns))
    const sign = sortDir === 'asc' ? 1 : -1
    const tags = (await this.repo.listTags(ns.id)).sort(
      (a, b) =>
        sign *
        (a[sortKey].localeCompare(b[sortKey]) ||
          a.created_at.localeCompare(b.created_at) ||
          a.id.localeCompare(b.id)),
    )
    const marker = one(query.marker)
    let markerIndex = -1
    if (marker !== undefined) {
      markerIndex = tags.findIndex((t) => t.name === marker || t.id === marker)
      if (markerIndex < 0) throw new MetadefNotFound(`Metadata tag not found for id ${marker}`)
    }
    return page(tags, limit, markerIndex)
  }

  async showTag(ctx: RequestContext, name: string, tagName: string): Promise<MetadefTag> {
    const ns = await this.namespace(ctx, name)
    this.authorize(ctx, P.GET_TAG, this.target(ns))
    return this.tag(ns, tagName)
  }

  async createTag(ctx: RequestContext, name: string, tagName: string): Promise<MetadefTag> {
    const ns = await this.namespace(ctx, name)
    this.authorize(ctx, P.ADD_TAG, this.target(ns))
    parseTagName(tagName)
    if ((await this.repo.createTag(ns.id, tagName, now())) === 'duplicate')
      throw this.duplicate('tag', tagName, name)
    return this.tag(ns, tagName)
  }

  /** POST /tags: adds tags (X-Openstack-Append: true) or replaces all of them. */
  async createTags(ctx: RequestContext, name: string, body: TagsBody, append: boolean): Promise<string[]> {
    const ns = await this.namespace(ctx, name)
    this.authorize(ctx, P.ADD_TAGS, this.target(ns))
    const names = body.tags.map((t) => t.name)
    const dup = names.find((n, i) => names.indexOf(n) !== i)
    if (dup !== undefined) throw this.duplicate('tag', dup, name)
    if ((await this.repo.createTags(ns.id, names, append, now())) === 'duplicate') {
      const existing = new Set((await this.repo.listTags(ns.id)).map((t) => t.name))
      throw this.duplicate('tag', names.find((n) => existing.has(n)) ?? names[0]!, name)
    }
    return names
  }

  async updateTag(ctx: RequestContext, name: string, tagName: string, body: TagBody): Promise<MetadefTag> {
    const ns = await this.namespace(ctx, name)
    this.authorize(ctx, P.MODIFY_TAG, this.target(ns))
    const existing = await this.tag(ns, tagName)
    const newName = body.name
    if ((await this.repo.renameTag(existing.id, newName, now())) === 'duplicate')
      throw this.duplicate('tag', newName, name)
    return this.tag(ns, newName)
  }

  async deleteTag(ctx: RequestContext, name: string, tagName: string): Promise<void> {
    const ns = await this.namespace(ctx, name)
    this.authorize(ctx, P.DELETE_TAG, this.target(ns))
    await this.tag(ns, tagName)
    if (ns.protected)
      throw new MetadefProtected(`Metadata definition tag ${tagName} is protected and cannot be deleted.`)
    await this.repo.deleteChild('tags', ns.id, tagName)
  }

  // --- helpers ---

  private target(ns: Namespace): Record<string, unknown> {
    return { project_id: ns.owner ?? undefined, visibility: ns.visibility }
  }

  private sees(ctx: RequestContext, ns: Namespace): boolean {
    return isAdmin(ctx) || ns.owner === null || ns.visibility === 'public' || ns.owner === ctx.who.project_id
  }

  /** The namespace by name if the caller may see it; 404 otherwise. */
  private async namespace(ctx: RequestContext, name: string): Promise<Namespace> {
    const ns = await this.repo.getNamespace(name)
    if (!ns || !this.sees(ctx, ns)) throw new MetadefNotFound(`Namespace ${name} not found`)
    return ns
  }

  private async object(ns: Namespace, name: string): Promise<MetadefObject> {
    const o = await this.repo.getObject(ns.id, name)
    if (!o)
      throw new MetadefNotFound(
        `The metadata definition object with name=${name} was not found in namespace=${ns.namespace}.`,
      )
    return o
  }

  private async property(ns: Namespace, name: string): Promise<MetadefProperty> {
    const p = await this.repo.getProperty(ns.id, name)
    if (!p)
      throw new MetadefNotFound(
        `The metadata definition property with name=${name} was not found in namespace=${ns.namespace}.`,
      )
    return p
  }

  private async tag(ns: Namespace, name: string): Promise<MetadefTag> {
    const t = await this.repo.getTag(ns.id, name)
    if (!t)
      throw new MetadefNotFound(
        `The metadata definition tag with name=${name} was not found in namespace=${ns.namespace}.`,
      )
    return t
  }

  private duplicate(
    kind: 'association' | 'object' | 'property' | 'tag',
    name: string,
    ns: string,
  ): MetadefDuplicate {
    switch (kind) {
      case 'association':
        return new MetadefDuplicate(
          `The metadata definition resource-type association of resource-type=${name} to namespace=${ns} already exists.`,
        )
      case 'object':
        return new MetadefDuplicate(
          `A metadata definition object with name=${name} already exists in namespace=${ns}.`,
        )
      case 'property':
        return new MetadefDuplicate(
          `A metadata definition property with name=${name} already exists in namespace=${ns}.`,
        )
      case 'tag':
        return new MetadefDuplicate(
          `A metadata tag with name=${name} already exists in namespace=${ns}. (Please note that metadata tag names are case insensitive).`,
        )
    }
  }

  /** Policy check with Glance's wording. */
  private authorize(ctx: RequestContext, rule: string, target: Record<string, unknown>): void {
    if (!ctx.allows(rule, target)) throw forbidden(rule)
  }
}
