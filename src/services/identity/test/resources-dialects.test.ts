/**
 * The resource half's storage on every dialect (SQLite, PostgreSQL, MariaDB): migrate,
 * bootstrap, then the queries behind hierarchy, assignments, uniqueness and cascades.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { enabledDialects } from '../../../kernel/db/testing.js'
import { startResourceHarness } from './resources-harness.js'

describe('identity resources on every dialect', () => {
  for (const dialect of enabledDialects()) {
    it(dialect, async () => {
      const h = await startResourceHarness({ dialect })
      try {
        const d = await h.call('POST', '/v3/domains', { domain: { name: 'dx' } })
        assert.equal(d.status, 201)
        assert.equal((await h.call('POST', '/v3/domains', { domain: { name: 'dx' } })).status, 409)
        const p = (
          await h.call('POST', '/v3/projects', {
            project: { name: 'px', domain_id: d.json.domain.id, tags: ['t'] },
          })
        ).json.project
        const u = (
          await h.call('POST', '/v3/users', {
            user: { name: 'ux', domain_id: d.json.domain.id, password: 'pw' },
          })
        ).json.user
        const roles = (await h.call('GET', '/v3/roles?name=admin')).json.roles
        assert.equal(
          (await h.call('PUT', `/v3/projects/${p.id}/users/${u.id}/roles/${roles[0].id}`)).status,
          204,
        )
        const eff = await h.call('GET', `/v3/role_assignments?effective&user.id=${u.id}`)
        assert.equal(eff.json.role_assignments.length, 4) // admin, manager, member, reader
        assert.equal((await h.call('GET', '/v3/projects?tags=t')).json.projects.length, 1)
        await h.call('PATCH', `/v3/domains/${d.json.domain.id}`, { domain: { enabled: false } })
        assert.equal((await h.call('DELETE', `/v3/domains/${d.json.domain.id}`)).status, 204)
        assert.equal((await h.call('GET', `/v3/users/${u.id}`)).status, 404)
        assert.equal(
          (await h.call('GET', `/v3/role_assignments?user.id=${u.id}`)).json.role_assignments.length,
          0,
        )
      } finally {
        await h.close()
      }
    })
  }
})
