/**
 * Metadata-definition request bodies as the domain takes them. The route table has
 * already validated each body against its schema (bodies.ts); these functions only
 * fill in Glance's defaults (private, unprotected, no content) and drop what a
 * definition does not store (a property's own name). A tag's name in a path is checked
 * here, since no schema sees it.
 */
import type {
  MetadefObject,
  Namespace,
  NamespaceContent,
  NamespaceVisibility,
  PropertySchema,
} from '../domain/metadef.js'
import { InvalidImageInput } from '../errors.js'

/** A property definition with its name (POST/PUT .../properties). */
export type PropertyBody = { name: string } & PropertySchema

export interface ObjectBody {
  name: string
  description?: string | null
  required?: string[] | null
  properties?: Record<string, PropertySchema> | null
}

export interface AssociationBody {
  name: string
  prefix?: string | null
  properties_target?: string | null
}

export interface TagBody {
  name: string
}

export interface TagsBody {
  tags: TagBody[]
}

export interface NamespaceBody {
  namespace: string
  display_name?: string | null
  description?: string | null
  visibility?: NamespaceVisibility | null
  protected?: boolean | null
  owner?: string | null
  resource_type_associations?: AssociationBody[] | null
  objects?: ObjectBody[] | null
  properties?: Record<string, PropertySchema> | null
  tags?: TagBody[] | null
}

/** A definition as stored: without the name it is stored under. */
function definition(def: PropertySchema): PropertySchema {
  const { name: _name, ...rest } = def
  return rest
}

function definitions(map: Record<string, PropertySchema> | null | undefined): Record<string, PropertySchema> {
  return Object.fromEntries(Object.entries(map ?? {}).map(([name, def]) => [name, definition(def)]))
}

export function propertyInput(body: PropertyBody): { name: string; schema: PropertySchema } {
  return { name: body.name, schema: definition(body) }
}

export type ObjectInput = Omit<MetadefObject, 'id' | 'created_at' | 'updated_at'>

export function objectInput(body: ObjectBody): ObjectInput {
  return {
    name: body.name,
    description: body.description ?? null,
    required: body.required ?? null,
    properties: definitions(body.properties),
  }
}

export function associationInput(body: AssociationBody): NamespaceContent['associations'][number] {
  return { name: body.name, prefix: body.prefix ?? null, properties_target: body.properties_target ?? null }
}

/** A tag's name from a path: 1 to 80 characters. */
export function parseTagName(name: string): string {
  if (name.length === 0 || name.length > 80)
    throw new InvalidImageInput(
      `Provided object does not match schema 'tag': tag name '${name.slice(0, 80)}' must be 1 to 80 characters`,
    )
  return name
}

export type NamespaceInput = Pick<
  Namespace,
  'namespace' | 'display_name' | 'description' | 'visibility' | 'protected'
> & { owner: string | null }

/** A namespace body for create (with content) or update (content keys ignored, as upstream). */
export function namespaceInput(b: NamespaceBody): { fields: NamespaceInput; content: NamespaceContent } {
  const fields: NamespaceInput = {
    namespace: b.namespace,
    display_name: b.display_name ?? null,
    description: b.description ?? null,
    visibility: b.visibility ?? 'private',
    protected: b.protected ?? false,
    owner: b.owner ?? null,
  }
  const content: NamespaceContent = {
    associations: (b.resource_type_associations ?? []).map(associationInput),
    objects: (b.objects ?? []).map(objectInput),
    properties: Object.entries(definitions(b.properties)).map(([name, schema]) => ({ name, schema })),
    tags: (b.tags ?? []).map((t) => t.name),
  }
  return { fields, content }
}
