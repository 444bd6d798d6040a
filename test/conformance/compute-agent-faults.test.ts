/**
 * Compute agents as separate processes, and what happens when one of them stops
 * answering. `cloudlet up` runs the API, conductor, scheduler and one simulated host;
 * `cloudlet compute --host far` runs another in its own process; both share a database and
 * a RabbitMQ vhost.
 *
 * - frozen: the far agent is stopped with SIGSTOP for FREEZE_S seconds (90 by default, as
 *   an operator's hung hypervisor). The API keeps answering; the far host's service is
 *   reported down within `service_down_time`; a boot started meanwhile ends ACTIVE on the
 *   live host; after SIGCONT the far service is up again and nothing stays in BUILD or a
 *   task state.
 * - killed mid-spawn: the far agent is killed with -9 while it spawns (its spawn takes
 *   seconds): the server is rescheduled to the live host or ends in ERROR, and its
 *   allocation on the dead host is gone.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createTestDatabase, type TestDatabase } from '../../src/kernel/db/testing.js'
import { adminToken, CLOUDLET, type CloudProcess, startCloudProcess } from '../support/cloud-process.js'
import { createRabbitVhost, type RabbitVhost } from '../support/rabbit-vhost.js'

const FREEZE_S = Number(process.env.CLOUDLET_FREEZE_SECONDS ?? 90)
const SERVICE_DOWN_TIME = 12
type Json = Record<string, unknown>
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('compute agents in their own process: frozen and killed', { timeout: 600_000 }, () => {
  let tdb: TestDatabase
  let vhost: RabbitVhost
  let cloud: CloudProcess
  let token = ''
  let imageId = ''
  const agentDirs: string[] = []
  const agents: ChildProcess[] = []
  let common: NodeJS.ProcessEnv = {}

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${cloud.url}${path}`, {
      method,
      headers: {
        'x-auth-token': token,
        'openstack-api-version': 'compute 2.37',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await res.text()
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Json }
  }
  const server = async (id: string) => (await call('GET', `/compute/v2.1/servers/${id}`)).body.server as Json
  const settle = async (id: string, limitMs = 120_000): Promise<Json> => {
    const deadline = Date.now() + limitMs
    for (;;) {
      const s = await server(id)
      if ((s.status !== 'BUILD' && !s['OS-EXT-STS:task_state']) || Date.now() > deadline) return s
      await sleep(300)
    }
  }
  const boot = async (name: string, zone?: string) => {
    const r = await call('POST', '/compute/v2.1/servers', {
      server: {
        name,
        imageRef: imageId,
        flavorRef: '1',
        networks: 'none',
        ...(zone ? { availability_zone: zone } : {}),
      },
    })
    assert.equal(r.status, 202, JSON.stringify(r.body))
    return (r.body.server as Json).id as string
  }
  const farService = async () => {
    const services = (await call('GET', '/compute/v2.1/os-services?binary=nova-compute')).body
      .services as Json[]
    return services.find((s) => s.host === 'far-fake-1')
  }
  const inPlacement = async (name: string) => {
    const res = await fetch(`${cloud.url}/placement/resource_providers?name=${name}`, {
      headers: { 'x-auth-token': token, 'openstack-api-version': 'placement 1.14' },
    })
    const body = (await res.json()) as { resource_providers?: { inventories?: unknown }[] }
    if (!body.resource_providers?.length) return false
    const uuid = (body.resource_providers[0] as { uuid: string }).uuid
    const inv = await fetch(`${cloud.url}/placement/resource_providers/${uuid}/inventories`, {
      headers: { 'x-auth-token': token, 'openstack-api-version': 'placement 1.14' },
    })
    const inventories = ((await inv.json()) as { inventories?: Record<string, unknown> }).inventories
    return Object.keys(inventories ?? {}).length > 0
  }
  const startAgent = async (env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> => {
    const dir = mkdtempSync(join(tmpdir(), 'cloudlet-agent-'))
    agentDirs.push(dir)
    const child = spawn(process.execPath, [CLOUDLET, 'compute', '--host', 'far', '--data-dir', dir], {
      env: { ...process.env, ...common, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    agents.push(child)
    let output = ''
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`agent did not start:\n${output}`)), 30_000)
      const read = (c: Buffer) => {
        output += c.toString()
        if (/compute agents started/.test(output)) {
          clearTimeout(timer)
          resolve()
        }
      }
      child.stdout!.on('data', read)
      child.stderr!.on('data', read)
      child.on('exit', (code) => reject(new Error(`agent exited with ${code}:\n${output}`)))
    })
    // Until it is up in the registry and placement, the scheduler cannot choose it.
    for (let i = 0; i < 100 && (await farService())?.state !== 'up'; i++) await sleep(200)
    for (let i = 0; i < 100 && !(await inPlacement('far-fake-1')); i++) await sleep(200)
    return child
  }
  const stopAgent = async (child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const gone = new Promise((r) => child.once('exit', r))
    child.kill(signal)
    await gone
  }

  before(async () => {
    tdb = await createTestDatabase('sqlite')
    vhost = await createRabbitVhost('cloudlet-agent-faults')
    common = {
      OS_DATABASE__CONNECTION: tdb.connection,
      OS_DEFAULT__TRANSPORT_URL: vhost.url,
      OS_DEFAULT__REPORT_INTERVAL: '2',
      OS_DEFAULT__SERVICE_DOWN_TIME: String(SERVICE_DOWN_TIME),
      OS_DEFAULT__RPC_RESPONSE_TIMEOUT: '8',
      OS_FAKE_DRIVER__HOSTS: '1',
      OS_FAKE_DRIVER__TIMING_JITTER: '0',
      CLOUDLET_ADMIN_PASSWORD: 'admin-pw',
    }
    cloud = await startCloudProcess({ env: { ...common, OS_DEFAULT__HOST: 'near' } })
    common.OS_SERVICE_ENDPOINTS__ENDPOINTS = `placement=${cloud.url}/placement,image=${cloud.url}/image`
    token = await adminToken(cloud.authUrl, 'admin-pw')
    const image = await call('POST', '/image/v2/images', {
      name: 'faults',
      disk_format: 'raw',
      container_format: 'bare',
    })
    imageId = image.body.id as string
    const put = await fetch(`${cloud.url}/image/v2/images/${imageId}/file`, {
      method: 'PUT',
      headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(512, 3),
    })
    assert.equal(put.status, 204)
  })
  after(async () => {
    for (const a of agents) {
      if (a.signalCode === null && a.exitCode === null) a.kill('SIGCONT')
      await stopAgent(a, 'SIGKILL')
    }
    await cloud?.stop()
    for (const d of agentDirs) rmSync(d, { recursive: true, force: true })
    await tdb?.drop()
    await vhost?.drop()
  })

  it(`a compute agent frozen with SIGSTOP for ${FREEZE_S} s: the API answers, the service goes down, nothing is stuck after SIGCONT`, async () => {
    const agent = await startAgent()
    const before = await boot('before-freeze', 'nova:far-fake-1')
    const first = await settle(before)
    assert.equal(first.status, 'ACTIVE', JSON.stringify(first.fault ?? {}))
    assert.equal(first['OS-EXT-SRV-ATTR:host'], 'far-fake-1')

    agent.kill('SIGSTOP')
    const frozenAt = Date.now()
    const latencies: number[] = []
    let downAfterMs: number | undefined
    let during: string | undefined
    while (Date.now() - frozenAt < FREEZE_S * 1000) {
      const t = performance.now()
      const s = await server(before)
      latencies.push(performance.now() - t)
      assert.equal(s.id, before)
      if (downAfterMs === undefined && (await farService())?.state === 'down') {
        downAfterMs = Date.now() - frozenAt
        // Once the far host is known to be down, a new boot goes to the live one.
        during = await boot('during-freeze')
      }
      await sleep(500)
    }
    assert.ok(downAfterMs !== undefined, 'the frozen host was reported down')
    assert.ok(
      downAfterMs <= (SERVICE_DOWN_TIME + 2 * 2) * 1000,
      `down after ${downAfterMs} ms, within service_down_time (${SERVICE_DOWN_TIME} s) and a report interval`,
    )
    const duringServer = await settle(during!)
    assert.equal(duringServer.status, 'ACTIVE')
    assert.equal(duringServer['OS-EXT-SRV-ATTR:host'], 'near-fake-1')
    latencies.sort((a, b) => a - b)
    const p99 = latencies[Math.floor(latencies.length * 0.99)]!
    assert.ok(p99 < 2000, `server show p99 ${p99.toFixed(0)} ms while the agent was frozen`)

    agent.kill('SIGCONT')
    let upAgain = false
    for (let i = 0; i < 60 && !upAgain; i++) {
      upAgain = (await farService())?.state === 'up'
      if (!upAgain) await sleep(500)
    }
    assert.ok(upAgain, 'the far service is up again after SIGCONT')
    const servers = (await call('GET', '/compute/v2.1/servers/detail')).body.servers as Json[]
    assert.deepEqual(
      servers.filter((s) => s.status === 'BUILD' || s['OS-EXT-STS:task_state']).map((s) => s.name),
      [],
      'nothing stuck',
    )
    // The frozen host still runs its guest and can take new work.
    const after = await settle(await boot('after-thaw', 'nova:far-fake-1'))
    assert.equal(after.status, 'ACTIVE')
    console.log(
      `# frozen ${FREEZE_S} s: reported down after ${(downAfterMs / 1000).toFixed(1)} s; server show p50 ${latencies[Math.floor(latencies.length / 2)]!.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms over ${latencies.length} calls; a boot during the freeze went ACTIVE on near-fake-1; after SIGCONT up again, nothing stuck`,
    )
    await stopAgent(agent)
  })

  it('a compute agent killed with -9 mid-spawn: the server is rescheduled or in ERROR, no allocation left on the dead host', async () => {
    // A far agent the test above left (it stops its own unless it failed) would take
    // this spawn instead of the one killed below.
    for (const a of agents) {
      if (a.signalCode === null && a.exitCode === null) a.kill('SIGCONT')
      await stopAgent(a, 'SIGKILL')
    }
    // Spawns on this agent take 4 s, so the kill lands inside one.
    const agent = await startAgent({ OS_FAKE_DRIVER__SPAWN_TIME: '4' })
    // Placed on the far host by the admin's zone:host, so no alternate exists: the
    // conductor has to notice the dead agent and end the build.
    const id = await boot('killed-mid-spawn', 'nova:far-fake-1')
    let s = await server(id)
    for (let i = 0; i < 100 && s['OS-EXT-STS:task_state'] !== 'spawning'; i++) {
      await sleep(100)
      s = await server(id)
    }
    assert.equal(s['OS-EXT-STS:task_state'], 'spawning', 'the far host is spawning it')
    assert.equal(s['OS-EXT-SRV-ATTR:host'], 'far-fake-1')
    await stopAgent(agent, 'SIGKILL')
    const end = await settle(id, 120_000)
    assert.ok(['ACTIVE', 'ERROR'].includes(end.status as string), `ended ${end.status}`)
    assert.equal(end['OS-EXT-STS:task_state'], null)
    if (end.status === 'ACTIVE')
      assert.equal(end['OS-EXT-SRV-ATTR:host'], 'near-fake-1', 'rescheduled to the live host')
    else assert.ok((end.fault as Json | undefined)?.message, 'the ERROR says why')
    const allocations = (await call('GET', `/placement/allocations/${id}`)).body.allocations as Record<
      string,
      Json
    >
    const providers = (await call('GET', '/placement/resource_providers?name=far-fake-1')).body
      .resource_providers as Json[]
    const farUuid = providers[0]?.uuid as string
    assert.ok(!(farUuid in allocations), 'no allocation against the dead host')
    if (end.status === 'ERROR') assert.deepEqual(allocations, {}, 'an ERROR server holds nothing')
    console.log(
      `# killed mid-spawn: ended ${end.status}${end.status === 'ACTIVE' ? ` on ${end['OS-EXT-SRV-ATTR:host']}` : ` (${(end.fault as Json).message})`}; allocations ${JSON.stringify(Object.keys(allocations))}`,
    )
  })
})
