/**
 * Imports across API processes: `cloudlet up` and a second `cloudlet api --services
 * image` with its own data directory and host name, sharing the first one's image
 * database, stores and staging area (as scripts/conformance/tempest.sh image runs them
 * for tempest's remote tests). Data staged through one is imported, or deleted, through
 * the other; a restart of the second does not touch the first one's transfers.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  adminToken,
  type CloudProcess,
  startApiProcess,
  startCloudProcess,
} from '../../../../test/support/cloud-process.js'

function startImageApi(dataDir: string, env: NodeJS.ProcessEnv) {
  return startApiProcess(['--services', 'image', '--data-dir', dataDir], env)
}

describe('image imports across two API processes', { timeout: 120_000 }, () => {
  let cloud: CloudProcess
  let token: string
  let second: Awaited<ReturnType<typeof startImageApi>>
  const secondDir = mkdtempSync(join(tmpdir(), 'cloudlet-image-second-'))
  let secondEnv: NodeJS.ProcessEnv

  before(async () => {
    cloud = await startCloudProcess()
    const creds = JSON.parse(readFileSync(join(cloud.dataDir, 'credentials.json'), 'utf8'))
    token = await adminToken(cloud.authUrl, creds.adminPassword)
    secondEnv = {
      OS_DEFAULT__HOST: 'image-second',
      OS_DATABASE__CONNECTION: `sqlite:///${join(cloud.dataDir, 'image.db')}`,
      OS_KEYSTONE_AUTHTOKEN__AUTH_URL: `${cloud.url}/identity`,
      OS_GLANCE_STORE__FILESYSTEM_STORE_DATADIR: join(cloud.dataDir, 'image', 'images'),
      OS_OS_GLANCE_STAGING_STORE__FILESYSTEM_STORE_DATADIR: join(cloud.dataDir, 'image', 'staging'),
    }
    second = await startImageApi(secondDir, secondEnv)
  })
  after(async () => {
    await second?.stop()
    await cloud?.stop()
    rmSync(secondDir, { recursive: true, force: true })
  })

  const call = async (base: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}/image${path}`, {
      method,
      headers: {
        'x-auth-token': token,
        ...(body === undefined
          ? {}
          : { 'content-type': Buffer.isBuffer(body) ? 'application/octet-stream' : 'application/json' }),
      },
      ...(body === undefined ? {} : { body: Buffer.isBuffer(body) ? body : JSON.stringify(body) }),
    })
    const text = await res.text()
    return { status: res.status, json: text ? JSON.parse(text) : undefined }
  }
  const staged = async () => {
    const id = (await call(cloud.url, 'POST', '/v2/images', { disk_format: 'raw', container_format: 'bare' }))
      .json.id
    const data = randomBytes(300_000)
    assert.equal((await call(cloud.url, 'PUT', `/v2/images/${id}/stage`, data)).status, 204)
    return { id: id as string, data }
  }

  it('stages through the first and imports through the second', async () => {
    const { id, data } = await staged()
    const r = await call(second.url, 'POST', `/v2/images/${id}/import`, { method: { name: 'glance-direct' } })
    assert.equal(r.status, 202)
    let img = (await call(cloud.url, 'GET', `/v2/images/${id}`)).json
    for (let i = 0; i < 300 && img.status !== 'active'; i++) {
      await new Promise((res) => setTimeout(res, 20))
      img = (await call(cloud.url, 'GET', `/v2/images/${id}`)).json
    }
    assert.equal(img.status, 'active')
    assert.equal(img.os_hash_value, createHash('sha512').update(data).digest('hex'))
    // The task ends once the staged data is gone (just after the image turns active).
    let task = (await call(cloud.url, 'GET', `/v2/images/${id}/tasks`)).json.tasks[0]
    for (let i = 0; i < 300 && task.status === 'processing'; i++) {
      await new Promise((res) => setTimeout(res, 20))
      task = (await call(cloud.url, 'GET', `/v2/images/${id}/tasks`)).json.tasks[0]
    }
    assert.equal(task.status, 'success')
    assert.ok(!existsSync(join(cloud.dataDir, 'image', 'staging', id)))
  })

  it('stages through the first and deletes through the second: staged data gone', async () => {
    const { id } = await staged()
    assert.equal((await call(second.url, 'DELETE', `/v2/images/${id}`)).status, 204)
    assert.equal((await call(cloud.url, 'GET', `/v2/images/${id}`)).status, 404)
    assert.ok(!existsSync(join(cloud.dataDir, 'image', 'staging', id)))
  })

  it("a restart of the second leaves the first one's staged image and transfers alone", async () => {
    const { id } = await staged()
    await second.stop()
    second = await startImageApi(secondDir, secondEnv)
    const img = (await call(cloud.url, 'GET', `/v2/images/${id}`)).json
    assert.equal(img.status, 'uploading')
    assert.ok(existsSync(join(cloud.dataDir, 'image', 'staging', id)))
  })
})
