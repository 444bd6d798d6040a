/**
 * Flavor tenant access: list the projects a private flavor is shared with, and the
 * `addTenantAccess` / `removeTenantAccess` actions (a public flavor refuses additions
 * from 2.7 on).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ComputeBadRequest } from '../errors.js'
import { FLAVOR } from '../policies/index.js'
import { ADD_TENANT_ACCESS, REMOVE_TENANT_ACCESS } from '../schemas/flavors.js'
import { validateBody } from '../schemas/validate.js'
import { bodyOf, type ComputeDeps, callerOf, params } from './common.js'

const view = (flavorId: string, projects: readonly string[]) => ({
  flavor_access: projects.map((tenant_id) => ({ flavor_id: flavorId, tenant_id })),
})

export async function listAccess(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const id = params(req).flavor_id!
  return view(id, await deps.flavors.accessList(callerOf(req), id))
}

/** POST /flavors/{id}/action: the action is the body's one key. */
export async function flavorAction(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const body = bodyOf(req)
  const id = params(req).flavor_id!
  if (body && typeof body === 'object' && 'addTenantAccess' in body) {
    req.ctx.can(FLAVOR.ACCESS_ADD)
    validateBody(ADD_TENANT_ACCESS, body)
    const projects = await deps.flavors.addAccess(
      callerOf(req),
      id,
      body.addTenantAccess.tenant,
      req.version.gte('2.7'),
    )
    return view(id, projects)
  }
  if (body && typeof body === 'object' && 'removeTenantAccess' in body) {
    req.ctx.can(FLAVOR.ACCESS_REMOVE)
    validateBody(REMOVE_TENANT_ACCESS, body)
    return view(id, await deps.flavors.removeAccess(callerOf(req), id, body.removeTenantAccess.tenant))
  }
  throw new ComputeBadRequest(`There is no such action: ${actionName(body)}`)
}

export function actionName(body: unknown): string {
  return body && typeof body === 'object' ? (Object.keys(body)[0] ?? 'None') : 'None'
}
