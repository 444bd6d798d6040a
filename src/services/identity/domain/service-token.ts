/**
 * The token this process calls other services with (the host's `serviceToken`
 * capability): a token of the bootstrap admin, scoped to its project (system scope when
 * it has none), issued locally, kept until shortly before it expires, and shared by
 * concurrent callers while it is issued.
 */
import { ServiceTokenUnavailable } from '../errors.js'
import type { Authenticator } from './auth.js'
import type { TokenModel } from './tokens-model.js'

export interface ServiceTokenOptions {
  /** Who to act as; undefined until identity is bootstrapped. */
  serviceActor(): Promise<{ userId: string; projectId?: string } | undefined>
  authenticator: Authenticator
  /** A token this close to its expiry is replaced. @default 60 s */
  renewBeforeMs?: number
  now?: () => number
}

export class ServiceToken {
  private current: TokenModel | undefined
  private issuing: Promise<TokenModel> | undefined
  private readonly now: () => number
  private readonly renewBeforeMs: number

  constructor(private readonly opts: ServiceTokenOptions) {
    this.now = opts.now ?? Date.now
    this.renewBeforeMs = opts.renewBeforeMs ?? 60_000
  }

  /** The token; throws ServiceTokenUnavailable before bootstrap. */
  async get(): Promise<string> {
    const t = this.current
    if (t && t.expiresAtMs - this.now() > this.renewBeforeMs) return t.id
    this.issuing ??= this.issue().finally(() => {
      this.issuing = undefined
    })
    return (await this.issuing).id
  }

  private async issue(): Promise<TokenModel> {
    const actor = await this.opts.serviceActor()
    if (!actor) throw new ServiceTokenUnavailable()
    this.current = await this.opts.authenticator.issueServiceToken(actor.userId, actor.projectId)
    return this.current
  }
}
