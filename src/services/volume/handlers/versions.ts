/** The version documents: `/volume/` (300, every version) and `/volume/v3/` (200). */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { VERSIONS } from '../versions.js'
import { serviceUrl, type VolumeDeps } from './common.js'

/** When 3.70 was the newest microversion (Zed). */
const UPDATED = '2022-08-31T00:00:00Z'

function v3(req: FastifyRequest, deps: VolumeDeps) {
  return {
    id: 'v3.0',
    status: 'CURRENT',
    version: String(VERSIONS.max),
    min_version: String(VERSIONS.min),
    updated: UPDATED,
    links: [
      { rel: 'describedby', type: 'text/html', href: 'https://docs.openstack.org/' },
      { rel: 'self', href: `${serviceUrl(req, deps)}/v3/` },
    ],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' }],
  }
}

export async function listVersions(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  reply.code(300)
  return { versions: [v3(req, deps)] }
}

export async function showVersion(req: FastifyRequest, _reply: FastifyReply, deps: VolumeDeps) {
  return { versions: [v3(req, deps)] }
}
