/**
 * Resize and cold migration end to end (API, conductor, scheduler, real agents on the
 * fake driver, placement): the source allocation held by the migration record while the
 * destination is claimed for the server, confirm dropping it, revert moving it back,
 * refusals with upstream's codes and words, injected failures at each step rolled back,
 * os-migrations with its filters, and the confirm window. The placement invariant is
 * checked after every step.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { idle, type OpsCloud, startOpsCloud, waitStatus } from './ops-harness.js'

const S = '/compute/v2.1/servers'
const ADMIN = 'project-admin'
const MEMBER = 'project-member'

describe('resize and cold migration', () => {
  let c: OpsCloud
  before(async () => {
    c = await startOpsCloud({ hosts: 3 })
  })
  after(() => c.close())

  const act = (id: string, body: unknown, as = MEMBER, version = '2.1') =>
    c.t.call('POST', `${S}/${id}/action`, { as, version, body })
  const show = async (id: string) =>
    (await c.t.call('GET', `${S}/${id}`, { as: ADMIN, version: 'latest' })).body.server as Record<
      string,
      unknown
    >
  const migrations = async (query = '', version = '2.80') =>
    (await c.t.call('GET', `/compute/v2.1/os-migrations${query}`, { as: ADMIN, version })).body
      .migrations as Record<string, unknown>[]

  it('resizes to another host, holds the source for the migration, and confirms', async () => {
    const id = await c.boot('r1', '1')
    const host = (await show(id))['OS-EXT-SRV-ATTR:host']
    await c.accounting()
    const r = await act(id, { resize: { flavorRef: '2', 'OS-DCF:diskConfig': 'AUTO' } })
    assert.equal(r.status, 202, JSON.stringify(r.body))
    const s = await waitStatus(c.t, id, ['VERIFY_RESIZE', 'ACTIVE', 'ERROR'])
    assert.equal(s.status, 'VERIFY_RESIZE')
    assert.equal(s['OS-DCF:diskConfig'], 'AUTO')
    assert.notEqual(s['OS-EXT-SRV-ATTR:host'], host)
    assert.equal((s.flavor as { original_name: string }).original_name, 'm1.small')
    await idle(c.compute)
    await c.accounting()
    const [m] = await migrations(`?instance_uuid=${id}`)
    assert.equal(m?.status, 'finished')
    assert.equal(m?.migration_type, 'resize')
    assert.equal(m?.source_compute, host)
    assert.equal(m?.dest_compute, s['OS-EXT-SRV-ATTR:host'])
    // the migration's uuid holds the source's old flavor in placement
    const held = await c.t.call('GET', `/placement/allocations/${m?.uuid}`, { as: ADMIN, version: '1.39' })
    const [res] = Object.values(
      held.body.allocations as Record<string, { resources: Record<string, number> }>,
    )
    assert.deepEqual(res?.resources, { VCPU: 1, MEMORY_MB: 512, DISK_GB: 1 })
    const confirm = await act(id, { confirmResize: null })
    assert.equal(confirm.status, 204, JSON.stringify(confirm.body))
    assert.equal((await waitStatus(c.t, id, ['ACTIVE'])).status, 'ACTIVE')
    await idle(c.compute)
    await c.accounting()
    assert.equal((await migrations(`?instance_uuid=${id}`))[0]?.status, 'confirmed')
    const gone = await c.t.call('GET', `/placement/allocations/${m?.uuid}`, { as: ADMIN, version: '1.39' })
    assert.deepEqual(gone.body.allocations, {})
  })

  it('reverts a resize: the server is back on its host with its old flavor', async () => {
    const id = await c.boot('r2', '1')
    const host = (await show(id))['OS-EXT-SRV-ATTR:host']
    assert.equal((await act(id, { resize: { flavorRef: '2' } })).status, 202)
    await waitStatus(c.t, id, ['VERIFY_RESIZE'])
    await idle(c.compute)
    const revert = await act(id, { revertResize: null })
    assert.equal(revert.status, 202)
    const s = await waitStatus(c.t, id, ['ACTIVE', 'ERROR'])
    assert.equal(s.status, 'ACTIVE')
    assert.equal(s['OS-EXT-SRV-ATTR:host'], host)
    assert.equal((s.flavor as { original_name: string }).original_name, 'm1.tiny')
    await idle(c.compute)
    await c.accounting()
    assert.equal((await migrations(`?instance_uuid=${id}`))[0]?.status, 'reverted')
    // and the guest runs on its source host again
    assert.equal(c.driver(host as string).getInfo(id).powerState, 1)
  })

  it('refuses with upstream codes and changes nothing', async () => {
    const id = await c.boot('r3', '1')
    const same = await act(id, { resize: { flavorRef: '1' } })
    assert.equal(same.status, 400)
    assert.equal(same.body.badRequest.message, 'When resizing, instances must change flavor!')
    const unknown = await act(id, { resize: { flavorRef: 'nope' } })
    assert.equal(unknown.status, 400)
    assert.equal(unknown.body.badRequest.message, 'Unable to locate requested flavor.')
    const notResized = await act(id, { confirmResize: null })
    assert.equal(notResized.status, 409)
    assert.match(
      notResized.body.conflictingRequest.message,
      /Cannot 'confirmResize' instance .* vm_state active/,
    )
    assert.equal((await act(id, { revertResize: null })).status, 409)
    const noHost = await act(id, { migrate: { host: 'nowhere' } }, ADMIN, '2.56')
    assert.equal(noHost.status, 400)
    assert.match(noHost.body.badRequest.message, /Compute host nowhere could not be found/)
    const myHost = (await show(id))['OS-EXT-SRV-ATTR:host']
    const self = await act(id, { migrate: { host: myHost } }, ADMIN, '2.56')
    assert.equal(self.status, 400)
    assert.equal((await act(id, { migrate: null }, MEMBER)).status, 403)
    assert.equal((await act(id, { pause: null })).status, 202)
    await waitStatus(c.t, id, ['PAUSED'])
    const paused = await act(id, { resize: { flavorRef: '2' } })
    assert.equal(paused.status, 409)
    assert.match(paused.body.conflictingRequest.message, /Cannot 'resize' instance .* vm_state paused/)
    await idle(c.compute)
    assert.equal((await migrations(`?instance_uuid=${id}`)).length, 0)
    await c.accounting()
  })

  it('cold-migrates to a named host (2.56) and confirms; a stopped server stays stopped', async () => {
    const id = await c.boot('m1', '1')
    const from = (await show(id))['OS-EXT-SRV-ATTR:host'] as string
    const to = c.hosts.find((h) => h !== from)!
    assert.equal((await act(id, { 'os-stop': null })).status, 202)
    await waitStatus(c.t, id, ['SHUTOFF'])
    const r = await act(id, { migrate: { host: to } }, ADMIN, '2.56')
    assert.equal(r.status, 202, JSON.stringify(r.body))
    const s = await waitStatus(c.t, id, ['VERIFY_RESIZE', 'ERROR'])
    assert.equal(s['OS-EXT-SRV-ATTR:host'], to)
    assert.equal(s['OS-EXT-STS:power_state'], 4)
    await idle(c.compute)
    await c.accounting()
    const [m] = await migrations(`?instance_uuid=${id}&migration_type=migration`)
    assert.equal(m?.dest_host, to)
    assert.equal((await act(id, { confirmResize: null })).status, 204)
    assert.equal((await waitStatus(c.t, id, ['SHUTOFF', 'ERROR'])).status, 'SHUTOFF')
    await idle(c.compute)
    await c.accounting()
  })

  it('rolls back a failure at each step and keeps the accounting exact', async () => {
    for (const step of ['pre-check', 'transfer', 'post'] as const) {
      const id = await c.boot(`f-${step}`, '1')
      const from = (await show(id))['OS-EXT-SRV-ATTR:host'] as string
      const to = c.hosts.find((h) => h !== from)!
      c.driver(step === 'transfer' ? from : to).failNextStep(step)
      assert.equal((await act(id, { migrate: { host: to } }, ADMIN, '2.56')).status, 202)
      const s = await waitStatus(c.t, id, ['ACTIVE', 'ERROR', 'VERIFY_RESIZE'])
      await idle(c.compute)
      const [m] = await migrations(`?instance_uuid=${id}`)
      assert.equal(m?.status, 'error', step)
      if (step === 'post') {
        // upstream ends a failed finish in ERROR at the destination
        assert.equal(s.status, 'ERROR')
        assert.equal(s['OS-EXT-SRV-ATTR:host'], to)
      } else {
        assert.equal(s.status, 'ACTIVE', step)
        assert.equal(s['OS-EXT-SRV-ATTR:host'], from, step)
        assert.equal(c.driver(from).getInfo(id).powerState, 1, `${step}: the guest runs at the source`)
      }
      await c.accounting()
    }
  })

  it('no valid host: the resize is refused by the scheduler and nothing leaks', async () => {
    const id = await c.boot('big', '1')
    // a flavor within quota that no host can hold (disk is not a quota)
    const f = await c.t.call('POST', '/compute/v2.1/flavors', {
      as: ADMIN,
      body: { flavor: { name: 'huge', ram: 512, vcpus: 1, disk: 50_000, id: 'huge' } },
    })
    assert.equal(f.status, 200, JSON.stringify(f.body))
    assert.equal((await act(id, { resize: { flavorRef: 'huge' } })).status, 202)
    const s = await waitStatus(c.t, id, ['ACTIVE', 'ERROR', 'VERIFY_RESIZE'])
    assert.equal(s.status, 'ACTIVE')
    await idle(c.compute)
    assert.equal((await migrations(`?instance_uuid=${id}`))[0]?.status, 'error')
    const fault = await c.t.call('GET', `${S}/${id}`, { as: ADMIN })
    assert.equal(fault.body.server.flavor.id, '1')
    await c.accounting()
  })

  it('lists os-migrations with filters, fields per version and paging', async () => {
    const all = await migrations('')
    assert.ok(all.length >= 5)
    const old = await migrations('', '2.1')
    assert.equal(old[0]?.migration_type, undefined)
    assert.equal(old[0]?.uuid, undefined)
    assert.equal(typeof old[0]?.id, 'number')
    const resizes = await migrations('?migration_type=resize')
    assert.ok(resizes.every((m) => m.migration_type === 'resize'))
    const errors = await migrations('?status=error')
    assert.ok(errors.length >= 4 && errors.every((m) => m.status === 'error'))
    const host = c.hosts[0]!
    assert.ok(
      (await migrations(`?host=${host}`)).every((m) => m.source_compute === host || m.dest_compute === host),
    )
    const page = await c.t.call('GET', '/compute/v2.1/os-migrations?limit=2', { as: ADMIN, version: '2.59' })
    assert.equal(page.body.migrations.length, 2)
    assert.match(page.body.migrations_links[0].href, /marker=/)
    const next = await c.t.call(
      'GET',
      `/compute/v2.1/os-migrations?limit=2&marker=${page.body.migrations[1].uuid}`,
      {
        as: ADMIN,
        version: '2.59',
      },
    )
    assert.equal(next.body.migrations[0].id, all[2]?.id)
    const bad = await c.t.call('GET', '/compute/v2.1/os-migrations?marker=nope', {
      as: ADMIN,
      version: '2.59',
    })
    assert.equal(bad.status, 400)
    assert.equal((await c.t.call('GET', '/compute/v2.1/os-migrations', { as: MEMBER })).status, 403)
  })
})

describe('resize options', () => {
  it('refuses a resize over the cores quota with 403 and changes nothing', async () => {
    const c = await startOpsCloud({ hosts: 2, config: { quota: { cores: 1 } } })
    try {
      const id = await c.boot('q', '1')
      const r = await c.t.call('POST', `${S}/${id}/action`, {
        as: MEMBER,
        body: { resize: { flavorRef: '3' } },
      })
      assert.equal(r.status, 403, JSON.stringify(r.body))
      assert.match(
        r.body.forbidden.message,
        /Quota exceeded for cores: Requested 1, but already used 1 of 1 cores/,
      )
      const s = await waitStatus(c.t, id, ['ACTIVE'])
      assert.equal(s['OS-EXT-STS:task_state'], null)
      await c.accounting()
    } finally {
      await c.close()
    }
  })

  it('confirms automatically after resize_confirm_window and may stay on its host when allowed', async () => {
    const c = await startOpsCloud({
      hosts: 1,
      config: { DEFAULT: { resize_confirm_window: 1, allow_resize_to_same_host: true } },
    })
    try {
      const id = await c.boot('same', '1')
      const r = await c.t.call('POST', `${S}/${id}/action`, {
        as: MEMBER,
        body: { resize: { flavorRef: '2' } },
      })
      assert.equal(r.status, 202)
      const s = await waitStatus(c.t, id, ['VERIFY_RESIZE', 'ERROR'])
      assert.equal(s.status, 'VERIFY_RESIZE')
      assert.equal(s['OS-EXT-SRV-ATTR:host'], c.hosts[0])
      await idle(c.compute)
      await c.accounting()
      // the window passes: confirmed without asking
      const done = await waitStatus(c.t, id, ['ACTIVE'], 5000)
      assert.equal(done.status, 'ACTIVE')
      await idle(c.compute)
      await c.accounting()
      assert.equal(c.driver(c.hosts[0]!).getInfo(id).vcpus, 1)
      assert.equal(c.driver(c.hosts[0]!).getInfo(id).memoryMb, 2048)
    } finally {
      await c.close()
    }
  })
})

describe('a move a stop interrupted', () => {
  it('is rolled back to the source, and an accepted confirm is carried out', async () => {
    const c = await startOpsCloud({ hosts: 2 })
    try {
      const db = c.t.host.modules.find((m) => m.module.name === 'compute')!
        .db as unknown as import('kysely').Kysely<import('../storage/schema.js').ComputeDatabase>
      const pl = (method: string, path: string, body?: unknown) =>
        c.t.call(method, `/placement${path}`, { as: ADMIN, version: '1.39', ...(body ? { body } : {}) })
      // what a conductor stopped after the hold leaves: the migration holds the source
      const id = await c.boot('cut', '1')
      const [row] = await db.selectFrom('instances').selectAll().where('uuid', '=', id).execute()
      const mig = '7d3c1f2e-0000-4000-8000-00000000c0de'
      const a = await pl('GET', `/allocations/${id}`)
      const moved = await pl('POST', '/allocations', {
        [mig]: {
          allocations: a.body.allocations,
          consumer_generation: null,
          project_id: row!.project_id,
          user_id: row!.user_id,
          consumer_type: 'MIGRATION',
        },
        [id]: {
          allocations: {},
          consumer_generation: a.body.consumer_generation,
          project_id: row!.project_id,
          user_id: row!.user_id,
          consumer_type: 'INSTANCE',
        },
      })
      assert.equal(moved.status, 204, JSON.stringify(moved.body))
      const now = new Date().toISOString()
      await db
        .insertInto('migrations')
        .values({
          uuid: mig,
          instance_uuid: id,
          migration_type: 'migration',
          status: 'pre-migrating',
          source_compute: row!.host,
          source_node: row!.node,
          dest_compute: null,
          dest_node: null,
          dest_host: null,
          old_instance_type_id: row!.instance_type_id,
          new_instance_type_id: row!.instance_type_id,
          old_flavor: row!.flavor,
          new_flavor: row!.flavor,
          old_vm_state: 'active',
          hidden: 0,
          project_id: row!.project_id,
          user_id: row!.user_id,
          memory_total: null,
          memory_processed: null,
          memory_remaining: null,
          disk_total: null,
          disk_processed: null,
          disk_remaining: null,
          created_at: now,
          updated_at: now,
        })
        .execute()
      await db.updateTable('instances').set({ task_state: 'resize_prep' }).where('uuid', '=', id).execute()
      const conductor = c.compute.conductor!
      assert.ok((await c.compute.moves!.resume((x) => conductor.serverOperation(x))) >= 1)
      const s = await waitStatus(c.t, id, ['ACTIVE'])
      assert.equal(s['OS-EXT-SRV-ATTR:host'], row!.host)
      await c.accounting()
      assert.deepEqual((await pl('GET', `/allocations/${mig}`)).body.allocations, {})
      // a confirm the API accepted before the stop is done after it
      const r = await c.t.call('POST', `${S}/${id}/action`, { as: MEMBER, body: { migrate: null } })
      assert.equal(r.status, 403)
      await c.t.call('POST', `${S}/${id}/action`, { as: ADMIN, body: { migrate: null } })
      await waitStatus(c.t, id, ['VERIFY_RESIZE'])
      await idle(c.compute)
      await db
        .updateTable('migrations')
        .set({ status: 'confirming' })
        .where('status', '=', 'finished')
        .execute()
      await c.compute.moves!.resume((x) => conductor.serverOperation(x))
      await idle(c.compute)
      assert.equal((await waitStatus(c.t, id, ['ACTIVE'])).status, 'ACTIVE')
      await c.accounting()
    } finally {
      await c.close()
    }
  })
})
