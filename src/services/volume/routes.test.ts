/**
 * The route table's own checks: every route has a policy or is public, windows do not
 * overlap, every window names a declared microversion, every rule named is one of
 * block storage's, and every resource answers with and without a project in the URL.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { checkRouteTable, policiesOf } from '../../kernel/http/index.js'
import { VOLUME_SERVICE_RULES } from './policies/index.js'
import { ROUTES } from './routes.js'
import { VERSIONS } from './versions.js'

describe('volume route table', () => {
  it('passes the kernel checks', () => {
    assert.deepEqual(checkRouteTable(ROUTES, VERSIONS), [])
  })

  it('names only rules block storage declares', () => {
    const known = new Set(VOLUME_SERVICE_RULES.map((r) => r.name))
    for (const route of ROUTES)
      for (const rule of policiesOf(route))
        assert.ok(known.has(rule), `${route.method} ${route.path}: ${rule}`)
  })

  it('declares 3.0 to 3.70, one summary each', () => {
    assert.equal(String(VERSIONS.min), '3.0')
    assert.equal(String(VERSIONS.max), '3.70')
    assert.equal(VERSIONS.entries.length, 71)
    assert.ok(VERSIONS.entries.every((e) => e.summary.length > 0))
  })

  it('serves every resource with and without the project in the URL', () => {
    const plain = ROUTES.filter((r) => r.path.startsWith('/v3/') && !r.path.startsWith('/v3/:url_project'))
    const withProject = ROUTES.filter((r) => r.path.startsWith('/v3/:url_project/'))
    assert.equal(plain.length, withProject.length)
    for (const r of plain)
      assert.ok(
        withProject.some(
          (p) => p.method === r.method && p.path === r.path.replace('/v3/', '/v3/:url_project/'),
        ),
        `${r.method} ${r.path}`,
      )
  })

  it('keeps the versioned routes few and named', () => {
    const versioned = ROUTES.filter((r) => (r.min || r.max) && !r.path.includes(':url_project')).map(
      (r) => `${r.method} ${r.path} ${r.min ?? ''}`,
    )
    assert.deepEqual(versioned, [
      'GET /v3/volumes/summary 3.12',
      'POST /v3/manageable_volumes 3.8',
      'POST /v3/manageable_snapshots 3.8',
      'GET /v3/manageable_volumes 3.8',
      'GET /v3/manageable_volumes/detail 3.8',
      'GET /v3/manageable_snapshots 3.8',
      'GET /v3/manageable_snapshots/detail 3.8',
      'PUT /v3/default-types/:project_id 3.62',
      'GET /v3/default-types/:project_id 3.62',
      'GET /v3/default-types 3.62',
      'DELETE /v3/default-types/:project_id 3.62',
      'GET /v3/attachments 3.27',
      'GET /v3/attachments/detail 3.27',
      'POST /v3/attachments 3.27',
      'GET /v3/attachments/:attachment_id 3.27',
      'PUT /v3/attachments/:attachment_id 3.27',
      'DELETE /v3/attachments/:attachment_id 3.27',
      'POST /v3/attachments/:attachment_id/action 3.44',
      'POST /v3/volume-transfers 3.55',
      'GET /v3/volume-transfers 3.55',
      'GET /v3/volume-transfers/detail 3.55',
      'GET /v3/volume-transfers/:transfer_id 3.55',
      'DELETE /v3/volume-transfers/:transfer_id 3.55',
      'POST /v3/volume-transfers/:transfer_id/accept 3.55',
      'GET /v3/messages 3.3',
      'GET /v3/messages/:message_id 3.3',
      'DELETE /v3/messages/:message_id 3.3',
      'PUT /v3/backups/:backup_id 3.9',
      'GET /v3/group_types 3.11',
      'POST /v3/group_types 3.11',
      'GET /v3/group_types/:group_type_id 3.11',
      'PUT /v3/group_types/:group_type_id 3.11',
      'DELETE /v3/group_types/:group_type_id 3.11',
      'GET /v3/group_types/:group_type_id/group_specs 3.11',
      'POST /v3/group_types/:group_type_id/group_specs 3.11',
      'GET /v3/group_types/:group_type_id/group_specs/:spec_id 3.11',
      'PUT /v3/group_types/:group_type_id/group_specs/:spec_id 3.11',
      'DELETE /v3/group_types/:group_type_id/group_specs/:spec_id 3.11',
      'GET /v3/groups 3.13',
      'GET /v3/groups/detail 3.13',
      'POST /v3/groups 3.13',
      'POST /v3/groups/action 3.14',
      'GET /v3/groups/:group_id 3.13',
      'PUT /v3/groups/:group_id 3.13',
      'POST /v3/groups/:group_id/action 3.13',
      'GET /v3/group_snapshots 3.14',
      'GET /v3/group_snapshots/detail 3.14',
      'POST /v3/group_snapshots 3.14',
      'GET /v3/group_snapshots/:group_snapshot_id 3.14',
      'DELETE /v3/group_snapshots/:group_snapshot_id 3.14',
      'POST /v3/group_snapshots/:group_snapshot_id/action 3.19',
      'POST /v3/workers/cleanup 3.24',
    ])
  })
})
