/**
 * Loading: defaults, then each file in order, then `OS_<SECTION>__<OPTION>` environment
 * variables, validated once into one deeply frozen, typed object. Every invalid value is
 * reported in a single `ConfigError`.
 */
import { ConfigError, type ConfigProblem, formatProblem } from './config-error.js'
import { deprecatedForRemoval, deprecatedName, invalidValue, readConfigFile } from './diagnostics.js'
import { type ConfigOf, indexSchema, type OptRef, type SchemaShape } from './schema.js'

export interface LoadOptions {
  /** Files read in order; a later file overrides an earlier one. @default [] */
  files?: readonly string[]
  /**
   * Where `OS_<SECTION>__<OPTION>` variables are read from; pass `process.env` to honour
   * the real environment. @default {}
   */
  env?: Readonly<Record<string, string | undefined>>
  /** Receives each deprecation warning. @default `process.emitWarning` as a DeprecationWarning */
  onWarning?: (warning: ConfigProblem) => void
}

/** The environment variable that sets an option, e.g. `OS_DATABASE__CONNECTION` (oslo.config's scheme). */
export function envName(section: string, option: string): string {
  return `OS_${section}__${option}`.toUpperCase().replaceAll('-', '_')
}

/** One raw value and where it was set, under the name it was set with. */
interface Setting {
  raw: string
  file: string
  line: number
  section: string
  key: string
  deprecated: boolean
}

/**
 * Loads and validates the configuration for `schema`.
 *
 * Unknown sections and options are ignored, as oslo.config ignores them: the same files
 * carry other services' options. `checkConfig` reports them.
 *
 * @throws ConfigError listing every unreadable file, syntax error and invalid value.
 */
export function loadConfig<S extends SchemaShape>(
  schema: S,
  options: LoadOptions = {},
): Readonly<ConfigOf<S>> {
  const index = indexSchema(schema)
  const problems: ConfigProblem[] = []
  const settings = new Map<OptRef, Setting[]>()

  const files = options.files ?? []
  for (const file of files) {
    const { doc, problems: fileProblems } = readConfigFile(file)
    problems.push(...fileProblems)
    const inFile = new Map<OptRef, Setting[]>()
    for (const entry of doc?.entries ?? []) {
      const resolved = index.resolve(entry.section, entry.key)
      if (!resolved) continue
      const { section, key, value: raw, line } = entry
      const list = inFile.get(resolved.ref) ?? []
      list.push({ raw, file, line, section, key, deprecated: resolved.deprecated })
      inFile.set(resolved.ref, list)
    }
    for (const [ref, list] of inFile) {
      if (ref.opt.multi) {
        settings.set(ref, [...(settings.get(ref) ?? []), ...list])
        continue
      }
      // NOTE: within one file the current name beats a deprecated one, whatever the order
      // (as oslo.config looks names up); among equals the last line wins.
      const current = list.filter((s) => !s.deprecated)
      settings.set(ref, [(current.length > 0 ? current : list).at(-1)!])
    }
  }

  // NOTE: the environment beats every file, as in oslo.config; only current names are read.
  for (const ref of index.options) {
    const name = envName(ref.section, ref.name)
    const raw = options.env?.[name]
    if (raw !== undefined) {
      settings.set(ref, [
        { raw, file: `env:${name}`, line: 0, section: ref.section, key: ref.name, deprecated: false },
      ])
    }
  }

  const warnings: ConfigProblem[] = []
  const config: Record<string, Record<string, unknown>> = Object.fromEntries(
    Object.keys(schema).map((k) => [k, {}]),
  )
  for (const ref of index.options) {
    const section = config[ref.section]!
    const set = settings.get(ref)
    if (!set) {
      section[ref.name] = ref.opt.default
      continue
    }
    const values: unknown[] = []
    for (const s of set) {
      const at = { file: s.file, line: s.line, section: s.section, option: s.key }
      const parsed = ref.opt.parse(s.raw)
      if (parsed.ok) values.push(parsed.value)
      else problems.push({ severity: 'error', ...at, message: invalidValue(ref.opt, s.raw, parsed.reason) })
      if (s.deprecated) warnings.push({ severity: 'warning', ...at, message: deprecatedName(ref) })
    }
    if (ref.opt.deprecatedForRemoval) {
      const { file, line, section, key: option } = set[0]!
      warnings.push({ severity: 'warning', file, line, section, option, message: deprecatedForRemoval(ref) })
    }
    section[ref.name] = ref.opt.multi ? values.flat() : values[0]
  }

  if (problems.length > 0) {
    // Report in reading order: files as given, then the environment; lines ascending.
    const rank = (p: ConfigProblem) => {
      const i = files.indexOf(p.file)
      return i < 0 ? files.length : i
    }
    throw new ConfigError(problems.sort((a, b) => rank(a) - rank(b) || a.line - b.line))
  }
  const warn = options.onWarning ?? ((w) => process.emitWarning(formatProblem(w), 'DeprecationWarning'))
  for (const w of warnings) warn(w)
  return deepFreeze(config) as Readonly<ConfigOf<S>>
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}
