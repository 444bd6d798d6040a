/**
 * GET /: the version document (public, any Accept).
 */
import { cacheHeaders } from '../http-support.js'
import { VERSIONS } from '../versions.js'
import type { Handler } from './handler.js'

export const versionRoot: Handler = async (req, reply) => {
  cacheHeaders(req, reply, undefined)
  const max = VERSIONS.max.toString()
  return {
    versions: [
      {
        id: `v${max.split('.')[0]}.0`,
        max_version: max,
        min_version: VERSIONS.min.toString(),
        status: 'CURRENT',
        links: [{ rel: 'self', href: '' }],
      },
    ],
  }
}
