/**
 * The auth half's route table (the resource half registers its own under /v3 through
 * `registerRoutes`). Method + path -> handler; `public` routes may be anonymous.
 */
import type { FastifyInstance } from 'fastify'
import { allowMethods } from '../../kernel/http/index.js'
import type { AuthHandlerDeps } from './handlers/auth-deps.js'
import { authScopeHandlers } from './handlers/auth-scopes.js'
import { authTokenHandlers } from './handlers/auth-tokens.js'
import { versionHandlers } from './handlers/versions.js'

export function registerAuthRoutes(app: FastifyInstance, deps: AuthHandlerDeps): void {
  const versions = versionHandlers(deps.baseUrl)
  const tokens = authTokenHandlers(deps)
  const scopes = authScopeHandlers(deps)

  app.get('/', { config: { public: true } }, versions.root)
  app.get('/v3', { config: { public: true } }, versions.v3)

  app.post('/v3/auth/tokens', { config: { public: true } }, tokens.issue)
  // NOTE: Fastify answers HEAD from the GET route; the handler tells them apart.
  app.get('/v3/auth/tokens', tokens.validate)
  app.delete('/v3/auth/tokens', tokens.revoke)
  allowMethods(app, '/v3/auth/tokens', ['GET', 'POST', 'DELETE'])

  app.get('/v3/auth/catalog', scopes.catalog)
  app.get('/v3/auth/projects', scopes.projects)
  app.get('/v3/auth/domains', scopes.domains)
  app.get('/v3/auth/system', scopes.system)
  for (const path of ['/v3/auth/catalog', '/v3/auth/projects', '/v3/auth/domains', '/v3/auth/system']) {
    allowMethods(app, path, ['GET'])
  }
}
