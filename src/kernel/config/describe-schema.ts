/**
 * Printouts of a schema and of a loaded configuration: the annotated sample file that
 * documents every option, and a one-line-per-option dump for boot logs. Secrets are
 * masked in both.
 */
import { envName } from './load-config.js'
import {
  type ConfigOf,
  indexSchema,
  namedSectionsOf,
  type OptKind,
  type OptRef,
  type SchemaShape,
} from './schema.js'

const TYPE_LABEL: Readonly<Record<OptKind, string>> = {
  str: 'string value',
  int: 'integer value',
  float: 'floating point value',
  bool: 'boolean value',
  list: 'list value',
  enum: 'string value',
  port: 'port value',
  multi_str: 'multi valued',
}

const MASK = '****'

/**
 * A sample configuration file: every section, every option commented out at its default,
 * above it its help, type, bounds or choices, environment variable and deprecations.
 * Sections come `[DEFAULT]` first, then alphabetically, as oslo-config-generator orders them.
 */
export function describeSchema(schema: SchemaShape): string {
  const { options } = indexSchema(schema)
  const sections = Object.keys(schema).sort((a, b) =>
    a === 'DEFAULT' ? -1 : b === 'DEFAULT' ? 1 : a.localeCompare(b),
  )
  const out: string[] = []
  for (const section of sections) {
    out.push(`[${section}]`, '')
    for (const ref of options.filter((o) => o.section === section)) out.push(...describeOption(ref), '')
  }
  for (const named of namedSectionsOf(schema)) {
    const { section, option } = named.namedBy
    out.push(`# [<${named.kind}>]: one such section for each ${named.kind} [${section}] ${option} names`, '')
    for (const [name, opt] of Object.entries(named.options))
      out.push(
        ...describeOption({ section: `<${named.kind}>`, name, opt }, `OS_<ID>__${name.toUpperCase()}`),
        '',
      )
  }
  return `${out.join('\n').trimEnd()}\n`
}

function describeOption(ref: OptRef, env = envName(ref.section, ref.name)): string[] {
  const { opt } = ref
  const notes = [`${opt.help.trim()} (${TYPE_LABEL[opt.kind]}${opt.secret ? ', secret' : ''})`]
  // NOTE: a port's implicit 0-65535 bounds are what "port value" already says.
  const isPort = opt.kind === 'port'
  if (opt.min !== undefined && !(isPort && opt.min === 0)) notes.push(`Minimum value: ${opt.min}`)
  if (opt.max !== undefined && !(isPort && opt.max === 65535)) notes.push(`Maximum value: ${opt.max}`)
  if (opt.choices) notes.push(`Allowed values: ${opt.choices.join(', ')}`)
  notes.push(`Environment variable: ${env}`)
  for (const old of opt.deprecatedNames) {
    notes.push(`Deprecated name: [${old.section ?? ref.section}] ${old.name ?? ref.name}`)
  }
  if (opt.deprecatedForRemoval) {
    notes.push('Deprecated for removal; its value may be ignored in a future release.')
    if (opt.deprecatedReason) notes.push(`Reason: ${opt.deprecatedReason}`)
  }
  const lines = notes.flatMap((note) => wrap(note, 77).map((l) => `# ${l}`.trimEnd()))
  const value = opt.default
  if (value === undefined) lines.push(`#${ref.name} = <None>`)
  else if (opt.multi && (value as readonly string[]).length === 0) lines.push(`#${ref.name} =`)
  else if (opt.multi)
    for (const v of value as readonly string[]) lines.push(`#${ref.name} = ${opt.secret ? MASK : v}`)
  else
    lines.push(
      `#${ref.name} = ${opt.secret && opt.format(value) !== '' ? MASK : opt.format(value)}`.trimEnd(),
    )
  return lines
}

/** Splits text into lines of at most `width` characters, at spaces; keeps explicit newlines. */
function wrap(text: string, width: number): string[] {
  return text.split('\n').flatMap((paragraph) => {
    const lines: string[] = []
    let line = ''
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line !== '' && line.length + 1 + word.length > width) {
        lines.push(line)
        line = word
      } else line = line === '' ? word : `${line} ${word}`
    }
    return [...lines, line]
  })
}

/**
 * The effective configuration, one `[section] option = value` line per option, for a boot
 * log. Secrets show as `****`; unset optional options as `<None>`.
 */
export function formatConfig<S extends SchemaShape>(schema: S, config: Readonly<ConfigOf<S>>): string {
  const values = config as Readonly<Record<string, Readonly<Record<string, unknown>>>>
  return indexSchema(schema)
    .options.map(({ section, name, opt }) => {
      const value = values[section]?.[name]
      const text =
        value === undefined
          ? '<None>'
          : opt.secret
            ? MASK
            : opt.multi
              ? JSON.stringify(value)
              : opt.format(value)
      return `[${section}] ${name} = ${text}`
    })
    .join('\n')
}
