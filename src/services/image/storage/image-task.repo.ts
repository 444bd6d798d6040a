/** Import tasks (GET /v2/images/{id}/tasks): what each import did, kept as JSON. */
import type { Kysely } from 'kysely'
import type { ImageTask } from '../domain/image.js'
import type { ImageDatabase } from './schema.js'

export class ImageTaskRepository {
  constructor(private readonly db: Kysely<ImageDatabase>) {}

  async createTask(task: ImageTask): Promise<void> {
    await this.db
      .insertInto('image_tasks')
      .values({
        ...task,
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
    return rows.map((r) => ({
      ...r,
      status: r.status as ImageTask['status'],
      input: JSON.parse(r.input) as Record<string, unknown>,
      result: r.result === null ? null : (JSON.parse(r.result) as Record<string, unknown>),
    }))
  }
}
