/** User messages: the only SQL on `volume_messages`. */
import type { Kysely, Selectable } from 'kysely'
import type { MessagesTable, VolumeDatabase } from './schema.js'

export type MessageRow = Selectable<MessagesTable>

export class MessageRepo {
  constructor(private readonly db: Kysely<VolumeDatabase>) {}

  async add(row: MessageRow): Promise<void> {
    await this.db.insertInto('volume_messages').values(row).execute()
  }

  async list(projectId: string | undefined, now: string): Promise<MessageRow[]> {
    let q = this.db.selectFrom('volume_messages').selectAll().where('expires_at', '>', now)
    if (projectId !== undefined) q = q.where('project_id', '=', projectId)
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').execute()
  }

  async get(id: string): Promise<MessageRow | undefined> {
    return this.db.selectFrom('volume_messages').selectAll().where('id', '=', id).executeTakeFirst()
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('volume_messages').where('id', '=', id).execute()
  }

  async expire(now: string): Promise<void> {
    await this.db.deleteFrom('volume_messages').where('expires_at', '<=', now).execute()
  }
}
