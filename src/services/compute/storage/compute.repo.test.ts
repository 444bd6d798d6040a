/**
 * Compute storage on SQLite, PostgreSQL and MariaDB: the migrations (with the default
 * flavors), flavor visibility and extra specs, key pair name clashes per user, server
 * groups with their live members, aggregates with hosts and metadata, quota upserts.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { migrateToLatest } from '../../../kernel/db/index.js'
import { withEachDialect } from '../../../kernel/db/testing.js'
import { AggregateRepo } from './aggregate.repo.js'
import { FlavorRepo, type FlavorRow } from './flavor.repo.js'
import { KeypairRepo } from './keypair.repo.js'
import { computeMigrations } from './migrations/index.js'
import { QuotaRepo } from './quota.repo.js'
import type { ComputeDatabase } from './schema.js'
import { ServerGroupRepo } from './server-group.repo.js'

const now = '2024-01-01T00:00:00.000Z'

describe('compute storage', { timeout: 120_000 }, () => {
  it('works the same on every dialect', async () => {
    await withEachDialect<ComputeDatabase>(async (db, dialect) => {
      await migrateToLatest(db as never, 'compute', computeMigrations)
      const flavors = new FlavorRepo(db, dialect)
      const seeded = await flavors.list({ isPublic: null })
      assert.ok(
        seeded.some((f) => f.flavorid === '1' && f.name === 'm1.tiny'),
        dialect,
      )

      const created = await flavors.create(
        {
          flavorid: 'priv',
          name: 'private',
          memory_mb: 64,
          vcpus: 1,
          root_gb: 0,
          ephemeral_gb: 0,
          swap: 0,
          rxtx_factor: 1.5,
          vcpu_weight: null,
          disabled: 0,
          is_public: 0,
          description: 'd'.repeat(2000),
        },
        now,
      )
      assert.ok(typeof created === 'object', dialect)
      const id = (created as { id: number }).id
      const { id: _id, created_at: _c, updated_at: _u, ...values } = created as FlavorRow
      assert.equal(await flavors.create({ ...values, flavorid: 'other' }, now), 'name')
      assert.equal(await flavors.create({ ...values, name: 'other' }, now), 'flavorid')
      assert.equal(await flavors.byFlavorId('priv', 'p1'), undefined)
      assert.ok(await flavors.addProject(id, 'p1'))
      assert.equal(await flavors.addProject(id, 'p1'), false)
      assert.equal((await flavors.byFlavorId('priv', 'p1'))?.rxtx_factor, 1.5)
      const visible = await flavors.list({ isPublic: true, projectId: 'p1' })
      assert.ok(visible.some((f) => f.flavorid === 'priv'))
      await flavors.setExtraSpecs(id, { 'hw:cpu_policy': 'dedicated', a: '1' })
      await flavors.setExtraSpecs(id, { a: '2' })
      assert.deepEqual(await flavors.extraSpecs(id), { a: '2', 'hw:cpu_policy': 'dedicated' })
      assert.ok(await flavors.deleteExtraSpec(id, 'a'))
      assert.ok(await flavors.delete(id))
      assert.equal(await flavors.byFlavorId('priv'), undefined)

      const keypairs = new KeypairRepo(db, dialect)
      const row = {
        user_id: 'u1',
        name: 'k',
        fingerprint: 'f',
        public_key: 'ssh-rsa x',
        type: 'ssh',
        created_at: now,
      }
      assert.ok(await keypairs.create(row))
      assert.equal(await keypairs.create(row), undefined, 'one name per user')
      assert.ok(await keypairs.create({ ...row, user_id: 'u2' }), 'another user may reuse the name')
      assert.equal(await keypairs.countByUser('u1'), 1)
      assert.ok(await keypairs.delete('u1', 'k'))

      const groups = new ServerGroupRepo(db, dialect)
      const g = await groups.create({
        uuid: '7f3c2a1e-0000-4000-8000-000000000001',
        name: 'g',
        user_id: 'u1',
        project_id: 'p1',
        policy: 'anti-affinity',
        max_server_per_host: 2,
        created_at: now,
      })
      // members are the group's servers that are not deleted (i-2 is, i-3 never existed)
      for (const [uuid, deleted] of [
        ['i-1', 0],
        ['i-2', 7],
      ] as const)
        await db
          .insertInto('instances')
          .values({
            uuid,
            project_id: 'p1',
            user_id: 'u1',
            display_name: uuid,
            display_description: null,
            hostname: uuid,
            reservation_id: 'r-1',
            launch_index: 0,
            flavor: '{}',
            instance_type_id: 1,
            vcpus: 1,
            memory_mb: 512,
            root_gb: 1,
            ephemeral_gb: 0,
            image_ref: 'img',
            image: '{}',
            key_name: null,
            key_data: null,
            user_data: null,
            availability_zone: null,
            config_drive: '',
            access_ip_v4: null,
            access_ip_v6: null,
            request: '{}',
            host: null,
            node: null,
            launched_on: null,
            vm_state: deleted ? 'deleted' : 'active',
            task_state: null,
            power_state: 1,
            progress: 0,
            locked: 0,
            locked_by: null,
            locked_reason: null,
            created_at: now,
            updated_at: now,
            launched_at: null,
            terminated_at: null,
            deleted_at: null,
            deleted,
            password: null,
            auto_disk_config: 0,
          })
          .execute()
      await groups.addMembers(g.id, ['i-1', 'i-2', 'i-3'], now)
      assert.deepEqual((await groups.get(g.uuid))?.members, ['i-1'])
      assert.equal(await groups.countByProject('p1'), 1)
      assert.ok(await groups.delete(g.id))

      const aggregates = new AggregateRepo(db, dialect)
      const a = await aggregates.create(
        { uuid: 'a-uuid', name: 'agg', metadata: { availability_zone: 'z' } },
        now,
      )
      assert.ok(a)
      assert.equal(await aggregates.create({ uuid: 'b-uuid', name: 'agg', metadata: {} }, now), undefined)
      assert.ok(await aggregates.addHost(a.id, 'h1'))
      assert.equal(await aggregates.addHost(a.id, 'h1'), false)
      await aggregates.updateMetadata(a.id, { availability_zone: null, ssd: 'yes' }, now)
      const got = await aggregates.get(a.id)
      assert.deepEqual(got?.metadata, { ssd: 'yes' })
      assert.deepEqual(got?.hosts, ['h1'])
      assert.deepEqual(
        (await aggregates.ofHosts(['h1'])).map((x) => x.id),
        [a.id],
      )
      assert.ok(await aggregates.rename(a.id, 'agg2', now))
      assert.ok(await aggregates.removeHost(a.id, 'h1'))
      assert.ok(await aggregates.delete(a.id))

      const quotas = new QuotaRepo(db)
      await quotas.setProjectLimits('p1', { cores: 5 })
      await quotas.setProjectLimits('p1', { cores: 6, ram: 10 })
      await quotas.setUserLimits('p1', 'u1', { cores: 2 })
      await quotas.setClassLimits('default', { instances: 3 })
      assert.deepEqual(await quotas.projectLimits('p1'), { cores: 6, ram: 10 })
      assert.deepEqual(await quotas.userLimits('p1', 'u1'), { cores: 2 })
      assert.deepEqual(await quotas.classLimits('default'), { instances: 3 })
      await quotas.deleteProject('p1')
      assert.deepEqual(await quotas.projectLimits('p1'), {})
      assert.deepEqual(await quotas.userLimits('p1', 'u1'), {})
    })
  })
})
