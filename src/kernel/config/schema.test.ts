import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type ConfigOf, defineSections, mergeSchemas, type Opt, opt, type ParseResult } from './schema.js'
import { identityConfig, kernelConfig } from './test-support.js'

/** Compile-time equality: `true` only if A and B are the same type. */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false

const parsed = <V>(o: Opt<V>, raw: string): ParseResult<V> => o.parse(raw)
const value = <V>(o: Opt<V>, raw: string): V => {
  const r = o.parse(raw)
  assert.ok(r.ok, `expected ${JSON.stringify(raw)} to parse`)
  return r.value
}
const reason = <V>(o: Opt<V>, raw: string): string => {
  const r = o.parse(raw)
  assert.ok(!r.ok, `expected ${JSON.stringify(raw)} to be refused`)
  return r.reason
}

describe('schema types', () => {
  it('derives the configuration type from the declarations', () => {
    type Identity = ConfigOf<typeof identityConfig>
    const token: Equals<
      Identity['token'],
      { readonly expiration: number; readonly provider: 'jws' | 'fernet' }
    > = true
    const rounds: Equals<Identity['identity']['password_hash_rounds'], number | undefined> = true
    const algorithm: Equals<Identity['identity']['password_hash_algorithm'], 'bcrypt' | 'scrypt'> = true
    type Kernel = ConfigOf<typeof kernelConfig>
    const apis: Equals<Kernel['api']['enabled_apis'], readonly string[]> = true
    const alias: Equals<Kernel['api']['pci_alias'], readonly string[]> = true
    const url: Equals<Kernel['DEFAULT']['transport_url'], string | undefined> = true
    const debug: Equals<Kernel['DEFAULT']['debug'], boolean> = true
    assert.ok(token && rounds && algorithm && apis && alias && url && debug)
  })

  it('rejects mistyped defaults at compile time', () => {
    // @ts-expect-error: 'c' is not a choice
    assert.throws(() => opt.enum({ choices: ['a', 'b'], default: 'c', help: 'x' }))
    // @ts-expect-error: an int's default is a number
    assert.throws(() => opt.int({ default: 'ten', help: 'x' }))
  })

  it('merges sections contributed by two schemas at option level', () => {
    const merged = mergeSchemas(kernelConfig, identityConfig)
    type Api = ConfigOf<typeof merged>['api']
    const size: Equals<Api['max_body_size'], number> = true
    const port: Equals<Api['bind_port'], number> = true
    assert.ok(size && port)
    assert.deepEqual(Object.keys(merged.api).sort(), [
      'bind_port',
      'enabled_apis',
      'legacy_mode',
      'max_body_size',
      'pci_alias',
      'workers',
    ])
    assert.deepEqual(Object.keys(merged).sort(), ['DEFAULT', 'api', 'database', 'identity', 'token'])
  })

  it('refuses an option declared twice', () => {
    const again = defineSections({ token: { expiration: opt.int({ default: 1, help: 'Again.' }) } })
    assert.throws(() => mergeSchemas(identityConfig, again), /option \[token\] expiration is declared twice/)
  })

  it('refuses a deprecated name that is another option', () => {
    const clash = defineSections({
      database: { url: opt.str({ default: '', help: 'x', deprecatedNames: [{ name: 'connection' }] }) },
    })
    assert.throws(() => mergeSchemas(kernelConfig, clash), /deprecated name \[database\] connection/)
  })

  it('refuses section names oslo.config could never match, and bad option names', () => {
    assert.throws(() => defineSections({ Database: {} }), /must be DEFAULT or lowercase/)
    assert.throws(() => defineSections({ db: { 'bad name': opt.str({ help: 'x' }) } }), /not a valid name/)
  })

  it('refuses a default the option itself would reject', () => {
    assert.throws(() => opt.int({ default: -1, min: 0, help: 'x' }), /invalid default -1: must be at least 0/)
    assert.throws(() => opt.int({ default: 1.5, help: 'x' }), /must be an integer/)
    assert.throws(() => opt.port({ default: 70000, help: 'x' }), /between 0 and 65535/)
    assert.throws(
      () => opt.enum({ choices: ['a', 'b'], default: 'c' as 'a', help: 'x' }),
      /must be one of: a, b/,
    )
    assert.throws(() => opt.enum({ choices: [], help: 'x' }), /at least one choice/)
  })

  it('freezes schemas and options', () => {
    assert.ok(Object.isFrozen(identityConfig) && Object.isFrozen(identityConfig.token))
    assert.ok(Object.isFrozen(identityConfig.token.expiration))
  })
})

