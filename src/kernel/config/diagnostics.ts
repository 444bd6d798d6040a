/**
 * What the loader and the checker share: reading a file into problems, and the wording of
 * each finding, so `loadConfig` and `config check` say the same thing the same way.
 */
import { readFileSync } from 'node:fs'
import type { ConfigProblem } from './config-error.js'
import { type IniDocument, parseIni } from './parse-ini.js'
import type { Opt, OptRef } from './schema.js'

/** Reads and parses one file; a missing file or a syntax error becomes an error problem. */
export function readConfigFile(file: string): { doc?: IniDocument; problems: ConfigProblem[] } {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const message = code === 'ENOENT' ? 'file not found' : `cannot read file: ${(err as Error).message}`
    return { problems: [{ severity: 'error', file, line: 0, section: '', option: '', message }] }
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
  return { doc, problems }
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
