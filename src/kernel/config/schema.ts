/**
 * The configuration schema: typed option declarations (`opt.int`, `opt.enum`, …) grouped
 * into sections named after oslo.config groups. Each service defines its sections with
 * `defineSections`; the program composes them with `mergeSchemas`, and `ConfigOf` gives
 * the type of the loaded configuration.
 */
import { normalizeSection } from './parse-ini.js'
import { closest } from './suggest.js'

/** The option types, after oslo.config's StrOpt, IntOpt, FloatOpt, BoolOpt, ListOpt, PortOpt, MultiStrOpt. */
export type OptKind = 'str' | 'int' | 'float' | 'bool' | 'list' | 'enum' | 'port' | 'multi_str'

/**
 * An older spelling of an option that is still read, with a warning (oslo's `deprecated_opts`).
 * A missing `section` means the option's own section; a missing `name` its own name.
 */
export interface DeprecatedName {
  readonly section?: string
  readonly name?: string
}

/** The outcome of turning one raw value into a typed one; `reason` never quotes the value. */
export type ParseResult<V> = { ok: true; value: V } | { ok: false; reason: string }

/** One declared option. `V` is the type the loaded configuration holds for it. */
export interface Opt<V> {
  readonly kind: OptKind
  readonly help: string
  /** The value used when nothing sets the option; `undefined` makes the option optional. */
  readonly default: V
  /** Masks the value in every printout (errors, samples, dumps). */
  readonly secret: boolean
  /** Every occurrence adds a value instead of replacing the previous one. */
  readonly multi: boolean
  readonly deprecatedNames: readonly DeprecatedName[]
  readonly deprecatedForRemoval: boolean
  readonly deprecatedReason: string | undefined
  /** Declared by several services, which read one value (see `OptSpec.shared`). */
  readonly shared: boolean
  readonly min: number | undefined
  readonly max: number | undefined
  readonly choices: readonly string[] | undefined
  /** Converts one raw value as written in a file or the environment. */
  parse(raw: string): ParseResult<V>
  /** Renders a value as an operator would write it in a file. */
  format(value: V): string
}

/** What every option declaration accepts. */
export interface OptSpec {
  /** One or two sentences for operators; shown in samples and `config check`. */
  help: string
  /** @default false */
  secret?: boolean
  /** @default [] */
  deprecatedNames?: readonly DeprecatedName[]
  /** Warns whenever the option is set: it will go away. @default false */
  deprecatedForRemoval?: boolean
  /** Why it is deprecated, or what to do instead. */
  deprecatedReason?: string
  /**
   * Upstream gives this name to options of two services that Cloudlet reads from one
   * configuration (`[DEFAULT] enabled_backends`: Cinder's backends, Glance's stores).
   * Each service declares it, `shared`, of the same kind and default; the program reads one
   * value and each service takes what is meant for it. @default false
   */
  shared?: boolean
}

/** Bounds for `int`, `float` and `port`, both inclusive. */
export interface RangeSpec extends OptSpec {
  min?: number
  max?: number
}

/** The allowed values of an `enum` option, matched case-sensitively as oslo.config does. */
export interface EnumSpec<C extends readonly string[]> extends OptSpec {
  choices: C
}

/** The options of one section, by name. */
export type SectionShape = Readonly<Record<string, Opt<unknown>>>

/** Sections by name; `DEFAULT` is oslo.config's default group. */
export type SchemaShape = Readonly<Record<string, SectionShape>>

/** The typed, read-only configuration a schema describes. */
export type ConfigOf<S extends SchemaShape> = {
  readonly [Sec in keyof S]: { readonly [O in keyof S[Sec]]: S[Sec][O]['default'] }
}

interface Codec<T> {
  decode(raw: string): ParseResult<T>
  check?(value: T): string | undefined
  format(value: T): string
}

type Declared<T> = OptSpec & { default?: T; min?: number; max?: number; choices?: readonly string[] }

const ok = <T>(value: T): ParseResult<T> => ({ ok: true, value })
const fail = (reason: string): ParseResult<never> => ({ ok: false, reason })

