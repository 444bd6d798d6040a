/** Import tasks (GET /v2/images/{id}/tasks): what each import did, kept as JSON. */
import type { Kysely } from 'kysely'
import type { ImageTask } from '../domain/image.js'
import type { ImageDatabase, ImageTasksTable } from './schema.js'

export class ImageTaskRepository {
  constructor(private readonly db: Kysely<ImageDatabase>) {}

  async createTask(task: ImageTask, host?: string): Promise<void> {
    await this.db
      .insertInto('image_tasks')
      .values({
        ...task,
        host: host ?? null,
        input: JSON.stringify(task.input),
        result: task.result === null ? null : JSON.stringify(task.result),
      })
      .execute()
  }

  async updateTask(
    id: string,
    status: ImageTask['status'],
    message: string,
    result: Record<string, unknown> | null,
  ): Promise<void> {
    await this.db
      .updateTable('image_tasks')
      .set({
        status,
        message,
        result: result === null ? null : JSON.stringify(result),
        updated_at: new Date().toISOString(),
      })
      .where('id', '=', id)
      .execute()
  }

  async tasksOf(imageId: string): Promise<ImageTask[]> {
    const rows = await this.db
      .selectFrom('image_tasks')
      .selectAll()
      .where('image_id', '=', imageId)
      .orderBy('created_at')
      .execute()
    return rows.map(toTask)
  }

  /** A host's unfinished tasks (after its crash, each is one that will never finish). */
  async unfinished(host: string): Promise<ImageTask[]> {
    const rows = await this.db
      .selectFrom('image_tasks')
      .selectAll()
      .where('status', 'in', ['pending', 'processing'])
      .where((eb) => eb.or([eb('host', '=', host), eb('host', 'is', null)]))
      .execute()
    return rows.map(toTask)
  }

  /** GET /v2/tasks: newest first, optionally one owner's, a page after `marker`. */
  async list(q: { owner?: string; status?: string; type?: string; limit: number; marker?: ImageTask }) {
    let query = this.db.selectFrom('image_tasks').selectAll()
    if (q.owner !== undefined) query = query.where('owner', '=', q.owner)
    if (q.status !== undefined) query = query.where('status', '=', q.status)
    if (q.type !== undefined) query = query.where('type', '=', q.type)
    if (q.marker) {
      const m = q.marker
      query = query.where((eb) =>
        eb.or([
          eb('created_at', '<', m.created_at),
          eb.and([eb('created_at', '=', m.created_at), eb('id', '<', m.id)]),
        ]),
      )
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit).execute()
    return rows.map(toTask)
  }

  async get(id: string): Promise<ImageTask | undefined> {
    const row = await this.db.selectFrom('image_tasks').selectAll().where('id', '=', id).executeTakeFirst()
    return row ? toTask(row) : undefined
  }
}

function toTask(row: ImageTasksTable): ImageTask {
  const { host: _host, ...r } = row
  return {
    ...r,
    status: r.status as ImageTask['status'],
    input: JSON.parse(r.input) as Record<string, unknown>,
    result: r.result === null ? null : (JSON.parse(r.result) as Record<string, unknown>),
  }
}
