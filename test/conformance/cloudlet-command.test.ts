/**
 * The `cloudlet` command as an operator uses it: start, stop with Ctrl-C, start again on
 * the same data directory, admin commands beside a running cloud, config checks; and as
 * an operator gets it wrong: bad command lines, busy ports, bad configuration, a second
 * process on a data directory in use, each answered with one line and exit code 2.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
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

      // db upgrade is refused beside the live cloud; token rotate runs beside it.
      const upgrade = await cloudlet(['db', 'upgrade', '--data-dir', dataDir])
      assert.equal(upgrade.code, 2, upgrade.out)
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

  it('serves an API from several worker processes that stay consistent, and replaces one that dies', async () => {
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

      // A worker that dies is replaced; a replacement that dies young waits longer.
      const workerPids = () => [...out.matchAll(/\(worker (\d+)\)/g)].map((m) => Number(m[1]))
      const newWorker = (known: Set<number>) =>
        new Promise<number>((done, fail) => {
          const timer = setTimeout(() => fail(new Error(`no new worker:\n${out}`)), 20_000)
          const poll = setInterval(() => {
            const pid = workerPids().find((p) => !known.has(p))
            if (pid) {
              clearInterval(poll)
              clearTimeout(timer)
              done(pid)
            }
          }, 50)
        })
      const known = new Set(workerPids())
      process.kill([...known][0]!, 'SIGKILL')
      const replacement = await newWorker(known)
      known.add(replacement)
      process.kill(replacement, 'SIGKILL')
      const third = await newWorker(known)
      const delays = [...out.matchAll(/"restartInMs":(\d+)/g)].map((m) => Number(m[1]))
      assert.equal(delays.length, 2, out)
      assert.ok(delays[1]! > delays[0]!, `backoff: ${delays.join(', ')} ms`)
      assert.ok(third > 0)
      for (let i = 0; i < 4; i++) {
        const again = await fetch(`${url}/placement/resource_providers`, {
          headers: { ...h, connection: 'close' },
        })
        assert.equal(again.status, 200)
        await again.arrayBuffer()
      }
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

interface Run {
  code: number
  stdout: string
  stderr: string
}

/** Runs the command to its end with stdout and stderr apart. */
async function runCloudlet(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  try {
    const r = await run(process.execPath, [CLOUDLET, ...args], {
      env: { ...process.env, OS_IDENTITY__PASSWORD_HASH_ROUNDS: '4', ...env },
      timeout: 60_000,
    })
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string }
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

/** Exit code 2 and exactly one line on stderr, `cloudlet: ...`, with no stack trace. */
function assertOneLineError(r: Run, expected: RegExp, what = ''): void {
  const context = `${what}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`
  assert.equal(r.code, 2, context)
  const lines = r.stderr.trimEnd().split('\n')
  assert.equal(lines.length, 1, context)
  assert.match(lines[0]!, /^cloudlet: /, context)
  assert.match(lines[0]!, expected, context)
  assert.doesNotMatch(r.stderr, /\n\s+at /, context)
}

interface Up {
  url: string
  port: number
  child: ChildProcess
  /** stdout lines with the time (ms since spawn) each arrived. */
  lines: Array<{ at: number; text: string }>
  stderr: string[]
  /** SIGINT and wait; the exit code. */
  stop(): Promise<number | null>
}

/** `cloudlet up` in a child process, watched line by line. */
async function startUp(dataDir: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Up> {
  const t0 = performance.now()
  const child = spawn(
    process.execPath,
    [CLOUDLET, 'up', '--port', '0', '--data-dir', dataDir, '--no-clouds-yaml', ...args],
    {
      env: { ...process.env, OS_IDENTITY__PASSWORD_HASH_ROUNDS: '4', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  const lines: Up['lines'] = []
  const stderr: string[] = []
  let partial = ''
  child.stdout!.on('data', (c: Buffer) => {
    const parts = (partial + c.toString()).split('\n')
    partial = parts.pop()!
    for (const text of parts) lines.push({ at: performance.now() - t0, text })
  })
  let errPartial = ''
  child.stderr!.on('data', (c: Buffer) => {
    const parts = (errPartial + c.toString()).split('\n')
    errPartial = parts.pop()!
    stderr.push(...parts)
  })
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`not up in 30 s:\n${lines.map((l) => l.text).join('\n')}`)),
      30_000,
    )
    const poll = setInterval(() => {
      const m = lines.map((l) => /Cloudlet is up at (\S+)/.exec(l.text)).find(Boolean)
      if (m) {
        clearInterval(poll)
        clearTimeout(timer)
        done(m[1]!)
      }
    }, 20)
    child.once('exit', (code) => {
      clearInterval(poll)
      clearTimeout(timer)
      fail(new Error(`exited with ${code}:\n${lines.map((l) => l.text).join('\n')}\n${stderr.join('\n')}`))
    })
  })
  return {
    url,
    port: Number(new URL(url).port),
    child,
    lines,
    stderr,
    stop: () =>
      new Promise((done) => {
        if (child.exitCode !== null) return done(child.exitCode)
        child.once('exit', (code) => done(code))
        child.kill('SIGINT')
      }),
  }
}