function make<V>(kind: OptKind, spec: Declared<unknown>, codec: Codec<unknown>, multi = false): Opt<V> {
  if (spec.default !== undefined) {
    const reason = codec.check?.(spec.default)
    if (reason) throw new Error(`invalid default ${codec.format(spec.default)}: ${reason}`)
  }
  const value = spec.default
  return Object.freeze({
    kind,
    help: spec.help,
    default: (Array.isArray(value) ? Object.freeze([...value]) : value) as V,
    secret: spec.secret ?? false,
    multi,
    deprecatedNames: Object.freeze((spec.deprecatedNames ?? []).map((d) => Object.freeze({ ...d }))),
    deprecatedForRemoval: spec.deprecatedForRemoval ?? false,
    deprecatedReason: spec.deprecatedReason,
    shared: spec.shared ?? false,
    min: spec.min,
    max: spec.max,
    choices: spec.choices && Object.freeze([...spec.choices]),
    parse(raw: string): ParseResult<V> {
      // NOTE: operators write `option =` to mean "the default". oslo.config turns an empty
      // number or boolean into None; we fall back to the default so the typed promise holds.
      if (raw.trim() === '' && kind !== 'str' && kind !== 'list' && kind !== 'multi_str')
        return ok(value as V)
      const decoded = codec.decode(raw)
      if (!decoded.ok) return decoded
      const reason = codec.check?.(decoded.value)
      return reason ? fail(reason) : (decoded as ParseResult<V>)
    },
    format: (v: V) => codec.format(v),
  })
}

function rangeCheck(spec: RangeSpec): (n: unknown) => string | undefined {
  const { min, max } = spec
  return (n) => {
    if (typeof n !== 'number') return 'must be a number'
    if (min !== undefined && max !== undefined && (n < min || n > max))
      return `must be between ${min} and ${max}`
    if (min !== undefined && n < min) return `must be at least ${min}`
    if (max !== undefined && n > max) return `must be at most ${max}`
    return undefined
  }
}

const INTEGER = /^[+-]?\d+$/
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/
const TRUE = new Set(['true', 'yes', 'on', '1'])
const FALSE = new Set(['false', 'no', 'off', '0'])

function intCodec(spec: RangeSpec): Codec<unknown> {
  const inRange = rangeCheck(spec)
  return {
    decode: (raw) => (INTEGER.test(raw.trim()) ? ok(Number(raw.trim())) : fail('must be an integer')),
    check: (n) => (Number.isSafeInteger(n) ? inRange(n) : 'must be an integer'),
    format: String,
  }
}

/** What `opt.str` accepts: a string option may check its value's form. */
export interface StrSpec extends OptSpec {
  /**
   * Says why a value is unusable (e.g. `must be a size such as 10GB`), or returns
   * undefined. NOTE: every rule a service applies to an option's text belongs here, not
   * in the service: the loader and `config check` both run it, so a value the check
   * passes never stops a start.
   */
  validate?: (value: string) => string | undefined
}

/** A string; the empty string is a value. */
function str(spec: StrSpec & { default: string }): Opt<string>
function str(spec: StrSpec & { default?: undefined }): Opt<string | undefined>
function str(spec: StrSpec & { default?: string }): Opt<string | undefined> {
  return make('str', spec, {
    decode: ok,
    check: (v) => (typeof v === 'string' ? spec.validate?.(v) : 'must be a string'),
    format: String,
  })
}

/** An integer, optionally bounded by `min` and `max`. */
function int(spec: RangeSpec & { default: number }): Opt<number>
function int(spec: RangeSpec & { default?: undefined }): Opt<number | undefined>
function int(spec: RangeSpec & { default?: number }): Opt<number | undefined> {
  return make('int', spec, intCodec(spec))
}

/** A floating-point number, optionally bounded by `min` and `max`. */
function float(spec: RangeSpec & { default: number }): Opt<number>
function float(spec: RangeSpec & { default?: undefined }): Opt<number | undefined>
function float(spec: RangeSpec & { default?: number }): Opt<number | undefined> {
  const inRange = rangeCheck(spec)
  return make('float', spec, {
    decode: (raw) => (FLOAT.test(raw.trim()) ? ok(Number(raw.trim())) : fail('must be a number')),
    check: (n) => (typeof n === 'number' && Number.isFinite(n) ? inRange(n) : 'must be a finite number'),
    format: String,
  })
}

