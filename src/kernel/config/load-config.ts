/**
 * Loading: defaults, then each file in order, then `OS_<SECTION>__<OPTION>` environment
 * variables, validated once into one deeply frozen, typed object. Every invalid value is
 * reported in a single `ConfigError`.
 */
import { ConfigError, type ConfigProblem, formatProblem } from './config-error.js'
import {
  deprecatedForRemoval,
  deprecatedName,
  readConfigFile,
  sectionClash,
  unknownNames,
  validateValue,
} from './diagnostics.js'
import {
  type ConfigOf,
  indexSchema,
  namedSectionsOf,
  namingSchema,
  type OptRef,
  type SchemaShape,
  sectionNames,
  withNamedSections,
} from './schema.js'

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
  /**
   * Also warn (through `onWarning`) of unknown options in known sections and of unknown
   * sections close to a known one, as start-up names misspellings. @default false
   */
  warnUnknown?: boolean
}

/** The environment variable that sets an option, e.g. `OS_DATABASE__CONNECTION` (oslo.config's scheme). */
export function envName(section: string, option: string): string {
  return `OS_${section}__${option}`.toUpperCase().replaceAll('-', '_')
}

/** One value and where it was set, under the name it was set with. */
interface Setting {
  /** Absent when the raw value was invalid; the error is already recorded. */
  value?: unknown
  hasValue: boolean
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
 * carry other programs' options. `checkConfig` reports them, and `warnUnknown` names
 * them as warnings. Files are read and validated by `readConfigFile`, the checker's own
 * path, so every line `config check` calls an error is an error here too.
 *
 * Operator-named sections (`NamedSections`) are read after the option naming them: the
 * loaded configuration holds one more section per name (`namedSection` reads it).
 *
 * @throws ConfigError listing every unreadable file, syntax error and invalid value.
 */
export function loadConfig<S extends SchemaShape>(
  schema: S,
  options: LoadOptions = {},
): Readonly<ConfigOf<S>> {
  const { schema: full, clashes } = withNamedSectionsLoaded(schema, options)
  return loadSchema(full, options, clashes.map(sectionClash)) as Readonly<ConfigOf<S>>
}

/** The schema with the sections its naming options name, as the files and environment set them. */
function withNamedSectionsLoaded(schema: SchemaShape, options: LoadOptions) {
  const named = namedSectionsOf(schema)
  if (named.length === 0) return { schema, clashes: [] }
  let naming: Record<string, Record<string, unknown>> = {}
  try {
    naming = loadSchema(
      namingSchema(schema, named),
      { ...options, onWarning: () => {}, warnUnknown: false },
      [],
    )
  } catch (err) {
    // NOTE: the full load below reports the same problems, with everything else wrong.
    if (!(err instanceof ConfigError)) throw err
  }
  const itemsOf = (n: (typeof named)[number]) =>
    (naming[n.namedBy.section]?.[n.namedBy.option] as readonly string[] | undefined) ?? []
  return withNamedSections(schema, sectionNames(named, itemsOf))
}

function loadSchema(
  schema: SchemaShape,
  options: LoadOptions,
  earlier: ConfigProblem[],
): Record<string, Record<string, unknown>> {
  const index = indexSchema(schema)
  const problems: ConfigProblem[] = [...earlier]
  const warnings: ConfigProblem[] = []
  const settings = new Map<OptRef, Setting[]>()

  const files = options.files ?? []
  for (const file of files) {
    const read = readConfigFile(file, index)
    problems.push(...read.problems)
    if (options.warnUnknown && read.doc)
      warnings.push(...unknownNames(read.doc, index, file, { allSections: false }))
    const inFile = new Map<OptRef, Setting[]>()
    for (const s of read.settings) {
      const { section, key, line } = s.entry
      const list = inFile.get(s.ref) ?? []
      list.push({
        value: s.value,
        hasValue: 'value' in s,
        file,
        line,
        section,
        key,
        deprecated: s.deprecated,
      })
      inFile.set(s.ref, list)
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
    if (raw === undefined) continue
    const at = { file: `env:${name}`, line: 0, section: ref.section, option: ref.name }
    const checked = validateValue(ref, raw, at)
    if (checked.problem) problems.push(checked.problem)
    settings.set(ref, [
      {
        value: checked.problem ? undefined : checked.value,
        hasValue: !checked.problem,
        file: at.file,
        line: 0,
        section: ref.section,
        key: ref.name,
        deprecated: false,
      },
    ])
  }

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
      if (s.hasValue) values.push(s.value)
      if (s.deprecated) {
        const at = { file: s.file, line: s.line, section: s.section, option: s.key }
        warnings.push({ severity: 'warning', ...at, message: deprecatedName(ref) })
      }
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
  return deepFreeze(config)
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}
