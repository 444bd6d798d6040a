/**
 * Metadata definitions over Kysely: namespaces with their resource-type associations,
 * objects, properties and tags. Every multi-row change runs in one transaction, so a
 * namespace is created with all of its content or not at all, and deleting one leaves
 * no orphan rows.
 *
 * Unique constraints (namespace name; object, property and tag names per namespace;
 * one association per namespace and resource type) decide duplicates: the methods
 * return 'duplicate' rather than throwing, on every dialect.
 */
import { randomUUID } from 'node:crypto'
import type { Kysely, Transaction } from 'kysely'
import { isUniqueViolation } from '../../../kernel/db/index.js'
import type {
  MetadefObject,
  MetadefProperty,
  MetadefTag,
  Namespace,
  NamespaceContent,
  NamespaceSortKey,
  NamespaceVisibility,
  PropertySchema,
  ResourceType,
  ResourceTypeAssociation,
} from '../domain/metadef.js'
import type {
  ImageDatabase,
  MetadefNamespacesTable,
  MetadefObjectsTable,
  MetadefPropertiesTable,
  MetadefTagsTable,
} from './schema.js'

type DB = ImageDatabase
type Tx = Kysely<DB> | Transaction<DB>
type ChildTable = 'metadef_objects' | 'metadef_properties' | 'metadef_tags'

export interface NamespaceListQuery {
  viewer: { admin: boolean; project: string | undefined }
  visibility?: NamespaceVisibility
  resourceTypes?: string[]
  sortKey: NamespaceSortKey
  sortDir: 'asc' | 'desc'
}

export type NamespaceFields = Pick<
  Namespace,
  'namespace' | 'display_name' | 'description' | 'visibility' | 'protected' | 'owner'
>

const toNamespace = (r: MetadefNamespacesTable): Namespace => ({
  id: r.id,
  namespace: r.namespace,
  display_name: r.display_name,
  description: r.description,
  visibility: r.visibility as NamespaceVisibility,
  protected: Number(r.protected) === 1,
  owner: r.owner,
  created_at: r.created_at,
  updated_at: r.updated_at,
})

const toObject = (r: MetadefObjectsTable): MetadefObject => ({
  id: r.id,
  name: r.name,
  description: r.description,
  required: r.required === null ? null : (JSON.parse(r.required) as string[]),
  properties: JSON.parse(r.json_schema) as Record<string, PropertySchema>,
  created_at: r.created_at,
  updated_at: r.updated_at,
})

const toProperty = (r: MetadefPropertiesTable): MetadefProperty => ({
  id: r.id,
  name: r.name,
  schema: JSON.parse(r.json_schema) as PropertySchema,
  created_at: r.created_at,
  updated_at: r.updated_at,
})

const toTag = (r: MetadefTagsTable): MetadefTag => ({
  id: r.id,
  name: r.name,
  created_at: r.created_at,
  updated_at: r.updated_at,
})

/** Runs `fn`, mapping a unique-constraint violation to 'duplicate'. */
async function unique<T>(fn: () => Promise<T>): Promise<T | 'duplicate'> {
  try {
    return await fn()
  } catch (e) {
    if (isUniqueViolation(e)) return 'duplicate'
    throw e
  }
}

export class MetadefRepository {
  constructor(private readonly db: Kysely<DB>) {}

  // --- namespaces ---

  async getNamespace(name: string): Promise<Namespace | undefined> {
    const row = await this.db
      .selectFrom('metadef_namespaces')
      .selectAll()
      .where('namespace', '=', name)
      .executeTakeFirst()
    return row ? toNamespace(row) : undefined
  }

  /**
   * Every namespace the viewer may see (admins: all; others: public ones and their
   * project's), filtered and sorted, ties broken by created_at then id.
   */
  async listNamespaces(q: NamespaceListQuery): Promise<Namespace[]> {
    let query = this.db.selectFrom('metadef_namespaces').selectAll('metadef_namespaces')
    if (!q.viewer.admin) {
      const project = q.viewer.project
      query = query.where((eb) =>
        project === undefined
          ? eb('visibility', '=', 'public')
          : eb.or([eb('visibility', '=', 'public'), eb('owner', '=', project)]),
      )
    }
    if (q.visibility) query = query.where('visibility', '=', q.visibility)
    if (q.resourceTypes) {
      const names = q.resourceTypes
      query = query.where('id', 'in', (eb) =>
        eb
          .selectFrom('metadef_namespace_resource_types as a')
          .innerJoin('metadef_resource_types as t', 't.id', 'a.resource_type_id')
          .select('a.namespace_id')
          .where('t.name', 'in', names.length > 0 ? names : [''])
          .$castTo<string>(),
      )
    }
    query = query.orderBy(q.sortKey, q.sortDir)
    if (q.sortKey !== 'created_at') query = query.orderBy('created_at', q.sortDir)
    const rows = await query.orderBy('id', q.sortDir).execute()
    return rows.map(toNamespace)
  }