/** A boolean: true/false, yes/no, on/off or 1/0, in any case. */
function bool(spec: OptSpec & { default: boolean }): Opt<boolean>
function bool(spec: OptSpec & { default?: undefined }): Opt<boolean | undefined>
function bool(spec: OptSpec & { default?: boolean }): Opt<boolean | undefined> {
  return make('bool', spec, {
    decode: (raw) => {
      const v = raw.trim().toLowerCase()
      return TRUE.has(v)
        ? ok(true)
        : FALSE.has(v)
          ? ok(false)
          : fail('must be a boolean (true/false, yes/no, on/off, 1/0)')
    },
    check: (v) => (typeof v === 'boolean' ? undefined : 'must be a boolean'),
    format: String,
  })
}

/** A comma-separated list of strings; items are trimmed and empty items dropped. */
function list(spec: OptSpec & { default: readonly string[] }): Opt<readonly string[]>
function list(spec: OptSpec & { default?: undefined }): Opt<readonly string[] | undefined>
function list(spec: OptSpec & { default?: readonly string[] }): Opt<readonly string[] | undefined> {
  return make('list', spec, {
    decode: (raw) =>
      ok(
        raw
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item !== ''),
      ),
    check: (v) =>
      Array.isArray(v) && v.every((i) => typeof i === 'string') ? undefined : 'must be a list of strings',
    format: (v) => (v as string[]).join(','),
  })
}

/** One of a fixed set of strings. */
function enumOpt<const C extends readonly string[]>(
  spec: EnumSpec<C> & { default: NoInfer<C[number]> },
): Opt<C[number]>
function enumOpt<const C extends readonly string[]>(
  spec: EnumSpec<C> & { default?: undefined },
): Opt<C[number] | undefined>
function enumOpt<const C extends readonly string[]>(
  spec: EnumSpec<C> & { default?: string },
): Opt<string | undefined> {
  if (spec.choices.length === 0) throw new Error('an enum option needs at least one choice')
  return make('enum', spec, {
    decode: (raw) => ok(raw.trim()),
    check: (v) => {
      if (spec.choices.includes(v as string)) return undefined
      const near = closest(String(v), spec.choices)
      return `must be one of: ${spec.choices.join(', ')}${near ? ` (did you mean ${near}?)` : ''}`
    },
    format: String,
  })
}

/** A TCP/UDP port number, 0-65535 unless narrowed by `min` and `max`. */
function port(spec: RangeSpec & { default: number }): Opt<number>
function port(spec: RangeSpec & { default?: undefined }): Opt<number | undefined>
function port(spec: RangeSpec & { default?: number }): Opt<number | undefined> {
  const bounds = { ...spec, min: Math.max(0, spec.min ?? 0), max: Math.min(65535, spec.max ?? 65535) }
  return make('port', bounds, intCodec(bounds))
}

/**
 * A string that may be set many times: each `key = value` line adds one value, across
 * files too (oslo's MultiStrOpt). The environment replaces the file values.
 */
function multiStr(spec: OptSpec & { default?: readonly string[] }): Opt<readonly string[]> {
  return make(
    'multi_str',
    { ...spec, default: spec.default ?? [] },
    {
      decode: (raw) => ok([raw]),
      check: (v) =>
        Array.isArray(v) && v.every((i) => typeof i === 'string') ? undefined : 'must be a list of strings',
      format: (v) => (v as string[]).join('\n'),
    },
    true,
  )
}

/**
 * Option constructors. An option declared without a `default` is optional: its value type
 * includes `undefined`.
 *
 * @example
 * opt.int({ default: 3600, min: 0, help: 'Token lifetime in seconds.' })
 */
export const opt = Object.freeze({ str, int, float, bool, list, enum: enumOpt, port, multiStr })

const SECTION_NAME = /^(DEFAULT|[a-z][a-z0-9_]*)$/
const OPTION_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/

/**
 * Sections the operator names: each item of a list option may name a section holding
 * `options`, as oslo.config groups registered at start-up from another option's value
 * (`[DEFAULT] enabled_backends = fast:file` and a `[fast]` section, in glance_store and
 * Cinder). The loader and `config check` read the option first, then the sections it names.
 */
export interface NamedSections<O extends SectionShape = SectionShape> {
  /** The list option whose items name the sections. */
  readonly namedBy: { readonly section: string; readonly option: string }
  /** The section an item names (`fast:file` → `fast`); undefined when it names none of these. */
  readonly sectionOf: (item: string) => string | undefined
  /** What such a section is, for messages: `image store`. */
  readonly kind: string
  readonly options: O
}

