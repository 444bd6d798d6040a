/**
 * User messages (3.3): what Cinder tells a user about a request that failed after it was
 * accepted (a volume no backend could take). Kept for `message_ttl` seconds; readers
 * of the project list and show them, members delete them.
 */
import { randomUUID } from 'node:crypto'
import { DomainError } from '../../../kernel/errors/index.js'
import type { MessageRepo, MessageRow } from '../storage/message.repo.js'
import { type Caller, sees } from './caller.js'

export class MessageNotFound extends DomainError {
  constructor(id: string) {
    super('not_found', 'volume.message.not_found', `Message ${id} could not be found.`)
  }
}

/** Cinder's message ids: the event is `VOLUME_<resource>_<action>_<detail>`. */
export const NO_VALID_BACKEND = {
  eventId: 'VOLUME_VOLUME_001_002',
  userMessage: 'schedule allocate volume:Could not find any available weighted backend.',
}

export class UserMessages {
  constructor(
    private readonly repo: MessageRepo,
    private readonly ttlSeconds: number,
  ) {}

  async record(input: {
    projectId: string
    requestId: string
    resourceType: string
    resourceUuid: string
    eventId: string
    userMessage: string
  }): Promise<void> {
    const now = new Date()
    await this.repo.add({
      id: randomUUID(),
      project_id: input.projectId,
      request_id: input.requestId,
      resource_type: input.resourceType,
      resource_uuid: input.resourceUuid,
      event_id: input.eventId,
      message_level: 'ERROR',
      user_message: input.userMessage,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + this.ttlSeconds * 1000).toISOString(),
    })
  }

  async list(caller: Caller, allProjects: boolean): Promise<MessageRow[]> {
    return this.repo.list(
      caller.isAdmin && allProjects ? undefined : caller.projectId,
      new Date().toISOString(),
    )
  }

  async get(caller: Caller, id: string): Promise<MessageRow> {
    const m = await this.repo.get(id)
    if (!m || !sees(caller, m.project_id)) throw new MessageNotFound(id)
    return m
  }

  async delete(caller: Caller, id: string): Promise<void> {
    await this.repo.delete((await this.get(caller, id)).id)
  }

  async expire(): Promise<void> {
    await this.repo.expire(new Date().toISOString())
  }
}