  /** Creates a namespace with all its content in one transaction. */
  async createNamespace(
    ns: Namespace,
    content: NamespaceContent,
  ): Promise<'ok' | 'duplicate' | { duplicate: 'association' | 'object' | 'tag'; name: string }> {
    try {
      return await unique(() =>
        this.db.transaction().execute(async (tx) => {
          // Content names are checked here, so the only unique violation left is the
          // namespace's own name.
          await tx
            .insertInto('metadef_namespaces')
            .values({ ...ns, protected: ns.protected ? 1 : 0 })
            .execute()
          for (const a of content.associations) {
            if ((await this.insertAssociation(tx, ns.id, a, ns.created_at)) === 'duplicate')
              throw new ContentDuplicate('association', a.name)
          }
          const names = new Set<string>()
          for (const o of content.objects) {
            if (names.has(o.name)) throw new ContentDuplicate('object', o.name)
            names.add(o.name)
            await this.insertObject(tx, ns.id, o, ns.created_at)
          }
          for (const p of content.properties) await this.insertProperty(tx, ns.id, p, ns.created_at)
          const tags = new Set<string>()
          for (const t of content.tags) {
            if (tags.has(t)) throw new ContentDuplicate('tag', t)
            tags.add(t)
            await this.insertTag(tx, ns.id, t, ns.created_at)
          }
          return 'ok' as const
        }),
      )
    } catch (e) {
      if (e instanceof ContentDuplicate) return { duplicate: e.kind, name: e.what }
      throw e
    }
  }

  async updateNamespace(id: string, fields: NamespaceFields, at: string): Promise<'ok' | 'duplicate'> {
    return unique(async () => {
      await this.db
        .updateTable('metadef_namespaces')
        .set({ ...fields, protected: fields.protected ? 1 : 0, updated_at: at })
        .where('id', '=', id)
        .execute()
      return 'ok' as const
    })
  }

