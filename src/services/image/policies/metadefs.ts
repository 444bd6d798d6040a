/**
 * Glance's metadata-definition policy rules, by Glance's names, with the current
 * defaults: reads for admins and for readers of the owning project or of public
 * namespaces; every write for admins only (`metadef_admin`). Project scoped, as
 * upstream; the read rules keep the legacy `metadef_default` they replaced.
 *
 * Targets carry the namespace's `project_id` (its owner) and `visibility`.
 */
import type { RuleDefault } from '../../../kernel/policy/index.js'

const ADMIN = 'rule:context_is_admin'
const METADEF_ADMIN = 'rule:metadef_admin'
const METADEF_DEFAULT = 'rule:metadef_default'
const READER_GET_NAMESPACE = `${ADMIN} or (role:reader and (project_id:%(project_id)s or 'public':%(visibility)s))`
const READER = `${ADMIN} or (role:reader and project_id:%(project_id)s)`

export const METADEF_POLICIES = {
  GET_NAMESPACE: 'get_metadef_namespace',
  GET_NAMESPACES: 'get_metadef_namespaces',
  MODIFY_NAMESPACE: 'modify_metadef_namespace',
  ADD_NAMESPACE: 'add_metadef_namespace',
  DELETE_NAMESPACE: 'delete_metadef_namespace',
  GET_OBJECT: 'get_metadef_object',
  GET_OBJECTS: 'get_metadef_objects',
  MODIFY_OBJECT: 'modify_metadef_object',
  ADD_OBJECT: 'add_metadef_object',
  DELETE_OBJECT: 'delete_metadef_object',
  LIST_RESOURCE_TYPES: 'list_metadef_resource_types',
  GET_RESOURCE_TYPE: 'get_metadef_resource_type',
  ADD_RESOURCE_TYPE_ASSOCIATION: 'add_metadef_resource_type_association',
  REMOVE_RESOURCE_TYPE_ASSOCIATION: 'remove_metadef_resource_type_association',
  GET_PROPERTY: 'get_metadef_property',
  GET_PROPERTIES: 'get_metadef_properties',
  MODIFY_PROPERTY: 'modify_metadef_property',
  ADD_PROPERTY: 'add_metadef_property',
  REMOVE_PROPERTY: 'remove_metadef_property',
  GET_TAG: 'get_metadef_tag',
  GET_TAGS: 'get_metadef_tags',
  MODIFY_TAG: 'modify_metadef_tag',
  ADD_TAG: 'add_metadef_tag',
  ADD_TAGS: 'add_metadef_tags',
  DELETE_TAG: 'delete_metadef_tag',
  DELETE_TAGS: 'delete_metadef_tags',
} as const

const NS = '/v2/metadefs/namespaces/{namespace_name}'

const read = (
  name: string,
  description: string,
  method: string,
  path: string,
  checkStr = READER_GET_NAMESPACE,
) =>
  ({
    name,
    checkStr,
    description,
    scopeTypes: ['project'],
    operations: [{ method, path }],
    deprecatedRule: { checkStr: METADEF_DEFAULT },
  }) satisfies RuleDefault

const write = (name: string, description: string, method: string, path: string) =>
  ({
    name,
    checkStr: METADEF_ADMIN,
    description,
    scopeTypes: ['project'],
    operations: [{ method, path }],
  }) satisfies RuleDefault

export const metadefPolicyDefaults: readonly RuleDefault[] = [
  { name: 'metadef_default', checkStr: '', description: 'Legacy default of the metadef read rules.' },
  { name: 'metadef_admin', checkStr: ADMIN, description: 'Who may change metadata definitions.' },
  read('get_metadef_namespace', 'Get a specific namespace.', 'GET', NS),
  read('get_metadef_namespaces', 'List namespace.', 'GET', '/v2/metadefs/namespaces', READER),
  write('modify_metadef_namespace', 'Modify an existing namespace.', 'PUT', NS),
  write('add_metadef_namespace', 'Create a namespace.', 'POST', '/v2/metadefs/namespaces'),
  write('delete_metadef_namespace', 'Delete a namespace.', 'DELETE', NS),
  read('get_metadef_object', 'Get a specific object from a namespace.', 'GET', `${NS}/objects/{object_name}`),
  read('get_metadef_objects', 'Get objects from a namespace.', 'GET', `${NS}/objects`),
  write(
    'modify_metadef_object',
    'Update an object within a namespace.',
    'PUT',
    `${NS}/objects/{object_name}`,
  ),
  write('add_metadef_object', 'Create an object within a namespace.', 'POST', `${NS}/objects`),
  write(
    'delete_metadef_object',
    'Delete an object within a namespace.',
    'DELETE',
    `${NS}/objects/{object_name}`,
  ),
  read(
    'list_metadef_resource_types',
    'List meta definition resource types.',
    'GET',
    '/v2/metadefs/resource_types',
  ),
  read(
    'get_metadef_resource_type',
    'Get meta definition resource types associations.',
    'GET',
    `${NS}/resource_types`,
  ),
  write(
    'add_metadef_resource_type_association',
    'Create meta definition resource types association.',
    'POST',
    `${NS}/resource_types`,
  ),
  write(
    'remove_metadef_resource_type_association',
    'Delete meta definition resource types association.',
    'DELETE',
    `${NS}/resource_types/{name}`,
  ),
  read(
    'get_metadef_property',
    'Get a specific meta definition property.',
    'GET',
    `${NS}/properties/{property_name}`,
  ),
  read('get_metadef_properties', 'List meta definition properties.', 'GET', `${NS}/properties`),
  write(
    'modify_metadef_property',
    'Update meta definition property.',
    'PUT',
    `${NS}/properties/{property_name}`,
  ),
  write('add_metadef_property', 'Create meta definition property.', 'POST', `${NS}/properties`),
  write(
    'remove_metadef_property',
    'Delete meta definition property.',
    'DELETE',
    `${NS}/properties/{property_name}`,
  ),
  read('get_metadef_tag', 'Get tag definition.', 'GET', `${NS}/tags/{tag_name}`),
  read('get_metadef_tags', 'List tag definitions.', 'GET', `${NS}/tags`),
  write('modify_metadef_tag', 'Update tag definition.', 'PUT', `${NS}/tags/{tag_name}`),
  write('add_metadef_tag', 'Add tag definition.', 'POST', `${NS}/tags/{tag_name}`),
  write('add_metadef_tags', 'Create tag definitions.', 'POST', `${NS}/tags`),
  write('delete_metadef_tag', 'Delete tag definition.', 'DELETE', `${NS}/tags/{tag_name}`),
  write('delete_metadef_tags', 'Delete tag definitions.', 'DELETE', `${NS}/tags`),
]
