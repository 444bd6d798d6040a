/**
 * Version discovery: GET /identity (300 Multiple Choices listing v3) and
 * GET /identity/v3 (`{"version": {...}}`), both anonymous, as Keystone.
 */
import type { Handler } from './deps.js'

export const V3 = {
  id: 'v3.14',
  status: 'stable',
  updated: '2020-04-07T00:00:00Z',
  mediaType: 'application/vnd.openstack.identity-v3+json',
} as const

function describe(v3Url: string) {
  return {
    id: V3.id,
    status: V3.status,
    updated: V3.updated,
    links: [{ rel: 'self', href: `${v3Url}/` }],
    'media-types': [{ base: 'application/json', type: V3.mediaType }],
  }
}

/** GET /identity */
export const listVersions: Handler = async (req, reply, d) => {
  const v3 = d.auth.baseUrl(req)
  reply.code(300).header('location', `${v3}/`)
  return { versions: { values: [describe(v3)] } }
}

/** GET /identity/v3 */
export const getVersion: Handler = async (req, _reply, d) => ({ version: describe(d.auth.baseUrl(req)) })
