/**
 * The flavors a fresh cloud starts with, as devstack makes them: m1.tiny .. m1.xlarge
 * with ids 1-5, and the small ones a CirrOS image boots in (cirros256, ds512M .. ds4G).
 * A data migration, so they are created once: flavors an operator deletes stay deleted.
 */
import type { Kysely } from 'kysely'
import type { NamedMigration } from '../../../../kernel/db/index.js'

const DEFAULT_FLAVORS: readonly [id: string, name: string, ram: number, vcpus: number, disk: number][] = [
  ['1', 'm1.tiny', 512, 1, 1],
  ['2', 'm1.small', 2048, 1, 20],
  ['3', 'm1.medium', 4096, 2, 40],
  ['4', 'm1.large', 8192, 4, 80],
  ['5', 'm1.xlarge', 16384, 8, 160],
  ['c1', 'cirros256', 256, 1, 1],
  ['d1', 'ds512M', 512, 1, 5],
  ['d2', 'ds1G', 1024, 1, 10],
  ['d3', 'ds2G', 2048, 2, 10],
  ['d4', 'ds4G', 4096, 4, 20],
]

export const defaultFlavors: NamedMigration = {
  name: 'compute-0002-default-flavors',
  // biome-ignore lint/suspicious/noExplicitAny: migrations see the schema as it was then
  async up(db: Kysely<any>) {
    const now = new Date().toISOString()
    await db
      .insertInto('flavors')
      .values(
        DEFAULT_FLAVORS.map(([flavorid, name, memory_mb, vcpus, root_gb]) => ({
          flavorid,
          name,
          memory_mb,
          vcpus,
          root_gb,
          ephemeral_gb: 0,
          swap: 0,
          rxtx_factor: 1,
          vcpu_weight: null,
          disabled: 0,
          is_public: 1,
          description: null,
          created_at: now,
          updated_at: null,
        })),
      )
      .execute()
  },
}
