/**
 * A whole identity service (both halves, real storage) on one dialect, run by the
 * kernel's test host for inject() tests, bootstrapped with an admin and a member.
 */
import type { FastifyInstance, InjectOptions } from 'fastify'
import type { Dialect } from '../../../kernel/db/index.js'
import { createTestDatabase } from '../../../kernel/db/testing.js'
import { startTestHost } from '../../../kernel/testing/index.js'
import { type IdentityConfig, identityModule } from '../module.js'

export interface ResourceHarness {
  app: FastifyInstance
  adminToken: string
  memberToken: string
  /** Calls the API with a token (admin by default); `body` becomes the JSON payload. */
  call(
    method: string,
    url: string,
    body?: unknown,
    token?: string | null,
  ): Promise<{ status: number; json: any; headers: Record<string, unknown> }>
  token(user: string, password: string, scope?: unknown, domain?: string): Promise<string>
  close(): Promise<void>
}

export async function startResourceHarness(
  options: {
    dialect?: Dialect
    security?: Partial<Record<keyof IdentityConfig['security_compliance'], string | number | boolean>>
    /** Options merged into their sections, e.g. `{ DEFAULT: { list_limit: 2 } }`. */
    sections?: Record<string, Record<string, string | number | boolean>>
  } = {},
): Promise<ResourceHarness> {
  const tdb = await createTestDatabase(options.dialect ?? 'sqlite')
  const sections: Record<string, Record<string, string | number | boolean>> = {
    ...options.sections,
    database: { connection: tdb.connection },
    identity: { password_hash_rounds: 4, ...options.sections?.identity },
    security_compliance: { ...options.security },
  }
  const t = await startTestHost({ modules: [identityModule], config: sections })
  const admin = t.host.capability('identityAdmin')!
  await admin.bootstrap({
    adminUsername: 'admin',
    adminPassword: 'secret-admin',
    adminProjectName: 'admin',
    regionId: 'RegionOne',
    services: [{ type: 'identity', name: 'keystone', url: 'http://cloud.test/identity' }],
    member: { username: 'demo', password: 'secret-demo', projectName: 'demo' },
  })
  const app = t.host.app

  const call: ResourceHarness['call'] = async (method, url, body, token) => {
    const opts: InjectOptions = {
      method: method as InjectOptions['method'],
      url: `/identity${url}`,
      headers: { host: 'cloud.test', ...(token === null ? {} : { 'x-auth-token': token ?? h.adminToken }) },
    }
    if (body !== undefined) {
      if (typeof body === 'string') {
        opts.payload = body
        opts.headers = { ...opts.headers, 'content-type': 'application/json' }
      } else opts.payload = body as object
    }
    const res = await app.inject(opts)
    let json: unknown
    try {
      json = res.body ? JSON.parse(res.body) : undefined
    } catch {
      json = res.body
    }
    return { status: res.statusCode, json, headers: res.headers }
  }
  const token: ResourceHarness['token'] = async (user, password, scope, domain = 'default') => {
    const res = await app.inject({
      method: 'POST',
      url: '/identity/v3/auth/tokens',
      payload: {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: user, domain: { id: domain }, password } },
          },
          ...(scope ? { scope } : {}),
        },
      },
    })
    if (res.statusCode !== 201) throw new Error(`token for ${user}: ${res.statusCode} ${res.body}`)
    return res.headers['x-subject-token'] as string
  }
  const h: ResourceHarness = {
    app,
    adminToken: '',
    memberToken: '',
    call,
    token,
    async close() {
      await t.close()
      await tdb.drop()
    },
  }
  h.adminToken = await token('admin', 'secret-admin', {
    project: { name: 'admin', domain: { id: 'default' } },
  })
  h.memberToken = await token('demo', 'secret-demo', { project: { name: 'demo', domain: { id: 'default' } } })
  return h
}
