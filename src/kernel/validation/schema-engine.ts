/**
 * The one JSON-schema engine every service validates request bodies and query strings
 * with (ajv). Services keep upstream's wording by formatting the engine's errors
 * themselves: Keystone's "Invalid input for field ...", Placement's jsonschema-style
 * "JSON does not validate: ...", Glance's messages.
 *
 * NOTE: Fastify's built-in validation coerces types (`"name": 5` would become `"5"`),
 * which no upstream service does; so bodies are validated here, strictly, after parsing.
 */
import { createRequire } from 'node:module'
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv'

/** A JSON schema (draft-07 keywords; upstream's draft-04 schemas are a subset). */
export type JsonSchema = Readonly<Record<string, unknown>>

/** One failed check: ajv's error object (keyword, instancePath, params, data, schema). */
export type SchemaError = ErrorObject

/** A compiled schema: undefined when the data is valid, else the first failed check(s). */
export type CompiledSchema = (data: unknown) => readonly SchemaError[] | undefined

export interface SchemaEngineOptions {
  /** Report every failed check instead of the first. @default false */
  allErrors?: boolean
  /** Named string formats (`format: 'uuid'`), as a pattern or a predicate. */
  formats?: Readonly<Record<string, RegExp | ((value: string) => boolean)>>
}

const UUID =
  /^(urn:uuid:)?\{?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\}?$/

/** Formats every service may use; a service adds its own through the options. */
const COMMON_FORMATS: Readonly<Record<string, RegExp | ((value: string) => boolean)>> = {
  uuid: UUID,
  'date-time': (s) => !Number.isNaN(Date.parse(s)),
  regex: (s) => {
    try {
      new RegExp(s, 'u')
      return true
    } catch {
      return false
    }
  },
}

// NOTE: ajv (about 10 MiB of code once loaded) is required on the first validation, not
// when a service module is imported: a process that validates no body never loads it.
const requireLazily = createRequire(import.meta.url)

export class SchemaEngine {
  private ajvInstance: Ajv | undefined
  // Compiled once per schema object, and once per schema content: a service that builds
  // its schema per request (per microversion, per query) gets the compiled function of
  // the same content (a compile costs tens of milliseconds, the key a few microseconds).
  private readonly compiled = new WeakMap<object, ValidateFunction>()
  private readonly compiledByContent = new Map<string, ValidateFunction>()

  constructor(private readonly options: SchemaEngineOptions = {}) {}

  private get ajv(): Ajv {
    if (this.ajvInstance) return this.ajvInstance
    const { Ajv: AjvClass } = requireLazily('ajv') as typeof import('ajv')
    const options = this.options
    const ajv = new AjvClass({
      allErrors: options.allErrors ?? false,
      // Upstream's schemas carry keywords ajv does not know (readOnly, title in odd
      // places, draft-04 forms); they describe, they do not constrain.
      strict: false,
      allowUnionTypes: true,
      verbose: true,
      logger: false,
      // NOTE: our schemas are checked against the meta-schema by a test
      // (schema-engine.test.ts walks every route table); compiling the meta-schema in
      // each service's engine on its first request cost ~45 ms of start-up each.
      validateSchema: false,
    })
    for (const [name, format] of Object.entries({ ...COMMON_FORMATS, ...options.formats })) {
      ajv.addFormat(name, format instanceof RegExp ? format : { validate: format })
    }
    this.ajvInstance = ajv
    return ajv
  }

  compile(schema: JsonSchema): CompiledSchema {
    let fn = this.compiled.get(schema)
    if (!fn) {
      const key = JSON.stringify(schema)
      fn = this.compiledByContent.get(key)
      if (!fn) {
        fn = this.ajv.compile(schema as Record<string, unknown>)
        this.compiledByContent.set(key, fn)
      }
      this.compiled.set(schema, fn)
    }
    const validate = fn
    return (data) => (validate(data) ? undefined : (validate.errors ?? []))
  }

  /** Validates once: undefined when valid, else the failed checks. */
  validate(schema: JsonSchema, data: unknown): readonly SchemaError[] | undefined {
    return this.compile(schema)(data)
  }
}

/** `/a/0/b` (ajv's JSON pointer) as `a.0.b`, the dotted path upstream messages show. */
export function dottedPath(error: SchemaError): string {
  return error.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.')
}
