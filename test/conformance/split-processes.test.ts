/**
 * Processes that run part of the cloud: `cloudlet api --services placement` beside a
 * running `cloudlet up` opens and migrates placement's database only, and validates
 * tokens by asking the running identity (`[keystone_authtoken] auth_url`).
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { adminToken, CLOUDLET, type CloudProcess, startCloudProcess } from '../support/cloud-process.js'

async function startApi(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [CLOUDLET, 'api', '--port', '0', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start in 20 s:\n${output}`)), 20_000)
    const read = (chunk: Buffer) => {
      output += chunk.toString()
      const m = /Cloudlet API serving .* at (http:\/\/[^\s"]+)/.exec(output)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    }
    child.stdout!.on('data', read)
    child.stderr!.on('data', read)
    child.on('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)))
  })
  const stop = () =>
    new Promise<void>((done) => {
      if (child.exitCode !== null) return done()
      child.once('exit', () => done())
      child.kill('SIGINT')
    })
  return { url, stop }
}

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
