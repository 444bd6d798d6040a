/** /v2/tasks and /v2/tasks/{id}: Glance's tasks API, read-only (imports create tasks). */
import { type Handler, params } from './deps.js'
import { taskResourceView } from './views.js'

export const list: Handler = async (req, _reply, d) => {
  const q = (req.query ?? {}) as Record<string, string | undefined>
  const { tasks, next } = await d.tasks.list(req.ctx, q)
  return {
    tasks: tasks.map(taskResourceView),
    first: '/v2/tasks',
    ...(next ? { next: `/v2/tasks?marker=${next}` } : {}),
    schema: '/v2/schemas/tasks',
  }
}

export const show: Handler = async (req, _reply, d) =>
  taskResourceView(await d.tasks.show(req.ctx, params(req).task_id!))
