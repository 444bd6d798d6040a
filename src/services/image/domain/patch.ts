/**
 * Glance's JSON-patch dialects, normalised. v2.1 (RFC 6902 style):
 * `{"op": "replace", "path": "/name", "value": "x"}`; v2.0: `{"replace": "/name",
 * "value": "x"}`. Only add, replace and remove; paths are one level deep, except
 * `/locations/<n|->`.
 */
import { InvalidImageInput } from '../errors.js'

export type PatchOp = { op: 'add' | 'replace' | 'remove'; path: string[]; value?: unknown }

export const PATCH_MEDIA_TYPES = [
  'application/openstack-images-v2.1-json-patch',
  'application/openstack-images-v2.0-json-patch',
]

const OPS = ['add', 'replace', 'remove'] as const

function decodePointer(path: string): string[] {
  if (!path.startsWith('/')) throw new InvalidImageInput(`Pointer \`${path}\` does not start with "/".`)
  const parts = path
    .slice(1)
    .split('/')
    .map((p) => {
      if (/~[^01]|~$/.test(p))
        throw new InvalidImageInput(
          `Pointer \`${path}\` contains "~" not part of a recognized escape sequence.`,
        )
      return p.replace(/~1/g, '/').replace(/~0/g, '~')
    })
  if (parts.length > 1 && parts[0] !== 'locations')
    throw new InvalidImageInput('Nested paths are not allowed')
  if (parts.length > 2) throw new InvalidImageInput('Nested paths are not allowed')
  if (parts[0] === '') throw new InvalidImageInput(`Unable to find '' in JSON Schema change`)
  return parts
}

export function parsePatch(body: unknown, mediaType: string): PatchOp[] {
  if (!Array.isArray(body))
    throw new InvalidImageInput('Request body must be a JSON array of operation objects.')
  const v20 = mediaType.includes('v2.0')
  return body.map((raw) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new InvalidImageInput('Operations must be JSON objects.')
    }
    const o = raw as Record<string, unknown>
    let op: string | undefined
    let path: unknown
    if ('op' in o && !v20) {
      op = typeof o.op === 'string' ? o.op : undefined
      path = o.path
      if (!op || !(OPS as readonly string[]).includes(op)) {
        throw new InvalidImageInput(`Invalid operation: \`${String(o.op)}\`.`)
      }
    } else {
      const named = OPS.filter((k) => k in o)
      if (named.length !== 1) {
        throw new InvalidImageInput(
          'Operation objects must contain exactly one member named "add", "remove", or "replace".',
        )
      }
      op = named[0]!
      path = o[op]
      // NOTE: v2.0 paths may omit the leading slash.
      if (typeof path === 'string' && !path.startsWith('/')) path = `/${path}`
    }
    if (typeof path !== 'string') throw new InvalidImageInput('Unable to find `path` in JSON Schema change.')
    const parsed: PatchOp = { op: op as PatchOp['op'], path: decodePointer(path) }
    if (op !== 'remove') {
      if (!('value' in o))
        throw new InvalidImageInput('Operation "' + op + '" requires a member named "value".')
      parsed.value = o.value
    }
    return parsed
  })
}
