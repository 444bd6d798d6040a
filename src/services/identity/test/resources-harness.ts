/**
 * A whole identity service (both halves, real storage) on one dialect, run by the
 * kernel's test host for inject() tests, bootstrapped with an admin and a member. With
 * `image`, the host runs the image module beside it, on the same database, as one cloud
 * process does: image authenticates with identity's tokens and reads identity's unified
 * limits (the `unifiedLimits` capability).
 */
import type { FastifyInstance, InjectOptions } from 'fastify'
import type { Dialect } from '../../../kernel/db/index.js'
import { createTestDatabase } from '../../../kernel/db/testing.js'
import { startTestHost } from '../../../kernel/testing/index.js'
import { imageModule } from '../../image/module.js'
import { type IdentityConfig, identityModule } from '../module.js'

type Reply = { status: number; json: any; headers: Record<string, unknown> }
type Sections = Record<string, Record<string, string | number | boolean>>

export interface ResourceHarness {
  app: FastifyInstance
  adminToken: string
  memberToken: string
  /** Calls the API with a token (admin by default); `body` becomes the JSON payload. */
  call(method: string, url: string, body?: unknown, token?: string | null): Promise<Reply>
  /** As `call`, under /image (only with the `image` option); a Buffer body is sent as octets. */
  imageCall(method: string, url: string, body?: unknown, token?: string | null): Promise<Reply>
  token(user: string, password: string, scope?: unknown, domain?: string): Promise<string>
  close(): Promise<void>
}

export async function startResourceHarness(
  options: {
    dialect?: Dialect
    security?: Partial<Record<keyof IdentityConfig['security_compliance'], string | number | boolean>>
    /** Options merged into their sections, e.g. `{ DEFAULT: { list_limit: 2 } }`. */
    sections?: Sections
    /** Runs the image module too, with these options merged into their sections. */
    image?: Sections
  } = {},
): Promise<ResourceHarness> {
  const tdb = await createTestDatabase(options.dialect ?? 'sqlite')
  const sections: Sections = { ...options.sections }
  for (const [name, values] of Object.entries(options.image ?? {}))
    sections[name] = { ...sections[name], ...values }
  Object.assign(sections, {
    database: { connection: tdb.connection },
    identity: { password_hash_rounds: 4, ...options.sections?.identity },
    security_compliance: { ...options.security },
  })
  const modules = options.image ? [identityModule, imageModule] : [identityModule]
  const t = await startTestHost({ modules, config: sections })
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

  const send = async (prefix: string, method: string, url: string, body?: unknown, token?: string | null) => {
    const opts: InjectOptions = {
      method: method as InjectOptions['method'],
      url: `${prefix}${url}`,
      headers: { host: 'cloud.test', ...(token === null ? {} : { 'x-auth-token': token ?? h.adminToken }) },
    }
    if (body !== undefined) {
      if (Buffer.isBuffer(body)) {
        opts.payload = body
        opts.headers = { ...opts.headers, 'content-type': 'application/octet-stream' }
      } else if (typeof body === 'string') {
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
  const call: ResourceHarness['call'] = (method, url, body, token) =>
    send('/identity', method, url, body, token)
  const imageCall: ResourceHarness['imageCall'] = (method, url, body, token) =>
    send('/image', method, url, body, token)
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
    imageCall,
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