/** What `defineSections` accepts beside the sections. */
export interface SectionsExtras {
  /** Sections named by an option's items (see `NamedSections`). */
  named?: readonly NamedSections[]
}

const namedOf = new WeakMap<SchemaShape, readonly NamedSections[]>()

/** The operator-named sections a schema declares (its own and those of the schemas merged into it). */
export function namedSectionsOf(schema: SchemaShape): readonly NamedSections[] {
  return namedOf.get(schema) ?? []
}

/**
 * Declares one service's sections, checking their names. Returns them unchanged in type,
 * frozen.
 */
export function defineSections<const S extends SchemaShape>(sections: S, extras: SectionsExtras = {}): S {
  for (const [section, options] of Object.entries(sections)) {
    if (!SECTION_NAME.test(section)) {
      throw new Error(
        `section name "${section}" must be DEFAULT or lowercase (oslo.config lowercases group names)`,
      )
    }
    for (const name of Object.keys(options)) {
      if (!OPTION_NAME.test(name)) throw new Error(`option name "[${section}] ${name}" is not a valid name`)
    }
    Object.freeze(options)
  }
  for (const named of extras.named ?? []) {
    // NOTE: the naming option may come from another schema (the host's); the loader
    // checks it exists once the program's schemas are merged.
    const naming = sections[named.namedBy.section]?.[named.namedBy.option]
    if (naming && naming.kind !== 'list')
      throw new Error(
        `sections named by [${named.namedBy.section}] ${named.namedBy.option}: it must be a list option`,
      )
    for (const name of Object.keys(named.options)) {
      if (!OPTION_NAME.test(name))
        throw new Error(`option name "[<${named.kind}>] ${name}" is not a valid name`)
    }
  }
  indexSchema(sections)
  Object.freeze(sections)
  if (extras.named?.length) namedOf.set(sections, Object.freeze([...extras.named]))
  return sections
}

/** One item of a naming option that names a section, and the section. */
export interface SectionName {
  readonly item: string
  readonly section: string
  readonly named: NamedSections
}

/** The sections `items` (the naming option's values, by template) name, normalized as headers are. */
export function sectionNames(
  named: readonly NamedSections[],
  itemsOf: (named: NamedSections) => readonly string[],
): SectionName[] {
  const out: SectionName[] = []
  for (const n of named) {
    for (const item of itemsOf(n)) {
      const section = n.sectionOf(item)
      if (section !== undefined) out.push({ item, section: normalizeSection(section), named: n })
    }
  }
  return out
}

/**
 * The schema with each named section added. A name that is already a section, or named
 * twice, is returned in `clashes` and left out.
 */
export function withNamedSections(
  schema: SchemaShape,
  names: readonly SectionName[],
): { schema: SchemaShape; clashes: SectionName[] } {
  const extended: Record<string, SectionShape> = { ...schema }
  const clashes: SectionName[] = []
  const index = indexSchema(schema)
  for (const name of names) {
    if (name.section in extended || index.sections.has(name.section)) clashes.push(name)
    else extended[name.section] = name.named.options
  }
  return { schema: clashes.length === 0 && names.length === 0 ? schema : extended, clashes }
}

/**
 * A schema of just the options that name sections (each with its deprecated names), read
 * first to learn which sections exist.
 * @throws Error when a naming option is declared by none of the merged schemas.
 */
export function namingSchema(schema: SchemaShape, named: readonly NamedSections[]): SchemaShape {
  const out: Record<string, Record<string, Opt<unknown>>> = {}
  for (const { namedBy } of named) {
    const option = schema[namedBy.section]?.[namedBy.option]
    if (!option)
      throw new Error(
        `sections are named by [${namedBy.section}] ${namedBy.option}, which no schema declares`,
      )
    out[namedBy.section] = { ...out[namedBy.section], [namedBy.option]: option }
  }
  return out
}

