import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseIni } from './parse-ini.js'

const pairs = (text: string) => parseIni(text).entries.map((e) => [e.section, e.key, e.value])

describe('parseIni', () => {
  it('reads sections, both separators, and trims around keys and values', () => {
    const text = '[DEFAULT]\ndebug = true\n  \n[database]\nconnection:   sqlite://   \nmax_retries=3\n'
    assert.deepEqual(pairs(text), [
      ['DEFAULT', 'debug', 'true'],
      ['database', 'connection', 'sqlite://'],
      ['database', 'max_retries', '3'],
    ])
  })

  it('splits at the first = or :, so URLs keep their colons and equals signs', () => {
    const url = 'mysql+pymysql://u:p@host:3306/db?charset=utf8&x=y'
    assert.deepEqual(pairs(`[database]\nconnection = ${url}\nurl: ${url}`), [
      ['database', 'connection', url],
      ['database', 'url', url],
    ])
  })

  it('skips # and ; comment lines and blank lines', () => {
    const text = '# header\n; another\n[DEFAULT]\n#debug = true\n;debug = true\n\nmy_ip = 10.0.0.1\n'
    assert.deepEqual(pairs(text), [['DEFAULT', 'my_ip', '10.0.0.1']])
  })

  it('keeps # inside a value (no inline comments, as oslo.config)', () => {
    assert.deepEqual(pairs('[DEFAULT]\npassword = se#cret ;x'), [['DEFAULT', 'password', 'se#cret ;x']])
  })

  it('joins indented continuation lines with newlines', () => {
    const text = '[api]\nenabled_apis = identity,\n    compute,\n\tplacement\nworkers = 2\n'
    assert.deepEqual(pairs(text), [
      ['api', 'enabled_apis', 'identity,\ncompute,\nplacement'],
      ['api', 'workers', '2'],
    ])
  })

  it('starts a value on the next line after an empty first line', () => {
    assert.deepEqual(pairs('[api]\npci_alias =\n  a\n  b\n'), [['api', 'pci_alias', 'a\nb']])
  })

  it('ends a continued value at a blank line or a comment', () => {
    const text = '[api]\nx = a\n  b\n\n  # indented comment, no open value\ny = c\n# c\n  d\n'
    const doc = parseIni(text)
    assert.deepEqual(
      doc.entries.map((e) => [e.key, e.value]),
      [
        ['x', 'a\nb'],
        ['y', 'c'],
      ],
    )
    assert.deepEqual(doc.errors, [{ line: 8, message: 'unexpected continuation line' }])
  })

  it('accepts empty values and strips one pair of matching quotes', () => {
    assert.deepEqual(
      pairs('[DEFAULT]\na =\nb = ""\nc = "quoted value"\nd = \'x\'\ne = "half\nf = "a" b "c"'),
      [
        ['DEFAULT', 'a', ''],
        ['DEFAULT', 'b', ''],
        ['DEFAULT', 'c', 'quoted value'],
        ['DEFAULT', 'd', 'x'],
        ['DEFAULT', 'e', '"half'],
        ['DEFAULT', 'f', 'a" b "c'],
      ],
    )
  })

  it('keeps repeated keys as separate entries with their line numbers', () => {
    const doc = parseIni('[api]\npci_alias = a\npci_alias = b\n')
    assert.deepEqual(
      doc.entries.map((e) => [e.value, e.line]),
      [
        ['a', 2],
        ['b', 3],
      ],
    )
  })

  it('lowercases section names except DEFAULT, and handles CRLF and a BOM', () => {
    const doc = parseIni('\uFEFF[DEFAULT]\r\na = 1\r\n[Database]\r\nb = 2\r\n[default]\r\nc = 3\r\n')
    assert.deepEqual(
      doc.entries.map((e) => [e.section, e.key, e.value]),
      [
        ['DEFAULT', 'a', '1'],
        ['database', 'b', '2'],
        ['default', 'c', '3'],
      ],
    )
    assert.deepEqual(
      doc.sections.map((s) => [s.name, s.line]),
      [
        ['DEFAULT', 1],
        ['database', 3],
        ['default', 5],
      ],
    )
  })

  it('reports every bad line with its number and carries on', () => {
    const doc = parseIni(
      'early = 1\n[DEFAULT]\njust words\n= no key\n[broken\nlost = 1\n[]\n[ok]\nfine = 1\n',
    )
    assert.deepEqual(doc.errors, [
      { line: 1, message: '"early" is set before any [section] header' },
      { line: 3, message: 'expected "key = value"' },
      { line: 4, message: 'expected "key = value"' },
      { line: 5, message: 'invalid section header: [broken' },
      { line: 7, message: 'invalid section header: []' },
    ])
    assert.deepEqual(pairs('[broken\nlost = 1\n[ok]\nfine = 1\n'), [['ok', 'fine', '1']])
  })
})
