/**
 * The INI dialect oslo.config reads: `[section]` headers, `key = value` or `key: value`
 * split at the first `=` or `:`, `#`/`;` comment lines, indented continuation lines, and
 * one pair of matching quotes stripped. Parsing never throws; problems come back with
 * their line numbers so a caller can report every one of them at once.
 */

/** One `key = value` assignment, in file order; repeated keys stay separate entries. */
export interface IniEntry {
  section: string
  key: string
  value: string
  line: number
}

/** A parsed file: every section header, every assignment, and every line it could not read. */
export interface IniDocument {
  sections: Array<{ name: string; line: number }>
  entries: IniEntry[]
  errors: Array<{ line: number; message: string }>
}

/**
 * oslo.config spells the default group `[DEFAULT]` and lowercases every other group name,
 * so `[Database]` and `[database]` are the same section.
 */
export function normalizeSection(name: string): string {
  return name === 'DEFAULT' ? name : name.toLowerCase()
}

/** Parses INI text. Multi-line values are joined with `\n`. */
export function parseIni(text: string): IniDocument {
  const doc: IniDocument = { sections: [], entries: [], errors: [] }
  // undefined: no header yet; null: under a broken header, whose entries are skipped.
  let section: string | null | undefined
  let pending: { entry: IniEntry; parts: string[] } | undefined
  const flush = () => {
    // NOTE: `key =` followed by indented lines starts the value on the next line; the
    // empty first part is dropped so the value does not begin with a newline.
    if (pending) pending.entry.value = pending.parts.filter((p, i) => i > 0 || p !== '').join('\n')
    pending = undefined
  }
  const error = (line: number, message: string) => doc.errors.push({ line, message })
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  for (const [i, raw] of lines.entries()) {
    const line = raw.trimEnd()
    const lineNo = i + 1
    if (line === '') {
      flush()
    } else if (/^[ \t]/.test(line)) {
      // NOTE: as in oslo.config, an indented line continues the previous value, even if it
      // looks like a comment. With no value open, an indented comment is harmless.
      if (pending) pending.parts.push(line.trim())
      else if (!/^[#;]/.test(line.trim())) error(lineNo, 'unexpected continuation line')
    } else if (line.startsWith('#') || line.startsWith(';')) {
      flush()
    } else if (line.startsWith('[')) {
      flush()
      const name = line.endsWith(']') ? line.slice(1, -1).trim() : ''
      section = name === '' ? null : normalizeSection(name)
      if (section === null) error(lineNo, `invalid section header: ${line}`)
      else doc.sections.push({ name: section, line: lineNo })
    } else {
      flush()
      const at = line.search(/[=:]/)
      const key = at < 0 ? '' : line.slice(0, at).trim()
      if (key === '') error(lineNo, 'expected "key = value"')
      else if (section === undefined) error(lineNo, `"${key}" is set before any [section] header`)
      else if (section !== null) {
        let value = line.slice(at + 1).trim()
        if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) {
          value = value.slice(1, -1)
        }
        const entry: IniEntry = { section, key, value, line: lineNo }
        doc.entries.push(entry)
        pending = { entry, parts: [value] }
      }
    }
  }
  flush()
  return doc
}
