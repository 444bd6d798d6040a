/**
 * Group quotas: `groups` in the quota sets (defaults from quota_groups, show, update,
 * usage counting the project's groups), a group create over the limit answered 413 in
 * Cinder's format with nothing created (also for a group made from a group), a limit
 * below what is in use refused, deleted groups giving the room back; and, on every
 * dialect, concurrent group creates never passing the limit.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { migrateToLatest } from '../../../kernel/db/index.js'
import { enabledDialects, withEachDialect } from '../../../kernel/db/testing.js'
import { GroupLimitExceeded } from '../errors.js'
import { GroupRepo } from '../storage/group.repo.js'
import { volumeMigrations } from '../storage/migrations/index.js'
import type { VolumeDatabase } from '../storage/schema.js'
import { ADMIN, MEMBER, READER, startVolume, type TestHost, V, waitFor } from './harness.js'

const G = '3.20'

describe('group quotas', () => {
  let t: TestHost
  let groupType: string
  let volumeType: string
  const project = 'p-own'
  before(async () => {
    t = await startVolume({ DEFAULT: { quota_groups: 3 } })
    groupType = (
      await t.call('POST', `${V}/group_types`, {
        as: ADMIN,
        version: G,
        body: { group_type: { name: 'gq' } },
      })
    ).body.group_type.id
    volumeType = (await t.call('POST', `${V}/types`, { as: ADMIN, body: { volume_type: { name: 'gqt' } } }))
      .body.volume_type.id
  })
  after(async () => {
    await t?.close()
  })

  const createGroup = (name: string) =>
    t.call('POST', `${V}/groups`, {
      as: MEMBER,
      version: G,
      body: { group: { name, group_type: groupType, volume_types: [volumeType] } },
    })
  const groupCount = async () =>
    (await t.call('GET', `${V}/groups`, { as: MEMBER, version: G })).body.groups.length

  it('counts groups in the quota sets and refuses a group over the limit with 413', async () => {
    const defaults = await t.call('GET', `${V}/os-quota-sets/${project}/defaults`, { as: ADMIN })
    assert.equal(defaults.body.quota_set.groups, 3)
    const usage0 = await t.call('GET', `${V}/os-quota-sets/${project}?usage=true`, { as: READER })
    assert.deepEqual(usage0.body.quota_set.groups, { limit: 3, in_use: 0, reserved: 0 })

    const ids: string[] = []
    for (const name of ['g1', 'g2']) {
      const r = await createGroup(name)
      assert.equal(r.status, 202, JSON.stringify(r.body))
      ids.push(r.body.group.id)
      await waitFor(t, 'groups', r.body.group.id, 'available', MEMBER)
    }
    const usage2 = await t.call('GET', `${V}/os-quota-sets/${project}?usage=true`, { as: ADMIN })
    assert.equal(usage2.body.quota_set.groups.in_use, 2)
    assert.equal(usage2.body.quota_set.groups.limit, 3)

    // a limit below the two in use is refused; exactly two is accepted
    const tooLow = await t.call('PUT', `${V}/os-quota-sets/${project}`, {
      as: ADMIN,
      body: { quota_set: { groups: 1 } },
    })
    assert.equal(tooLow.status, 400)
    assert.match(
      tooLow.body.badRequest.message,
      /Quota groups limit must be equal or greater than existing resources/,
    )
    const set = await t.call('PUT', `${V}/os-quota-sets/${project}`, {
      as: ADMIN,
      body: { quota_set: { groups: 2 } },
    })
    assert.equal(set.status, 200)
    assert.equal(set.body.quota_set.groups, 2)
    assert.equal(
      (await t.call('GET', `${V}/os-quota-sets/${project}`, { as: READER })).body.quota_set.groups,
      2,
    )

    const over = await createGroup('g3')
    assert.equal(over.status, 413, JSON.stringify(over.body))
    assert.deepEqual(over.body, {
      overLimit: { code: 413, message: 'Maximum number of groups allowed (2) exceeded' },
    })
    // a group from a group counts too
    const fromGroup = await t.call('POST', `${V}/groups/action`, {
      as: MEMBER,
      version: G,
      body: { 'create-from-src': { source_group_id: ids[0], name: 'copy' } },
    })
    assert.equal(fromGroup.status, 413, JSON.stringify(fromGroup.body))
    assert.equal(await groupCount(), 2)

    // a deleted group gives its room back
    const del = await t.call('POST', `${V}/groups/${ids[1]}/action`, {
      as: MEMBER,
      version: G,
      body: { delete: { 'delete-volumes': false } },
    })
    assert.equal(del.status, 202, JSON.stringify(del.body))
    await waitFor(t, 'groups', ids[1]!, 'deleted', MEMBER)
    const again = await createGroup('g4')
    assert.equal(again.status, 202, JSON.stringify(again.body))
    await waitFor(t, 'groups', again.body.group.id, 'available', MEMBER)
    assert.equal(
      (await t.call('GET', `${V}/os-quota-sets/${project}?usage=true`, { as: ADMIN })).body.quota_set.groups
        .in_use,
      2,
    )
    // unlimited again
    const unlimited = await t.call('PUT', `${V}/os-quota-sets/${project}`, {
      as: ADMIN,
      body: { quota_set: { groups: -1 } },
    })
    assert.equal(unlimited.status, 200)
    assert.equal((await createGroup('g5')).status, 202)
  })
})

describe('group quota storage', () => {
  for (const dialect of enabledDialects())
    it(`never passes the groups limit under concurrent creates (${dialect})`, async () => {
      await withEachDialect<VolumeDatabase>(
        async (db, d) => {
          await migrateToLatest(db as never, 'volume', volumeMigrations)
          const repo = new GroupRepo(db, d)
          const typeId = (await db.selectFrom('volume_types').select('id').executeTakeFirstOrThrow()).id
          const gt = randomUUID()
          await db
            .insertInto('group_types')
            .values({
              id: gt,
              name: 'gt',
              description: null,
              is_public: 1,
              created_at: new Date().toISOString(),
              updated_at: null,
            })
            .execute()
          const limit = 2
          const results = await Promise.allSettled(
            Array.from({ length: 6 }, () =>
              repo.create(
                {
                  id: randomUUID(),
                  project_id: 'p1',
                  user_id: 'u1',
                  name: null,
                  description: null,
                  status: 'creating',
                  availability_zone: 'nova',
                  group_type_id: gt,
                  group_snapshot_id: null,
                  source_group_id: null,
                  host: 'h@file#file',
                  created_at: new Date().toISOString(),
                  updated_at: null,
                },
                [typeId],
                (usage) => {
                  if (usage.groups + 1 > limit) throw new GroupLimitExceeded(limit)
                },
              ),
            ),
          )
          assert.equal(results.filter((r) => r.status === 'fulfilled').length, limit)
          for (const r of results)
            if (r.status === 'rejected') assert.ok(r.reason instanceof GroupLimitExceeded, String(r.reason))
          assert.equal((await repo.list('p1')).length, limit)
          assert.equal((await repo.list('p2')).length, 0)
        },
        [dialect],
      )
    })
})
