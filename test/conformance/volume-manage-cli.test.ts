/**
 * Manage/unmanage and two backends through the real clients, against `cloudlet up`
 * with scripts/conformance/volume-tempest.conf (`enabled_backends = file,fast`):
 * `openstack volume service list` shows a cinder-volume per backend; a volume of a type
 * naming `fast` lands there; `cinder unmanage`, `cinder manageable-list` and `cinder
 * manage` (OSC 6.0 has no volume manage or unmanage) adopt its file again;
 * `cinder snapshot-unmanage`, `cinder snapshot-manageable-list` and `openstack volume
 * snapshot create --remote-source` do the same for a snapshot; bad references exit 1
 * with Cinder's message; `openstack volume set --type --retype-policy on-demand` moves a
 * volume to the other backend.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { type CloudProcess, openstack, openstackJson, startCloudProcess } from '../support/cloud-process.js'

const run = promisify(execFile)
type Row = Record<string, unknown>
/** Inside this worktree's port range. */
const PORT = Number(process.env.VOLUME_MANAGE_CLI_PORT ?? 16160)
const CONF = resolve(import.meta.dirname, '../../../scripts/conformance/volume-tempest.conf')

describe('volume manage and two backends with the openstack and cinder CLIs', { timeout: 600_000 }, () => {
  let cloud: CloudProcess
  let admin: NodeJS.ProcessEnv
  /** cinderclient reads no clouds.yaml: the admin's credentials as OS_* variables. */
  let cinderEnv: NodeJS.ProcessEnv
  let host: string
  const json = <T = Row>(args: string[]) => openstackJson<T>(admin, args)
  const cinder = async (args: string[]) => {
    try {
      const { stdout } = await run('cinder', ['--os-volume-api-version', '3.8', ...args], {
        env: cinderEnv,
        timeout: 60_000,
      })
      return { code: 0, out: stdout }
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string }
      return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }
    }
  }
  async function until(kind: 'volume' | 'volume snapshot', name: string, check: (r: Row) => boolean) {
    const deadline = Date.now() + 60_000
    for (;;) {
      const r = await openstack(admin, [...kind.split(' '), 'show', name, '-f', 'json'])
      if (r.code === 0 && check(JSON.parse(r.stdout))) return JSON.parse(r.stdout) as Row
      if (Date.now() > deadline) throw new Error(`${kind} ${name}: ${r.stdout}${r.stderr}`)
      await new Promise((res) => setTimeout(res, 300))
    }
  }
  async function gone(kind: 'volume' | 'volume snapshot', id: string) {
    const deadline = Date.now() + 60_000
    while ((await openstack(admin, [...kind.split(' '), 'show', id])).code === 0) {
      if (Date.now() > deadline) throw new Error(`${kind} ${id} is still there`)
      await new Promise((res) => setTimeout(res, 300))
    }
  }

  before(async () => {
    cloud = await startCloudProcess({
      args: ['--services', 'identity,image,volume'],
      configFile: CONF,
      port: PORT,
    })
    admin = { ...cloud.env, OS_CLOUD: 'cloudlet-admin' }
    const password = JSON.parse(readFileSync(join(cloud.dataDir, 'credentials.json'), 'utf8')).adminPassword
    cinderEnv = {
      ...cloud.env,
      OS_AUTH_URL: cloud.authUrl,
      OS_USERNAME: 'admin',
      OS_PASSWORD: password,
      OS_PROJECT_NAME: 'admin',
      OS_USER_DOMAIN_NAME: 'Default',
      OS_PROJECT_DOMAIN_NAME: 'Default',
    }
  })
  after(async () => {
    await cloud?.stop()
  })

  it('runs a volume service per backend and places volumes by type', async () => {
    const services = await json<Row[]>(['volume', 'service', 'list', '--service', 'cinder-volume'])
    const hosts = services.map((s) => String(s.Host)).sort()
    assert.equal(hosts.length, 2, JSON.stringify(services))
    assert.ok(hosts[0]!.endsWith('@fast') && hosts[1]!.endsWith('@file'), hosts.join(' '))
    host = hosts[0]!.split('@')[0]!
    await json(['volume', 'type', 'create', '--property', 'volume_backend_name=fast', 'fast-t'])
    await json(['volume', 'type', 'create', '--property', 'volume_backend_name=file', 'file-t'])
    await json(['volume', 'create', '--size', '1', '--type', 'fast-t', 'm1'])
    const v = await until('volume', 'm1', (r) => r.status === 'available')
    assert.equal(v['os-vol-host-attr:host'], `${host}@fast#fast`)
  })

  it('unmanages a volume and manages its file again', async () => {
    const id = String((await json(['volume', 'show', 'm1'])).id)
    assert.equal((await cinder(['unmanage', id])).code, 0)
    await gone('volume', id)
    const listed = await cinder(['manageable-list', `${host}@fast`])
    assert.equal(listed.code, 0, listed.out)
    assert.match(listed.out, new RegExp(`volume-${id}.*\\| 1 +\\| True`))
    const bad = await cinder(['manage', `${host}@fast#fast`, 'no-such-file'])
    assert.equal(bad.code, 1)
    assert.match(bad.out, /invalid backend reference .*no such file on backend fast.*HTTP 400/)
    const managed = await cinder([
      'manage',
      '--name',
      'm2',
      '--volume-type',
      'fast-t',
      `${host}@fast#fast`,
      `volume-${id}`,
    ])
    assert.equal(managed.code, 0, managed.out)
    const v = await until('volume', 'm2', (r) => r.status === 'available')
    assert.notEqual(v.id, id)
    assert.equal(v.type, 'fast-t')
    assert.equal(v['os-vol-host-attr:host'], `${host}@fast#fast`)
    const again = await cinder(['manage', `${host}@fast#fast`, `volume-${v.id}`])
    assert.equal(again.code, 1)
    assert.match(again.out, /already managed/)
  })

  it('unmanages a snapshot and manages it with --remote-source', async () => {
    await json(['volume', 'snapshot', 'create', '--volume', 'm2', 's1'])
    const s1 = await until('volume snapshot', 's1', (r) => r.status === 'available')
    assert.equal((await cinder(['snapshot-unmanage', String(s1.id)])).code, 0)
    await gone('volume snapshot', String(s1.id))
    const listed = await cinder(['snapshot-manageable-list', `${host}@fast`])
    assert.match(listed.out, new RegExp(`snapshot-${s1.id}.*True`))
    const bad = await openstack(admin, [
      'volume',
      'snapshot',
      'create',
      '--volume',
      'm2',
      '--remote-source',
      'source-name=nope',
      's3',
    ])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /invalid backend reference/)
    const s2 = await json([
      'volume',
      'snapshot',
      'create',
      '--volume',
      'm2',
      '--remote-source',
      `source-name=snapshot-${s1.id}`,
      '--description',
      'back',
      's2',
    ])
    const shown = await until('volume snapshot', String(s2.id), (r) => r.status === 'available')
    assert.equal(shown.description, 'back')
    assert.equal(shown.size, 1)
  })

  it('moves a volume to the other backend with set --type --retype-policy on-demand', async () => {
    await json(['volume', 'create', '--size', '1', '--type', 'fast-t', 'm3'])
    await until('volume', 'm3', (r) => r.status === 'available')
    const set = await openstack(admin, [
      'volume',
      'set',
      '--type',
      'file-t',
      '--retype-policy',
      'on-demand',
      'm3',
    ])
    assert.equal(set.code, 0, set.stderr)
    const v = await until(
      'volume',
      'm3',
      (r) => r.status === 'available' && r['os-vol-mig-status-attr:migstat'] === 'success',
    )
    assert.equal(v.type, 'file-t')
    assert.equal(v['os-vol-host-attr:host'], `${host}@file#file`)
  })
})
