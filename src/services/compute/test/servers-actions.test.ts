/**
 * Server actions end to end with the real compute agents (fake driver): stop/start,
 * reboot SOFT and HARD, pause/unpause, suspend/resume, rebuild (image, name, metadata,
 * key_name 2.54, user_data 2.57, a stopped server stays stopped), lock/unlock with a
 * reason (2.73), os-resetState; each through the conductor with its instance action
 * and event; refusals as upstream's 409s; console output, diagnostics (2.1 and 2.48),
 * os-server-password and os-simple-tenant-usage.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { settle, startServersCloud, type TestCloud, waitFor } from './cloud-harness.js'

const S = '/compute/v2.1/servers'
const MEMBER = 'project-member'
const ADMIN = 'project-admin'

describe('server actions', () => {
  let c: TestCloud
  let id: string
  const notified: string[] = []
  before(async () => {
    c = await startServersCloud({ realAgents: 2 })
    await c.t.host.bus!.listen({ eventTypes: ['instance.*.*'] }, (n) => {
      notified.push(n.eventType)
    })
    const res = await c.t.call('POST', S, {
      as: MEMBER,
      version: '2.74',
      body: { server: { name: 'acted', imageRef: c.imageId, flavorRef: '1', networks: 'none' } },
    })
    assert.equal(res.status, 202, JSON.stringify(res.body))
    id = res.body.server.id
    assert.equal((await waitFor(c.t, id, ['ACTIVE', 'ERROR'])).status, 'ACTIVE')
  })
  after(() => c.close())

  const act = (body: unknown, as = MEMBER, version = '2.1') =>
    c.t.call('POST', `${S}/${id}/action`, { as, version, body })

  const show = async (as = ADMIN) =>
    (await c.t.call('GET', `${S}/${id}`, { as, version: 'latest' })).body.server as Record<string, unknown>

  async function events(requestId: string) {
    const a = await c.t.call('GET', `${S}/${id}/os-instance-actions/${requestId}`, {
      as: ADMIN,
      version: '2.84',
    })
    assert.equal(a.status, 200, JSON.stringify(a.body))
    return a.body.instanceAction as { action: string; events: { event: string; result: string }[] }
  }

  it('stops and starts a server through the conductor, recording each action and its event', async () => {
    const stop = await act({ 'os-stop': null })
    assert.equal(stop.status, 202, JSON.stringify(stop.body))
    const stopped = await waitFor(c.t, id, ['SHUTOFF', 'ERROR'])
    assert.equal(stopped.status, 'SHUTOFF')
    assert.equal(stopped['OS-EXT-STS:power_state'], 4)
    assert.equal(stopped['OS-EXT-STS:task_state'], null)
    await settle(c.compute)
    const a = await events(stop.headers['x-compute-request-id'] as string)
    assert.equal(a.action, 'stop')
    assert.deepEqual(
      a.events.map((e) => [e.event, e.result]),
      [['compute_stop_instance', 'Success']],
    )
    // a stopped server cannot be stopped again, nor paused
    const again = await act({ 'os-stop': null })
    assert.equal(again.status, 409)
    assert.match(
      again.body.conflictingRequest.message,
      /Cannot 'stop' instance .* while it is in vm_state stopped/,
    )
    assert.equal((await act({ pause: null })).status, 409)
    const start = await act({ 'os-start': null })
    assert.equal(start.status, 202)
    const active = await waitFor(c.t, id, ['ACTIVE', 'ERROR'])
    assert.equal(active['OS-EXT-STS:power_state'], 1)
    await settle(c.compute)
    // the versioned notifications of both actions, in order
    const until = Date.now() + 5000
    while (!notified.includes('instance.power_on.end') && Date.now() < until)
      await new Promise((r) => setTimeout(r, 20))
    assert.deepEqual(
      notified.filter((e) => /power_(on|off)/.test(e)),
      [
        'instance.power_off.start',
        'instance.power_off.end',
        'instance.power_on.start',
        'instance.power_on.end',
      ],
    )
  })

  it('reboots SOFT and HARD and refuses a bad reboot type', async () => {
    for (const type of ['SOFT', 'HARD']) {
      const r = await act({ reboot: { type } })
      assert.equal(r.status, 202, JSON.stringify(r.body))
      assert.equal((await waitFor(c.t, id, ['ACTIVE', 'ERROR'])).status, 'ACTIVE')
      await settle(c.compute)
      const a = await events(r.headers['x-compute-request-id'] as string)
      assert.equal(a.action, 'reboot')
      assert.equal(a.events[0]?.result, 'Success')
    }
    const bad = await act({ reboot: { type: 'WARM' } })
    assert.equal(bad.status, 400)
  })

  it('pauses, unpauses, suspends and resumes', async () => {
    const steps: [string, string][] = [
      ['pause', 'PAUSED'],
      ['unpause', 'ACTIVE'],
      ['suspend', 'SUSPENDED'],
      ['resume', 'ACTIVE'],
    ]
    for (const [action, status] of steps) {
      const r = await act({ [action]: null })
      assert.equal(r.status, 202, `${action}: ${JSON.stringify(r.body)}`)
      assert.equal((await waitFor(c.t, id, [status, 'ERROR'])).status, status)
      await settle(c.compute)
    }
    const s = await show()
    assert.equal(s['OS-EXT-STS:power_state'], 1)
    assert.equal((await act({ resume: null })).status, 409)
  })

  it('locks with a reason (2.73): the owner may not act, an admin may; unlock clears it', async () => {
    const lock = await act({ lock: { locked_reason: 'maintenance' } }, MEMBER, '2.73')
    assert.equal(lock.status, 202, JSON.stringify(lock.body))
    const s = await show()
    assert.equal(s.locked, true)
    assert.equal(s.locked_reason, 'maintenance')
    const refused = await act({ 'os-stop': null })
    assert.equal(refused.status, 409)
    assert.match(refused.body.conflictingRequest.message, /is locked/)
    const tooLong = await act({ lock: { locked_reason: 'x'.repeat(256) } }, MEMBER, '2.73')
    assert.equal(tooLong.status, 400)
    assert.equal((await act({ unlock: null })).status, 202)
    const after = await show()
    assert.equal(after.locked, false)
    assert.equal(after.locked_reason, null)
    // a reader may not lock; another project's member does not see the server
    assert.equal((await act({ lock: null }, 'project-reader')).status, 403)
    assert.equal((await act({ lock: null }, 'other-project-member')).status, 404)
  })

  it('rebuilds with a new image, name and metadata; a stopped server stays stopped', async () => {
    const img = await c.t.call('POST', '/image/v2/images', {
      as: ADMIN,
      body: { name: 'other', disk_format: 'raw', container_format: 'bare', visibility: 'public' },
    })
    await c.t.call('PUT', `/image/v2/images/${img.body.id}/file`, {
      as: ADMIN,
      body: 'another disk',
      headers: { 'content-type': 'application/octet-stream' },
    })
    const kp = await c.t.call('POST', '/compute/v2.1/os-keypairs', {
      as: MEMBER,
      body: { keypair: { name: 'rebuild-key' } },
    })
    assert.equal(kp.status, 200, JSON.stringify(kp.body))
    const r = await act(
      {
        rebuild: {
          imageRef: img.body.id,
          name: 'rebuilt',
          metadata: { v: '2' },
          key_name: 'rebuild-key',
          user_data: Buffer.from('#cloud-config').toString('base64'),
          accessIPv6: '0000:0000:0000:0000:0000:babe:220.12.22.2',
          'OS-DCF:diskConfig': 'AUTO',
        },
      },
      MEMBER,
      '2.57',
    )
    assert.equal(r.status, 202, JSON.stringify(r.body))
    const view = r.body.server
    assert.equal(view.name, 'rebuilt')
    assert.equal(view.image.id, img.body.id)
    assert.equal(view.key_name, 'rebuild-key')
    assert.equal(view.user_data, Buffer.from('#cloud-config').toString('base64'))
    assert.equal(view.accessIPv6, '::babe:dc0c:1602')
    assert.equal(view['OS-DCF:diskConfig'], 'AUTO')
    assert.ok(view.adminPass)
    assert.equal(view['OS-EXT-SRV-ATTR:user_data'], undefined)
    assert.equal(view['OS-EXT-STS:vm_state'], undefined, 'the 2.57 answer has no extension fields')
    assert.equal(view.status, 'REBUILD')
    const done = await waitFor(c.t, id, ['ACTIVE', 'ERROR'])
    assert.deepEqual(done.metadata, { v: '2' })
    await settle(c.compute)
    const a = await events(r.headers['x-compute-request-id'] as string)
    assert.deepEqual(
      a.events.map((e) => [e.event, e.result]),
      [['compute_rebuild_instance', 'Success']],
    )
    // stopped, rebuilt, stopped again
    await act({ 'os-stop': null })
    await waitFor(c.t, id, ['SHUTOFF'])
    await settle(c.compute)
    const again = await act({ rebuild: { imageRef: c.imageId } })
    assert.equal(again.status, 202, JSON.stringify(again.body))
    await settle(c.compute)
    const s = await waitFor(c.t, id, ['SHUTOFF', 'ERROR', 'ACTIVE'])
    assert.equal(s.status, 'SHUTOFF')
    assert.equal((s.image as { id: string }).id, c.imageId)
    assert.equal((await act({ rebuild: { imageRef: 'f0000000-0000-4000-8000-000000000000' } })).status, 400)
    assert.equal((await act({ 'os-start': null })).status, 202)
    await waitFor(c.t, id, ['ACTIVE'])
    await settle(c.compute)
  })

  it('resets the state as an admin only, and a server in ERROR can be rebuilt', async () => {
    assert.equal((await act({ 'os-resetState': { state: 'error' } })).status, 403)
    assert.equal((await act({ 'os-resetState': { state: 'bogus' } }, ADMIN)).status, 400)
    assert.equal((await act({ 'os-resetState': { state: 'error' } }, ADMIN)).status, 202)
    assert.equal((await show()).status, 'ERROR')
    const r = await act({ rebuild: { imageRef: c.imageId } }, ADMIN)
    assert.equal(r.status, 202, JSON.stringify(r.body))
    assert.equal((await waitFor(c.t, id, ['ACTIVE'])).status, 'ACTIVE')
    await settle(c.compute)
  })

  it('answers the console output (all, or the last lines) and the diagnostics of the guest', async () => {
    const all = await act({ 'os-getConsoleOutput': {} })
    assert.equal(all.status, 200, JSON.stringify(all.body))
    assert.match(all.body.output, /cloud-init: .* up on /)
    assert.ok(all.body.output.split('\n').length > 3, 'the whole log has more than three lines')
    // the last three pieces between newlines, as upstream tails the log (tempest counts them)
    const last = await act({ 'os-getConsoleOutput': { length: 3 } })
    assert.equal(last.body.output.split('\n').length, 3)
    assert.ok(all.body.output.endsWith(last.body.output))
    assert.equal((await act({ 'os-getConsoleOutput': { length: -2 } })).status, 400)
    const d248 = await c.t.call('GET', `${S}/${id}/diagnostics`, { as: ADMIN, version: '2.48' })
    assert.equal(d248.status, 200, JSON.stringify(d248.body))
    assert.equal(d248.body.state, 'running')
    assert.equal(d248.body.memory_details.maximum, 512)
    assert.equal(d248.body.num_cpus, 1)
    assert.deepEqual(d248.body.nic_details, [])
    const legacy = await c.t.call('GET', `${S}/${id}/diagnostics`, { as: ADMIN })
    assert.equal(legacy.status, 200)
    assert.equal(legacy.body.memory, 512 * 1024)
    assert.equal((await c.t.call('GET', `${S}/${id}/diagnostics`, { as: MEMBER })).status, 403)
  })

  it('shows and clears the server password', async () => {
    const p = await c.t.call('GET', `${S}/${id}/os-server-password`, { as: MEMBER })
    assert.equal(p.status, 200)
    assert.deepEqual(p.body, { password: '' })
    assert.equal((await c.t.call('DELETE', `${S}/${id}/os-server-password`, { as: MEMBER })).status, 204)
    assert.equal(
      (await c.t.call('GET', `${S}/${id}/os-server-password`, { as: 'other-project-member' })).status,
      404,
    )
  })

  it('reports tenant usage for a period (index as admin, show for the project)', async () => {
    const start = new Date(Date.now() - 3600_000).toISOString().slice(0, 19)
    const end = new Date(Date.now() + 3600_000).toISOString().slice(0, 19)
    const list = await c.t.call(
      'GET',
      `/compute/v2.1/os-simple-tenant-usage?start=${start}&end=${end}&detailed=1`,
      {
        as: ADMIN,
      },
    )
    assert.equal(list.status, 200, JSON.stringify(list.body))
    const mine = (
      list.body.tenant_usages as { tenant_id: string; server_usages: { instance_id: string }[] }[]
    ).find((u) => u.server_usages.some((s) => s.instance_id === id))
    assert.ok(mine, 'the server is counted')
    const show = await c.t.call(
      'GET',
      `/compute/v2.1/os-simple-tenant-usage/${mine.tenant_id}?start=${start}&end=${end}`,
      {
        as: MEMBER,
      },
    )
    assert.equal(show.status, 200, JSON.stringify(show.body))
    const u = show.body.tenant_usage
    assert.ok(u.total_hours > 0)
    assert.equal(u.total_memory_mb_usage, u.total_hours * 512)
    const server = u.server_usages.find((s: { instance_id: string }) => s.instance_id === id)
    assert.equal(server.flavor, 'm1.tiny')
    assert.equal(server.state, 'active')
    assert.equal(
      (await c.t.call('GET', `/compute/v2.1/os-simple-tenant-usage?start=${end}&end=${start}`, { as: ADMIN }))
        .status,
      400,
    )
    // 2.40: pages of servers; a marker past the last server gives an empty page (the CLI
    // asks until it gets one)
    const page = await c.t.call(
      'GET',
      `/compute/v2.1/os-simple-tenant-usage?start=${start}&end=${end}&limit=1`,
      {
        as: ADMIN,
        version: '2.40',
      },
    )
    assert.equal(page.status, 200)
    assert.match(page.body.tenant_usages_links[0].href, /marker=/)
    const past = await c.t.call(
      'GET',
      `/compute/v2.1/os-simple-tenant-usage?start=${start}&end=${end}&marker=${id}`,
      {
        as: ADMIN,
        version: '2.40',
      },
    )
    assert.equal(past.status, 200, JSON.stringify(past.body))
    assert.ok(
      !(past.body.tenant_usages as { server_usages?: { instance_id: string }[] }[]).some((u) =>
        u.server_usages?.some((s) => s.instance_id === id),
      ),
    )
    assert.equal(
      (
        await c.t.call(
          'GET',
          `/compute/v2.1/os-simple-tenant-usage?marker=f0000000-0000-4000-8000-000000000000`,
          {
            as: ADMIN,
            version: '2.40',
          },
        )
      ).status,
      400,
    )
    assert.equal((await c.t.call('GET', '/compute/v2.1/os-simple-tenant-usage', { as: MEMBER })).status, 403)
    assert.equal(
      (await c.t.call('GET', `/compute/v2.1/os-simple-tenant-usage/?start=${start}`, { as: ADMIN })).status,
      404,
    )
  })

  it("puts COMPUTE_STATUS_DISABLED on a disabled host's provider at once, and takes it off when enabled", async () => {
    const services = await c.t.call('GET', '/compute/v2.1/os-services?binary=nova-compute', {
      as: ADMIN,
      version: '2.53',
    })
    const svc = services.body.services[0] as { id: string; host: string }
    const rp = (await c.t.call('GET', `/placement/resource_providers?name=${svc.host}`, { as: ADMIN })).body
      .resource_providers[0]
    const traits = async () =>
      (
        await c.t.call('GET', `/placement/resource_providers/${rp.uuid}/traits`, {
          as: ADMIN,
          headers: { 'openstack-api-version': 'placement 1.6' },
        })
      ).body.traits as string[]
    assert.ok(!(await traits()).includes('COMPUTE_STATUS_DISABLED'))
    const off = await c.t.call('PUT', `/compute/v2.1/os-services/${svc.id}`, {
      as: ADMIN,
      version: '2.53',
      body: { status: 'disabled', disabled_reason: 'maintenance' },
    })
    assert.equal(off.status, 200, JSON.stringify(off.body))
    assert.ok((await traits()).includes('COMPUTE_STATUS_DISABLED'))
    const on = await c.t.call('PUT', `/compute/v2.1/os-services/${svc.id}`, {
      as: ADMIN,
      version: '2.53',
      body: { status: 'enabled' },
    })
    assert.equal(on.status, 200)
    assert.ok(!(await traits()).includes('COMPUTE_STATUS_DISABLED'))
  })

  it('changes the admin password through the agent (a running server only)', async () => {
    const r = await act({ changePassword: { adminPass: 'n3w-secret' } })
    assert.equal(r.status, 202, JSON.stringify(r.body))
    assert.equal((await waitFor(c.t, id, ['ACTIVE', 'ERROR'])).status, 'ACTIVE')
    await settle(c.compute)
    const a = await events(r.headers['x-compute-request-id'] as string)
    assert.equal(a.action, 'changePassword')
    assert.deepEqual(
      a.events.map((e) => [e.event, e.result]),
      [['compute_set_admin_password', 'Success']],
    )
    assert.equal((await act({ changePassword: {} })).status, 400)
  })

  it('checks personality files (before 2.57) against the injected file quotas', async () => {
    const file = { path: '/etc/motd', contents: Buffer.from('hello').toString('base64') }
    const ok = await act({ rebuild: { imageRef: c.imageId, personality: [file] } }, MEMBER, '2.56')
    assert.equal(ok.status, 202, JSON.stringify(ok.body))
    await waitFor(c.t, id, ['ACTIVE'])
    await settle(c.compute)
    const tooMany = await c.t.call('POST', S, {
      as: MEMBER,
      version: '2.56',
      body: {
        server: {
          name: 'files',
          imageRef: c.imageId,
          flavorRef: '1',
          networks: 'none',
          personality: Array.from({ length: 6 }, (_, n) => ({ ...file, path: `/f${n}` })),
        },
      },
    })
    assert.equal(tooMany.status, 403, JSON.stringify(tooMany.body))
    assert.equal(tooMany.body.forbidden.message, 'Personality file limit exceeded')
    const notEncoded = await act(
      { rebuild: { imageRef: c.imageId, personality: [{ path: '/x', contents: '**not base64**' }] } },
      MEMBER,
      '2.56',
    )
    assert.equal(notEncoded.status, 400)
    assert.equal(
      (await act({ rebuild: { imageRef: c.imageId, personality: [file] } }, MEMBER, '2.57')).status,
      400,
      'no personality from 2.57',
    )
  })
})
