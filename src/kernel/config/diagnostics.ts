/**
 * The one path by which the loader and `config check` read a file: parse it, resolve
 * every `[section] key` against the schema, and decode and validate every value. Both
 * callers get the same problems from here, worded the same way, so a file `config check`
 * passes is a file the loader accepts, and the other way round.
 */
import { readFileSync } from 'node:fs'
import type { ConfigProblem } from './config-error.js'
import { type IniDocument, type IniEntry, parseIni } from './parse-ini.js'
import type { Opt, OptRef, SchemaIndex } from './schema.js'

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
