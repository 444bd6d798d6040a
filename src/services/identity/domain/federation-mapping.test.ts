import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ValidationFailed } from '../errors.js'
import { applyMappingRules, validateMappingRules } from './federation-mapping.js'

const rule = (remote: unknown[], local: unknown[]) => ({ remote, local }) as Record<string, unknown>

describe('mapping rules', () => {
  it('substitutes captured values into the local user and groups', () => {
    const out = applyMappingRules(
      [
        rule(
          [{ type: 'REMOTE_USER' }, { type: 'groups' }],
          [{ user: { name: '{0}' } }, { groups: '{1}', domain: { id: 'default' } }],
        ),
      ],
      { REMOTE_USER: 'alice', groups: 'dev;ops' },
    )
    assert.deepEqual(out.user, { name: 'alice', type: 'ephemeral' })
    assert.deepEqual(
      out.group_names.map((g) => g.name),
      ['dev', 'ops'],
    )
  })

  it('any_one_of and not_any_of decide whether a rule applies, without capturing', () => {
    const rules = [
      rule(
        [{ type: 'UserName' }, { type: 'orgPersonType', any_one_of: ['Employee'] }],
        [{ user: { name: '{0}' } }],
      ),
      rule([{ type: 'orgPersonType', not_any_of: ['Contractor'] }], [{ group: { id: 'g-staff' } }]),
    ]
    const staff = applyMappingRules(rules, { UserName: 'bob', orgPersonType: 'Employee' })
    assert.equal(staff.user.name, 'bob')
    assert.deepEqual(staff.group_ids, ['g-staff'])
    assert.throws(
      () => applyMappingRules(rules, { UserName: 'eve', orgPersonType: 'Contractor' }),
      ValidationFailed,
    )
  })

  it('whitelist keeps, blacklist drops, regex matches patterns', () => {
    const d = { domain: { name: 'Default' } }
    const white = applyMappingRules(
      [rule([{ type: 'g', whitelist: ['a', 'c'] }], [{ groups: '{0}', ...d }])],
      { g: 'a;b;c' },
    )
    assert.deepEqual(white.group_names.map((g) => g.name).sort(), ['a', 'c'])
    const black = applyMappingRules([rule([{ type: 'g', blacklist: ['a'] }], [{ groups: '{0}', ...d }])], {
      g: 'a;b',
    })
    assert.deepEqual(
      black.group_names.map((g) => g.name),
      ['b'],
    )
    const re = applyMappingRules(
      [rule([{ type: 'email', any_one_of: ['.*@example\\.org$'], regex: true }], [{ user: { name: 'ok' } }])],
      { email: 'x@example.org' },
    )
    assert.equal(re.user.name, 'ok')
    assert.throws(() =>
      applyMappingRules(
        [
          rule(
            [{ type: 'email', any_one_of: ['.*@example\\.org$'], regex: true }],
            [{ user: { name: 'ok' } }],
          ),
        ],
        { email: 'x@example.com' },
      ),
    )
  })

  it('projects with roles and a local user type pass through', () => {
    const out = applyMappingRules(
      [
        rule(
          [{ type: 'u' }],
          [
            {
              user: { name: '{0}', type: 'local', domain: { id: 'default' } },
              projects: [{ name: 'p-{0}', roles: [{ name: 'member' }] }],
            },
          ],
        ),
      ],
      { u: 'carol' },
    )
    assert.equal(out.user.type, 'local')
    assert.deepEqual(out.projects, [{ name: 'p-carol', roles: [{ name: 'member' }] }])
  })

  it('a local value naming a capture that was not made is refused', () => {
    assert.throws(
      () => applyMappingRules([rule([{ type: 'u' }], [{ user: { name: '{3}' } }])], { u: 'x' }),
      /remote match that does not exist/,
    )
  })

  it('the schema refuses malformed rules with 400', () => {
    for (const bad of [
      {},
      { rules: [] },
      { rules: [{ local: [] }] },
      { rules: [{ local: [{ user: { name: 'x' } }], remote: [] }] },
      { rules: [{ local: [{ bogus: 1 }], remote: [{ type: 'a' }] }] },
      { rules: [{ local: [{ user: { type: 'weird' } }], remote: [{ type: 'a' }] }] },
      { rules: [{ local: [], remote: [{ type: 'a', any_one_of: ['x'], not_any_of: ['y'] }] }] },
      { rules: [{ local: [{ group: { name: 'no-domain' } }], remote: [{ type: 'a' }] }] },
    ]) {
      assert.throws(() => validateMappingRules(bad), ValidationFailed, JSON.stringify(bad))
    }
    validateMappingRules({
      rules: [
        {
          local: [{ user: { name: '{0}' } }, { group: { id: 'g' } }],
          remote: [{ type: 'a' }, { type: 'b', regex: true, whitelist: ['x'] }],
        },
      ],
    })
  })
})