describe('option parsing', () => {
  it('bool accepts oslo.config spellings in any case', () => {
    const o = opt.bool({ default: false, help: 'x' })
    for (const t of ['true', 'True', 'YES', 'on', '1', ' true ']) assert.equal(value(o, t), true, t)
    for (const f of ['false', 'FALSE', 'no', 'Off', '0']) assert.equal(value(o, f), false, f)
    for (const bad of ['2', 'y', 'enabled', 'truee']) assert.match(reason(o, bad), /must be a boolean/)
  })

  it('int accepts signed integers and enforces its bounds', () => {
    const o = opt.int({ default: 5, min: 4, max: 31, help: 'x' })
    assert.equal(value(o, '12'), 12)
    assert.equal(value(o, '+31'), 31)
    assert.equal(value(opt.int({ default: 0, help: 'x' }), '-7'), -7)
    for (const bad of ['1.5', '1e3', 'ten', '0x10', '3 4'])
      assert.equal(reason(o, bad), 'must be an integer', bad)
    assert.equal(reason(o, '3'), 'must be between 4 and 31')
    assert.equal(reason(o, '32'), 'must be between 4 and 31')
    assert.equal(reason(opt.int({ default: 0, min: 0, help: 'x' }), '-1'), 'must be at least 0')
    assert.equal(reason(opt.int({ default: 0, max: 9, help: 'x' }), '10'), 'must be at most 9')
    assert.equal(reason(o, '99999999999999999999'), 'must be an integer')
  })

  it('float accepts decimals and exponents, not words', () => {
    const o = opt.float({ default: 1, min: 0, help: 'x' })
    assert.equal(value(o, '1.5'), 1.5)
    assert.equal(value(o, '.5'), 0.5)
    assert.equal(value(o, '2e3'), 2000)
    assert.equal(value(o, '16'), 16)
    for (const bad of ['nan', 'inf', 'abc', '1.2.3']) assert.equal(reason(o, bad), 'must be a number', bad)
    assert.equal(reason(o, '-0.1'), 'must be at least 0')
  })

  it('port is an integer from 0 to 65535', () => {
    const o = opt.port({ default: 80, help: 'x' })
    assert.equal(value(o, '8774'), 8774)
    assert.equal(reason(o, '65536'), 'must be between 0 and 65535')
    assert.equal(reason(o, 'http'), 'must be an integer')
    assert.equal(
      reason(opt.port({ default: 2000, min: 1024, help: 'x' }), '80'),
      'must be between 1024 and 65535',
    )
  })

  it('list splits on commas, trims, and drops empty items', () => {
    const o = opt.list({ default: [], help: 'x' })
    assert.deepEqual(value(o, ' a, b ,,c ,'), ['a', 'b', 'c'])
    assert.deepEqual(value(o, ''), [])
    assert.deepEqual(value(o, 'a,\nb,\nc'), ['a', 'b', 'c'])
  })

  it('enum matches choices exactly and suggests the near one', () => {
    const o = opt.enum({ choices: ['jws', 'fernet'], default: 'jws', help: 'x' })
    assert.equal(value(o, 'fernet'), 'fernet')
    assert.equal(reason(o, 'Fernet'), 'must be one of: jws, fernet (did you mean fernet?)')
    assert.equal(reason(o, 'uuid'), 'must be one of: jws, fernet')
  })

  it('str keeps the value, the empty string included', () => {
    const o = opt.str({ default: 'x', help: 'x' })
    assert.equal(value(o, 'a = b: c'), 'a = b: c')
    assert.equal(value(o, ''), '')
  })

  it('an empty value means the default for typed options', () => {
    assert.equal(value(opt.int({ default: 7, help: 'x' }), ''), 7)
    assert.equal(value(opt.int({ help: 'x' }), '  '), undefined)
    assert.equal(value(opt.bool({ default: true, help: 'x' }), ''), true)
    assert.equal(value(opt.enum({ choices: ['a', 'b'], default: 'b', help: 'x' }), ''), 'b')
    assert.deepEqual(parsed(opt.port({ default: 1, help: 'x' }), ''), { ok: true, value: 1 })
  })

  it('multiStr defaults to an empty list and parses one value at a time', () => {
    const o = opt.multiStr({ help: 'x' })
    assert.deepEqual(o.default, [])
    assert.ok(o.multi)
    assert.deepEqual(value(o, 'a, b'), ['a, b'])
  })
})