/** The values of one operator-named section of a loaded configuration (defaults when absent). */
export function namedSection<O extends SectionShape>(
  config: object,
  named: NamedSections<O>,
  name: string,
): { readonly [K in keyof O]: O[K]['default'] } {
  const loaded = (config as Record<string, unknown>)[normalizeSection(name)]
  if (loaded) return loaded as { readonly [K in keyof O]: O[K]['default'] }
  return Object.fromEntries(Object.entries(named.options).map(([k, o]) => [k, o.default])) as {
    readonly [K in keyof O]: O[K]['default']
  }
}

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void
  ? I
  : never

/** The schema `mergeSchemas` returns: every section of every input, options merged. */
export type MergedSchema<T extends readonly SchemaShape[]> = {
  readonly [Sec in keyof UnionToIntersection<T[number]>]: UnionToIntersection<T[number]>[Sec]
}

/**
 * Composes service schemas into the program's schema. Two schemas may contribute to the
 * same section; an option declared twice (same section and name) is an error.
 */
export function mergeSchemas<const T extends readonly [SchemaShape, ...SchemaShape[]]>(
  ...schemas: T
): MergedSchema<T> {
  const merged: Record<string, Record<string, Opt<unknown>>> = {}
  const named = schemas.flatMap((schema) => namedSectionsOf(schema))
  for (const schema of schemas) {
    for (const [section, options] of Object.entries(schema)) {
      const target = merged[section] ?? {}
      merged[section] = target
      for (const [name, option] of Object.entries(options)) {
        const earlier = target[name]
        target[name] = earlier ? sharedOption(section, name, earlier, option) : option
      }
    }
  }
  return defineSections(merged, { named }) as MergedSchema<T>
}

/**
 * One option two schemas declare: allowed when both say `shared` and agree on kind,
 * default and deprecations; its help is both helps.
 */
function sharedOption(section: string, name: string, a: Opt<unknown>, b: Opt<unknown>): Opt<unknown> {
  const same =
    a.shared &&
    b.shared &&
    a.kind === b.kind &&
    a.secret === b.secret &&
    JSON.stringify(a.default) === JSON.stringify(b.default) &&
    JSON.stringify(a.deprecatedNames) === JSON.stringify(b.deprecatedNames)
  if (!same) throw new Error(`option [${section}] ${name} is declared twice`)
  return a.help === b.help ? a : Object.freeze({ ...a, help: `${a.help} ${b.help}` })
}

/** An option and where it lives. */
export interface OptRef {
  readonly section: string
  readonly name: string
  readonly opt: Opt<unknown>
}

/** What a `[section] key` in a file means: an option, possibly through a deprecated name. */
export interface Resolved {
  readonly ref: OptRef
  readonly deprecated: boolean
}

/** A schema's lookup tables, shared by the loader, the checker and the sample writer. */
export interface SchemaIndex {
  readonly options: readonly OptRef[]
  /** Every section a file may mention: the schema's, and those of deprecated names. */
  readonly sections: ReadonlySet<string>
  resolve(section: string, key: string): Resolved | undefined
}

const indexes = new WeakMap<SchemaShape, SchemaIndex>()

/** Builds (once per schema) the lookup tables; throws if a deprecated name shadows another option. */
export function indexSchema(schema: SchemaShape): SchemaIndex {
  const cached = indexes.get(schema)
  if (cached) return cached
  const options: OptRef[] = []
  const names = new Map<string, Resolved>()
  const keyOf = (section: string, name: string) => `${section}\u0000${name}`
  for (const [section, opts] of Object.entries(schema)) {
    for (const [name, option] of Object.entries(opts)) {
      const ref = { section, name, opt: option }
      options.push(ref)
      names.set(keyOf(section, name), { ref, deprecated: false })
    }
  }
  for (const ref of options) {
    for (const old of ref.opt.deprecatedNames) {
      const section = normalizeSection(old.section ?? ref.section)
      const name = old.name ?? ref.name
      const clash = names.get(keyOf(section, name))
      if (clash) {
        throw new Error(
          `deprecated name [${section}] ${name} of [${ref.section}] ${ref.name} is already [${clash.ref.section}] ${clash.ref.name}`,
        )
      }
      names.set(keyOf(section, name), { ref, deprecated: true })
    }
  }
  const sections = new Set([...names.keys()].map((k) => k.split('\u0000')[0]!))
  const index: SchemaIndex = {
    options,
    sections,
    resolve: (section, key) => names.get(keyOf(section, key)),
  }
  indexes.set(schema, index)
  return index
}
