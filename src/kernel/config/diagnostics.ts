/**
 * The one path by which the loader and `config check` read a file: parse it, resolve
 * every `[section] key` against the schema, and decode and validate every value. Both
 * callers get the same problems from here, worded the same way, so a file `config check`
 * passes is a file the loader accepts, and the other way round.
 */
import { readFileSync } from 'node:fs'
import type { ConfigProblem } from './config-error.js'
import { type IniDocument, type IniEntry, parseIni } from './parse-ini.js'
import type { Opt, OptRef, SchemaIndex, SectionName } from './schema.js'
import { closest, editDistance } from './suggest.js'

/** One line of a file that names a known option, with its decoded value. */
export interface ReadSetting {
  entry: IniEntry
  ref: OptRef
  /** Set under a deprecated name. */
  deprecated: boolean
  /** The typed value; absent when the raw value is invalid (an error problem says why). */
  value?: unknown
}

/** What one file holds for a schema, and every error in it. */
export interface ReadFile {
  /** Absent when the file could not be read. */
  doc?: IniDocument
  /** Every line naming a known option, in file order. */
  settings: ReadSetting[]
  /** Unreadable file, syntax errors, invalid values: all `error` severity. */
  problems: ConfigProblem[]
}

/**
 * Reads one file against a schema: every line is validated, including lines a later line
 * overrides, because an operator who writes a bad value has made a mistake whichever
 * line wins.
 */
export function readConfigFile(file: string, index: SchemaIndex): ReadFile {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const message =
      code === 'ENOENT'
        ? 'file not found'
        : code === 'EISDIR'
          ? 'is a directory, not a file'
          : `cannot read file: ${(err as Error).message}`
    return {
      settings: [],
      problems: [{ severity: 'error', file, line: 0, section: '', option: '', message }],
    }
  }
  const doc = parseIni(text)
  const problems = doc.errors.map(
    (e): ConfigProblem => ({
      severity: 'error',
      file,
      line: e.line,
      section: '',
      option: '',
      message: e.message,
    }),
  )
  const settings: ReadSetting[] = []
  for (const entry of doc.entries) {
    const resolved = index.resolve(entry.section, entry.key)
    if (!resolved) continue
    const { ref, deprecated } = resolved
    const checked = validateValue(ref, entry.value, {
      file,
      line: entry.line,
      section: entry.section,
      option: entry.key,
    })
    if (checked.problem) problems.push(checked.problem)
    settings.push({ entry, ref, deprecated, ...('value' in checked ? { value: checked.value } : {}) })
  }
  return { doc, settings, problems }
}

/** Where a raw value was set, as a problem reports it. */
export type Place = Pick<ConfigProblem, 'file' | 'line' | 'section' | 'option'>

/** Decodes one raw value for an option: a value, or an error problem at `at`. */
export function validateValue(
  ref: OptRef,
  raw: string,
  at: Place,
): { value: unknown; problem?: undefined } | { problem: ConfigProblem } {
  const parsed = ref.opt.parse(raw)
  if (parsed.ok) return { value: parsed.value }
  return { problem: { severity: 'error', ...at, message: invalidValue(ref.opt, raw, parsed.reason) } }
}

/** The raw value as it may be shown: secrets never appear in a message. */
export function shown(opt: Opt<unknown>, raw: string): string {
  return opt.secret ? '(secret value)' : JSON.stringify(raw)
}

export function invalidValue(opt: Opt<unknown>, raw: string, reason: string): string {
  return `invalid value ${shown(opt, raw)}: ${reason}`
}

export function deprecatedName(ref: OptRef): string {
  return `deprecated name; use [${ref.section}] ${ref.name} instead`
}

export function deprecatedForRemoval(ref: OptRef): string {
  const reason = ref.opt.deprecatedReason ? ` (${ref.opt.deprecatedReason})` : ''
  return `deprecated for removal${reason}; its value may be ignored in a future release`
}

/**
 * What a file names that the schema does not know: options of known sections (with a
 * did-you-mean), and sections. `config check` reports every unknown section; start-up
 * (`allSections: false`) only those close to a known one, since one file may carry
 * other programs' sections (oslo_messaging_rabbit, ...) on purpose.
 */
export function unknownNames(
  doc: IniDocument,
  index: SchemaIndex,
  file: string,
  options: { allSections: boolean },
): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  for (const { name, line } of doc.sections) {
    if (index.sections.has(name)) continue
    const near = closest(name, index.sections)
    if (!near && !options.allSections) continue
    const message = `unknown section${near ? `; did you mean [${near}]?` : ''}`
    problems.push({ severity: 'warning', file, line, section: name, option: '', message })
  }
  for (const e of doc.entries) {
    // NOTE: an unknown section was reported once at its header; its options are not ours.
    if (!index.sections.has(e.section) || index.resolve(e.section, e.key)) continue
    const near = suggestOption(index, e.section, e.key)
    const message = `unknown option${near ? `; did you mean [${near.section}] ${near.name}?` : ''}`
    problems.push({ severity: 'warning', file, line: e.line, section: e.section, option: e.key, message })
  }
  return problems.sort((a, b) => a.line - b.line)
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

/** An item of a naming option whose section is already taken: an error, since its options would mix. */
export function sectionClash(name: SectionName): ConfigProblem {
  const { namedBy, kind } = name.named
  return {
    severity: 'error',
    file: '(configuration)',
    line: 0,
    section: namedBy.section,
    option: namedBy.option,
    message: `"${name.item}" names the ${kind} section [${name.section}], which is already a section of this program (or named twice); choose another name`,
  }
}
