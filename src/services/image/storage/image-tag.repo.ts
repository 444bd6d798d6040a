/**
 * An image's tags (PUT/DELETE /v2/images/{id}/tags/{tag}); the per-image tag quota is
 * checked in the same transaction as the insert.
 */
import type { Kysely } from 'kysely'
import { isUniqueViolation } from '../../../kernel/db/index.js'
import type { ImageDatabase } from './schema.js'

export class ImageTagRepository {
  constructor(private readonly db: Kysely<ImageDatabase>) {}

  async addTag(id: string, tag: string, limit: number): Promise<'ok' | 'quota'> {
    return this.db.transaction().execute(async (tx) => {
      const existing = await tx.selectFrom('image_tags').select('value').where('image_id', '=', id).execute()
      if (existing.some((t) => t.value === tag)) return 'ok' as const
      if (limit >= 0 && existing.length + 1 > limit) return 'quota' as const
      try {
        await tx.insertInto('image_tags').values({ image_id: id, value: tag }).execute()
      } catch (e) {
        if (!isUniqueViolation(e)) throw e
      }
      await tx
        .updateTable('images')
        .set({ updated_at: new Date().toISOString() })
        .where('id', '=', id)
        .execute()
      return 'ok' as const
    })
  }

  async deleteTag(id: string, tag: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom('image_tags')
      .where('image_id', '=', id)
      .where('value', '=', tag)
      .executeTakeFirst()
    return Number(res.numDeletedRows) > 0
  }
}