  /** Deletes a namespace and everything in it. */
  async deleteNamespace(id: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      for (const table of ['metadef_objects', 'metadef_properties', 'metadef_tags'] as const)
        await tx.deleteFrom(table).where('namespace_id', '=', id).execute()
      await tx.deleteFrom('metadef_namespace_resource_types').where('namespace_id', '=', id).execute()
      await tx.deleteFrom('metadef_namespaces').where('id', '=', id).execute()
    })
  }

  /** Deletes all objects, properties or tags of a namespace. */
  async deleteAll(namespaceId: string, kind: 'objects' | 'properties' | 'tags'): Promise<void> {
    await this.db.deleteFrom(`metadef_${kind}`).where('namespace_id', '=', namespaceId).execute()
  }

  // --- resource types and associations ---

  async listResourceTypes(): Promise<ResourceType[]> {
    const rows = await this.db.selectFrom('metadef_resource_types').selectAll().orderBy('name').execute()
    return rows.map((r) => ({
      name: r.name,
      protected: Number(r.protected) === 1,
      created_at: r.created_at,
      updated_at: r.updated_at,
    }))
  }

  /** The associations of each namespace, by namespace id, in creation order. */
  async associations(namespaceIds: string[]): Promise<Map<string, ResourceTypeAssociation[]>> {
    const out = new Map<string, ResourceTypeAssociation[]>()
    if (namespaceIds.length === 0) return out
    const rows = await this.db
      .selectFrom('metadef_namespace_resource_types as a')
      .innerJoin('metadef_resource_types as t', 't.id', 'a.resource_type_id')
      .select(['a.namespace_id', 't.name', 'a.prefix', 'a.properties_target', 'a.created_at', 'a.updated_at'])
      .where('a.namespace_id', 'in', namespaceIds)
      .orderBy('a.created_at')
      .orderBy('t.name')
      .execute()
    for (const { namespace_id, ...a } of rows) out.set(namespace_id, [...(out.get(namespace_id) ?? []), a])
    return out
  }

  async createAssociation(
    namespaceId: string,
    a: { name: string; prefix: string | null; properties_target: string | null },
    at: string,
  ): Promise<ResourceTypeAssociation | 'duplicate'> {
    return unique(() =>
      this.db.transaction().execute(async (tx) => {
        if ((await this.insertAssociation(tx, namespaceId, a, at)) === 'duplicate')
          throw new ContentDuplicate('association', a.name)
        return { ...a, created_at: at, updated_at: at }
      }),
    ).catch((e) => {
      if (e instanceof ContentDuplicate) return 'duplicate' as const
      throw e
    })
  }

  async deleteAssociation(namespaceId: string, resourceType: string): Promise<boolean> {
    const type = await this.db
      .selectFrom('metadef_resource_types')
      .select('id')
      .where('name', '=', resourceType)
      .executeTakeFirst()
    if (!type) return false
    const r = await this.db
      .deleteFrom('metadef_namespace_resource_types')
      .where('namespace_id', '=', namespaceId)
      .where('resource_type_id', '=', type.id)
      .executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  }

  // --- objects ---

  async listObjects(namespaceId: string): Promise<MetadefObject[]> {
    const rows = await this.children('metadef_objects', namespaceId)
    return (rows as MetadefObjectsTable[]).map(toObject)
  }

  async getObject(namespaceId: string, name: string): Promise<MetadefObject | undefined> {
    const row = await this.child('metadef_objects', namespaceId, name)
    return row ? toObject(row as MetadefObjectsTable) : undefined
  }

  async createObject(
    namespaceId: string,
    o: Omit<MetadefObject, 'id' | 'created_at' | 'updated_at'>,
    at: string,
  ): Promise<'ok' | 'duplicate'> {
    return unique(async () => {
      await this.insertObject(this.db, namespaceId, o, at)
      return 'ok' as const
    })
  }

  async updateObject(
    id: string,
    o: Omit<MetadefObject, 'id' | 'created_at' | 'updated_at'>,
    at: string,
  ): Promise<'ok' | 'duplicate'> {
    return unique(async () => {
      await this.db
        .updateTable('metadef_objects')
        .set({
          name: o.name,
          description: o.description,
          required: o.required === null ? null : JSON.stringify(o.required),
          json_schema: JSON.stringify(o.properties),
          updated_at: at,
        })
        .where('id', '=', id)
        .execute()
      return 'ok' as const
    })
  }

  // --- properties ---

  async listProperties(namespaceIds: string): Promise<MetadefProperty[]> {
    const rows = await this.children('metadef_properties', namespaceIds)
    return (rows as MetadefPropertiesTable[]).map(toProperty)
  }

  async getProperty(namespaceId: string, name: string): Promise<MetadefProperty | undefined> {
    const row = await this.child('metadef_properties', namespaceId, name)
    return row ? toProperty(row as MetadefPropertiesTable) : undefined
  }

  async createProperty(
    namespaceId: string,
    p: { name: string; schema: PropertySchema },
    at: string,
  ): Promise<'ok' | 'duplicate'> {
    return unique(async () => {
      await this.insertProperty(this.db, namespaceId, p, at)
      return 'ok' as const
    })
  }

  async updateProperty(
    id: string,
    p: { name: string; schema: PropertySchema },
    at: string,
  ): Promise<'ok' | 'duplicate'> {
    return unique(async () => {
      await this.db
        .updateTable('metadef_properties')
        .set({ name: p.name, json_schema: JSON.stringify(p.schema), updated_at: at })
        .where('id', '=', id)
        .execute()
      return 'ok' as const
    })
  }

  // --- tags ---

  async listTags(namespaceId: string): Promise<MetadefTag[]> {
    const rows = await this.children('metadef_tags', namespaceId)
    return (rows as MetadefTagsTable[]).map(toTag)
  }

  async getTag(namespaceId: string, name: string): Promise<MetadefTag | undefined> {
    const row = await this.child('metadef_tags', namespaceId, name)
    return row ? toTag(row as MetadefTagsTable) : undefined
  }

  async createTag(namespaceId: string, name: string, at: string): Promise<'ok' | 'duplicate'> {
    return unique(async () => {
      await this.insertTag(this.db, namespaceId, name, at)
      return 'ok' as const
    })
  }

  /** Adds tags, or (append false) replaces all of the namespace's tags, atomically. */
  async createTags(
    namespaceId: string,
    names: string[],
    append: boolean,
    at: string,
  ): Promise<'ok' | 'duplicate'> {
    return unique(() =>
      this.db.transaction().execute(async (tx) => {
        if (!append) await tx.deleteFrom('metadef_tags').where('namespace_id', '=', namespaceId).execute()
        for (const name of names) await this.insertTag(tx, namespaceId, name, at)
        return 'ok' as const
      }),
    )
  }

  async renameTag(id: string, name: string, at: string): Promise<'ok' | 'duplicate'> {
    return unique(async () => {
      await this.db.updateTable('metadef_tags').set({ name, updated_at: at }).where('id', '=', id).execute()
      return 'ok' as const
    })
  }

  /** Deletes one object, property or tag by name; false when there was none. */
  async deleteChild(
    kind: 'objects' | 'properties' | 'tags',
    namespaceId: string,
    name: string,
  ): Promise<boolean> {
    const r = await this.db
      .deleteFrom(`metadef_${kind}`)
      .where('namespace_id', '=', namespaceId)
      .where('name', '=', name)
      .executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  }

  // --- helpers ---

  private children(table: ChildTable, namespaceId: string) {
    return this.db
      .selectFrom(table)
      .selectAll()
      .where('namespace_id', '=', namespaceId)
      .orderBy('created_at')
      .orderBy('name')
      .execute()
  }

  private child(table: ChildTable, namespaceId: string, name: string) {
    return this.db
      .selectFrom(table)
      .selectAll()
      .where('namespace_id', '=', namespaceId)
      .where('name', '=', name)
      .executeTakeFirst()
  }

  /** Links a namespace to a resource type, creating the type (unprotected) if new. */
  private async insertAssociation(
    tx: Tx,
    namespaceId: string,
    a: { name: string; prefix: string | null; properties_target: string | null },
    at: string,
  ): Promise<'ok' | 'duplicate'> {
    let type = await tx
      .selectFrom('metadef_resource_types')
      .select('id')
      .where('name', '=', a.name)
      .executeTakeFirst()
    if (!type) {
      type = { id: randomUUID() }
      await tx
        .insertInto('metadef_resource_types')
        .values({ id: type.id, name: a.name, protected: 0, created_at: at, updated_at: at })
        .execute()
    }
    const existing = await tx
      .selectFrom('metadef_namespace_resource_types')
      .select('namespace_id')
      .where('namespace_id', '=', namespaceId)
      .where('resource_type_id', '=', type.id)
      .executeTakeFirst()
    if (existing) return 'duplicate'
    await tx
      .insertInto('metadef_namespace_resource_types')
      .values({
        namespace_id: namespaceId,
        resource_type_id: type.id,
        prefix: a.prefix,
        properties_target: a.properties_target,
        created_at: at,
        updated_at: at,
      })
      .execute()
    return 'ok'
  }

  private async insertObject(
    tx: Tx,
    namespaceId: string,
    o: Omit<MetadefObject, 'id' | 'created_at' | 'updated_at'>,
    at: string,
  ): Promise<void> {
    await tx
      .insertInto('metadef_objects')
      .values({
        id: randomUUID(),
        namespace_id: namespaceId,
        name: o.name,
        description: o.description,
        required: o.required === null ? null : JSON.stringify(o.required),
        json_schema: JSON.stringify(o.properties),
        created_at: at,
        updated_at: at,
      })
      .execute()
  }

  private async insertProperty(
    tx: Tx,
    namespaceId: string,
    p: { name: string; schema: PropertySchema },
    at: string,
  ): Promise<void> {
    await tx
      .insertInto('metadef_properties')
      .values({
        id: randomUUID(),
        namespace_id: namespaceId,
        name: p.name,
        json_schema: JSON.stringify(p.schema),
        created_at: at,
        updated_at: at,
      })
      .execute()
  }

  private async insertTag(tx: Tx, namespaceId: string, name: string, at: string): Promise<void> {
    await tx
      .insertInto('metadef_tags')
      .values({ id: randomUUID(), namespace_id: namespaceId, name, created_at: at, updated_at: at })
      .execute()
  }
}

/** Thrown inside a transaction to roll it back when content repeats a name. */
class ContentDuplicate extends Error {
  constructor(
    readonly kind: 'association' | 'object' | 'tag',
    readonly what: string,
  ) {
    super(`duplicate ${kind} ${what}`)
  }
}
