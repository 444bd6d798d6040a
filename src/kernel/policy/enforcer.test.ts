import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { Forbidden } from '../errors/index.js'
import { Enforcer, type EnforcerOptions, type RuleDefault, scopeOf } from './enforcer.js'
import { type Credentials, holds } from './rule.js'

const dir = mkdtempSync(join(tmpdir(), 'cloudlet-policy-'))
after(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
function policyFile(text: string, ext = 'yaml'): string {
  const path = join(dir, `policy-${files++}.${ext}`)
  writeFileSync(path, text)
  return path
}

const strict: EnforcerOptions = { enforceScope: true, enforceNewDefaults: true }
const lax: EnforcerOptions = { enforceScope: false, enforceNewDefaults: false }

const systemAdmin: Credentials = { roles: ['admin', 'member', 'reader'], system_scope: 'all', user_id: 'sa' }
const systemReader: Credentials = { roles: ['reader'], system_scope: 'all', user_id: 'sr' }
const domainReader: Credentials = { roles: ['reader'], domain_id: 'd1', user_id: 'dr' }
const projectAdmin: Credentials = { roles: ['admin', 'member', 'reader'], project_id: 'p1', user_id: 'pa' }
const projectMember: Credentials = {
  roles: ['member', 'reader'],
  project_id: 'p1',
  user_id: 'pm',
  user_domain_id: 'd1',
}
const unscoped: Credentials = { roles: [], user_id: 'u' }

// A slice of Keystone's defaults, with the deprecated rules from its Wallaby move to
// scope-aware personas.
const SYSTEM_READER_OR_DOMAIN_READER_OR_OWNER =
  '(role:reader and system_scope:all) or (role:reader and domain_id:%(target.user.domain_id)s) or user_id:%(target.user.id)s'
const identity: RuleDefault[] = [
  { name: 'admin_required', checkStr: 'role:admin or is_admin:1' },
  { name: 'owner', checkStr: 'user_id:%(user_id)s' },
  { name: 'admin_or_owner', checkStr: 'rule:admin_required or rule:owner' },
  {
    name: 'identity:get_user',
    checkStr: SYSTEM_READER_OR_DOMAIN_READER_OR_OWNER,
    scopeTypes: ['system', 'domain', 'project'],
    deprecatedRule: { checkStr: 'rule:admin_required', reason: 'scope-aware personas' },
    operations: [{ method: 'GET', path: '/v3/users/{user_id}' }],
  },
  {
    name: 'identity:list_projects',
    checkStr: '(role:reader and system_scope:all) or (role:reader and domain_id:%(target.domain_id)s)',
    scopeTypes: ['system', 'domain'],
    deprecatedRule: { checkStr: 'rule:admin_required' },
  },
]
// Placement's admin API rule.
const placement: RuleDefault[] = [
  { name: 'admin_api', checkStr: 'role:admin or role:service' },
  { name: 'placement:resource_providers:list', checkStr: 'rule:admin_api', scopeTypes: ['project'] },
]

const userTarget = { target: { user: { id: 'pm', domain_id: 'd1' } } }

describe('scopeOf', () => {
  it('tells system, domain, project and unscoped tokens apart', () => {
    assert.equal(scopeOf(systemReader), 'system')
    assert.equal(scopeOf(domainReader), 'domain')
    assert.equal(scopeOf(projectMember), 'project')
    assert.equal(scopeOf({ roles: [], project_id: 'p', domain_id: 'd' }), 'project')
    assert.equal(scopeOf({ roles: [], system_scope: 'all', project_id: 'p' }), 'system')
    assert.equal(scopeOf(unscoped), undefined)
  })
})

describe('Enforcer', () => {
  it('checks rules and follows rule references', () => {
    const e = new Enforcer(placement, strict)
    assert.equal(e.check('placement:resource_providers:list', {}, projectAdmin), true)
    assert.equal(
      e.check('placement:resource_providers:list', {}, { roles: ['service'], project_id: 'svc' }),
      true,
    )
    assert.equal(e.check('placement:resource_providers:list', {}, projectMember), false)
    assert.equal(e.check('admin_api', {}, systemAdmin), true, 'no scope types: any scope')
  })

  it('throws on an unknown rule name', () => {
    const e = new Enforcer(placement, strict)
    assert.throws(() => e.check('placement:nope', {}, projectAdmin), /unknown policy rule "placement:nope"/)
    assert.throws(() => e.authorize('placement:nope', {}, projectAdmin), /unknown policy rule/)
    assert.throws(() => e.ruleString('placement:nope'), /unknown policy rule/)
  })

  it('throws Forbidden (403) with the upstream message', () => {
    const e = new Enforcer(placement, strict)
    assert.doesNotThrow(() => e.authorize('placement:resource_providers:list', {}, projectAdmin))
    assert.throws(
      () => e.authorize('placement:resource_providers:list', {}, projectMember),
      (err: unknown) => {
        assert.ok(err instanceof Forbidden)
        assert.equal(err.status, 403)
        assert.equal(
          err.message,
          'You are not authorized to perform the requested action: placement:resource_providers:list.',
        )
        return true
      },
    )
  })

  it('lets a service and a call override the message', () => {
    const e = new Enforcer(placement, {
      ...strict,
      forbiddenMessage: (r) => `Policy does not allow ${r} to be performed.`,
    })
    assert.throws(() => e.authorize('admin_api', {}, projectMember), {
      message: 'Policy does not allow admin_api to be performed.',
    })
    assert.throws(() => e.authorize('admin_api', {}, projectMember, 'Not yours.'), { message: 'Not yours.' })
  })

  describe('enforce_scope', () => {
    it('rejects a token whose scope the rule does not accept', () => {
      const e = new Enforcer(placement, strict)
      assert.equal(e.check('placement:resource_providers:list', {}, systemAdmin), false)
      assert.throws(
        () => e.authorize('placement:resource_providers:list', {}, systemAdmin),
        (err: unknown) => {
          return err instanceof Forbidden && err.status === 403
        },
      )
    })

    it('treats unscoped tokens as project scope, as oslo.policy does', () => {
      const e = new Enforcer([{ name: 'r', checkStr: '@', scopeTypes: ['project'] }], strict)
      assert.equal(e.check('r', {}, unscoped), true)
      assert.equal(e.check('r', {}, projectMember), true)
      const systemOnly = new Enforcer([{ name: 'r', checkStr: '@', scopeTypes: ['system'] }], strict)
      assert.equal(systemOnly.check('r', {}, unscoped), false)
    })

    it('accepts every scope the rule lists', () => {
      const e = new Enforcer(identity, strict)
      assert.equal(e.check('identity:get_user', userTarget, systemReader), true)
      assert.equal(e.check('identity:get_user', userTarget, domainReader), true)
      assert.equal(e.check('identity:get_user', userTarget, projectMember), true)
      assert.equal(e.check('identity:list_projects', { target: { domain_id: 'd1' } }, domainReader), true)
      assert.equal(e.check('identity:list_projects', { target: { domain_id: 'd1' } }, projectAdmin), false)
    })

    it('evaluates only the check string when scope is not enforced', () => {
      const e = new Enforcer(placement, { enforceScope: false, enforceNewDefaults: true })
      assert.equal(e.check('placement:resource_providers:list', {}, systemAdmin), true)
      assert.doesNotThrow(() => e.authorize('placement:resource_providers:list', {}, systemAdmin))
    })
  })

  describe('enforce_new_defaults', () => {
    it('with true, only the new default counts', () => {
      const e = new Enforcer(identity, strict)
      // A project admin is not a system or domain reader, and not the user.
      assert.equal(e.check('identity:get_user', userTarget, projectAdmin), false)
      assert.equal(e.ruleString('identity:get_user'), SYSTEM_READER_OR_DOMAIN_READER_OR_OWNER)
    })

    it('with false, the deprecated default also lets requests through', () => {
      const e = new Enforcer(identity, { enforceScope: true, enforceNewDefaults: false })
      assert.equal(e.check('identity:get_user', userTarget, projectAdmin), true, 'the old admin rule')
      assert.equal(e.check('identity:get_user', userTarget, systemReader), true, 'the new rule')
      assert.equal(
        e.check('identity:get_user', { target: { user: { id: 'x', domain_id: 'd9' } } }, projectMember),
        false,
      )
      assert.equal(
        e.ruleString('identity:get_user'),
        `(${SYSTEM_READER_OR_DOMAIN_READER_OR_OWNER}) or (rule:admin_required)`,
      )
    })

    it('still applies scope types to the deprecated alternative', () => {
      const e = new Enforcer(identity, { enforceScope: true, enforceNewDefaults: false })
      // identity:list_projects has no project scope: the old admin rule cannot help.
      assert.equal(e.check('identity:list_projects', { target: { domain_id: 'd1' } }, projectAdmin), false)
    })

    it('drops the deprecated rule when the operator overrides the rule', () => {
      const path = policyFile('"identity:get_user": "role:auditor"\n')
      const e = new Enforcer(identity, { enforceScope: false, enforceNewDefaults: false, policyFile: path })
      assert.equal(e.check('identity:get_user', userTarget, projectAdmin), false)
      assert.equal(e.check('identity:get_user', userTarget, { roles: ['auditor'] }), true)
      assert.equal(e.ruleString('identity:get_user'), 'role:auditor')
    })
  })

  describe('policy file', () => {
    it('overrides defaults and adds new rules from YAML', () => {
      const path = policyFile(
        [
          '# operator overrides',
          '"admin_api": "role:admin or role:service or role:placement_operator"',
          '"placement:resource_providers:list": "rule:admin_api or rule:viewer"',
          '"viewer": "role:observer"',
          '',
        ].join('\n'),
      )
      const e = new Enforcer(placement, { ...strict, policyFile: path })
      assert.equal(
        e.check('placement:resource_providers:list', {}, { roles: ['observer'], project_id: 'p' }),
        true,
      )
      assert.equal(
        e.check('placement:resource_providers:list', {}, { roles: ['placement_operator'], project_id: 'p' }),
        true,
      )
      assert.equal(e.check('placement:resource_providers:list', {}, projectMember), false)
      assert.equal(e.ruleString('viewer'), 'role:observer')
      assert.deepEqual(e.ruleNames(), ['admin_api', 'placement:resource_providers:list', 'viewer'])
      // Scope types still come from the defaults.
      assert.equal(
        e.check('placement:resource_providers:list', {}, { roles: ['observer'], system_scope: 'all' }),
        false,
      )
    })

    it('reads JSON too, including the legacy list syntax', () => {
      const path = policyFile(
        JSON.stringify({
          admin_api: [['role:admin'], ['role:a', 'role:b']],
          'placement:resource_providers:list': '@',
        }),
        'json',
      )
      const e = new Enforcer(placement, { ...strict, policyFile: path })
      assert.equal(e.ruleString('admin_api'), '(role:admin) or ((role:a) and (role:b))')
      assert.equal(e.check('admin_api', {}, { roles: ['a', 'b'] }), true)
      assert.equal(e.check('admin_api', {}, { roles: ['a'] }), false)
      assert.equal(e.check('placement:resource_providers:list', {}, projectMember), true)
    })

    it('treats a missing file as no overrides and an empty file as none', () => {
      const missing = new Enforcer(placement, { ...strict, policyFile: join(dir, 'absent.yaml') })
      assert.equal(missing.ruleString('admin_api'), 'role:admin or role:service')
      const empty = new Enforcer(placement, { ...strict, policyFile: policyFile('') })
      assert.equal(empty.ruleString('admin_api'), 'role:admin or role:service')
    })

    it('rejects malformed files and rules, naming the rule', () => {
      assert.throws(
        () => new Enforcer(placement, { ...strict, policyFile: policyFile('- a\n- b\n') }),
        /must map rule names/,
      )
      assert.throws(
        () => new Enforcer(placement, { ...strict, policyFile: policyFile('admin_api: 3\n') }),
        /rule "admin_api" must be a check string/,
      )
      assert.throws(
        () =>
          new Enforcer(placement, { ...strict, policyFile: policyFile('"admin_api": "role:admin or"\n') }),
        /policy rule "admin_api": invalid policy check string/,
      )
      assert.throws(
        () => new Enforcer(placement, { ...strict, policyFile: policyFile('"admin_api": "rule:missing"\n') }),
        /"admin_api" refers to unknown rule "missing"/,
      )
    })
  })

  describe('construction checks', () => {
    it('reports a reference to a missing rule', () => {
      assert.throws(
        () => new Enforcer([{ name: 'a', checkStr: 'role:x or rule:ghost' }], strict),
        /policy rule "a" refers to unknown rule "ghost"/,
      )
    })

    it('reports cycles of rule references, with the path', () => {
      const rules: RuleDefault[] = [
        { name: 'a', checkStr: 'rule:b' },
        { name: 'b', checkStr: 'role:x or rule:c' },
        { name: 'c', checkStr: 'not rule:a' },
      ]
      assert.throws(() => new Enforcer(rules, strict), /a -> b -> c -> a/)
      assert.throws(() => new Enforcer([{ name: 'self', checkStr: 'rule:self' }], strict), /self -> self/)
    })

    it('reports a cycle introduced by a policy file override', () => {
      const path = policyFile('"admin_api": "rule:placement:resource_providers:list"\n')
      assert.throws(() => new Enforcer(placement, { ...strict, policyFile: path }), /refers to itself/)
    })

    it('reports a default that does not parse, and duplicates', () => {
      assert.throws(() => new Enforcer([{ name: 'bad', checkStr: '(role:a' }], strict), /policy rule "bad"/)
      assert.throws(
        () =>
          new Enforcer(
            [
              { name: 'dup', checkStr: '@' },
              { name: 'dup', checkStr: '!' },
            ],
            strict,
          ),
        /registered twice/,
      )
    })

    it('accepts rules referenced by many others (a diamond is not a cycle)', () => {
      const rules: RuleDefault[] = [
        { name: 'top', checkStr: 'rule:left and rule:right' },
        { name: 'left', checkStr: 'rule:base' },
        { name: 'right', checkStr: 'rule:base or role:x' },
        { name: 'base', checkStr: 'role:admin' },
      ]
      const e = new Enforcer(rules, strict)
      assert.equal(e.check('top', {}, projectAdmin), true)
      assert.equal(e.check('top', {}, { roles: ['x'] }), false)
    })
  })

  it('runs the Keystone owner rules against flat and nested targets', () => {
    const e = new Enforcer(identity, lax)
    assert.equal(e.check('admin_or_owner', { user_id: 'pm' }, projectMember), true)
    assert.equal(e.check('admin_or_owner', { user_id: 'zz' }, projectMember), false)
    assert.equal(e.check('admin_or_owner', {}, projectAdmin), true)
    assert.equal(e.check('admin_required', {}, { roles: [], is_admin: 1 }), true)
  })
})

describe('Enforcer.residual', () => {
  const defaults: RuleDefault[] = [
    { name: 'admin', checkStr: 'role:admin' },
    { name: 'owner', checkStr: 'project_id:%(project_id)s' },
    { name: 'shared', checkStr: 'True:%(network:shared)s' },
    {
      name: 'get_thing',
      checkStr: 'rule:admin or (role:reader and rule:owner) or rule:shared',
      scopeTypes: ['project'],
    },
    { name: 'by_role', checkStr: 'role:%(role)s' },
    { name: 'not_shared', checkStr: 'not rule:shared and rule:owner' },
    { name: 'listy', checkStr: 'roles:%(wanted)s' },
  ]
  const opts: EnforcerOptions = { enforceScope: true, enforceNewDefaults: true }
  const reader: Credentials = { project_id: 'p1', roles: ['reader'] }
  const admin: Credentials = { project_id: 'p1', roles: ['admin', 'reader'] }
  const system: Credentials = { system_scope: 'all', roles: ['reader'] }
  const e = new Enforcer(defaults, opts)

  it('reduces what the credentials decide and keeps what the target decides', () => {
    assert.deepEqual(e.residual('get_thing', admin), { kind: 'always' })
    assert.deepEqual(e.residual('get_thing', reader), {
      kind: 'or',
      operands: [
        { kind: 'in', key: 'project_id', values: ['p1'] },
        { kind: 'in', key: 'network:shared', values: ['True'] },
      ],
    })
    assert.deepEqual(e.residual('get_thing', { project_id: 'p1', roles: [] }), {
      kind: 'in',
      key: 'network:shared',
      values: ['True'],
    })
    // A token of a scope the rule does not take passes nothing.
    assert.deepEqual(e.residual('get_thing', system), { kind: 'never' })
    assert.deepEqual(e.residual('by_role', reader), { kind: 'opaque' })
    // A list credential matches any of its values.
    assert.deepEqual(e.residual('listy', reader), { kind: 'in', key: 'wanted', values: ['reader'] })
  })

  it('agrees with check on every target', () => {
    const targets = [
      {},
      { project_id: 'p1' },
      { project_id: 'p2', 'network:shared': true },
      { project_id: 'p1', 'network:shared': false },
      { project_id: 'p2', 'network:shared': 'True' },
      { project_id: null, 'network:shared': null },
      { wanted: 'reader' },
      { wanted: 'admin' },
    ]
    for (const creds of [reader, admin, system, { project_id: 'p2', roles: ['member'] }])
      for (const rule of ['get_thing', 'not_shared', 'owner', 'shared', 'listy'])
        for (const t of targets)
          assert.equal(
            holds(e.residual(rule, creds), t),
            e.check(rule, t, creds),
            `${rule} ${JSON.stringify(t)}`,
          )
  })

  it("follows an operator's override", () => {
    const dir = mkdtempSync(join(tmpdir(), 'residual-'))
    try {
      const file = join(dir, 'policy.yaml')
      writeFileSync(file, 'get_thing: "rule:owner and not role:%(x)s"\n')
      const o = new Enforcer(defaults, { ...opts, policyFile: file })
      assert.deepEqual(o.residual('get_thing', admin), {
        kind: 'and',
        operands: [
          { kind: 'in', key: 'project_id', values: ['p1'] },
          { kind: 'not', operand: { kind: 'opaque' } },
        ],
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
