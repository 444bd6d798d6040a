/**
 * Glance's JSON-patch dialects, normalised (their shapes are schemas in
 * schemas/bodies.ts). v2.1 (RFC 6902 style): `{"op": "replace", "path": "/name",
 * "value": "x"}`; v2.0: `{"replace": "/name", "value": "x"}`. Only add, replace and
 * remove; paths are one level deep, except `/locations/<n|->`.
 */
import { InvalidImageInput } from '../errors.js'

export type PatchOp = { op: 'add' | 'replace' | 'remove'; path: string[]; value?: unknown }

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

/**
 * Normalises operations whose shape the patch schema (schemas/bodies.ts) accepted: the
 * operation's name and its path as a decoded pointer.
 */
export function parsePatch(body: readonly Record<string, unknown>[], mediaType: string): PatchOp[] {
  const v20 = mediaType.includes('v2.0')
  return body.map((o) => {
    const styleOp = 'op' in o && !v20
    const op = (styleOp ? o.op : OPS.find((k) => k in o)) as PatchOp['op']
    let path = (styleOp ? o.path : o[op]) as string
    // NOTE: v2.0 paths may omit the leading slash.
    if (!styleOp && !path.startsWith('/')) path = `/${path}`
    const parsed: PatchOp = { op, path: decodePointer(path) }
    if (op !== 'remove') parsed.value = o.value
    return parsed
  })
}
