/**
 * Image members (sharing an image with other projects); the per-image member quota is
 * checked in the same transaction as the insert.
 */
import type { Kysely } from 'kysely'
import { isUniqueViolation } from '../../../kernel/db/index.js'
import type { ImageMember, MemberStatus } from '../domain/image.js'
import type { ImageDatabase } from './schema.js'

export class ImageMemberRepository {
  constructor(private readonly db: Kysely<ImageDatabase>) {}

  async addMember(
    imageId: string,
    member: string,
    limit: number,
    at: string,
  ): Promise<ImageMember | 'duplicate' | 'quota'> {
    try {
      return await this.db.transaction().execute(async (tx) => {
        if (limit >= 0) {
          const { n } = await tx
            .selectFrom('image_members')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('image_id', '=', imageId)
            .executeTakeFirstOrThrow()
          if (Number(n) + 1 > limit) return 'quota' as const
        }
        const row = { image_id: imageId, member, status: 'pending', created_at: at, updated_at: at }
        await tx.insertInto('image_members').values(row).execute()
        return { ...row, status: 'pending' as const }
      })
    } catch (e) {
      if (isUniqueViolation(e)) return 'duplicate'
      throw e
    }
  }

  async listMembers(imageId: string, onlyMember?: string): Promise<ImageMember[]> {
    let q = this.db.selectFrom('image_members').selectAll().where('image_id', '=', imageId)
    if (onlyMember !== undefined) q = q.where('member', '=', onlyMember)
    const rows = await q.orderBy('created_at').orderBy('member').execute()
    return rows.map((r) => ({ ...r, status: r.status as MemberStatus }))
  }

  async getMember(imageId: string, member: string): Promise<ImageMember | undefined> {
    const r = await this.db
      .selectFrom('image_members')
      .selectAll()
      .where('image_id', '=', imageId)
      .where('member', '=', member)
      .executeTakeFirst()
    return r && { ...r, status: r.status as MemberStatus }
  }

  async updateMember(imageId: string, member: string, status: MemberStatus, at: string): Promise<boolean> {
    const res = await this.db
      .updateTable('image_members')
      .set({ status, updated_at: at })
      .where('image_id', '=', imageId)
      .where('member', '=', member)
      .executeTakeFirst()
    return Number(res.numUpdatedRows) > 0
  }

  async deleteMember(imageId: string, member: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom('image_members')
      .where('image_id', '=', imageId)
      .where('member', '=', member)
      .executeTakeFirst()
    return Number(res.numDeletedRows) > 0
  }
}
