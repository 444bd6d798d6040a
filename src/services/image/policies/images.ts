/**
 * Glance's policy rules, by Glance's names, with the current (secure RBAC) defaults and
 * the legacy `rule:default` they replaced. Every rule is project scoped, as upstream.
 *
 * The targets handed to these rules carry `project_id` and `owner` (the image's owner),
 * `visibility`, and `member_id` (the caller's project when it is a member of the image).
 */
import type { RuleDefault } from '../../../kernel/policy/index.js'

const PROJECT_MEMBER = 'role:member and project_id:%(project_id)s'
const PROJECT_READER = 'role:reader and project_id:%(project_id)s'
const IMAGE_MEMBER = 'project_id:%(member_id)s'
const VISIBLE = `${IMAGE_MEMBER} or 'community':%(visibility)s or 'public':%(visibility)s or 'shared':%(visibility)s`
const ADMIN = 'rule:context_is_admin'
const ADMIN_OR_PROJECT_MEMBER = `${ADMIN} or (${PROJECT_MEMBER})`
const ADMIN_OR_PROJECT_READER = `${ADMIN} or (${PROJECT_READER})`
const ADMIN_OR_READER_GET_IMAGE = `${ADMIN} or (role:reader and (project_id:%(project_id)s or ${VISIBLE}))`
const ADMIN_OR_MEMBER_DOWNLOAD = `${ADMIN} or (role:member and (project_id:%(project_id)s or ${VISIBLE}))`
const ADMIN_OR_MEMBER_CREATE = `${ADMIN} or (${PROJECT_MEMBER} and project_id:%(owner)s)`
const ADMIN_OR_READER_OR_SHARED_MEMBER = `${ADMIN} or role:reader and (project_id:%(project_id)s or ${IMAGE_MEMBER})`
const ADMIN_OR_SHARED_MEMBER = `${ADMIN} or (role:member and ${IMAGE_MEMBER})`

export const IMAGE_POLICIES = {
  ADD: 'add_image',
  DELETE: 'delete_image',
  GET: 'get_image',
  LIST: 'get_images',
  MODIFY: 'modify_image',
  PUBLICIZE: 'publicize_image',
  COMMUNITIZE: 'communitize_image',
  DOWNLOAD: 'download_image',
  UPLOAD: 'upload_image',
  GET_LOCATION: 'get_image_location',
  SET_LOCATION: 'set_image_location',
  DELETE_LOCATION: 'delete_image_location',
  ADD_MEMBER: 'add_member',
  DELETE_MEMBER: 'delete_member',
  GET_MEMBER: 'get_member',
  GET_MEMBERS: 'get_members',
  MODIFY_MEMBER: 'modify_member',
  DEACTIVATE: 'deactivate',
  REACTIVATE: 'reactivate',
  STORES_INFO: 'stores_info_detail',
  COPY_IMAGE: 'copy_image',
  DELETE_FROM_STORE: 'delete_image_from_store',
  TASKS_ACCESS: 'tasks_api_access',
  GET_TASKS: 'get_tasks',
  GET_TASK: 'get_task',
  CONTEXT_IS_ADMIN: 'context_is_admin',
} as const

type Op = { method: string; path: string }
const rule = (
  name: string,
  checkStr: string,
  description: string,
  operations: Op[],
  legacy = true,
): RuleDefault => ({
  name,
  checkStr,
  description,
  scopeTypes: ['project'],
  operations,
  ...(legacy ? { deprecatedRule: { checkStr: 'rule:default' } } : {}),
})

