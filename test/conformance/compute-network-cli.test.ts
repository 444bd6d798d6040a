/**
 * Servers and their ports through the real openstack CLI against `cloudlet up` (the
 * default topology: public, private, router1): server create --network private --wait
 * then server add floating ip, as a fresh cloud's user would; --nic port-id=... with a
 * port made beforehand; server add/remove port and add network; server add/remove
 * security group; delete --wait, which deletes the ports compute created and gives the
 * user's port back unbound.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type CloudProcess, openstackJson, openstackOk, startCloudProcess } from '../support/cloud-process.js'

type Row = Record<string, unknown>

/** The addresses column as the CLI prints it in JSON: {network: [ip, ...]}. */
function addressesOf(server: Row): Record<string, string[]> {
  const a = server.addresses
  return typeof a === 'string'
    ? (JSON.parse(a.replace(/'/g, '"')) as Record<string, string[]>)
    : (a as Record<string, string[]>)
}

describe('servers with ports through the openstack CLI', { timeout: 900_000 }, () => {
  let cloud: CloudProcess
  let admin: NodeJS.ProcessEnv
  let demo: NodeJS.ProcessEnv
  const json = <T = Row>(args: string[], env = demo) => openstackJson<T>(env, args)
  const ok = (args: string[], env = demo) => openstackOk(env, args)

  before(async () => {
    cloud = await startCloudProcess()
    admin = { ...cloud.env, OS_CLOUD: 'cloudlet-admin' }
    demo = { ...cloud.env, OS_CLOUD: 'cloudlet' }
    const file = join(cloud.dataDir, 'tiny.img')
    writeFileSync(file, Buffer.alloc(4096, 7))
    await ok(
      [
        'image',
        'create',
        '--file',
        file,
        '--disk-format',
        'raw',
        '--container-format',
        'bare',
        '--public',
        'tiny',
      ],
      admin,
    )
  })
  after(async () => {
    await cloud?.stop()
  })

  it('boots on the private network and takes a floating IP', async () => {
    const server = await json([
      'server',
      'create',
      '--network',
      'private',
      '--image',
      'tiny',
      '--flavor',
      'm1.tiny',
      '--wait',
      'web-1',
    ])
    assert.equal(server.status, 'ACTIVE')
    const fixed = addressesOf(server).private ?? []
    assert.equal(fixed.length, 1)
    assert.match(fixed[0]!, /^10\.0\.0\./)
    const ports = await json<Row[]>(['port', 'list', '--server', 'web-1', '--long'])
    assert.equal(ports.length, 1)
    const port = await json(['port', 'show', String(ports[0]!.ID)], admin)
    assert.equal(port.device_owner, 'compute:nova')
    assert.equal(port.device_id, server.id)
    assert.ok(port.binding_host_id, 'the port is bound to the chosen host')
    assert.equal(port.status, 'ACTIVE')

    const fip = await json(['floating', 'ip', 'create', 'public'])
    const address = String(fip.floating_ip_address)
    await ok(['server', 'add', 'floating', 'ip', 'web-1', address])
    const shown = await json(['server', 'show', 'web-1'])
    assert.deepEqual(addressesOf(shown).private, [fixed[0], address])
    const bound = await json(['floating', 'ip', 'show', address])
    assert.equal(bound.fixed_ip_address, fixed[0])
    await ok(['server', 'remove', 'floating', 'ip', 'web-1', address])
    assert.deepEqual(addressesOf(await json(['server', 'show', 'web-1'])).private, [fixed[0]])
  })

  it('boots with --nic port-id and gives the port back unbound on delete', async () => {
    const port = await json(['port', 'create', '--network', 'private', 'mine'])
    const ip = (port.fixed_ips as { ip_address: string }[])[0]!.ip_address
    const server = await json([
      'server',
      'create',
      '--nic',
      `port-id=${port.id}`,
      '--image',
      'tiny',
      '--flavor',
      'm1.tiny',
      '--wait',
      'web-2',
    ])
    assert.equal(server.status, 'ACTIVE')
    assert.deepEqual(addressesOf(server).private, [ip])
    const taken = await json(['port', 'show', 'mine'])
    assert.equal(taken.device_id, server.id)
    await ok(['server', 'delete', '--wait', 'web-2'])
    const back = await json(['port', 'show', 'mine'])
    assert.equal(back.device_id, '')
    assert.equal(back.device_owner, '')
  })

  it('adds and removes ports and networks', async () => {
    await ok([
      'server',
      'create',
      '--network',
      'private',
      '--image',
      'tiny',
      '--flavor',
      'm1.tiny',
      '--wait',
      'web-3',
    ])
    await ok(['port', 'create', '--network', 'private', 'extra'])
    await ok(['server', 'add', 'port', 'web-3', 'extra'])
    let addresses = addressesOf(await json(['server', 'show', 'web-3'])).private ?? []
    assert.equal(addresses.length, 2)
    assert.equal(
      (await json(['port', 'show', 'extra'])).device_id,
      (await json(['server', 'show', 'web-3'])).id,
    )
    await ok(['server', 'remove', 'port', 'web-3', 'extra'])
    addresses = addressesOf(await json(['server', 'show', 'web-3'])).private ?? []
    assert.equal(addresses.length, 1)
    assert.equal((await json(['port', 'show', 'extra'])).device_id, '', 'the user port is kept, unbound')
    await ok(['server', 'add', 'network', 'web-3', 'private'])
    addresses = addressesOf(await json(['server', 'show', 'web-3'])).private ?? []
    assert.equal(addresses.length, 2)
    const held = (await json<Row[]>(['port', 'list', '--server', 'web-3'])).map((p) => String(p.ID))
    assert.equal(held.length, 2)
    await ok(['server', 'delete', '--wait', 'web-3'])
    const left = (await json<Row[]>(['port', 'list'])).map((p) => String(p.ID))
    assert.deepEqual(
      held.filter((id) => left.includes(id)),
      [],
      'the ports compute created went with the server',
    )
  })

  it('adds and removes security groups on a server', async () => {
    await ok(['security', 'group', 'create', 'web'])
    await ok(['server', 'add', 'security', 'group', 'web-1', 'web'])
    const shown = await json(['server', 'show', 'web-1'])
    const names = (shown.security_groups as { name: string }[]).map((g) => g.name).sort()
    assert.deepEqual(names, ['default', 'web'])
    const [port] = await json<Row[]>(['port', 'list', '--server', 'web-1'])
    const groups = (await json(['port', 'show', String(port!.ID)])).security_group_ids as string[]
    assert.equal(groups.length, 2)
    await ok(['server', 'remove', 'security', 'group', 'web-1', 'web'])
    const after = await json(['server', 'show', 'web-1'])
    assert.deepEqual(
      (after.security_groups as { name: string }[]).map((g) => g.name),
      ['default'],
    )
  })

  it('creates servers with a security group and deletes them with their ports', async () => {
    await ok(['security', 'group', 'create', 'db'])
    const server = await json([
      'server',
      'create',
      '--network',
      'private',
      '--security-group',
      'db',
      '--image',
      'tiny',
      '--flavor',
      'm1.tiny',
      '--wait',
      'db-1',
    ])
    assert.equal(server.status, 'ACTIVE')
    assert.deepEqual(
      (server.security_groups as { name: string }[]).map((g) => g.name),
      ['db'],
    )
    await ok(['server', 'delete', '--wait', 'db-1', 'web-1'])
    assert.deepEqual(await json<Row[]>(['port', 'list', '--device-owner', 'compute:nova'], admin), [])
  })
})
