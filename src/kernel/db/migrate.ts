/**
 * Per-service migrations. Each service lists its migrations in order; the migrator
 * records them in its own table (`<service>_migrations`), so services can share one
 * server database without stepping on each other.
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely'

export interface NamedMigration extends Migration {
  name: string
}

class ListProvider implements MigrationProvider {
  constructor(private readonly list: readonly NamedMigration[]) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return Object.fromEntries(this.list.map((m) => [m.name, m]))
  }
}

/** Brings a service's schema up to date; throws with the failing migration's name. */
export async function migrateToLatest(
  db: Kysely<unknown>,
  service: string,
  migrations: readonly NamedMigration[],
) {
  const migrator = new Migrator({
    db,
    provider: new ListProvider(migrations),
    migrationTableName: `${service}_migrations`,
    migrationLockTableName: `${service}_migrations_lock`,
    // NOTE: a service's migrations come from more than one module (identity's two
    // halves number theirs in separate ranges), so a later one may sort before one
    // already applied.
    allowUnorderedMigrations: true,
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')
    throw new Error(
      `${service} migration ${failed?.migrationName ?? '?'} failed: ${String((error as Error).message ?? error)}`,
      {
        cause: error,
      },
    )
  }
  return results ?? []
}
