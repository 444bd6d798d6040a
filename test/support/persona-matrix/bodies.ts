/**
 * A valid minimal JSON body from a route's body schema: the required properties with the
 * smallest values their types allow (a fresh name for strings, a URL where a pattern asks
 * for one); an update body with no required property gets a `description`, or the first
 * property. Routes whose bodies must name real objects override it (per service).
 */
let serial = 0

type Schema = Record<string, unknown>

export function minimalBody(schema: unknown): unknown {
  return value(schema as Schema, 'x', 0)
}

function value(s: Schema | undefined, key: string, depth: number): unknown {
  if (!s || depth > 6) return undefined
  if (Array.isArray(s.enum)) return s.enum[0]
  if (s.const !== undefined) return s.const
  const anyOf = (s.anyOf ?? s.oneOf) as Schema[] | undefined
  if (anyOf?.length) return value(anyOf[0], key, depth + 1)
  const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string]
  const type = types.find((t) => t !== 'null') ?? types[0]
  switch (type) {
    case 'object': {
      const props = (s.properties ?? {}) as Record<string, Schema>
      const required = (s.required ?? []) as string[]
      const out: Record<string, unknown> = {}
      for (const k of required) out[k] = value(props[k], k, depth + 1)
      if (required.length === 0 && (s.minProperties as number) > 0) {
        const k = ['description', 'name', 'enabled'].find((x) => x in props) ?? Object.keys(props)[0]
        if (k) out[k] = value(props[k], k, depth + 1)
      }
      return out
    }
    case 'array':
      return (s.minItems as number) > 0 ? [value(s.items as Schema, key, depth + 1)] : []
    case 'boolean':
      return false
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : 1
    case 'string': {
      if (typeof s.pattern === 'string' && s.pattern.includes(':')) return 'http://matrix.test/'
      if (s.format === 'uuid') return '00000000-0000-4000-8000-000000000001'
      return `${key}-m${++serial}`
    }
    default:
      return `${key}-m${++serial}`
  }
}
