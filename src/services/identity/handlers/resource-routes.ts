/**
 * The resource half's route table: every /v3 resource route, registered inside the
 * identity scope (authenticated by serviceScope; policy checked per handler).
 */
import type { FastifyInstance } from 'fastify'
import type { IdentityDomain } from '../resources.js'
import { registerCatalogRoutes } from './catalog.js'
import { Router } from './common.js'
import { registerCredentialRoutes } from './credentials.js'
import { registerExtraRoutes } from './extras.js'
import { registerProjectRoutes } from './projects.js'
import { registerRoleRoutes } from './roles.js'
import { registerUserRoutes } from './users.js'

export function registerResourceRoutes(app: FastifyInstance, d: IdentityDomain): void {
  const r = new Router(app)
  registerExtraRoutes(r, d) // first: /v3/domains/config/default must win over /v3/domains/:id
  registerProjectRoutes(r, d)
  registerUserRoutes(r, d)
  registerRoleRoutes(r, d)
  registerCatalogRoutes(r, d)
  registerCredentialRoutes(r, d)
  r.done()
}
