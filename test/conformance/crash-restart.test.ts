/**
 * kill -9 of a real `cloudlet up` in the middle of a burst of accepted boots, then a
 * restart on the same data directory. Each accepted `POST /servers` committed its
 * instance and the conductor's cast in one transaction (the bus's durable outbox); the
 * restart must finish every one of them exactly once: every server ACTIVE or ERROR with a
 * fault, none left in BUILD or a task state, one guest per ACTIVE server on the simulated
 * hypervisors, and placement's usage equal to the ACTIVE servers' flavors.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import Database from 'better-sqlite3'
import { adminToken, type CloudProcess, startCloudProcess } from '../support/cloud-process.js'

const BURST = Number(process.env.CLOUDLET_CRASH_BURST ?? 1000)
const KILL_AFTER = Math.floor(BURST / 2)
const CONCURRENCY = 20
const MICROVERSION = '2.37'

type Json = Record<string, unknown>

class Api {
  constructor(
    readonly url: string,
    readonly token: string,
  ) {}

  async call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        'x-auth-token': this.token,
        'openstack-api-version': `compute ${MICROVERSION}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await res.text()
    return { status: res.status, body: text ? (JSON.parse(text) as Json) : {} }
  }

  async ok(method: string, path: string, body?: unknown): Promise<Json> {
    const r = await this.call(method, path, body)
    assert.ok(r.status < 300, `${method} ${path} answered ${r.status}: ${JSON.stringify(r.body)}`)
    return r.body
  }
}

async function connect(cloud: CloudProcess): Promise<Api> {
  const creds = JSON.parse(readFileSync(join(cloud.dataDir, 'credentials.json'), 'utf8'))
  return new Api(cloud.url, await adminToken(cloud.authUrl, creds.adminPassword))
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('kill -9 of cloudlet up during a burst of boots', { timeout: 600_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cloudlet-crash-'))
  let cloud: CloudProcess | undefined
  after(async () => {
    await cloud?.kill('SIGINT')
    rmSync(dataDir, { recursive: true, force: true })
  })

  it(`finishes each of the accepted boots exactly once after a restart (${BURST} sent, killed after ${KILL_AFTER} accepted)`, async () => {
    cloud = await startCloudProcess({ dataDir })
    let api = await connect(cloud)
    const project = (await api.ok('GET', '/identity/v3/auth/projects')).projects as Json[]
    const adminProject = project.find((p) => p.name === 'admin')!.id as string
    await api.ok('PUT', `/compute/v2.1/os-quota-sets/${adminProject}`, {
      quota_set: { instances: -1, cores: -1, ram: -1 },
    })
    const image = await api.ok('POST', '/image/v2/images', {
      name: 'crash-image',
      disk_format: 'raw',
      container_format: 'bare',
    })
    const put = await fetch(`${cloud.url}/image/v2/images/${image.id}/file`, {
      method: 'PUT',
      headers: { 'x-auth-token': api.token, 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(1024, 1),
    })
    assert.equal(put.status, 204)

    // The burst: CONCURRENCY clients post boots; the process is killed once KILL_AFTER
    // have been accepted. A request cut by the kill may or may not have committed; the
    // list after the restart says which did.
    const accepted = new Set<string>()
    let sent = 0
    let refused = 0
    let cut = 0
    const victim = cloud
    const client = async () => {
      while (sent < BURST && victim.child.exitCode === null && victim.child.signalCode === null) {
        const n = sent++
        try {
          const r = await api.call('POST', '/compute/v2.1/servers', {
            server: { name: `crash-${n}`, imageRef: image.id, flavorRef: '1', networks: 'none' },
          })
          if (r.status === 202) {
            accepted.add((r.body.server as Json).id as string)
            if (accepted.size === KILL_AFTER) victim.child.kill('SIGKILL')
          } else refused++
        } catch {
          cut++
        }
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, client))
    await victim.kill('SIGKILL')
    assert.ok(accepted.size >= KILL_AFTER, `${accepted.size} accepted before the kill`)
    assert.equal(refused, 0, 'no boot was refused before the kill')

    // What the kill left behind, read from the dead process's database: builds not
    // finished and casts the outbox had not yet seen confirmed (sent casts stay
    // until their batch is confirmed, so some of these are replays of work in flight). The restart has to finish both.
    const db = new Database(join(dataDir, 'compute.db'), { readonly: true })
    const unfinished = (
      db.prepare("SELECT count(*) AS n FROM instances WHERE deleted = 0 AND vm_state = 'building'").get() as {
        n: number
      }
    ).n
    const unsent = (db.prepare('SELECT count(*) AS n FROM bus_outbox').get() as { n: number }).n
    db.close()
    assert.ok(unfinished > 0, 'the kill came while builds were in flight')

    // Restart on the same data directory: the lock of the dead process is stale.
    cloud = await startCloudProcess({ dataDir })
    api = await connect(cloud)
    const list = async () =>
      (await api.ok('GET', '/compute/v2.1/servers/detail?all_tenants=1&limit=1000')).servers as Json[]
    let servers = await list()
    const deadline = Date.now() + 180_000
    while (servers.some((s) => s.status === 'BUILD' || s['OS-EXT-STS:task_state']) && Date.now() < deadline) {
      await sleep(500)
      servers = await list()
    }

    const byId = new Map(servers.map((s) => [s.id as string, s]))
    for (const id of accepted) assert.ok(byId.has(id), `accepted server ${id} exists after the restart`)
    const stuck = servers.filter((s) => s.status === 'BUILD' || s['OS-EXT-STS:task_state'])
    assert.deepEqual(
      stuck.map((s) => `${s.id} ${s.status} ${s['OS-EXT-STS:task_state']}`),
      [],
      'no server stuck in BUILD or a task state',
    )
    const active = servers.filter((s) => s.status === 'ACTIVE')
    const errored = servers.filter((s) => s.status === 'ERROR')
    assert.equal(active.length + errored.length, servers.length, 'every server ACTIVE or ERROR')
    for (const s of errored)
      assert.ok((s.fault as Json | undefined)?.message, `ERROR server ${s.id} has a fault`)

    // Exactly once, as effects: one guest per ACTIVE server, one allocation per ACTIVE
    // server of its flavor's size, and no allocation for the rest.
    const stats = (await api.ok('GET', '/compute/v2.1/os-hypervisors/statistics'))
      .hypervisor_statistics as Json
    assert.equal(stats.running_vms, active.length, 'guests on the hypervisors = ACTIVE servers')
    const flavor = (await api.ok('GET', '/compute/v2.1/flavors/1')).flavor as Json
    const providers = (await api.ok('GET', '/placement/resource_providers')).resource_providers as Json[]
    let vcpu = 0
    let ram = 0
    for (const p of providers) {
      const usages = (await api.ok('GET', `/placement/resource_providers/${p.uuid}/usages`)).usages as Record<
        string,
        number
      >
      vcpu += usages.VCPU ?? 0
      ram += usages.MEMORY_MB ?? 0
    }
    assert.equal(vcpu, active.length * (flavor.vcpus as number), 'placement VCPU usage = ACTIVE servers')
    assert.equal(ram, active.length * (flavor.ram as number), 'placement MEMORY_MB usage = ACTIVE servers')
    for (const s of errored) {
      const allocations = (await api.ok('GET', `/placement/allocations/${s.id}`)).allocations as Json
      assert.deepEqual(allocations, {}, `ERROR server ${s.id} holds no allocation`)
    }
    // And as the record: one successful build event per ACTIVE server, none twice.
    const live = new Database(join(dataDir, 'compute.db'), { readonly: true })
    const builds = live
      .prepare(
        `SELECT a.instance_uuid AS uuid, count(*) AS n FROM instance_actions_events e
           JOIN instance_actions a ON a.id = e.action_id
          WHERE e.event = 'compute__do_build_and_run_instance' AND e.result = 'Success'
          GROUP BY a.instance_uuid`,
      )
      .all() as { uuid: string; n: number }[]
    live.close()
    assert.deepEqual(
      builds.filter((b) => b.n !== 1),
      [],
      'no server built twice',
    )
    assert.equal(builds.length, active.length, 'one successful build per ACTIVE server')
    console.log(
      `# sent ${sent}, accepted ${accepted.size} before the kill (${cut} cut by it); after the restart ${servers.length} servers: ${active.length} ACTIVE, ${errored.length} ERROR, 0 stuck (${unfinished} builds unfinished and ${unsent} casts unconfirmed at the kill); ${stats.running_vms} guests; placement ${vcpu} VCPU / ${ram} MiB`,
    )
  })
})
