/**
 * The noauth2 strategy (`[api] auth_strategy = noauth2`), as upstream's test
 * deployments use it: the token is `user[:project]`, user `admin` is an admin unless
 * `X-Roles` says otherwise, `OpenStack-System-Scope` makes it system-scoped. Testing
 * only: nothing is verified.
 */
import type { FastifyRequest } from 'fastify'
import type { AuthenticatedIdentity } from './context.js'

export async function noauth2(req: FastifyRequest): Promise<AuthenticatedIdentity | undefined> {
  const token = req.headers['x-auth-token']
  if (typeof token !== 'string') return undefined
  const i = token.indexOf(':')
  const user = i < 0 ? token : token.slice(0, i)
  let project = i < 0 ? token : token.slice(i + 1) || user
  const rolesHeader = req.headers['x-roles']
  const roles =
    typeof rolesHeader === 'string'
      ? rolesHeader
          .split(',')
          .map((r) => r.trim().toLowerCase())
          .filter(Boolean)
      : user === 'admin'
        ? ['admin']
        : []
  const xProject = req.headers['x-project-id']
  if (typeof xProject === 'string' && xProject) project = xProject
  const system =
    typeof req.headers['openstack-system-scope'] === 'string' && req.headers['openstack-system-scope'] !== ''
  return {
    user_id: user,
    project_id: system ? undefined : project,
    roles,
    ...(system ? { system_scope: 'all' } : {}),
  } as unknown as AuthenticatedIdentity
}
