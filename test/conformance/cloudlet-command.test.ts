/**
 * The `cloudlet` command as an operator uses it: start, stop with Ctrl-C, start again on
 * the same data directory, admin commands beside a running cloud, config checks.
 */
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { promisify } from 'node:util'
import yaml from 'js-yaml'
import { CLOUDLET, startCloudProcess } from '../support/cloud-process.js'

const run = promisify(execFile)

async function cloudlet(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string }> {
  try {
    const r = await run(process.execPath, [CLOUDLET, ...args], {
      env: { ...process.env, ...env },
      timeout: 60_000,
    })
    return { code: 0, out: r.stdout + r.stderr }
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string }
    return { code: e.code ?? 1, out: (e.stdout ?? '') + (e.stderr ?? '') }
  }
}

async function issueToken(authUrl: string, password: string): Promise<{ token: string; status: number }> {
  const res = await fetch(`${authUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'admin', domain: { id: 'default' }, password } },
        },
        scope: { project: { name: 'admin', domain: { id: 'default' } } },
      },
    }),
  })
  return { token: res.headers.get('x-subject-token') ?? '', status: res.status }
}

const dirs: string[] = []
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'cloudlet-cmd-'))
  dirs.push(d)
  return d
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe('cloudlet command', () => {
  it('config check reports unknown options with suggestions and invalid values, and exits non-zero on errors', async () => {
    const dir = tempDir()
    const bad = join(dir, 'bad.conf')
    writeFileSync(
      bad,
      '[token]\nexpiraton = 10\n\n[identity]\npassword_hash_rounds = lots\n\n[databse]\nconnection = sqlite://\n',
    )
    const r = await cloudlet(['config', 'check', bad])
    assert.equal(r.code, 1, r.out)
    assert.match(r.out, /expiraton/)
    assert.match(r.out, /expiration/) // did you mean
    assert.match(r.out, /password_hash_rounds/)
    assert.match(r.out, /database/)
    const good = join(dir, 'good.conf')
    writeFileSync(good, '[token]\nexpiration = 7200\n\n[database]\nconnection = sqlite:///x.db\n')
    const ok = await cloudlet(['config', 'check', good])
    assert.equal(ok.code, 0, ok.out)
  })

  it('stops cleanly on Ctrl-C and keeps everything on the next start', async () => {
    const dataDir = tempDir()
    const first = await startCloudProcess({ dataDir })
    const password = (
      JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8')) as { adminPassword: string }
    ).adminPassword
    const { token, status } = await issueToken(first.authUrl, password)
    assert.equal(status, 201)
    const created = await fetch(`${first.authUrl}/projects`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-auth-token': token },
      body: JSON.stringify({ project: { name: 'survivor' } }),
    })
    assert.equal(created.status, 201)
    assert.equal(await first.kill('SIGINT'), 0, 'a clean exit on SIGINT')

    const second = await startCloudProcess({ dataDir })
    try {
      // The project survived, and so did the signing key: the old token still works.
      const list = await fetch(`${second.authUrl}/projects?name=survivor`, {
        headers: { 'x-auth-token': token },
      })
      assert.equal(list.status, 200)
      assert.equal(((await list.json()) as { projects: unknown[] }).projects.length, 1)
      assert.equal((await issueToken(second.authUrl, password)).status, 201)
      // The clouds.yaml entries point at the new port.
      const clouds = yaml.load(readFileSync(join(dataDir, 'clouds.yaml'), 'utf8')) as {
        clouds: Record<string, { auth: { auth_url: string } }>
      }
      assert.equal(clouds.clouds['cloudlet-admin']?.auth.auth_url, second.authUrl)
      assert.equal(clouds.clouds.cloudlet?.auth.auth_url, second.authUrl)

      // Admin commands run beside the live cloud (they do not bind its port).
      const upgrade = await cloudlet(['db', 'upgrade', '--data-dir', dataDir])
      assert.equal(upgrade.code, 0, upgrade.out)
      const rotate = await cloudlet(['token', 'rotate', '--data-dir', dataDir])
      assert.equal(rotate.code, 0, rotate.out)
      const still = await fetch(`${second.authUrl}/projects`, { headers: { 'x-auth-token': token } })
      assert.equal(still.status, 200, 'tokens signed before a rotation stay valid')
    } finally {
      await second.kill('SIGINT')
    }
  })

  it('exits soon after Ctrl-C even when a keep-alive connection was busy at that moment', async () => {
    const cloud = await startCloudProcess()
    // A keep-alive connection with a request in flight when SIGINT arrives: once it is
    // answered the connection idles, and must not hold the process open.
    const agent = new http.Agent({ keepAlive: true })
    const slow = new Promise<number>((resolve, reject) => {
      const req = http.request(
        `${cloud.url}/placement/resource_providers`,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', 'x-auth-token': 'x' } },
        (res) => {
          res.resume()
          res.on('end', () => resolve(res.statusCode ?? 0))
        },
      )
      req.on('error', reject)
      req.write('{"name": ')
      // The rest of the body follows the signal.
      setTimeout(() => req.end('"late"}'), 300)
    })
    await new Promise((r) => setTimeout(r, 100))
    const t0 = Date.now()
    const exited = cloud.kill('SIGINT')
    assert.ok((await slow) > 0, 'the request in flight is answered')
    assert.equal(await exited, 0, 'a clean exit')
    assert.ok(Date.now() - t0 < 15_000, `exited after ${Date.now() - t0} ms`)
    agent.destroy()
  })

  it('keeps other clouds in clouds.yaml', async () => {
    const dataDir = tempDir()
    writeFileSync(
      join(dataDir, 'clouds.yaml'),
      yaml.dump({ clouds: { elsewhere: { auth: { auth_url: 'https://x/v3' } } } }),
    )
    const cloud = await startCloudProcess({ dataDir })
    try {
      const clouds = yaml.load(readFileSync(join(dataDir, 'clouds.yaml'), 'utf8')) as {
        clouds: Record<string, unknown>
      }
      assert.deepEqual(Object.keys(clouds.clouds).sort(), ['cloudlet', 'cloudlet-admin', 'elsewhere'])
    } finally {
      await cloud.kill('SIGINT')
    }
  })

  it('rejects unknown commands and services with a usage error', async () => {
    assert.equal((await cloudlet(['frobnicate'])).code, 2)
    const r = await cloudlet(['up', '--services', 'nova', '--data-dir', tempDir()])
    assert.equal(r.code, 2)
    assert.match(r.out, /unknown service "nova"/)
  })

  it('serves an API from several worker processes that stay consistent', async () => {
    const dataDir = tempDir()
    const conf = join(dataDir, 'placement.conf')
    writeFileSync(conf, '[api]\nauth_strategy = noauth2\n')
    const child = spawn(
      process.execPath,
      [
        CLOUDLET,
        'api',
        '--services',
        'placement',
        '--workers',
        '2',
        '--port',
        '0',
        '--data-dir',
        dataDir,
        '--config-file',
        conf,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    child.stdout.on('data', (c: Buffer) => {
      out += c
    })
    child.stderr.on('data', (c: Buffer) => {
      out += c
    })
    try {
      const url = await new Promise<string>((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`workers did not start:\n${out}`)), 20_000)
        const poll = setInterval(() => {
          const lines = [...out.matchAll(/serving \/placement at (\S+) \(worker (\d+)\)/g)]
          if (new Set(lines.map((m) => m[2])).size === 2) {
            clearInterval(poll)
            clearTimeout(timer)
            done(lines[0]![1]!)
          }
        }, 50)
      })
      const h = {
        'x-auth-token': 'admin',
        'openstack-api-version': 'placement 1.39',
        'content-type': 'application/json',
      }
      for (let i = 1; i <= 8; i++) {
        // Fresh connections, so the requests spread over both workers.
        const made = await fetch(`${url}/placement/resource_providers`, {
          method: 'POST',
          headers: { ...h, connection: 'close' },
          body: JSON.stringify({ name: `rp-${i}` }),
        })
        assert.equal(made.status, 200)
        const list = await fetch(`${url}/placement/resource_providers`, {
          headers: { ...h, connection: 'close' },
        })
        const { resource_providers } = (await list.json()) as { resource_providers: unknown[] }
        assert.equal(resource_providers.length, i, 'every worker sees every earlier write')
      }
      // Concurrent writes through both processes into one SQLite file: none may fail
      // (a second writer waits for the lock instead of getting SQLITE_BUSY).
      const burst = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          fetch(`${url}/placement/resource_providers`, {
            method: 'POST',
            headers: { ...h, connection: 'close' },
            body: JSON.stringify({ name: `burst-${i}` }),
          }).then((r) => r.status),
        ),
      )
      assert.deepEqual(
        burst.filter((st) => st !== 200),
        [],
      )
      const all = await fetch(`${url}/placement/resource_providers`, { headers: h })
      assert.equal(((await all.json()) as { resource_providers: unknown[] }).resource_providers.length, 48)
    } finally {
      const code = await new Promise<number | null>((done) => {
        child.once('exit', (c) => done(c))
        child.kill('SIGINT')
      })
      assert.equal(code, 0)
    }
  })

  it('refuses workers for the image service and for cloudlet up', async () => {
    const img = await cloudlet(['api', '--services', 'image', '--workers', '2', '--data-dir', tempDir()])
    assert.equal(img.code, 2)
    assert.match(img.out, /cannot serve image/)
    const up = await cloudlet(['up', '--workers', '2', '--data-dir', tempDir()])
    assert.equal(up.code, 2)
  })
})
