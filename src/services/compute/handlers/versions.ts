/**
 * The version documents: `GET /` lists v2.0 (the legacy API, not served here) and v2.1
 * with its microversion range; `GET /v2` and `GET /v2.1` describe each. None needs a token.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { VERSIONS } from '../versions.js'
import { type ComputeDeps, hostUrl } from './common.js'

function v21(req: FastifyRequest, deps: ComputeDeps) {
  return {
    id: 'v2.1',
    status: 'CURRENT',
    version: String(VERSIONS.max),
    min_version: String(VERSIONS.min),
    updated: '2013-07-23T11:33:21Z',
    links: [{ rel: 'self', href: `${hostUrl(req, deps)}${deps.prefix}/v2.1/` }],
  }
}

function v20(req: FastifyRequest, deps: ComputeDeps) {
  return {
    id: 'v2.0',
    status: 'SUPPORTED',
    version: '',
    min_version: '',
    updated: '2011-01-21T11:33:21Z',
    links: [{ rel: 'self', href: `${hostUrl(req, deps)}${deps.prefix}/v2/` }],
  }
}

export async function listVersions(req: FastifyRequest, _reply: FastifyReply, deps: ComputeDeps) {
  return {
    versions: [v20(req, deps), v21(req, deps)],
  }
}

export async function showVersion(req: FastifyRequest, _reply: FastifyReply, deps: ComputeDeps) {
  const v = v21(req, deps)
  return {
    version: {
      ...v,
      links: [...v.links, { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' }],
      'media-types': [
        { base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' },
      ],
    },
  }
}

/**
 * The v2.0 document, so that clients following the root's links find it. NOTE: the
 * legacy v2.0 API itself is not served; v2.1 answers every request at 2.1 and later.
 */
export async function showLegacyVersion(req: FastifyRequest, _reply: FastifyReply, deps: ComputeDeps) {
  const v = v20(req, deps)
  return {
    version: {
      ...v,
      links: [...v.links, { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' }],
      'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2' }],
    },
  }
}
