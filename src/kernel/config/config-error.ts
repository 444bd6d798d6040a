/**
 * Problems found in configuration, how they read to an operator, and the error the loader
 * throws with all of them at once.
 */

/** One finding about one place in a configuration file (or the environment). */
export interface ConfigProblem {
  severity: 'error' | 'warning'
  /** A file path, or `env:OS_<SECTION>__<OPTION>` for an environment variable. */
  file: string
  /** 1-based; 0 when the problem has no line (a missing file, an environment variable). */
  line: number
  /** `''` when the problem is not inside a section (a syntax error, a missing file). */
  section: string
  /** `''` when the problem is about a whole section or line. */
  option: string
  message: string
}

/** One problem on one line: `file:line: severity: [section] option: message`. */
export function formatProblem(p: ConfigProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}` : p.file
  const what = p.section === '' ? '' : p.option === '' ? `[${p.section}]: ` : `[${p.section}] ${p.option}: `
  return `${where}: ${p.severity}: ${what}${p.message}`
}

/** A report for humans: problems sorted by file and line, then a count. */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  if (problems.length === 0) return 'No problems found.'
  const sorted = [...problems].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line)
  const errors = problems.filter((p) => p.severity === 'error').length
  const warnings = problems.length - errors
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`
  return [...sorted.map(formatProblem), `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`].join(
    '\n',
  )
}

/** Thrown by `loadConfig` when the configuration cannot be used; `problems` lists every reason. */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[]

  constructor(problems: readonly ConfigProblem[]) {
    const n = problems.length
    super(
      `Invalid configuration (${n} problem${n === 1 ? '' : 's'}):\n${problems.map(formatProblem).join('\n')}`,
    )
    this.name = 'ConfigError'
    this.problems = Object.freeze([...problems])
  }
}
