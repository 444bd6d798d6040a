/**
 * A server's volumes with the block storage service in the same cloud: attach, list,
 * show, detach through Cinder's attachments API (the volume reserved → attaching →
 * in-use → detaching → available), ten racing attachments of one volume that is not
 * multiattach (exactly one wins), boot from volume (image → volume, an existing
 * bootable volume, blank), createImage of a volume-backed server (volume snapshots), a build that fails cleaning up what it made, a delete that
 * detaches and deletes what delete_on_termination marks, the deprecated os-volumes
 * proxy, and bad input as Nova's 4xx.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import type { TestHost } from '../../../kernel/testing/index.js'
import type { VolumeInstance } from '../../volume/service.js'
import { settle, startServersCloud, type TestCloud, waitFor, waitForAll } from './cloud-harness.js'

const S = '/compute/v2.1/servers'
const V = '/volume/v3/volumes'
const MEMBER = 'project-member'
const ADMIN = 'project-admin'

async function volume(t: TestHost, id: string) {
  const r = await t.call('GET', `${V}/${id}`, { as: ADMIN })
  return r.status === 404 ? undefined : (r.body.volume as Record<string, unknown>)
}

async function waitVolume(t: TestHost, id: string, status: string, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs
  for (;;) {
    const v = await volume(t, id)
    if ((v?.status ?? 'deleted') === status) return v
    if (Date.now() > until) throw new Error(`volume ${id} stayed ${String(v?.status ?? 'deleted')}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

async function newVolume(t: TestHost, body: Record<string, unknown> = {}) {
  const r = await t.call('POST', V, { as: MEMBER, body: { volume: { size: 1, ...body } } })
  assert.equal(r.status, 202, JSON.stringify(r.body))
  await waitVolume(t, r.body.volume.id, 'available')
  return r.body.volume.id as string
}

describe('server volumes', { timeout: 300_000 }, () => {
  let c: TestCloud
  let server: string

  async function boot(body: Record<string, unknown>, version = '2.79') {
    const r = await c.t.call('POST', S, {
      as: MEMBER,
      version,
      body: { server: { name: 'vm', flavorRef: '1', networks: 'none', ...body } },
    })
    return r
  }

  before(async () => {
    // NOTE: the suite makes more volumes and snapshots than the default quotas of 10
    c = await startServersCloud({
      volume: true,
      config: { DEFAULT: { quota_volumes: -1, quota_snapshots: -1, quota_gigabytes: -1 } },
    })
    const r = await boot({ imageRef: c.imageId })
    assert.equal(r.status, 202, JSON.stringify(r.body))
    server = r.body.server.id
    await waitFor(c.t, server, ['ACTIVE'])
  })
  after(async () => {
    await c?.close()
  })

  it('attaches, lists, shows and detaches a volume; the volume follows reserved → in-use → available', async () => {
    const vol = await newVolume(c.t)
    const a = await c.t.call('POST', `${S}/${server}/os-volume_attachments`, {
      as: MEMBER,
      version: '2.79',
      body: { volumeAttachment: { volumeId: vol, tag: 'data', delete_on_termination: false } },
    })
    assert.equal(a.status, 200, JSON.stringify(a.body))
    assert.deepEqual(a.body.volumeAttachment, {
      id: vol,
      serverId: server,
      volumeId: vol,
      device: '/dev/vdb',
      tag: 'data',
      delete_on_termination: false,
    })
    const v = await volume(c.t, vol)
    assert.equal(v?.status, 'in-use')
    const atts = v?.attachments as { server_id: string; attachment_id: string; host_name: string }[]
    assert.equal(atts.length, 1)
    assert.equal(atts[0]!.server_id, server)
    // the list at 2.1 has exactly the attach answer's fields (tempest compares them)
    const list21 = await c.t.call('GET', `${S}/${server}/os-volume_attachments`, { as: MEMBER })
    assert.deepEqual(list21.body.volumeAttachments, [
      { id: vol, serverId: server, volumeId: vol, device: '/dev/vdb' },
    ])
    const list89 = await c.t.call('GET', `${S}/${server}/os-volume_attachments`, {
      as: MEMBER,
      version: '2.89',
    })
    const item = list89.body.volumeAttachments[0]
    assert.equal(item.id, undefined)
    assert.equal(item.attachment_id, atts[0]!.attachment_id)
    assert.match(item.bdm_uuid, /^[0-9a-f-]{36}$/)
    const shown = await c.t.call('GET', `${S}/${server}/os-volume_attachments/${vol}`, { as: MEMBER })
    assert.equal(shown.status, 200)
    assert.equal(shown.body.volumeAttachment.volumeId, vol)
    const srv = await c.t.call('GET', `${S}/${server}`, { as: MEMBER, version: '2.79' })
    assert.deepEqual(srv.body.server['os-extended-volumes:volumes_attached'], [
      { id: vol, delete_on_termination: false },
    ])
    // a volume in use cannot be deleted (Cinder's 400)
    assert.equal((await c.t.call('DELETE', `${V}/${vol}`, { as: MEMBER })).status, 400)
    // attaching it again: 400 (already attached to this server)
    const again = await c.t.call('POST', `${S}/${server}/os-volume_attachments`, {
      as: MEMBER,
      body: { volumeAttachment: { volumeId: vol } },
    })
    assert.equal(again.status, 400, JSON.stringify(again.body))
    const d = await c.t.call('DELETE', `${S}/${server}/os-volume_attachments/${vol}`, { as: MEMBER })
    assert.equal(d.status, 202, JSON.stringify(d.body))
    assert.equal((await volume(c.t, vol))?.status, 'available')
    const gone = await c.t.call('GET', `${S}/${server}/os-volume_attachments/${vol}`, { as: MEMBER })
    assert.equal(gone.status, 404)
    assert.match(gone.body.itemNotFound.message, /is not attached to volume/)
    const actions = await c.t.call('GET', `${S}/${server}/os-instance-actions`, { as: MEMBER })
    const names = actions.body.instanceActions.map((x: { action: string }) => x.action)
    assert.ok(names.includes('attach_volume') && names.includes('detach_volume'), JSON.stringify(names))
  })

  it('ten concurrent attachments of one volume that is not multiattach: exactly one wins', async () => {
    const r = await boot({ imageRef: c.imageId, min_count: 5, max_count: 5 })
    assert.equal(r.status, 202)
    const list = await c.t.call('GET', `${S}?name=^vm-`, { as: MEMBER })
    const ids = (list.body.servers as { id: string }[]).map((s) => s.id)
    assert.equal(ids.length, 5)
    await waitForAll(c.t, ids, ['ACTIVE'])
    const vol = await newVolume(c.t)
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        c.t.call('POST', `${S}/${ids[i % 5]}/os-volume_attachments`, {
          as: MEMBER,
          body: { volumeAttachment: { volumeId: vol } },
        }),
      ),
    )
    const codes = answers.map((a) => a.status).sort()
    assert.deepEqual(
      codes,
      [200, 400, 400, 400, 400, 400, 400, 400, 400, 400],
      JSON.stringify(answers.map((a) => a.body)),
    )
    for (const a of answers.filter((x) => x.status === 400))
      assert.match(a.body.badRequest.message, /^Invalid volume: /)
    const v = await volume(c.t, vol)
    assert.equal(v?.status, 'in-use')
    assert.equal((v?.attachments as unknown[] | undefined)?.length, 1)
    let mapped = 0
    for (const id of ids) {
      const s = await c.t.call('GET', `${S}/${id}`, { as: MEMBER })
      mapped += s.body.server['os-extended-volumes:volumes_attached'].length
    }
    assert.equal(mapped, 1, 'one server maps the volume')
    for (const id of ids) await c.t.call('DELETE', `${S}/${id}`, { as: MEMBER })
    await waitForAll(c.t, ids, ['DELETED'])
    await waitVolume(c.t, vol, 'available')
  })

  it('boots from an image copied to a volume; the image shows as ""; delete_on_termination deletes it', async () => {
    const r = await boot({
      imageRef: '',
      block_device_mapping_v2: [
        {
          source_type: 'image',
          destination_type: 'volume',
          uuid: c.imageId,
          volume_size: 1,
          boot_index: 0,
          delete_on_termination: true,
        },
      ],
    })
    assert.equal(r.status, 202, JSON.stringify(r.body))
    const id = r.body.server.id
    const s = await waitFor(c.t, id, ['ACTIVE', 'ERROR'])
    assert.equal(s.status, 'ACTIVE', JSON.stringify(s.fault))
    assert.equal(s.image, '')
    const attached = s['os-extended-volumes:volumes_attached'] as {
      id: string
      delete_on_termination: boolean
    }[]
    assert.equal(attached.length, 1)
    assert.equal(attached[0]!.delete_on_termination, true)
    const vol = await volume(c.t, attached[0]!.id)
    assert.equal(vol?.status, 'in-use')
    assert.equal(vol?.bootable, 'true')
    assert.equal((vol?.volume_image_metadata as Record<string, string> | undefined)?.image_id, c.imageId)
    // the volume starts with the image's bytes
    const vi = c.t.host.modules.find((m) => m.module.name === 'volume')!.instance as VolumeInstance
    const head = (await readFile(vi.driver.volumePath(attached[0]!.id))).subarray(0, 17)
    const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex')
    assert.equal(sha(head), sha('not really a disk'))
    // the host's connector reached Cinder: the attachment names the server's host
    const admin = await c.t.call('GET', `${S}/${id}`, { as: ADMIN })
    const att = await c.t.call('GET', `/volume/v3/attachments/detail?volume_id=${attached[0]!.id}`, {
      as: ADMIN,
      version: '3.44',
    })
    assert.equal(att.body.attachments[0].status, 'attached')
    assert.ok(admin.body.server['OS-EXT-SRV-ATTR:host'])
    assert.equal((await c.t.call('DELETE', `${S}/${id}`, { as: MEMBER })).status, 204)
    await waitFor(c.t, id, ['DELETED'])
    await settle(c.compute)
    await waitVolume(c.t, attached[0]!.id, 'deleted')
  })

  it('createImage of a volume-backed server: a snapshot per volume, an active image listing them', async () => {
    const r = await boot({
      imageRef: '',
      block_device_mapping_v2: [
        {
          source_type: 'image',
          destination_type: 'volume',
          uuid: c.imageId,
          volume_size: 1,
          boot_index: 0,
          delete_on_termination: true,
        },
      ],
    })
    assert.equal(r.status, 202, JSON.stringify(r.body))
    const id = r.body.server.id
    assert.equal((await waitFor(c.t, id, ['ACTIVE', 'ERROR'])).status, 'ACTIVE')
    const snap = await c.t.call('POST', `${S}/${id}/action`, {
      as: MEMBER,
      version: '2.45',
      body: { createImage: { name: 'bfv-snap', metadata: { purpose: 'bfv' } } },
    })
    assert.equal(snap.status, 202, JSON.stringify(snap.body))
    const img = (await c.t.call('GET', `/image/v2/images/${snap.body.image_id}`, { as: MEMBER })).body
    assert.equal(img.status, 'active')
    assert.equal(img.size, 0)
    assert.equal(img.image_type, 'snapshot')
    assert.equal(img.instance_uuid, id)
    assert.equal(img.purpose, 'bfv')
    assert.equal(img.bdm_v2, 'True')
    assert.equal(img.root_device_name, '/dev/vda')
    const mapping = JSON.parse(img.block_device_mapping as string) as Record<string, unknown>[]
    assert.equal(mapping.length, 1)
    assert.equal(mapping[0]!.source_type, 'snapshot')
    assert.equal(mapping[0]!.boot_index, 0)
    const vs = await c.t.call('GET', `/volume/v3/snapshots/${mapping[0]!.snapshot_id}`, { as: MEMBER })
    assert.equal(vs.status, 200, JSON.stringify(vs.body))
    assert.equal(
      vs.body.snapshot.volume_id,
      (await c.t.call('GET', `${S}/${id}`, { as: MEMBER })).body.server[
        'os-extended-volumes:volumes_attached'
      ][0].id,
    )
    const s = (await c.t.call('GET', `${S}/${id}`, { as: MEMBER })).body.server
    assert.equal(s.status, 'ACTIVE')
    assert.equal(s['OS-EXT-STS:task_state'], null)
    // the policy for volume-backed servers is its own rule: a reader may not
    const reader = await c.t.call('POST', `${S}/${id}/action`, {
      as: 'project-reader',
      body: { createImage: { name: 'nope' } },
    })
    assert.equal(reader.status, 403)
    await c.t.call('DELETE', `/volume/v3/snapshots/${mapping[0]!.snapshot_id}`, { as: MEMBER })
    await c.t.call('DELETE', `${S}/${id}`, { as: MEMBER })
    await waitFor(c.t, id, ['DELETED'])
    await settle(c.compute)
  })

  it('boots from an existing bootable volume with the legacy mapping; the delete leaves it available', async () => {
    const vol = await newVolume(c.t)
    await c.t.call('POST', `${V}/${vol}/action`, {
      as: MEMBER,
      body: { 'os-set_bootable': { bootable: true } },
    })
    const r = await boot(
      {
        block_device_mapping: [{ volume_id: vol, device_name: 'vda', delete_on_termination: false }],
        networks: [],
      },
      '2.1',
    )
    assert.equal(r.status, 202, JSON.stringify(r.body))
    const id = r.body.server.id
    const s = await waitFor(c.t, id, ['ACTIVE', 'ERROR'])
    assert.equal(s.status, 'ACTIVE', JSON.stringify(s.fault))
    assert.equal((await volume(c.t, vol))?.status, 'in-use')
    // the root volume cannot be detached
    const d = await c.t.call('DELETE', `${S}/${id}/os-volume_attachments/${vol}`, { as: MEMBER })
    assert.equal(d.status, 400, JSON.stringify(d.body))
    // a volume booting one server cannot boot another
    const second = await boot({
      block_device_mapping_v2: [
        { source_type: 'volume', destination_type: 'volume', uuid: vol, boot_index: 0 },
      ],
    })
    assert.equal(second.status, 400, JSON.stringify(second.body))
    await c.t.call('DELETE', `${S}/${id}`, { as: MEMBER })
    await waitFor(c.t, id, ['DELETED'])
    await settle(c.compute)
    await waitVolume(c.t, vol, 'available')
  })

  it('a build that fails everywhere detaches its volumes and deletes the ones it created', async () => {
    const existing = await newVolume(c.t)
    for (const h of ['cmp-1', 'cmp-2', 'cmp-3']) c.agents.setFailing(h, true)
    try {
      const r = await boot({
        imageRef: c.imageId,
        block_device_mapping_v2: [
          {
            source_type: 'blank',
            destination_type: 'volume',
            volume_size: 1,
            boot_index: 1,
            delete_on_termination: true,
          },
          {
            source_type: 'image',
            destination_type: 'volume',
            uuid: c.imageId,
            volume_size: 1,
            boot_index: 2,
            delete_on_termination: false,
          },
          { source_type: 'volume', destination_type: 'volume', uuid: existing, boot_index: 3 },
        ],
      })
      assert.equal(r.status, 202, JSON.stringify(r.body))
      const id = r.body.server.id
      const s = await waitFor(c.t, id, ['ACTIVE', 'ERROR'])
      assert.equal(s.status, 'ERROR')
      await settle(c.compute)
      type Vol = { id: string; name: string; status: string; bootable: string }
      const listVolumes = async () =>
        (await c.t.call('GET', `${V}/detail`, { as: MEMBER })).body.volumes as Vol[]
      // the volume service deletes in the background: the blank volume may still be
      // 'deleting' when the conductor is done with the build, and must then go
      for (const blank of (await listVolumes()).filter((v) => v.name === `${id}-blank-vol`)) {
        assert.equal(blank.status, 'deleting', 'the blank volume is being deleted')
        await waitVolume(c.t, blank.id, 'deleted')
      }
      const vols = await listVolumes()
      assert.equal(vols.filter((v) => v.name === `${id}-blank-vol`).length, 0, 'the blank volume is deleted')
      const kept = vols.filter((v) => v.bootable === 'true' && v.status !== 'deleting')
      assert.ok(
        kept.every((v) => v.status === 'available'),
        JSON.stringify(kept),
      )
      assert.equal((await volume(c.t, existing))?.status, 'available')
      const atts = await c.t.call('GET', `/volume/v3/attachments?instance_id=${id}`, {
        as: ADMIN,
        version: '3.27',
      })
      assert.deepEqual(atts.body.attachments, [])
      await c.t.call('DELETE', `${S}/${id}`, { as: MEMBER })
      await waitFor(c.t, id, ['DELETED'])
    } finally {
      for (const h of ['cmp-1', 'cmp-2', 'cmp-3']) c.agents.setFailing(h, false)
    }
  })

  it('attaches a multiattach volume to two servers from 2.60 and refuses to swap it', async () => {
    const r = await boot({ imageRef: c.imageId, name: 'multi' })
    const other = r.body.server.id
    await waitFor(c.t, other, ['ACTIVE'])
    const created = await c.t.call('POST', V, {
      as: MEMBER,
      body: { volume: { size: 1, multiattach: true } },
    })
    assert.equal(created.status, 202, JSON.stringify(created.body))
    const vol = created.body.volume.id
    await waitVolume(c.t, vol, 'available')
    const old = await c.t.call('POST', `${S}/${server}/os-volume_attachments`, {
      as: MEMBER,
      version: '2.59',
      body: { volumeAttachment: { volumeId: vol } },
    })
    assert.equal(old.status, 400)
    assert.match(old.body.badRequest.message, /2\.60/)
    for (const id of [server, other]) {
      const a = await c.t.call('POST', `${S}/${id}/os-volume_attachments`, {
        as: MEMBER,
        version: '2.60',
        body: { volumeAttachment: { volumeId: vol } },
      })
      assert.equal(a.status, 200, JSON.stringify(a.body))
    }
    const v = await volume(c.t, vol)
    assert.equal(v?.status, 'in-use')
    assert.equal((v?.attachments as unknown[] | undefined)?.length, 2)
    const spare = await newVolume(c.t)
    const swap = await c.t.call('PUT', `${S}/${server}/os-volume_attachments/${vol}`, {
      as: ADMIN,
      version: '2.60',
      body: { volumeAttachment: { volumeId: spare } },
    })
    assert.equal(swap.status, 400)
    assert.equal((await volume(c.t, spare))?.status, 'available')
    await c.t.call('DELETE', `${S}/${server}/os-volume_attachments/${vol}`, { as: MEMBER })
    assert.equal((await volume(c.t, vol))?.status, 'in-use', 'the other server still holds it')
    await c.t.call('DELETE', `${S}/${other}/os-volume_attachments/${vol}`, { as: MEMBER })
    assert.equal((await volume(c.t, vol))?.status, 'available')
    await c.t.call('DELETE', `${S}/${other}`, { as: MEMBER })
    await waitFor(c.t, other, ['DELETED'])
  })

  it('refuses bad mappings and attachments with Nova 4xx, leaving nothing behind', async () => {
    const before = (await c.t.call('GET', V, { as: MEMBER })).body.volumes.length
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        {
          imageRef: '',
          block_device_mapping_v2: [
            { source_type: 'image', destination_type: 'volume', uuid: c.imageId, boot_index: 0 },
          ],
        },
        /non-zero size/,
      ],
      [
        {
          imageRef: '',
          block_device_mapping_v2: [{ source_type: 'blank', destination_type: 'volume', boot_index: 0 }],
        },
        /non-zero size/,
      ],
      [
        {
          imageRef: c.imageId,
          block_device_mapping_v2: [
            { source_type: 'blank', destination_type: 'volume', volume_size: 1, boot_index: 2 },
          ],
        },
        /Boot sequence/,
      ],
      [
        {
          imageRef: '',
          block_device_mapping_v2: [
            {
              source_type: 'volume',
              destination_type: 'volume',
              uuid: '8d7c7b3e-0000-4000-8000-000000000000',
              boot_index: 0,
            },
          ],
        },
        /could not be found/,
      ],
      [
        {
          imageRef: c.imageId,
          block_device_mapping: [{ volume_id: '8d7c7b3e-0000-4000-8000-000000000000', device_name: 'vdb' }],
          block_device_mapping_v2: [],
        },
        /different block_device_mapping syntaxes/,
      ],
      [
        { imageRef: c.imageId, block_device_mapping_v2: [{ source_type: 'nonsense', boot_index: 0 }] },
        /source_type/,
      ],
    ]
    for (const [body, message] of cases) {
      const r = await boot(body)
      assert.equal(r.status, 400, JSON.stringify(r.body))
      assert.match(r.body.badRequest.message, message)
    }
    // a volume that is not bootable cannot boot a server
    const plain = await newVolume(c.t)
    const nb = await boot({
      imageRef: '',
      block_device_mapping_v2: [
        { source_type: 'volume', destination_type: 'volume', uuid: plain, boot_index: 0 },
      ],
    })
    assert.equal(nb.status, 400)
    assert.match(nb.body.badRequest.message, /is not bootable/)
    assert.equal((await c.t.call('GET', V, { as: MEMBER })).body.volumes.length, before + 1)
    // attachments: unknown volume 404, unknown server 404, malformed body 400, swap for admins only
    const nf = await c.t.call('POST', `${S}/${server}/os-volume_attachments`, {
      as: MEMBER,
      body: { volumeAttachment: { volumeId: '8d7c7b3e-0000-4000-8000-000000000000' } },
    })
    assert.equal(nf.status, 404)
    const ns = await c.t.call('GET', `${S}/8d7c7b3e-0000-4000-8000-000000000000/os-volume_attachments`, {
      as: MEMBER,
    })
    assert.equal(ns.status, 404)
    const bad = await c.t.call('POST', `${S}/${server}/os-volume_attachments`, {
      as: MEMBER,
      body: { volumeAttachment: { volumeId: 'x' } },
    })
    assert.equal(bad.status, 400)
    const tag21 = await c.t.call('POST', `${S}/${server}/os-volume_attachments`, {
      as: MEMBER,
      body: { volumeAttachment: { volumeId: plain, tag: 'x' } },
    })
    assert.equal(tag21.status, 400, 'tag needs 2.49')
    const other = await c.t.call('GET', `${S}/${server}/os-volume_attachments`, {
      as: 'other-project-member',
    })
    assert.equal(other.status, 404)
    const ok = await c.t.call('POST', `${S}/${server}/os-volume_attachments`, {
      as: MEMBER,
      body: { volumeAttachment: { volumeId: plain } },
    })
    assert.equal(ok.status, 200)
    const target = await newVolume(c.t)
    const swapMember = await c.t.call('PUT', `${S}/${server}/os-volume_attachments/${plain}`, {
      as: MEMBER,
      body: { volumeAttachment: { volumeId: target } },
    })
    assert.equal(swapMember.status, 403)
    const swap = await c.t.call('PUT', `${S}/${server}/os-volume_attachments/${plain}`, {
      as: ADMIN,
      body: { volumeAttachment: { volumeId: target } },
    })
    assert.equal(swap.status, 202, JSON.stringify(swap.body))
    assert.equal((await volume(c.t, plain))?.status, 'available')
    assert.equal((await volume(c.t, target))?.status, 'in-use')
    const dot = await c.t.call('PUT', `${S}/${server}/os-volume_attachments/${target}`, {
      as: MEMBER,
      version: '2.85',
      body: { volumeAttachment: { volumeId: target, delete_on_termination: true } },
    })
    assert.equal(dot.status, 202, JSON.stringify(dot.body))
    const shown = await c.t.call('GET', `${S}/${server}/os-volume_attachments/${target}`, {
      as: MEMBER,
      version: '2.85',
    })
    assert.equal(shown.body.volumeAttachment.delete_on_termination, true)
    // the server in a state attach does not allow: 409
    await c.t.call('POST', `${S}/${server}/action`, {
      as: ADMIN,
      body: { 'os-resetState': { state: 'error' } },
    })
    const conflict = await c.t.call('POST', `${S}/${server}/os-volume_attachments`, {
      as: MEMBER,
      body: { volumeAttachment: { volumeId: plain } },
    })
    assert.equal(conflict.status, 409, JSON.stringify(conflict.body))
    assert.equal((await volume(c.t, plain))?.status, 'available')
  })

  it('serves os-volumes and os-snapshots up to 2.35 and 404 from 2.36', async () => {
    const created = await c.t.call('POST', '/compute/v2.1/os-volumes', {
      as: MEMBER,
      body: { volume: { size: 1, display_name: 'legacy' } },
    })
    assert.equal(created.status, 200, JSON.stringify(created.body))
    assert.equal(created.body.volume.displayName, 'legacy')
    assert.deepEqual(created.body.volume.attachments, [{}])
    const id = created.body.volume.id
    await waitVolume(c.t, id, 'available')
    const shown = await c.t.call('GET', `/compute/v2.1/os-volumes/${id}`, { as: MEMBER })
    assert.equal(shown.body.volume.status, 'available')
    const limited = await c.t.call('GET', '/compute/v2.1/os-volumes/detail?limit=1', { as: MEMBER })
    assert.equal(limited.body.volumes.length, 1)
    const snap = await c.t.call('POST', '/compute/v2.1/os-snapshots', {
      as: MEMBER,
      body: { snapshot: { volume_id: id, display_name: 's' } },
    })
    assert.equal(snap.status, 200, JSON.stringify(snap.body))
    assert.equal(snap.body.snapshot.volumeId, id)
    assert.equal(
      (await c.t.call('GET', '/compute/v2.1/os-volumes', { as: MEMBER, version: '2.36' })).status,
      404,
    )
    for (const body of [{ volume: { size: '' } }, { volume: { size: 0 } }, { volume: { size: '#$%' } }]) {
      const r = await c.t.call('POST', '/compute/v2.1/os-volumes', { as: MEMBER, body })
      assert.equal(r.status, 400, JSON.stringify(body))
    }
    const missing = await c.t.call('GET', '/compute/v2.1/os-volumes/8d7c7b3e-0000-4000-8000-000000000000', {
      as: MEMBER,
    })
    assert.equal(missing.status, 404)
    for (const method of ['GET', 'DELETE'] as const)
      assert.equal((await c.t.call(method, '/compute/v2.1/os-volumes/', { as: MEMBER })).status, 404)
    const missingDelete = await c.t.call(
      'DELETE',
      '/compute/v2.1/os-volumes/8d7c7b3e-0000-4000-8000-000000000000',
      { as: MEMBER },
    )
    assert.equal(missingDelete.status, 404)
  })

  it('serves the image proxy and its metadata up to 2.35 and 404 from 2.36', async () => {
    const I = '/compute/v2.1/images'
    const shown = await c.t.call('GET', `${I}/${c.imageId}`, { as: MEMBER })
    assert.equal(shown.status, 200, JSON.stringify(shown.body))
    assert.equal(shown.body.image.status, 'ACTIVE')
    assert.equal(shown.body.image.progress, 100)
    assert.equal(shown.body.image['OS-EXT-IMG-SIZE:size'], 17)
    const listed = await c.t.call('GET', `${I}/detail`, { as: MEMBER })
    assert.ok(listed.body.images.some((i: { id: string }) => i.id === c.imageId))
    const own = await c.t.call('POST', '/image/v2/images', {
      as: MEMBER,
      body: { name: 'mine', disk_format: 'raw', container_format: 'bare' },
    })
    const id = own.body.id
    const set = await c.t.call('POST', `${I}/${id}/metadata`, {
      as: MEMBER,
      body: { metadata: { a: '1', b: '2' } },
    })
    assert.equal(set.status, 200, JSON.stringify(set.body))
    assert.deepEqual(set.body.metadata, { a: '1', b: '2' })
    const replaced = await c.t.call('PUT', `${I}/${id}/metadata`, {
      as: MEMBER,
      body: { metadata: { c: '3' } },
    })
    assert.deepEqual(replaced.body.metadata, { c: '3' })
    const item = await c.t.call('PUT', `${I}/${id}/metadata/d`, { as: MEMBER, body: { meta: { d: '4' } } })
    assert.deepEqual(item.body, { meta: { d: '4' } })
    assert.deepEqual((await c.t.call('GET', `${I}/${id}/metadata/d`, { as: MEMBER })).body, {
      meta: { d: '4' },
    })
    assert.equal((await c.t.call('DELETE', `${I}/${id}/metadata/c`, { as: MEMBER })).status, 204)
    assert.deepEqual((await c.t.call('GET', `${I}/${id}/metadata`, { as: MEMBER })).body.metadata, { d: '4' })
    assert.equal((await c.t.call('GET', `${I}/${id}/metadata/zz`, { as: MEMBER })).status, 404)
    assert.equal((await c.t.call('DELETE', `${I}/${id}`, { as: MEMBER })).status, 204)
    assert.equal((await c.t.call('GET', `${I}/${id}`, { as: MEMBER })).status, 404)
    assert.equal((await c.t.call('GET', `${I}/${id}/metadata`, { as: MEMBER })).status, 404)
    assert.equal((await c.t.call('GET', I, { as: MEMBER, version: '2.36' })).status, 404)
  })
})

describe('volumes of a shelved-offloaded server', { timeout: 300_000 }, () => {
  let c: TestCloud
  before(async () => {
    c = await startServersCloud({ volume: true, realAgents: 1 })
  })
  after(async () => {
    await c?.close()
  })

  it('attaches (in-use without a host, as upstream), detaches, and keeps the attachment through unshelve', async () => {
    const r = await c.t.call('POST', S, {
      as: MEMBER,
      version: '2.37',
      body: { server: { name: 'shelf', flavorRef: '1', networks: 'none', imageRef: c.imageId } },
    })
    assert.equal(r.status, 202, JSON.stringify(r.body))
    const server = r.body.server.id as string
    await waitFor(c.t, server, ['ACTIVE'])
    const act = (body: unknown) => c.t.call('POST', `${S}/${server}/action`, { as: MEMBER, body })
    assert.equal((await act({ shelve: null })).status, 202)
    assert.equal(
      (await waitFor(c.t, server, ['SHELVED_OFFLOADED'], MEMBER, 60_000)).status,
      'SHELVED_OFFLOADED',
    )
    await settle(c.compute)

    const [kept, dropped] = [await newVolume(c.t), await newVolume(c.t)]
    for (const vol of [kept, dropped]) {
      const a = await c.t.call('POST', `${S}/${server}/os-volume_attachments`, {
        as: MEMBER,
        version: '2.20',
        body: { volumeAttachment: { volumeId: vol } },
      })
      assert.equal(a.status, 200, JSON.stringify(a.body))
      assert.match(a.body.volumeAttachment.device, /^\/dev\/vd[b-z]$/)
      const v = await volume(c.t, vol)
      assert.equal(v?.status, 'in-use')
      assert.deepEqual(
        ((v?.attachments ?? []) as { server_id: string }[]).map((x) => x.server_id),
        [server],
      )
    }
    const d = await c.t.call('DELETE', `${S}/${server}/os-volume_attachments/${dropped}`, {
      as: MEMBER,
      version: '2.20',
    })
    assert.equal(d.status, 202, JSON.stringify(d.body))
    await waitVolume(c.t, dropped, 'available')

    assert.equal((await act({ unshelve: null })).status, 202)
    assert.equal((await waitFor(c.t, server, ['ACTIVE', 'ERROR'], MEMBER, 60_000)).status, 'ACTIVE')
    const list = await c.t.call('GET', `${S}/${server}/os-volume_attachments`, { as: MEMBER })
    assert.deepEqual(
      (list.body.volumeAttachments as { volumeId: string; device: string }[]).map((x) => x.volumeId),
      [kept],
    )
    assert.ok(list.body.volumeAttachments[0].device)
    assert.equal((await volume(c.t, kept))?.status, 'in-use')
  })
})
