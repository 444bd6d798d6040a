/**
 * Acceptance: the image service through the real openstack CLI (Debian
 * python3-openstackclient) against `cloudlet up`: create --file (raw and qcow2), list
 * with filters, show, set --property/--tag/--protected, save with byte-for-byte equality
 * and hash check, add project / set --accept, create --import (glance-direct), delete.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  type CloudProcess,
  openstack,
  openstackJson,
  openstackOk,
  startCloudProcess,
} from '../../../../test/support/cloud-process.js'

type Row = Record<string, unknown>

describe('image with the openstack CLI', () => {
  let cloud: CloudProcess
  let admin: NodeJS.ProcessEnv
  let raw: string
  let qcow: string
  const user = (name: string, password: string, project: string): NodeJS.ProcessEnv => ({
    ...cloud.env,
    OS_AUTH_URL: cloud.authUrl,
    OS_USERNAME: name,
    OS_PASSWORD: password,
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_NAME: project,
    OS_PROJECT_DOMAIN_NAME: 'Default',
    OS_IDENTITY_API_VERSION: '3',
    OS_REGION_NAME: 'RegionOne',
  })

  before(async () => {
    cloud = await startCloudProcess()
    admin = { ...cloud.env, OS_CLOUD: 'cloudlet-admin' }
    raw = join(cloud.dataDir, 'disk.raw')
    writeFileSync(raw, randomBytes(3 * 1024 * 1024 + 17))
    qcow = join(cloud.dataDir, 'disk.qcow2')
    // A qcow2 header (magic QFI\xfb, version 3) followed by data.
    writeFileSync(
      qcow,
      Buffer.concat([Buffer.from([0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3]), randomBytes(65536)]),
    )
  })
  after(async () => cloud?.stop())

  it('creates from files, lists with filters, shows', async () => {
    const a = await openstackJson<Row>(admin, [
      'image',
      'create',
      '--file',
      raw,
      '--disk-format',
      'raw',
      '--container-format',
      'bare',
      '--tag',
      'cli',
      '--property',
      'os_distro=cirros',
      'cli-raw',
    ])
    assert.equal(a.name, 'cli-raw')
    await openstackOk(admin, [
      'image',
      'create',
      '--file',
      qcow,
      '--disk-format',
      'qcow2',
      '--container-format',
      'bare',
      'cli-qcow',
    ])
    const shown = await openstackJson<Row>(admin, ['image', 'show', 'cli-raw'])
    assert.equal(shown.status, 'active')
    assert.equal(shown.size, readFileSync(raw).length)
    assert.equal(shown.checksum, createHash('md5').update(readFileSync(raw)).digest('hex'))
    const props = shown.properties as Row
    assert.equal(props.os_hash_value, createHash('sha512').update(readFileSync(raw)).digest('hex'))
    assert.ok(!('direct_url' in shown) && !('locations' in shown) && !('direct_url' in props))
    const byName = await openstackJson<Row[]>(admin, ['image', 'list', '--name', 'cli-qcow'])
    assert.deepEqual(
      byName.map((r) => r.Name),
      ['cli-qcow'],
    )
    const byTag = await openstackJson<Row[]>(admin, ['image', 'list', '--tag', 'cli'])
    assert.deepEqual(
      byTag.map((r) => r.Name),
      ['cli-raw'],
    )
    const long = await openstackJson<Row[]>(admin, [
      'image',
      'list',
      '--long',
      '--status',
      'active',
      '--sort',
      'name:asc',
    ])
    assert.deepEqual(
      long.map((r) => r.Name).filter((n) => String(n).startsWith('cli-')),
      ['cli-qcow', 'cli-raw'],
    )
    const qcowRow = long.find((r) => r.Name === 'cli-qcow')!
    assert.equal(qcowRow['Disk Format'], 'qcow2')
  })

  it('sets properties, tags and protection; a protected image cannot be deleted', async () => {
    await openstackOk(admin, [
      'image',
      'set',
      '--property',
      'hw_cpu_cores=2',
      '--tag',
      'second',
      '--protected',
      'cli-raw',
    ])
    const shown = await openstackJson<Row>(admin, ['image', 'show', 'cli-raw'])
    assert.equal(String((shown.properties as Row).hw_cpu_cores), '2')
    assert.deepEqual((shown.tags as string[]).sort(), ['cli', 'second'])
    assert.equal(shown.protected, true)
    const del = await openstack(admin, ['image', 'delete', 'cli-raw'])
    assert.notEqual(del.code, 0)
    assert.match(del.stderr, /protected/)
    await openstackOk(admin, ['image', 'set', '--unprotected', 'cli-raw'])
  })

  it('saves byte for byte', async () => {
    const out = join(cloud.dataDir, 'saved.raw')
    await openstackOk(admin, ['image', 'save', '--file', out, 'cli-raw'])
    assert.ok(readFileSync(out).equals(readFileSync(raw)))
    const shown = await openstackJson<Row>(admin, ['image', 'show', 'cli-raw'])
    assert.equal(
      (shown.properties as Row).os_hash_value,
      createHash('sha512').update(readFileSync(out)).digest('hex'),
    )
  })

  it('shares with another project, which accepts', async () => {
    await openstackOk(admin, ['project', 'create', 'img-demo'])
    await openstackOk(admin, [
      'user',
      'create',
      '--password',
      'demo-pw',
      '--project',
      'img-demo',
      'img-demo-user',
    ])
    await openstackOk(admin, ['role', 'add', '--user', 'img-demo-user', '--project', 'img-demo', 'member'])
    const id = String((await openstackJson<Row>(admin, ['image', 'show', 'cli-qcow'])).id)
    const demo = user('img-demo-user', 'demo-pw', 'img-demo')
    const before = await openstackJson<Row[]>(demo, ['image', 'list'])
    assert.ok(!before.some((r) => r.ID === id))
    const member = await openstackJson<Row>(admin, ['image', 'add', 'project', 'cli-qcow', 'img-demo'])
    assert.equal(member.status, 'pending')
    await openstackOk(demo, ['image', 'set', '--accept', id])
    const afterAccept = await openstackJson<Row[]>(demo, ['image', 'list'])
    assert.ok(afterAccept.some((r) => r.ID === id))
    const members = await openstackJson<Row[]>(admin, ['image', 'member', 'list', 'cli-qcow'])
    assert.equal(members[0]?.Status, 'accepted')
  })

  it('imports with glance-direct', async () => {
    await openstackOk(admin, [
      'image',
      'create',
      '--import',
      '--file',
      raw,
      '--disk-format',
      'raw',
      '--container-format',
      'bare',
      'cli-import',
    ])
    let shown: Row = {}
    for (let i = 0; i < 50; i++) {
      shown = await openstackJson<Row>(admin, ['image', 'show', 'cli-import'])
      if (shown.status === 'active') break
      await new Promise((r) => setTimeout(r, 100))
    }
    assert.equal(shown.status, 'active')
    assert.equal(
      (shown.properties as Row).os_hash_value,
      createHash('sha512').update(readFileSync(raw)).digest('hex'),
    )
  })

  it('deletes', async () => {
    await openstackOk(admin, ['image', 'delete', 'cli-raw', 'cli-qcow', 'cli-import'])
    const left = await openstackJson<Row[]>(admin, ['image', 'list'])
    assert.ok(!left.some((r) => String(r.Name).startsWith('cli-')))
  })
})
