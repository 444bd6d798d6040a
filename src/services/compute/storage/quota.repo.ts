/**
 * Quota limits set for projects, for users within a project, and for quota classes
 * (`default` holds the cloud-wide defaults an admin changed): the only SQL on the
 * quota tables. Usage is counted elsewhere, from the resources themselves.
 */
import type { Kysely } from 'kysely'
import { isUniqueViolation } from '../../../kernel/db/index.js'
import type { ComputeDatabase } from './schema.js'

export type Limits = Record<string, number>

export class QuotaRepo {
  constructor(private readonly db: Kysely<ComputeDatabase>) {}

  async projectLimits(projectId: string): Promise<Limits> {
    const rows = await this.db
      .selectFrom('quotas')
      .select(['resource', 'hard_limit'])
      .where('project_id', '=', projectId)
      .execute()
    return Object.fromEntries(rows.map((r) => [r.resource, r.hard_limit]))
  }

  async userLimits(projectId: string, userId: string): Promise<Limits> {
    const rows = await this.db
      .selectFrom('project_user_quotas')
      .select(['resource', 'hard_limit'])
      .where('project_id', '=', projectId)
      .where('user_id', '=', userId)
      .execute()
    return Object.fromEntries(rows.map((r) => [r.resource, r.hard_limit]))
  }

  async classLimits(className: string): Promise<Limits> {
    const rows = await this.db
      .selectFrom('quota_classes')
      .select(['resource', 'hard_limit'])
      .where('class_name', '=', className)
      .execute()
    return Object.fromEntries(rows.map((r) => [r.resource, r.hard_limit]))
  }

  async setProjectLimits(projectId: string, limits: Readonly<Limits>): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      for (const [resource, hard_limit] of Object.entries(limits)) {
        const r = await tx
          .updateTable('quotas')
          .set({ hard_limit })
          .where('project_id', '=', projectId)
          .where('resource', '=', resource)
          .executeTakeFirst()
        if (Number(r.numUpdatedRows) === 0)
          await insertOrIgnore(() =>
            tx.insertInto('quotas').values({ project_id: projectId, resource, hard_limit }).execute(),
          )
      }
    })
  }

  async setUserLimits(projectId: string, userId: string, limits: Readonly<Limits>): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      for (const [resource, hard_limit] of Object.entries(limits)) {
        const r = await tx
          .updateTable('project_user_quotas')
          .set({ hard_limit })
          .where('project_id', '=', projectId)
          .where('user_id', '=', userId)
          .where('resource', '=', resource)
          .executeTakeFirst()
        if (Number(r.numUpdatedRows) === 0)
          await insertOrIgnore(() =>
            tx
              .insertInto('project_user_quotas')
              .values({ project_id: projectId, user_id: userId, resource, hard_limit })
              .execute(),
          )
      }
    })
  }

  async setClassLimits(className: string, limits: Readonly<Limits>): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      for (const [resource, hard_limit] of Object.entries(limits)) {
        const r = await tx
          .updateTable('quota_classes')
          .set({ hard_limit })
          .where('class_name', '=', className)
          .where('resource', '=', resource)
          .executeTakeFirst()
        if (Number(r.numUpdatedRows) === 0)
          await insertOrIgnore(() =>
            tx.insertInto('quota_classes').values({ class_name: className, resource, hard_limit }).execute(),
          )
      }
    })
  }

  /** Forgets a project's limits and those of its users. */
  async deleteProject(projectId: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('quotas').where('project_id', '=', projectId).execute()
      await tx.deleteFrom('project_user_quotas').where('project_id', '=', projectId).execute()
    })
  }

  async deleteUser(projectId: string, userId: string): Promise<void> {
    await this.db
      .deleteFrom('project_user_quotas')
      .where('project_id', '=', projectId)
      .where('user_id', '=', userId)
      .execute()
  }
}

/**
 * NOTE: a concurrent writer may insert the same row between our update and insert;
 * its value is as recent as ours, so the duplicate is dropped rather than retried.
 */
async function insertOrIgnore(insert: () => Promise<unknown>): Promise<void> {
  try {
    await insert()
  } catch (e) {
    if (!isUniqueViolation(e)) throw e
  }
}
