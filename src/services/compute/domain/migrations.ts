/**
 * Migration records as the API lists them: os-migrations (admins, every server, with
 * upstream's filters and, from 2.59, paging by uuid marker newest first) and a server's
 * in-progress live migrations (2.23).
 */
import { InProgressMigrationNotFound, MarkerNotFound } from '../errors.js'
import type { MigrationFilter, MigrationRepo, MigrationRow } from '../storage/migration.repo.js'

/** Statuses after which a migration is no longer in progress (upstream's list). */
export const MIGRATION_DONE = [
  'accepted',
  'confirmed',
  'reverted',
  'error',
  'failed',
  'completed',
  'cancelled',
  'done',
]

export type { MigrationRow }

export class Migrations {
  constructor(private readonly repo: MigrationRepo) {}

  /** os-migrations: `marker` is a migration uuid (2.59). */
  async list(filter: MigrationFilter & { marker?: string }): Promise<MigrationRow[]> {
    let beforeId: number | undefined
    if (filter.marker !== undefined) {
      const m = await this.repo.get(filter.marker)
      if (!m) throw new MarkerNotFound(`Marker ${filter.marker} could not be found.`)
      beforeId = m.id
    }
    const { marker: _m, ...rest } = filter
    return this.repo.list({ ...rest, ...(beforeId !== undefined ? { beforeId } : {}) })
  }

  /** A server's live migrations still in progress. */
  async inProgress(serverId: string): Promise<MigrationRow[]> {
    const all = await this.repo.list({ instanceUuid: serverId, migrationType: 'live-migration' })
    return all.filter((m) => !MIGRATION_DONE.includes(m.status))
  }

  async showInProgress(serverId: string, id: number): Promise<MigrationRow> {
    const m = await this.repo.byId(id)
    if (
      !m ||
      m.instance_uuid !== serverId ||
      m.migration_type !== 'live-migration' ||
      MIGRATION_DONE.includes(m.status)
    )
      throw new InProgressMigrationNotFound(id, serverId)
    return m
  }
}
