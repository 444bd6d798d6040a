/**
 * The host with modules registered in the test only: adding a service is one entry in
 * the module list. The `echo` module has a route, a periodic task and a client call to
 * the `clock` module; a third module provides the service token.
 */
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import type { FastifyPluginAsync } from 'fastify'
import { RemoteTokenValidator } from '../auth/index.js'
import { defineSections, opt } from '../config/index.js'
import { computeFault } from '../errors/index.js'
import { mountRoutes, type Route, serviceScope } from '../http/index.js'
import { startTestHost } from '../testing/index.js'
import { planModules, startHost } from './host.js'
import type { AnyServiceModule, ModuleContext, ServiceModule } from './module.js'

const clockRoutes: Route<ModuleContext>[] = [
  {
    method: 'GET',
    path: '/now',
    policy: 'clock:read',
    handler: async (req) => ({
      now: 42,
      caller: req.ctx.who.user_id,
      request_id: req.headers['x-openstack-request-id'],
    }),
  },
]

function apiPlugin<D>(
  ctx: ModuleContext,
  serviceType: string,
  routes: Route<D>[],
  deps: D,
  rules: string[],
): FastifyPluginAsync {
  const enforcer = ctx.enforcer(rules.map((name) => ({ name, checkStr: 'role:reader' })))
  return async (app) => {
    serviceScope(app, { serviceType, renderFault: computeFault, tokens: ctx.auth.tokens, enforcer })
    mountRoutes(app, routes, { deps })
  }
}

const clockModule: ServiceModule<unknown, unknown> = {
  name: 'clock',
  serviceType: 'clock',
  prefix: '/clock',
  configSchema: defineSections({}),
  migrations: [],
  roles: ['api'],
  needs: ['tokens'],
  create: async (ctx) => ({ plugin: apiPlugin(ctx, 'clock', clockRoutes, ctx, ['clock:read']) }),
}

const echoConfig = defineSections({
  echo: { tick_interval: opt.int({ default: 20, min: 1, help: 'Milliseconds between ticks.' }) },
})

const echoModule: ServiceModule<{ echo: { tick_interval: number } }, unknown> = {
  name: 'echo',
  serviceType: 'echo',
  prefix: '/echo',
  configSchema: echoConfig,
  migrations: [
    {
      name: '0001_ticks',
      up: async (db) => {
        await db.schema.createTable('ticks').addColumn('id', 'integer').execute()
      },
    },
  ],
  roles: ['api'],
  needs: ['tokens'],
  create: async (ctx) => {
    let ticks = 0
    ctx.tasks.every('tick', ctx.config.echo.tick_interval, async () => {
      ticks++
    })
    const clock = ctx.client('clock')
    const routes: Route<unknown>[] = [
      { method: 'GET', path: '/ticks', policy: 'echo:read', handler: async () => ({ ticks }) },
      {
        method: 'GET',
        path: '/time',
        policy: 'echo:read',
        handler: async (req) => ({ clock: await clock.get('/now', { requestId: req.id }) }),
      },
    ]
    return { plugin: apiPlugin(ctx, 'echo', routes, undefined, ['echo:read']) }
  },
}

const serviceTokenModule: ServiceModule<unknown, unknown> = {
  name: 'service-token',
  serviceType: 'service-token',
  prefix: '/service-token',
  configSchema: defineSections({}),
  migrations: [],
  roles: [],
  provides: ['serviceToken'],
  create: async () => ({ provides: { serviceToken: async () => 'system-reader' } }),
}

