/**
 * Glance's tasks API (/v2/tasks): the import tasks, listed newest first with Glance's
 * filters (status, type), markers and limits. Admins see every project's tasks; the
 * rule get_tasks/get_task decides who may call at all (admin by default).
 */
import type { RequestContext } from '../../../kernel/auth/index.js'
import { NotFound } from '../../../kernel/errors/index.js'
import { InvalidImageInput } from '../errors.js'
import { IMAGE_POLICIES as P } from '../policies/images.js'
import { forbidden } from '../policies/index.js'
import type { ImageTaskRepository } from '../storage/image-task.repo.js'
import type { ImageTask } from './image.js'
import { isAdmin } from './images.js'

const STATUSES = ['pending', 'processing', 'success', 'failure']

export class TaskCatalog {
  constructor(
    private readonly repo: ImageTaskRepository,
    private readonly limits: { limitDefault: number; limitMax: number },
  ) {}

  async list(
    ctx: RequestContext,
    q: Record<string, string | undefined>,
  ): Promise<{ tasks: ImageTask[]; next?: string }> {
    this.authorize(ctx, P.GET_TASKS)
    if (q.status !== undefined && !STATUSES.includes(q.status))
      throw new InvalidImageInput(`Invalid status value: ${q.status}`)
    if (q.sort_dir !== undefined && q.sort_dir !== 'desc' && q.sort_dir !== 'asc')
      throw new InvalidImageInput(`Invalid sort direction: ${q.sort_dir}`)
    let limit = this.limits.limitDefault
    if (q.limit !== undefined) {
      if (!/^\d+$/.test(q.limit)) throw new InvalidImageInput('limit param must be an integer')
      limit = Math.min(Number(q.limit), this.limits.limitMax)
    }
    const marker = q.marker === undefined ? undefined : await this.repo.get(q.marker)
    if (q.marker !== undefined && !marker) throw new InvalidImageInput(`Invalid marker ${q.marker}`)
    const owner = isAdmin(ctx) ? undefined : (ctx.who.project_id ?? '')
    const tasks = await this.repo.list({ owner, status: q.status, type: q.type, limit, marker })
    return { tasks, ...(tasks.length === limit && limit > 0 ? { next: tasks.at(-1)!.id } : {}) }
  }

  async show(ctx: RequestContext, id: string): Promise<ImageTask> {
    this.authorize(ctx, P.GET_TASK)
    const task = await this.repo.get(id)
    if (!task || (!isAdmin(ctx) && task.owner !== ctx.who.project_id))
      throw new NotFound(`Task with the given ID ${id} not found`)
    return task
  }

  private authorize(ctx: RequestContext, rule: string): void {
    if (!ctx.allows(rule, { project_id: ctx.who.project_id })) throw forbidden(rule)
  }
}
