/**
 * `config check`: a lint of configuration files against a schema, before an upgrade or a
 * restart. Its errors come from `readConfigFile`, the loader's own path, so it refuses
 * exactly what the loader refuses; on top it reports what the loader silently ignores:
 * unknown sections and options (with a did-you-mean), deprecated names, options
 * deprecated for removal, repeated options. Files are checked one by one, not layered.
 */
import type { ConfigProblem } from './config-error.js'
import {
  deprecatedForRemoval,
  deprecatedName,
  readConfigFile,
  sectionClash,
  unknownNames,
} from './diagnostics.js'
import type { IniEntry } from './parse-ini.js'
import {
  indexSchema,
  namedSectionsOf,
  namingSchema,
  type OptRef,
  type SchemaIndex,
  type SchemaShape,
  sectionNames,
  withNamedSections,
} from './schema.js'

/** What `checkConfig` found; any `error` means `loadConfig` would refuse these files. */
export interface CheckResult {
  problems: ConfigProblem[]
}

/** Checks each file against `schema`; files are checked one by one, not layered. */
export function checkConfig(schema: SchemaShape, files: readonly string[]): CheckResult {
  const { schema: full, clashes } = withNamedSectionsIn(schema, files)
  const index = indexSchema(full)
  const problems: ConfigProblem[] = clashes.map(sectionClash)
  for (const file of files) {
    const first = problems.length
    checkFile(index, file, problems)
    // Line order within a file; a line's own findings keep the order they were made in.
    problems.splice(first, Infinity, ...problems.slice(first).sort((a, b) => a.line - b.line))
  }
  return { problems }
}

/** Appends what one file's lines say to `problems`. */
function checkFile(index: SchemaIndex, file: string, problems: ConfigProblem[]): void {
  const { doc, settings, problems: errors } = readConfigFile(file, index)
  problems.push(...errors)
  if (!doc) return
  const report = (severity: ConfigProblem['severity'], e: IniEntry, message: string) =>
    problems.push({ severity, file, line: e.line, section: e.section, option: e.key, message })

  problems.push(...unknownNames(doc, index, file, { allSections: true }))

  const byOption = new Map<OptRef, IniEntry[]>()
  for (const { entry, ref, deprecated } of settings) {
    if (deprecated) report('warning', entry, deprecatedName(ref))
    if (ref.opt.deprecatedForRemoval) report('warning', entry, deprecatedForRemoval(ref))
    byOption.set(ref, [...(byOption.get(ref) ?? []), entry])
  }

  for (const [ref, entries] of byOption) {
    if (ref.opt.multi || entries.length < 2) continue
    // The loader keeps the last line under the current name, or failing that the last
    // line under a deprecated one; every other line is dead weight.
    const current = entries.filter((e) => e.section === ref.section && e.key === ref.name)
    const winner = (current.length > 0 ? current : entries).at(-1)!
    for (const e of entries) {
      if (e !== winner) report('warning', e, `ignored: also set on line ${winner.line}, which wins`)
    }
  }
}

/**
 * The schema with the sections any of the files names through a naming option (the items
 * of every file together: files are checked one by one, but a store's section may sit in
 * another file than the list naming it).
 */
function withNamedSectionsIn(schema: SchemaShape, files: readonly string[]) {
  const named = namedSectionsOf(schema)
  if (named.length === 0) return { schema, clashes: [] }
  const naming = indexSchema(namingSchema(schema, named))
  const items = new Map<OptRef, string[]>()
  for (const file of files) {
    for (const s of readConfigFile(file, naming).settings) {
      if (Array.isArray(s.value)) items.set(s.ref, [...(items.get(s.ref) ?? []), ...(s.value as string[])])
    }
  }
  const itemsOf = (n: (typeof named)[number]) =>
    [...items].find(([ref]) => ref.section === n.namedBy.section && ref.name === n.namedBy.option)?.[1] ?? []
  return withNamedSections(schema, dedupe(sectionNames(named, itemsOf)))
}

/** The same item in two files names its section once. */
function dedupe<T extends { section: string; named: unknown }>(names: T[]): T[] {
  return names.filter((n, i) => names.findIndex((m) => m.section === n.section && m.named === n.named) === i)
}