async function adminToken(url: string, dataDir: string): Promise<string> {
  const { adminPassword } = JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8')) as {
    adminPassword: string
  }
  const { token, status } = await issueToken(`${url}/identity/v3`, adminPassword)
  assert.equal(status, 201)
  return token
}

/** The `kid` in a JWS token's protected header. */
function kidOf(token: string): string {
  return (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid
}

describe('cloudlet command: mistakes cost one line and nothing else', () => {
  it('answers each bad command line with one line on stderr and exit code 2, writing nothing', async () => {
    const base = tempDir()
    const cases: Array<[string[], RegExp]> = [
      [['up', '--port', 'abc'], /--port takes a port number from 0 to 65535, not "abc"/],
      [['up', '--port', '99999'], /--port takes a port number from 0 to 65535, not "99999"/],
      [['up', '--port', '-5'], /--port takes a port number from 0 to 65535, not "-5"/],
      [['up', '--prot', '5000'], /unknown option --prot \(did you mean --port\?\); see 'cloudlet --help'/],
      [['up', '--port'], /--port needs a value \(N\); see 'cloudlet --help'/],
      [['up', '--no-clouds-yaml=no'], /--no-clouds-yaml takes no value/],
      [
        ['up', '--log-level', 'loud'],
        /--log-level takes one of trace, debug, info, warn, error, fatal, silent/,
      ],
      [['up', '--services', 'nova'], /unknown service "nova"; known: identity/],
      [['api', '--workers', 'two'], /--workers takes a whole number/],
      [['db', 'upgarde'], /cloudlet db has no "upgarde"; it takes one of: upgrade/],
      [['frobnicate'], /unknown command "frobnicate"; see 'cloudlet --help'/],
      [['db', 'upgrade'], /data directory \S+ does not exist/],
      [['token', 'rotate'], /data directory \S+ does not exist/],
    ]
    for (const [i, [args, expected]] of cases.entries()) {
      const dataDir = join(base, `d${i}`)
      const r = await runCloudlet([...args, '--data-dir', dataDir])
      assertOneLineError(r, expected, args.join(' '))
      assert.equal(existsSync(dataDir), false, `cloudlet ${args.join(' ')} created ${dataDir}`)
    }
  })

  it('refuses a port in use in one line, before creating the data directory', async () => {
    const holder = net.createServer()
    await new Promise<void>((done) => holder.listen(0, '127.0.0.1', done))
    const { port } = holder.address() as net.AddressInfo
    try {
      const dataDir = join(tempDir(), 'fresh')
      const r = await runCloudlet(['up', '--port', String(port), '--data-dir', dataDir])
      assertOneLineError(r, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`))
      assert.equal(existsSync(dataDir), false)
    } finally {
      holder.close()
    }
  })

  it('config check and up refuse an invalid value alike: same words, and up writes nothing', async () => {
    const dir = tempDir()
    const conf = join(dir, 'cloudlet.conf')
    writeFileSync(conf, '[DEFAULT]\nuser_storage_quota = 10 gigs\n')
    const finding = `${conf}:2: error: [DEFAULT] user_storage_quota: invalid value "10 gigs": must be a size`
    const check = await runCloudlet(['config', 'check', conf])
    assert.equal(check.code, 1, check.stdout)
    assert.ok(check.stdout.includes(finding), check.stdout)
    const dataDir = join(dir, 'data')
    const up = await runCloudlet(['up', '--port', '0', '--config-file', conf, '--data-dir', dataDir])
    assertOneLineError(up, /user_storage_quota/)
    assert.ok(up.stderr.includes(finding), up.stderr)
    assert.equal(existsSync(dataDir), false)
  })
})

describe('cloudlet command: one owner per data directory', () => {
  it('refuses a second up, db upgrade and bootstrap while the first serves; its upload and catalog are untouched', async () => {
    const dataDir = tempDir()
    const first = await startUp(dataDir)
    try {
      const token = await adminToken(first.url, dataDir)
      const h = { 'x-auth-token': token, 'content-type': 'application/json' }
      const created = await fetch(`${first.url}/image/v2/images`, {
        method: 'POST',
        headers: h,
        body: JSON.stringify({ name: 'in-flight', disk_format: 'raw', container_format: 'bare' }),
      })
      assert.equal(created.status, 201)
      const { id } = (await created.json()) as { id: string }

      // An upload that streams for as long as the other commands take.
      const chunk = Buffer.alloc(256 * 1024, 7)
      const chunks = 32
      let sent = 0
      let release!: () => void
      const gate = new Promise<void>((r) => {
        release = r
      })
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (sent === 4) await gate
          if (sent === chunks) return controller.close()
          sent++
          controller.enqueue(new Uint8Array(chunk))
        },
      })
      const upload = fetch(`${first.url}/image/v2/images/${id}/file`, {
        method: 'PUT',
        headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream' },
        body,
        duplex: 'half',
      } as RequestInit)
      while (sent < 4) await new Promise((r) => setTimeout(r, 20))

      const owner = new RegExp(`in use by cloudlet up \\(pid ${first.child.pid}, port ${first.port}, since `)
      const upgrade = await runCloudlet(['db', 'upgrade', '--data-dir', dataDir])
      assertOneLineError(upgrade, owner, 'db upgrade')
      assert.match(upgrade.stderr, /stop it first/)
      const boot = await runCloudlet(['bootstrap', '--data-dir', dataDir])
      assertOneLineError(boot, owner, 'bootstrap')
      assert.match(boot.stderr, /stop it first/)
      const second = await runCloudlet(['up', '--port', '0', '--data-dir', dataDir, '--no-clouds-yaml'])
      assertOneLineError(second, owner, 'second up')

      release()
      const done = await upload
      assert.equal(done.status, 204, await done.text())
      const image = (await (await fetch(`${first.url}/image/v2/images/${id}`, { headers: h })).json()) as {
        status: string
        size: number
      }
      assert.equal(image.status, 'active')
      assert.equal(image.size, chunk.length * chunks)

      // The catalog still points at the first cloud's port.
      const endpoints = (await (
        await fetch(`${first.url}/identity/v3/endpoints`, { headers: h })
      ).json()) as {
        endpoints: Array<{ url: string }>
      }
      assert.ok(endpoints.endpoints.length > 0)
      for (const e of endpoints.endpoints) assert.ok(e.url.startsWith(first.url), e.url)
    } finally {
      assert.equal(await first.stop(), 0)
    }
    // A clean stop leaves the directory free; nothing else to take over.
    assert.equal(existsSync(join(dataDir, 'cloudlet.lock')), false)
  })

  it('takes over the lock of a cloud that was killed', async () => {
    const dataDir = tempDir()
    const first = await startUp(dataDir)
    await new Promise<void>((done) => {
      first.child.once('exit', () => done())
      first.child.kill('SIGKILL')
    })
    assert.ok(existsSync(join(dataDir, 'cloudlet.lock')), 'kill -9 leaves the lock behind')
    const upgrade = await runCloudlet(['db', 'upgrade', '--data-dir', dataDir])
    assert.equal(upgrade.code, 0, upgrade.stderr)
    const again = await startUp(dataDir)
    assert.equal(await again.stop(), 0)
  })
})

describe('cloudlet command: start, logs and key rotation', () => {
  it('says it is starting at once, and times readiness from the start of the process', async () => {
    const dataDir = join(tempDir(), 'new')
    const up = await startUp(dataDir)
    try {
      const first = up.lines[0]!
      assert.match(first.text, /^Starting Cloudlet on \S+ \(a first start creates the databases\)/)
      const readyLine = up.lines.find((l) => /Cloudlet is up/.test(l.text))!
      assert.ok(first.at < readyLine.at, 'the starting line comes first')
      const [, ready, own] = /ready in (\d+) ms since the process started \((\d+) ms/
        .exec(readyLine.text)!
        .map(Number)
      // The process started after the spawn this test timed from, and before its own work.
      assert.ok(ready! <= readyLine.at, `reported ${ready} ms, observed ${readyLine.at} ms`)
      assert.ok(ready! > own!, 'module loading is counted too')
    } finally {
      await up.stop()
    }
  })

  it('logs JSON to a pipe without a line per request; --log-level debug and [DEFAULT] debug add them', async () => {
    const dir = tempDir()
    const debugConf = join(dir, 'debug.conf')
    writeFileSync(debugConf, '[DEFAULT]\ndebug = true\n')
    const variants: Array<[string, string[], boolean]> = [
      ['default', [], false],
      ['--log-level debug', ['--log-level', 'debug'], true],
      ['[DEFAULT] debug = true', ['--config-file', debugConf], true],
    ]
    for (const [name, args, perRequest] of variants) {
      const up = await startUp(join(dir, name.replace(/\W+/g, '-')), args)
      for (let i = 0; i < 3; i++) await (await fetch(`${up.url}/identity/v3`)).arrayBuffer()
      assert.equal(await up.stop(), 0)
      const records = up.stderr
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { level: number; msg: string; req?: unknown })
      assert.ok(
        records.some((r) => r.msg === 'stopping'),
        `${name}: info lines are kept`,
      )
      const requestLines = records.filter((r) => r.req !== undefined || r.msg === 'request completed')
      if (perRequest) assert.ok(requestLines.length >= 6 && requestLines.every((r) => r.level === 20), name)
      else assert.deepEqual(requestLines, [], name)
    }
  })

  const hasScript = existsSync('/usr/bin/script')
  it('logs short human lines to a terminal, and only warnings unless asked', {
    skip: !hasScript && 'no script(1)',
  }, async () => {
    const onTerminal = async (extra: string[]): Promise<string> => {
      const dataDir = tempDir()
      const cmd = [
        process.execPath,
        CLOUDLET,
        'up',
        '--port',
        '0',
        '--data-dir',
        dataDir,
        '--no-clouds-yaml',
        ...extra,
      ]
      const child = spawn('script', ['-qfec', cmd.join(' '), '/dev/null'], {
        env: { ...process.env, OS_IDENTITY__PASSWORD_HASH_ROUNDS: '4' },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let out = ''
      child.stdout!.on('data', (c: Buffer) => {
        out += c
      })
      const url = await new Promise<string>((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`not up:\n${out}`)), 30_000)
        const poll = setInterval(() => {
          const m = /Cloudlet is up at (\S+)/.exec(out)
          if (m) {
            clearInterval(poll)
            clearTimeout(timer)
            done(m[1]!)
          }
        }, 20)
      })
      for (let i = 0; i < 3; i++) await (await fetch(`${url}/identity/v3`)).arrayBuffer()
      // The cloud runs in script's own session: signal it by the pid its lock names.
      const { pid } = JSON.parse(readFileSync(join(dataDir, 'cloudlet.lock'), 'utf8')) as { pid: number }
      await new Promise<void>((done) => {
        child.once('exit', () => done())
        process.kill(pid, 'SIGINT')
      })
      return out
    }
    const quiet = await onTerminal([])
    assert.doesNotMatch(quiet, /"level"|INFO|DEBUG/, quiet)
    const info = await onTerminal(['--log-level', 'info'])
    assert.match(info, /\d\d:\d\d:\d\d INFO {2}Server listening at http/, info)
    assert.match(info, /\d\d:\d\d:\d\d INFO {2}stopping signal=SIGINT/, info)
    assert.doesNotMatch(info, /"level"|GET \/identity/, info)
  })

  it('token rotate takes effect in the running cloud: its next token is signed with the new key', async () => {
    const dataDir = tempDir()
    const up = await startUp(dataDir)
    try {
      const before = await adminToken(up.url, dataDir)
      const rotate = await runCloudlet(['token', 'rotate', '--data-dir', dataDir])
      assert.equal(rotate.code, 0, rotate.stderr)
      assert.match(
        rotate.stdout,
        new RegExp(`cloudlet up \\(pid ${up.child.pid}, port ${up.port}.*signs with it`),
      )
      const newKid = JSON.parse(
        rotate.stderr.split('\n').find((l) => l.includes('rotated the token signing key'))!,
      ).kid as string
      assert.notEqual(newKid, kidOf(before))
      await new Promise((r) => setTimeout(r, 1100))
      const after = await adminToken(up.url, dataDir)
      assert.equal(kidOf(after), newKid)
      // Tokens signed with the old key stay valid.
      const check = await fetch(`${up.url}/identity/v3/auth/tokens`, {
        headers: { 'x-auth-token': after, 'x-subject-token': before },
      })
      assert.equal(check.status, 200)
    } finally {
      await up.stop()
    }
  })
})
