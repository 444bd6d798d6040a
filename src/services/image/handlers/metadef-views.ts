/**
 * What clients see of metadata definitions. As Glance (WSME), unset fields are left
 * out rather than shown as null; timestamps are to the second.
 */
import { apiTime } from '../domain/image.js'
import type {
  MetadefObject,
  MetadefProperty,
  MetadefTag,
  ResourceType,
  ResourceTypeAssociation,
} from '../domain/metadef.js'
import type { NamespaceDetail } from '../domain/metadefs.js'

const compact = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined))

const path = (s: string) => encodeURI(s)

export function associationView(a: ResourceTypeAssociation): Record<string, unknown> {
  return compact({
    name: a.name,
    prefix: a.prefix,
    properties_target: a.properties_target,
    created_at: apiTime(a.created_at),
    updated_at: apiTime(a.updated_at),
  })
}

export function resourceTypeView(t: ResourceType): Record<string, unknown> {
  return { name: t.name, created_at: apiTime(t.created_at), updated_at: apiTime(t.updated_at) }
}

export function propertyView(p: MetadefProperty): Record<string, unknown> {
  return { name: p.name, ...p.schema }
}

export function propertiesView(ps: MetadefProperty[]): Record<string, unknown> {
  return Object.fromEntries(ps.map((p) => [p.name, propertyView(p)]))
}

export function objectView(namespace: string, o: MetadefObject): Record<string, unknown> {
  return compact({
    name: o.name,
    description: o.description,
    required: o.required,
    properties: Object.fromEntries(Object.entries(o.properties).map(([k, v]) => [k, { name: k, ...v }])),
    created_at: apiTime(o.created_at),
    updated_at: apiTime(o.updated_at),
    self: `/v2/metadefs/namespaces/${path(namespace)}/objects/${path(o.name)}`,
    schema: '/v2/schemas/metadefs/object',
  })
}

export function tagView(t: MetadefTag): Record<string, unknown> {
  return { name: t.name, created_at: apiTime(t.created_at), updated_at: apiTime(t.updated_at) }
}

export function namespaceView(d: NamespaceDetail): Record<string, unknown> {
  const ns = d.namespace
  return compact({
    namespace: ns.namespace,
    display_name: ns.display_name,
    description: ns.description,
    visibility: ns.visibility,
    protected: ns.protected,
    owner: ns.owner,
    created_at: apiTime(ns.created_at),
    updated_at: apiTime(ns.updated_at),
    resource_type_associations: d.associations.length > 0 ? d.associations.map(associationView) : undefined,
    properties: d.properties && d.properties.length > 0 ? propertiesView(d.properties) : undefined,
    objects:
      d.objects && d.objects.length > 0 ? d.objects.map((o) => objectView(ns.namespace, o)) : undefined,
    tags: d.tags && d.tags.length > 0 ? d.tags.map((t) => ({ name: t.name })) : undefined,
    self: `/v2/metadefs/namespaces/${path(ns.namespace)}`,
    schema: '/v2/schemas/metadefs/namespace',
  })
}
