/**
 * Instance actions and their events: the only SQL on `instance_actions*`. An action is
 * one user request on a server (create, delete, stop, ...); its events are the steps
 * the conductor and the agents took, each with a result and, on failure, details.
 */
import type { Kysely, Selectable, Transaction } from 'kysely'
import type { Dialect } from '../../../kernel/db/index.js'
import { insertId } from './insert-id.js'
import type { ComputeDatabase, InstanceActionsEventsTable, InstanceActionsTable } from './schema.js'

export type ActionRow = Selectable<InstanceActionsTable>
export type EventRow = Selectable<InstanceActionsEventsTable>

export interface NewAction {
  action: string
  instance_uuid: string
  request_id: string
  user_id: string | null
  project_id: string | null
  start_time: string
  message?: string | null
}

export class ActionRepo {
  constructor(
    private readonly db: Kysely<ComputeDatabase>,
    private readonly dialect: Dialect,
  ) {}

  async start(a: NewAction, trx: Kysely<ComputeDatabase> | Transaction<ComputeDatabase> = this.db) {
    return insertId(
      this.dialect,
      trx
        .insertInto('instance_actions')
        .values({ ...a, message: a.message ?? null, finish_time: null, updated_at: a.start_time }),
    )
  }

  /** The newest action of `action` kind on an instance. */
  async latest(instanceUuid: string, action: string): Promise<ActionRow | undefined> {
    return this.db
      .selectFrom('instance_actions')
      .selectAll()
      .where('instance_uuid', '=', instanceUuid)
      .where('action', '=', action)
      .orderBy('id', 'desc')
      .executeTakeFirst()
  }

  async list(instanceUuid: string): Promise<ActionRow[]> {
    return this.db
      .selectFrom('instance_actions')
      .selectAll()
      .where('instance_uuid', '=', instanceUuid)
      .orderBy('start_time', 'desc')
      .orderBy('id', 'desc')
      .execute()
  }

  async byRequest(instanceUuid: string, requestId: string): Promise<ActionRow | undefined> {
    return this.db
      .selectFrom('instance_actions')
      .selectAll()
      .where('instance_uuid', '=', instanceUuid)
      .where('request_id', '=', requestId)
      .executeTakeFirst()
  }

  async events(actionId: number): Promise<EventRow[]> {
    return this.db
      .selectFrom('instance_actions_events')
      .selectAll()
      .where('action_id', '=', actionId)
      .orderBy('id')
      .execute()
  }

  async startEvent(actionId: number, event: string, host: string | null): Promise<number> {
    const now = new Date().toISOString()
    const id = await insertId(
      this.dialect,
      this.db.insertInto('instance_actions_events').values({
        action_id: actionId,
        event,
        start_time: now,
        finish_time: null,
        result: null,
        traceback: null,
        host,
        details: null,
      }),
    )
    await this.db
      .updateTable('instance_actions')
      .set({ updated_at: now })
      .where('id', '=', actionId)
      .execute()
    return id
  }

  async finishEvent(
    eventId: number,
    result: 'Success' | 'Error',
    details: string | null,
    traceback: string | null = null,
  ): Promise<void> {
    const now = new Date().toISOString()
    await this.db
      .updateTable('instance_actions_events')
      .set({ finish_time: now, result, details, traceback })
      .where('id', '=', eventId)
      .execute()
  }

  async finish(actionId: number, message: string | null = null): Promise<void> {
    const now = new Date().toISOString()
    await this.db
      .updateTable('instance_actions')
      .set({ finish_time: now, updated_at: now, ...(message ? { message } : {}) })
      .where('id', '=', actionId)
      .execute()
  }
}
