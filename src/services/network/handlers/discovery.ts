/**
 * The discovery documents: `GET /` (the versions), `GET /v2.0` (the resources), the
 * extension list and one extension. None but the extensions needs a token.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { notFound } from '../errors.js'
import { EXTENSIONS, type Extension } from '../extensions.js'
import { apiUrl, hostUrl, type NetworkDeps, params } from './common.js'

const RESOURCES: readonly [string, string][] = [
  ['subnet', 'subnets'],
  ['network', 'networks'],
  ['port', 'ports'],
  ['subnetpool', 'subnetpools'],
]

export async function listVersions(req: FastifyRequest, _reply: FastifyReply, deps: NetworkDeps) {
  return {
    versions: [
      {
        id: 'v2.0',
        status: 'CURRENT',
        links: [{ href: `${hostUrl(req, deps)}${deps.prefix}/v2.0/`, rel: 'self' }],
      },
    ],
  }
}

export async function showVersion(req: FastifyRequest, _reply: FastifyReply, deps: NetworkDeps) {
  return {
    resources: RESOURCES.map(([name, collection]) => ({
      name,
      collection,
      links: [{ href: `${apiUrl(req, deps)}/${collection}`, rel: 'self' }],
    })),
  }
}

const view = (e: Extension) => ({
  alias: e.alias,
  name: e.name,
  description: e.description,
  updated: '2013-01-20T00:00:00-00:00',
  links: [],
})

export async function listExtensions() {
  return { extensions: EXTENSIONS.map(view) }
}

export async function showExtension(req: FastifyRequest) {
  const alias = params(req).alias!
  const e = EXTENSIONS.find((x) => x.alias === alias)
  if (!e) throw notFound('extension', alias, 'ExtensionNotFound')
  return { extension: view(e) }
}

/** Service providers (`service-type`): no advanced services are offered. */
export async function listServiceProviders() {
  return { service_providers: [] }
}
