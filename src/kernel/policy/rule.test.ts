import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type Credentials, compile, type Evaluator, formatRule, parseRule, RuleSyntaxError } from './rule.js'

/** Parses and compiles a standalone rule; `rule:` references resolve from `named`. */
function rule(text: string, named: Record<string, string> = {}): Evaluator {
  const resolve = (name: string): Evaluator | undefined =>
    named[name] === undefined ? undefined : rule(named[name]!, named)
  return compile(parseRule(text), resolve)
}

const shape = (text: string): string => formatRule(parseRule(text))

const admin: Credentials = { roles: ['admin', 'member', 'reader'], project_id: 'p1', user_id: 'u-admin' }
const member: Credentials = {
  roles: ['member', 'reader'],
  project_id: 'p1',
  user_id: 'u1',
  user_domain_id: 'd1',
}
const reader: Credentials = { roles: ['reader'], project_id: 'p2', user_id: 'u2' }
const systemReader: Credentials = { roles: ['reader'], system_scope: 'all', user_id: 'u3' }
const domainReader: Credentials = { roles: ['reader'], domain_id: 'd1', user_id: 'u4' }
const nobody: Credentials = { roles: [] }

describe('policy rule parsing', () => {
  it('reads the constant checks', () => {
    assert.deepEqual(parseRule(''), { kind: 'always' })
    assert.deepEqual(parseRule('@'), { kind: 'always' })
    assert.deepEqual(parseRule('!'), { kind: 'never' })
  })

  it('reads role, rule, generic and http checks', () => {
    assert.deepEqual(parseRule('role:admin'), { kind: 'role', role: ['admin'] })
    assert.deepEqual(parseRule('rule:admin_required'), { kind: 'rule', name: 'admin_required' })
    assert.deepEqual(parseRule('project_id:%(project_id)s'), {
      kind: 'generic',
      left: { credential: 'project_id' },
      right: [{ target: 'project_id' }],
    })
    assert.deepEqual(parseRule('http://example.com/check'), { kind: 'http', url: 'http://example.com/check' })
    assert.deepEqual(parseRule('https://example.com/check'), {
      kind: 'http',
      url: 'https://example.com/check',
    })
  })

  it('gives and precedence over or', () => {
    assert.equal(shape('role:a or role:b and role:c'), '(role:a or (role:b and role:c))')
    assert.equal(shape('role:a and role:b or role:c'), '((role:a and role:b) or role:c)')
    assert.equal(
      shape('role:a and role:b or role:c and role:d'),
      '((role:a and role:b) or (role:c and role:d))',
    )
  })

  it('binds not tighter than and', () => {
    assert.equal(shape('not role:a and role:b'), '(not role:a and role:b)')
    assert.equal(shape('not role:a or role:b'), '(not role:a or role:b)')
    assert.equal(shape('not not role:a'), 'not not role:a')
    assert.equal(shape('not (role:a or role:b)'), 'not (role:a or role:b)')
  })

  it('honours parentheses, nested or glued to checks', () => {
    assert.equal(shape('(role:a or role:b) and role:c'), '((role:a or role:b) and role:c)')
    assert.equal(shape('((role:a))'), 'role:a')
    assert.equal(
      shape('( role:a or (role:b and (role:c or role:d)) )'),
      '(role:a or (role:b and (role:c or role:d)))',
    )
    assert.equal(shape('(user_id:%(target.user.id)s)'), 'user_id:%(target.user.id)s')
  })

  it('flattens chains of the same operator', () => {
    const node = parseRule('role:a or role:b or (role:c or role:d)')
    assert.equal(node.kind, 'or')
    assert.equal(node.kind === 'or' && node.operands.length, 4)
  })

  it('treats keywords case-insensitively', () => {
    assert.equal(shape('role:a AND NOT role:b Or role:c'), '((role:a and not role:b) or role:c)')
  })

  it('reads quoted literals on either side', () => {
    assert.deepEqual(parseRule("'member':%(role.name)s"), {
      kind: 'generic',
      left: { literal: 'member' },
      right: [{ target: 'role.name' }],
    })
    assert.deepEqual(parseRule("name:'two words'"), {
      kind: 'generic',
      left: { credential: 'name' },
      right: ['two words'],
    })
    assert.deepEqual(parseRule('name:"a:b"'), {
      kind: 'generic',
      left: { credential: 'name' },
      right: ['a:b'],
    })
  })

  it('reads mixed templates and %% escapes', () => {
    assert.deepEqual(parseRule('name:%(a)s-%(b)s'), {
      kind: 'generic',
      left: { credential: 'name' },
      right: [{ target: 'a' }, '-', { target: 'b' }],
    })
    assert.deepEqual(parseRule('name:100%%'), {
      kind: 'generic',
      left: { credential: 'name' },
      right: ['100%'],
    })
  })

  it('rejects malformed rules with a clear error', () => {
    for (const bad of [
      'role:a or',
      'and role:a',
      '(role:a',
      'role:a)',
      '()',
      'role:a role:b',
      'admin',
      'rule:',
      'role:',
      "name:'open",
      'project_id:%(project_id)d',
      'project_id:%(project_id',
      'project_id:%()s',
      'x:50%',
      '   ',
    ]) {
      assert.throws(() => parseRule(bad), RuleSyntaxError, bad)
    }
  })
})