export const imagePolicyDefaults: readonly RuleDefault[] = [
  {
    name: 'default',
    checkStr: '',
    description: 'The rule for policies that historically had an empty rule.',
    deprecatedRule: { checkStr: ADMIN },
  },
  {
    name: 'context_is_admin',
    checkStr: 'role:admin',
    description: 'Defines the rule for the is_admin:True check.',
  },
  { name: 'service_api', checkStr: 'role:service or role:admin', description: 'Service-to-service API.' },
  rule('add_image', ADMIN_OR_MEMBER_CREATE, 'Create new image', [{ method: 'POST', path: '/v2/images' }]),
  rule('delete_image', ADMIN_OR_PROJECT_MEMBER, 'Deletes the image', [
    { method: 'DELETE', path: '/v2/images/{image_id}' },
  ]),
  rule('get_image', ADMIN_OR_READER_GET_IMAGE, 'Get specified image', [
    { method: 'GET', path: '/v2/images/{image_id}' },
  ]),
  rule('get_images', ADMIN_OR_PROJECT_READER, 'Get all available images', [
    { method: 'GET', path: '/v2/images' },
  ]),
  rule('modify_image', ADMIN_OR_PROJECT_MEMBER, 'Updates given image', [
    { method: 'PATCH', path: '/v2/images/{image_id}' },
  ]),
  rule(
    'publicize_image',
    ADMIN,
    'Publicize given image',
    [{ method: 'PATCH', path: '/v2/images/{image_id}' }],
    false,
  ),
  rule('communitize_image', ADMIN_OR_PROJECT_MEMBER, 'Communitize given image', [
    { method: 'PATCH', path: '/v2/images/{image_id}' },
  ]),
  rule('download_image', ADMIN_OR_MEMBER_DOWNLOAD, 'Downloads given image', [
    { method: 'GET', path: '/v2/images/{image_id}/file' },
  ]),
  rule('upload_image', ADMIN_OR_PROJECT_MEMBER, 'Uploads data to specified image', [
    { method: 'PUT', path: '/v2/images/{image_id}/file' },
  ]),
  rule('delete_image_location', ADMIN_OR_PROJECT_MEMBER, 'Deletes the location of given image', [
    { method: 'PATCH', path: '/v2/images/{image_id}' },
  ]),
  rule('get_image_location', ADMIN_OR_PROJECT_READER, 'Reads the location of the image', [
    { method: 'GET', path: '/v2/images/{image_id}' },
  ]),
  rule('set_image_location', ADMIN_OR_PROJECT_MEMBER, 'Sets location URI to given image', [
    { method: 'PATCH', path: '/v2/images/{image_id}' },
  ]),
  rule('add_member', ADMIN_OR_PROJECT_MEMBER, 'Create image member', [
    { method: 'POST', path: '/v2/images/{image_id}/members' },
  ]),
  rule('delete_member', ADMIN_OR_PROJECT_MEMBER, 'Delete image member', [
    { method: 'DELETE', path: '/v2/images/{image_id}/members/{member_id}' },
  ]),
  rule('get_member', ADMIN_OR_READER_OR_SHARED_MEMBER, 'Show image member details', [
    { method: 'GET', path: '/v2/images/{image_id}/members/{member_id}' },
  ]),
  rule('get_members', ADMIN_OR_READER_OR_SHARED_MEMBER, 'List image members', [
    { method: 'GET', path: '/v2/images/{image_id}/members' },
  ]),
  rule('modify_member', ADMIN_OR_SHARED_MEMBER, 'Update image member', [
    { method: 'PUT', path: '/v2/images/{image_id}/members/{member_id}' },
  ]),
  rule('deactivate', ADMIN_OR_PROJECT_MEMBER, 'Deactivate image', [
    { method: 'POST', path: '/v2/images/{image_id}/actions/deactivate' },
  ]),
  rule('reactivate', ADMIN_OR_PROJECT_MEMBER, 'Reactivate image', [
    { method: 'POST', path: '/v2/images/{image_id}/actions/reactivate' },
  ]),
  rule('copy_image', ADMIN, 'Copy existing image to other stores', [
    { method: 'POST', path: '/v2/images/{image_id}/import' },
  ]),
  rule(
    'delete_image_from_store',
    ADMIN,
    'Delete image data from one store',
    [{ method: 'DELETE', path: '/v2/stores/{store_id}/{image_id}' }],
    false,
  ),
  rule('tasks_api_access', ADMIN, 'The tasks API as a whole (/v2/tasks)', [
    { method: 'GET', path: '/v2/tasks' },
    { method: 'GET', path: '/v2/tasks/{task_id}' },
  ]),
  rule('get_tasks', ADMIN, 'List tasks', [{ method: 'GET', path: '/v2/tasks' }]),
  rule('get_task', ADMIN, 'Show a task', [{ method: 'GET', path: '/v2/tasks/{task_id}' }]),
  rule(
    'stores_info_detail',
    ADMIN,
    'Expose store specific information',
    [{ method: 'GET', path: '/v2/info/stores/detail' }],
    false,
  ),
]
