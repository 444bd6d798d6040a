/**
 * The whole cloud on one shared server database, as a scaled-out deployment runs it:
 * `[database] connection` pointing at PostgreSQL or MariaDB, every service's tables side
 * by side. A flow across identity, placement and image, then a restart on the same
 * database: everything is still there.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import { createTestDatabase } from '../../src/kernel/db/testing.js'
import { adminToken, startCloudProcess } from '../support/cloud-process.js'

for (const dialect of ['postgres', 'mysql'] as const) {
  describe(`whole cloud on ${dialect}`, () => {
    it('serves identity, placement and image from one shared database and keeps it across restarts', async () => {
      const tdb = await createTestDatabase(dialect)
      const env = { OS_DATABASE__CONNECTION: tdb.connection, CLOUDLET_ADMIN_PASSWORD: 'admin-pw' }
      const first = await startCloudProcess({ env })
      const dataDir = first.dataDir
      const data = Buffer.from('image bytes on a server database\n'.repeat(1000))
      let imageId = ''
      let providerId = ''
      try {
        const token = await adminToken(first.authUrl, 'admin-pw')
        const h = { 'x-auth-token': token, 'content-type': 'application/json' }
        const project = await fetch(`${first.authUrl}/projects`, {
          method: 'POST',
          headers: h,
          body: JSON.stringify({ project: { name: `on-${dialect}` } }),
        })
        assert.equal(project.status, 201)
        const rp = await fetch(`${first.url}/placement/resource_providers`, {
          method: 'POST',
          headers: { ...h, 'openstack-api-version': 'placement 1.20' },
          body: JSON.stringify({ name: `rp-${dialect}` }),
        })
        assert.equal(rp.status, 200, await rp.clone().text())
        providerId = ((await rp.json()) as { uuid: string }).uuid
        const image = await fetch(`${first.url}/image/v2/images`, {
          method: 'POST',
          headers: h,
          body: JSON.stringify({ name: 'img', disk_format: 'raw', container_format: 'bare' }),
        })
        assert.equal(image.status, 201)
        imageId = ((await image.json()) as { id: string }).id
        const upload = await fetch(`${first.url}/image/v2/images/${imageId}/file`, {
          method: 'PUT',
          headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream' },
          body: data,
        })
        assert.equal(upload.status, 204)
      } finally {
        assert.equal(await first.kill('SIGINT'), 0)
      }

      const second = await startCloudProcess({ env, dataDir })
      try {
        const token = await adminToken(second.authUrl, 'admin-pw')
        const h = { 'x-auth-token': token }
        const projects = (await (
          await fetch(`${second.authUrl}/projects?name=on-${dialect}`, { headers: h })
        ).json()) as { projects: unknown[] }
        assert.equal(projects.projects.length, 1)
        const rp = await fetch(`${second.url}/placement/resource_providers/${providerId}`, {
          headers: { ...h, 'openstack-api-version': 'placement 1.20' },
        })
        assert.equal(rp.status, 200)
        const shown = (await (
          await fetch(`${second.url}/image/v2/images/${imageId}`, { headers: h })
        ).json()) as { status: string; os_hash_value: string }
        assert.equal(shown.status, 'active')
        assert.equal(shown.os_hash_value, createHash('sha512').update(data).digest('hex'))
        const download = Buffer.from(
          await (await fetch(`${second.url}/image/v2/images/${imageId}/file`, { headers: h })).arrayBuffer(),
        )
        assert.ok(download.equals(data))
      } finally {
        await second.stop()
        await tdb.drop()
      }
    })
  })
}
