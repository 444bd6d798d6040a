/**
 * The conductor's periodic work for the operations: resizes and cold migrations left in
 * VERIFY_RESIZE longer than `[DEFAULT] resize_confirm_window` are confirmed (upstream's
 * `_poll_unconfirmed_resizes`), and servers shelved longer than
 * `[DEFAULT] shelved_offload_time` are offloaded every `shelved_poll_interval`.
 */
import type { Logger } from 'pino'
import type { TaskGroup } from '../../../kernel/host/index.js'
import type { ComputeConfig } from '../config.js'
import type { ActionRepo } from '../storage/action.repo.js'
import type { MigrationRepo } from '../storage/migration.repo.js'
import type { ServerRepo } from '../storage/server.repo.js'
import type { Conductor } from './conductor.js'

export interface OperationTaskDeps {
  servers: ServerRepo
  migrations: MigrationRepo
  actions: ActionRepo
  conductor: Conductor
  logger: Logger
}

export function startOperationTasks(tasks: TaskGroup, config: ComputeConfig, d: OperationTaskDeps): void {
  const window = config.DEFAULT.resize_confirm_window
  if (window > 0)
    tasks.every('confirm resizes past the window', Math.max(1, Math.min(window, 60)) * 1000, async () => {
      await confirmDue(d, window)
    })
  const offloadAfter = config.DEFAULT.shelved_offload_time
  const poll = config.DEFAULT.shelved_poll_interval
  if (offloadAfter > 0 && poll > 0)
    tasks.every('offload shelved servers', poll * 1000, async () => {
      await offloadDue(d, offloadAfter)
    })
}

/** Confirms the migrations finished more than `window` seconds ago; returns how many. */
export async function confirmDue(d: OperationTaskDeps, window: number): Promise<number> {
  const before = new Date(Date.now() - window * 1000).toISOString()
  let n = 0
  for (const m of await d.migrations.finishedBefore(before)) {
    if (!(await d.migrations.updateIf(m.uuid, ['finished'], { status: 'confirming' }))) continue
    const requestId = `req-confirm-${m.uuid}`
    await d.actions.start({
      action: 'confirmResize',
      instance_uuid: m.instance_uuid,
      request_id: requestId,
      user_id: null,
      project_id: m.project_id,
      start_time: new Date().toISOString(),
    })
    d.conductor.serverOperation({
      instance_uuid: m.instance_uuid,
      request_id: requestId,
      operation: 'confirm_resize',
      migration_uuid: m.uuid,
    })
    d.logger.info({ instance: m.instance_uuid, migration: m.uuid }, 'resize confirmed automatically')
    n++
  }
  return n
}

/** Offloads servers shelved more than `after` seconds ago. */
export async function offloadDue(d: OperationTaskDeps, after: number): Promise<number> {
  const before = new Date(Date.now() - after * 1000).toISOString()
  let n = 0
  const shelved = await d.servers.list({
    vmStates: ['shelved'],
    taskStates: [null],
    sort: [{ key: 'created_at', dir: 'asc' }],
  })
  for (const s of shelved) {
    const shelve = await d.actions.latest(s.uuid, 'shelve')
    if (!shelve || shelve.start_time > before) continue
    if (!(await d.servers.updateIf(s.uuid, [null], { task_state: 'shelving_offloading' }))) continue
    const requestId = `req-offload-${s.uuid}-${Date.now()}`
    await d.actions.start({
      action: 'shelveOffload',
      instance_uuid: s.uuid,
      request_id: requestId,
      user_id: null,
      project_id: s.project_id,
      start_time: new Date().toISOString(),
    })
    d.conductor.serverOperation({ instance_uuid: s.uuid, request_id: requestId, operation: 'shelve_offload' })
    n++
  }
  return n
}
