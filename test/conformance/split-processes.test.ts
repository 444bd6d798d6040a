/**
 * Processes that run part of the cloud: `cloudlet api --services placement` beside a
 * running `cloudlet up` opens and migrates placement's database only, and validates
 * tokens by asking the running identity (`[keystone_authtoken] auth_url`).
 */
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  adminToken,
  type CloudProcess,
  startApiProcess as startApi,
  startCloudProcess,
} from '../support/cloud-process.js'

describe('split processes', () => {
  let cloud: CloudProcess
  let token: string
  before(async () => {
    cloud = await startCloudProcess()
    const creds = JSON.parse(readFileSync(join(cloud.dataDir, 'credentials.json'), 'utf8'))
    token = await adminToken(cloud.authUrl, creds.adminPassword)
  })
  after(() => cloud.stop())

  it('`api --services placement` opens placement only and validates tokens with the running identity', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cloudlet-placement-only-'))
    after(() => rmSync(dataDir, { recursive: true, force: true }))
    const api = await startApi(['--services', 'placement', '--data-dir', dataDir], {
      OS_KEYSTONE_AUTHTOKEN__AUTH_URL: `${cloud.url}/identity`,
    })
    try {
      const ok = await fetch(`${api.url}/placement/resource_providers`, {
        headers: { 'x-auth-token': token },
      })
      assert.equal(ok.status, 200)
      const bad = await fetch(`${api.url}/placement/resource_providers`, {
        headers: { 'x-auth-token': 'nope' },
      })
      assert.equal(bad.status, 401)
      const anonymous = await fetch(`${api.url}/placement/resource_providers`)
      assert.equal(anonymous.status, 401)
    } finally {
      await api.stop()
    }
    assert.deepEqual(
      readdirSync(dataDir).filter((f) => f.endsWith('.db')),
      ['placement.db'],
    )
  })
})