describe('policy rule evaluation', () => {
  it('evaluates constants', () => {
    assert.equal(rule('')({}, nobody), true)
    assert.equal(rule('@')({}, nobody), true)
    assert.equal(rule('!')({}, admin), false)
  })

  it('matches roles case-insensitively', () => {
    assert.equal(rule('role:admin')({}, admin), true)
    assert.equal(rule('role:ADMIN')({}, admin), true)
    assert.equal(rule('role:Admin')({}, { roles: ['ADMIN'] }), true)
    assert.equal(rule('role:admin')({}, member), false)
    assert.equal(rule('role:admin')({}, nobody), false)
  })

  it('substitutes the target into role checks', () => {
    const f = rule('role:%(target.role.name)s')
    assert.equal(f({ target: { role: { name: 'Member' } } }, member), true)
    assert.equal(f({ target: { role: { name: 'admin' } } }, member), false)
    assert.equal(f({}, member), false)
  })

  it("evaluates placement's admin-or-service rule", () => {
    const f = rule('role:admin or role:service')
    assert.equal(f({}, admin), true)
    assert.equal(f({}, { roles: ['service'] }), true)
    assert.equal(f({}, member), false)
  })

  it('applies not, and, or with the right precedence', () => {
    // role:admin or (role:reader and not role:member)
    const f = rule('role:admin or role:reader and not role:member')
    assert.equal(f({}, admin), true)
    assert.equal(f({}, reader), true)
    assert.equal(f({}, member), false)
    assert.equal(f({}, nobody), false)
    // (role:admin or role:reader) and not role:member
    const g = rule('(role:admin or role:reader) and not role:member')
    assert.equal(g({}, admin), false)
    assert.equal(g({}, reader), true)
  })

  it('handles long and/or chains', () => {
    assert.equal(rule('role:a or role:b or role:c')({}, { roles: ['c'] }), true)
    assert.equal(rule('role:a and role:b and role:c')({}, { roles: ['a', 'b'] }), false)
    assert.equal(rule('role:a and role:b and role:c')({}, { roles: ['a', 'b', 'c'] }), true)
  })

  it('compares credentials with literals', () => {
    assert.equal(rule('system_scope:all')({}, systemReader), true)
    assert.equal(rule('system_scope:all')({}, member), false)
    assert.equal(rule("user_id:'u1'")({}, member), true)
    assert.equal(rule('name:"two words"')({}, { roles: [], name: 'two words' }), true)
  })

  it('matches True and False literals against booleans', () => {
    assert.equal(rule('is_admin_project:True')({}, { roles: [], is_admin_project: true }), true)
    assert.equal(rule('is_admin_project:True')({}, { roles: [], is_admin_project: false }), false)
    assert.equal(rule('is_admin_project:False')({}, { roles: [], is_admin_project: false }), true)
    assert.equal(rule('is_admin_project:True')({}, nobody), false)
    assert.equal(rule('is_admin:True')({}, { roles: [], is_admin: true }), true)
  })

  it('substitutes flat and nested target keys', () => {
    const f = rule('user_id:%(target.user.id)s')
    assert.equal(f({ target: { user: { id: 'u1' } } }, member), true)
    assert.equal(f({ 'target.user.id': 'u1' }, member), true)
    assert.equal(f({ 'target.user': { id: 'u1' } }, member), true)
    assert.equal(f({ target: { 'user.id': 'u1' } }, member), true)
    assert.equal(f({ target: { user: { id: 'u2' } } }, member), false)
    assert.equal(rule('project_id:%(project_id)s')({ project_id: 'p1' }, member), true)
  })

  it('fails, not throws, on a missing target key', () => {
    const f = rule('user_id:%(target.user.id)s')
    assert.equal(f({}, member), false)
    assert.equal(f({ target: {} }, member), false)
    assert.equal(f({ target: { user: 'u1' } }, member), false)
    assert.equal(f({ target: { user: { id: null } } }, { roles: [] }), false)
    // A missing credential against a missing target value is not a match either.
    assert.equal(rule('domain_id:%(target.domain_id)s')({ target: {} }, member), false)
  })

  it('formats numbers and booleans from the target as Python would', () => {
    assert.equal(
      rule('is_admin_project:%(flag)s')({ flag: true }, { roles: [], is_admin_project: true }),
      true,
    )
    assert.equal(rule('quota:%(n)s')({ n: 5 }, { roles: [], quota: '5' }), true)
  })

  it('compares a quoted literal with the target (reverse form)', () => {
    const f = rule("'member':%(role.name)s")
    assert.equal(f({ role: { name: 'member' } }, nobody), true)
    assert.equal(f({ 'role.name': 'member' }, nobody), true)
    assert.equal(f({ role: { name: 'admin' } }, nobody), false)
    assert.equal(f({}, nobody), false)
    assert.equal(rule("'a':a")({}, nobody), true)
    assert.equal(rule("'a':b")({}, nobody), false)
  })

  it('fills templates with several substitutions', () => {
    const f = rule('name:%(a)s-%(b)s')
    assert.equal(f({ a: 'x', b: 'y' }, { roles: [], name: 'x-y' }), true)
    assert.equal(f({ a: 'x' }, { roles: [], name: 'x-' }), false)
  })

  it('walks dotted credential paths and lists', () => {
    const creds: Credentials = { roles: ['reader'], token: { user: { id: 'u9' } }, groups: ['g1', 'g2'] }
    assert.equal(rule('token.user.id:u9')({}, creds), true)
    assert.equal(rule('token.user.name:u9')({}, creds), false)
    assert.equal(rule('groups:g2')({}, creds), true)
    assert.equal(rule('roles:reader')({}, creds), true)
    assert.equal(rule('missing.path:x')({}, creds), false)
  })

  it('evaluates http checks as false', () => {
    assert.equal(rule('http://localhost/check')({}, admin), false)
    assert.equal(rule('role:admin or http://localhost/check')({}, admin), true)
  })

  it('binds rule references through the resolver', () => {
    const named = { admin_required: 'role:admin', owner: 'user_id:%(user_id)s' }
    const f = rule('rule:admin_required or rule:owner', named)
    assert.equal(f({ user_id: 'u1' }, member), true)
    assert.equal(f({ user_id: 'u9' }, member), false)
    assert.equal(f({ user_id: 'u9' }, admin), true)
    assert.throws(() => rule('rule:nope'), /unknown rule "nope"/)
  })

  it("evaluates Keystone's identity:get_user default", () => {
    const f = rule(
      '(role:reader and system_scope:all) or (role:reader and domain_id:%(target.user.domain_id)s) or user_id:%(target.user.id)s',
    )
    const target = { target: { user: { id: 'u1', domain_id: 'd1' } } }
    assert.equal(f(target, systemReader), true)
    assert.equal(f(target, domainReader), true)
    assert.equal(f(target, member), true, 'the user themself')
    assert.equal(f(target, reader), false)
    assert.equal(f({ target: { user: { id: 'u1', domain_id: 'd2' } } }, domainReader), false)
    assert.equal(f({ 'target.user.id': 'u7', 'target.user.domain_id': 'd1' }, domainReader), true)
  })
})

describe('explicit None literal', () => {
  it('matches a target value that is present and null, not an absent one', () => {
    const check = compile(parseRule('None:%(target.role.domain_id)s'))
    const creds = { roles: [] }
    assert.equal(check({ target: { role: { domain_id: null } } }, creds), true)
    assert.equal(check({ 'target.role.domain_id': null }, creds), true)
    assert.equal(check({ target: { role: { domain_id: 'd1' } } }, creds), false)
    assert.equal(check({ target: { role: {} } }, creds), false)
    // A null credential still never equals a null target (no grant on two absent ids).
    const same = compile(parseRule('domain_id:%(target.role.domain_id)s'))
    assert.equal(same({ target: { role: { domain_id: null } } }, { roles: [], domain_id: undefined }), false)
  })
})
