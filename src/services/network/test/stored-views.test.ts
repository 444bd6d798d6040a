/**
 * Lists answered from stored views (migration 0004): the layout itself, and the answers
 * that must not change when a row's view is missing or of another layout (rows written
 * before the column), when `decorate` adds to a row (a trunk's parent port, a rule's
 * `belongs_to_default_sg`), and for callers who see the policed attributes or not. Each
 * list is compared with the same list built from the documents.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import Database from 'better-sqlite3'
import { startTestHost, type TestHost } from '../../../kernel/testing/index.js'
import { ResourceDomain } from '../domain/resource.js'
import { networkModule } from '../module.js'
import { StoredViews } from '../storage/index.js'
import { ADMIN, MEMBER, N, networkWithSubnet, OTHER } from './harness.js'

let fromStored = 0
const proto = ResourceDomain.prototype as unknown as Record<string, (...a: unknown[]) => unknown>
const originalStored = proto.listStored!
proto.listStored = function (this: unknown, ...args: unknown[]) {
  fromStored++
  return originalStored.apply(this, args)
}

describe('stored views: the layout', () => {
  const views = new StoredViews(['secret', 'hidden'])
  const doc = {
    id: 'x',
    project_id: 'p',
    name: 'a\nb "c"',
    secret: { k: [1, null] },
    _bookkeeping: 1,
    gone: undefined,
    n: 2,
  }

  it('gives the view without the policed attributes, and with them, as JSON', () => {
    const [shown, policed] = views.split(views.encode(doc))!
    assert.deepEqual(JSON.parse(shown.toString()), { id: 'x', project_id: 'p', name: 'a\nb "c"', n: 2 })
    const whole = Buffer.concat([shown.subarray(0, -1), policed]).toString()
    assert.deepEqual(JSON.parse(whole), {
      id: 'x',
      project_id: 'p',
      name: 'a\nb "c"',
      n: 2,
      secret: { k: [1, null] },
    })
  })

  it('has an empty policed part when the document has none of them', () => {
    const [shown, policed] = views.split(views.encode({ id: 'y', project_id: 'p' }))!
    assert.equal(policed.length, 0)
    assert.deepEqual(JSON.parse(shown.toString()), { id: 'y', project_id: 'p' })
  })

  it('does not read a view of another policed list, or no view', () => {
    const other = new StoredViews(['secret'])
    assert.equal(other.split(views.encode(doc)), undefined)
    assert.equal(views.split(null), undefined)
    assert.equal(views.split(Buffer.from('{"id":"x"}')), undefined)
  })
})

describe('stored views: lists', () => {
  let t: TestHost
  let dir: string
  let dbFile: string
  let network: { id: string }
  let parent: { id: string }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cloudlet-network-views-'))
    dbFile = join(dir, 'network.db')
    t = await startTestHost({
      modules: [networkModule],
      config: { network_database: { connection: `sqlite:///${dbFile}` } },
    })
    ;({ network } = await networkWithSubnet(t, MEMBER))
    const ports: { id: string }[] = []
    for (let i = 0; i < 6; i++) {
      const r = await t.call('POST', `${N}/ports`, {
        as: MEMBER,
        body: { port: { network_id: network.id, name: `p${i}`, tags: i % 2 ? ['t'] : [] } },
      })
      assert.equal(r.status, 201)
      ports.push(r.body.port)
    }
    parent = ports[0]!
    const trunk = await t.call('POST', `${N}/trunks`, {
      as: MEMBER,
      body: {
        trunk: {
          port_id: parent.id,
          sub_ports: [{ port_id: ports[1]!.id, segmentation_type: 'vlan', segmentation_id: 10 }],
        },
      },
    })
    assert.equal(trunk.status, 201)
    const group = await t.call('POST', `${N}/security-groups`, {
      as: MEMBER,
      body: { security_group: { name: 'web' } },
    })
    assert.equal(group.status, 201)
    const rule = await t.call('POST', `${N}/security-group-rules`, {
      as: MEMBER,
      body: {
        security_group_rule: {
          security_group_id: group.body.security_group.id,
          direction: 'ingress',
          protocol: 'tcp',
          port_range_min: 80,
          port_range_max: 80,
        },
      },
    })
    assert.equal(rule.status, 201)
  })

  after(async () => {
    await t?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  /**
   * A list from stored views, and the same list built from the documents (a tag filter
   * every item passes sends it there), its links without that filter.
   */
  async function both(path: string, as: string) {
    const sep = path.includes('?') ? '&' : '?'
    const before = fromStored
    const stored = await t.call('GET', path, { as })
    assert.equal(fromStored, before + 1, `${path} answers from stored views`)
    assert.equal(stored.status, 200)
    assert.equal(stored.headers['content-type'], 'application/json')
    const built = await t.call('GET', `${path}${sep}not-tags-any=no-such-tag`, { as })
    assert.equal(fromStored, before + 1, 'a list with a tag filter builds its views')
    const text = JSON.stringify(built.body)
      .replaceAll('not-tags-any=no-such-tag&', '')
      .replaceAll('&not-tags-any=no-such-tag', '')
    return { stored: stored.body, built: JSON.parse(text) }
  }

  for (const as of [ADMIN, MEMBER, OTHER])
    it(`ports as ${as}: the same as views built from the documents, policed attributes as the rules say`, async () => {
      const { stored, built } = await both(`${N}/ports?network_id=${network.id}&limit=4`, as)
      assert.deepEqual(stored, built)
      for (const p of stored.ports) assert.equal('binding:host_id' in p, as === ADMIN)
    })

  it("a trunk's parent port has its trunk_details", async () => {
    const { stored, built } = await both(`${N}/ports?network_id=${network.id}`, MEMBER)
    assert.deepEqual(stored, built)
    const p = stored.ports.find((x: { id: string }) => x.id === parent.id)
    assert.equal(p.trunk_details.sub_ports.length, 1)
    assert.equal(stored.ports.filter((x: Record<string, unknown>) => 'trunk_details' in x).length, 1)
  })

  it('rules say whether they belong to a default group', async () => {
    const { stored, built } = await both(`${N}/security-group-rules`, MEMBER)
    assert.deepEqual(stored, built)
    const flags = new Set(
      stored.security_group_rules.map((r: Record<string, unknown>) => r.belongs_to_default_sg),
    )
    assert.deepEqual([...flags].sort(), [false, true])
  })

  it('rows without a view, or with one of another layout, answer the same', async () => {
    const path = `${N}/ports?network_id=${network.id}&sort_key=name&sort_dir=desc`
    const whole = (await t.call('GET', path, { as: ADMIN })).body
    const db = new Database(dbFile)
    try {
      db.prepare('update neutron_ports set view = null where name in (?, ?)').run('p2', 'p3')
      db.prepare(
        "update neutron_ports set view = cast('v0.x' || char(10) || '{}' || char(10) as blob) where name = ?",
      ).run('p4')
    } finally {
      db.close()
    }
    for (const as of [ADMIN, MEMBER]) {
      const { stored, built } = await both(path, as)
      assert.deepEqual(stored, built)
      if (as === ADMIN) assert.deepEqual(stored, whole)
    }
  })
})
