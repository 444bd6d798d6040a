/** Quota limits set for projects and quota classes: the only SQL on them. Usage is counted from the resources. */
import type { Kysely } from 'kysely'
import type { VolumeDatabase } from './schema.js'

export type Limits = Record<string, number>

export class QuotaRepo {
  constructor(private readonly db: Kysely<VolumeDatabase>) {}

  async projectLimits(projectId: string): Promise<Limits> {
    const rows = await this.db
      .selectFrom('volume_quotas')
      .select(['resource', 'hard_limit'])
      .where('project_id', '=', projectId)
      .execute()
    return Object.fromEntries(rows.map((r) => [r.resource, r.hard_limit]))
  }

  async classLimits(className: string): Promise<Limits> {
    const rows = await this.db
      .selectFrom('volume_quota_classes')
      .select(['resource', 'hard_limit'])
      .where('class_name', '=', className)
      .execute()
    return Object.fromEntries(rows.map((r) => [r.resource, r.hard_limit]))
  }

  async setProjectLimits(projectId: string, limits: Readonly<Limits>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (const [resource, hard_limit] of Object.entries(limits)) {
        await trx
          .deleteFrom('volume_quotas')
          .where('project_id', '=', projectId)
          .where('resource', '=', resource)
          .execute()
        await trx
          .insertInto('volume_quotas')
          .values({ project_id: projectId, resource, hard_limit })
          .execute()
      }
    })
  }

  async setClassLimits(className: string, limits: Readonly<Limits>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (const [resource, hard_limit] of Object.entries(limits)) {
        await trx
          .deleteFrom('volume_quota_classes')
          .where('class_name', '=', className)
          .where('resource', '=', resource)
          .execute()
        await trx
          .insertInto('volume_quota_classes')
          .values({ class_name: className, resource, hard_limit })
          .execute()
      }
    })
  }

  async deleteProject(projectId: string): Promise<void> {
    await this.db.deleteFrom('volume_quotas').where('project_id', '=', projectId).execute()
  }
}
