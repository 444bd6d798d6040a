/**
 * `config check`: a lint of configuration files against a schema, before an upgrade or a
 * restart. Its errors come from `readConfigFile`, the loader's own path, so it refuses
 * exactly what the loader refuses; on top it reports what the loader silently ignores:
 * unknown sections and options (with a did-you-mean), deprecated names, options
 * deprecated for removal, repeated options. Files are checked one by one, not layered.
 */
import type { ConfigProblem } from './config-error.js'
import { deprecatedForRemoval, deprecatedName, readConfigFile } from './diagnostics.js'
import type { IniEntry } from './parse-ini.js'
import { indexSchema, type OptRef, type SchemaIndex, type SchemaShape } from './schema.js'
import { closest, editDistance } from './suggest.js'

/** What `checkConfig` found; any `error` means `loadConfig` would refuse these files. */
export interface CheckResult {
  problems: ConfigProblem[]
}

/** Checks each file against `schema`; files are checked one by one, not layered. */
export function checkConfig(schema: SchemaShape, files: readonly string[]): CheckResult {
  const index = indexSchema(schema)
  const problems: ConfigProblem[] = []
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

  for (const { name, line } of doc.sections) {
    if (index.sections.has(name)) continue
    const near = closest(name, index.sections)
    const message = `unknown section${near ? `; did you mean [${near}]?` : ''}`
    problems.push({ severity: 'warning', file, line, section: name, option: '', message })
  }

  for (const entry of doc.entries) {
    // NOTE: an unknown section was reported once at its header; its options are not ours.
    if (!index.sections.has(entry.section) || index.resolve(entry.section, entry.key)) continue
    const near = suggestOption(index, entry.section, entry.key)
    report('warning', entry, `unknown option${near ? `; did you mean [${near.section}] ${near.name}?` : ''}`)
  }

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
 * The option an unknown `[section] key` most likely meant: a close name in the same
 * section, else the same name in another section, else a close name anywhere.
 */
function suggestOption(index: SchemaIndex, section: string, key: string): OptRef | undefined {
  const here = index.options.filter((o) => o.section === section)
  const elsewhere = index.options.filter((o) => o.section !== section)
  const near = (refs: OptRef[], limit = Number.POSITIVE_INFINITY) => {
    const name = closest(
      key,
      refs.map((o) => o.name),
    )
    return name === undefined
      ? undefined
      : refs.find((o) => o.name === name && editDistance(key, name) <= limit)
  }
  return near(here, 1) ?? elsewhere.find((o) => o.name === key) ?? near(here) ?? near(elsewhere)
}