describe('host', () => {
  it('runs a module registered in one line: its route, its periodic task, its call to another module', async () => {
    const t = await startTestHost({ modules: [serviceTokenModule, clockModule, echoModule] })
    after(() => t.close())
    const anonymous = await t.call('GET', '/echo/ticks')
    assert.equal(anonymous.status, 401)
    // NOTE: the task ticks every 20 ms; a loaded machine may run the timer late, so the
    // test waits (up to 5 s) for the second tick rather than for a fixed time.
    let ticks = await t.call('GET', '/echo/ticks', { as: 'project-reader' })
    for (const end = Date.now() + 5000; ticks.body.ticks < 2 && Date.now() < end; ) {
      await new Promise((r) => setTimeout(r, 20))
      ticks = await t.call('GET', '/echo/ticks', { as: 'project-reader' })
    }
    assert.equal(ticks.status, 200)
    assert.ok(ticks.body.ticks >= 2, `ticks: ${ticks.body.ticks}`)
    const time = await t.call('GET', '/echo/time', { as: 'project-reader' })
    assert.equal(time.status, 200)
    // The call went to clock with the service token and the caller's request id.
    assert.equal(time.body.clock.now, 42)
    assert.equal(time.body.clock.caller, 'u-system-reader')
    assert.equal(time.body.clock.request_id, time.headers['x-openstack-request-id'])
    // Only the databases of the modules it runs, each migrated.
    assert.ok(existsSync(join(t.dataDir, 'echo.db')))
    const status = t.host.modules.find((m) => m.module.name === 'echo')!.tasks.status()
    assert.equal(status.periodic[0]!.name, 'tick')
  })

  it('stops periodic work on close and waits for what is running', async () => {
    const t = await startTestHost({ modules: [echoModule] })
    const echo = t.host.modules.find((m) => m.module.name === 'echo')!
    let running = false
    let finished = false
    echo.tasks.spawn('slow', async () => {
      running = true
      await new Promise((r) => setTimeout(r, 100))
      finished = true
    })
    assert.ok(running)
    await t.close()
    assert.ok(finished, 'close() returned before the background work ended')
    const runs = echo.tasks.status().periodic[0]!.runs
    await new Promise((r) => setTimeout(r, 80))
    assert.equal(echo.tasks.status().periodic[0]!.runs, runs, 'a periodic task ran after close')
  })

  it('a failing call to a module that is not in this process is a clear error, not a hang', async () => {
    const t = await startTestHost({ modules: [serviceTokenModule, echoModule] })
    after(() => t.close())
    const res = await t.call('GET', '/echo/time', { as: 'project-reader' })
    assert.equal(res.status, 503)
    assert.match(res.body.serviceUnavailable.message, /clock service could not be reached/)
  })
})

describe('planModules', () => {
  const identity: AnyServiceModule = {
    ...clockModule,
    name: 'identity',
    serviceType: 'identity',
    needs: [],
    provides: ['tokens'],
  }
  const echo = echoModule
  const keystone = {
    api: { auth_strategy: 'keystone' as const },
    keystone_authtoken: { auth_url: undefined, token_cache_time: 300 },
  }

  it('starts the providers of what a module needs first, with no roles of their own', () => {
    const plan = planModules({ modules: [echo, identity], services: ['echo'] }, keystone)
    assert.deepEqual(
      plan.order.map((o) => [o.module.name, [...o.roles]]),
      [
        ['identity', []],
        ['echo', ['api']],
      ],
    )
  })

  it('needs no identity under noauth2, and asks a remote one when auth_url is set', () => {
    const noauth = planModules(
      { modules: [identity, echo], services: ['echo'] },
      { ...keystone, api: { auth_strategy: 'noauth2' } },
    )
    assert.deepEqual(
      noauth.order.map((o) => o.module.name),
      ['echo'],
    )
    const remote = planModules(
      { modules: [identity, echo], services: ['echo'] },
      { ...keystone, keystone_authtoken: { auth_url: 'http://id.example/identity', token_cache_time: 300 } },
    )
    assert.deepEqual(
      remote.order.map((o) => o.module.name),
      ['echo'],
    )
    assert.ok(remote.external.get('tokens') instanceof RemoteTokenValidator)
  })

  it('refuses unknown services, missing providers and cycles', () => {
    assert.throws(
      () => planModules({ modules: [echo], services: ['nope'] }, keystone),
      /unknown service nope/,
    )
    assert.throws(() => planModules({ modules: [echo] }, keystone), /needs tokens, which no module provides/)
    const a = { ...echo, name: 'a', needs: ['serviceToken'], provides: ['tokens'] } as AnyServiceModule
    const b = { ...echo, name: 'b', needs: ['tokens'], provides: ['serviceToken'] } as AnyServiceModule
    assert.throws(() => planModules({ modules: [a, b] }, keystone), /need each other/)
  })

  it('opens only the databases of the modules it runs', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cloudlet-host-'))
    after(() => rmSync(dataDir, { recursive: true, force: true }))
    const host = await startHost({
      modules: [identity, echo, clockModule],
      services: ['clock'],
      dataDir,
      env: { OS_API__AUTH_STRATEGY: 'noauth2' },
      listen: false,
      logger: false,
    })
    await host.close()
    assert.deepEqual(
      readdirSync(dataDir).filter((f) => f.endsWith('.db')),
      ['clock.db'],
    )
  })
})
