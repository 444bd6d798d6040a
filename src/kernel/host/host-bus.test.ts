/**
 * The host and the bus: a module's conductor role serves RPC on the process's bus, a
 * module's API calls it, the bus figures show in /metrics, and a process that runs no
 * module using the bus connects none.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import type { FastifyPluginAsync } from 'fastify'
import type { RpcServer } from '../bus/index.js'
import { defineSections } from '../config/index.js'
import { computeFault } from '../errors/index.js'
import { mountRoutes, serviceScope } from '../http/index.js'
import type { ServiceRegistry } from '../registry/index.js'
import { startTestHost } from '../testing/index.js'
import type { AnyServiceModule } from './module.js'

const adder: AnyServiceModule = {
  name: 'adder',
  serviceType: 'adder',
  prefix: '/adder',
  configSchema: defineSections({}),
  migrations: [],
  roles: ['api', 'conductor'],
  needs: ['tokens'],
  usesBus: true,
  workers: { conductor: { binary: 'adder-conductor', topic: 'adder-conductor' } },
  create: async (ctx) => {
    const bus = ctx.bus!
    let server: RpcServer | undefined
    if (ctx.roles.has('conductor'))
      server = await bus.serve({ topic: 'adder-conductor', server: ctx.hostName }, [
        {
          version: '1.0',
          methods: { add: async (args: { a: number; b: number }) => ({ sum: args.a + args.b }) },
        },
      ])
    const enforcer = ctx.enforcer([{ name: 'adder:add', checkStr: 'role:reader' }])
    const plugin: FastifyPluginAsync = async (app) => {
      serviceScope(app, {
        serviceType: 'adder',
        renderFault: computeFault,
        tokens: ctx.auth.tokens,
        enforcer,
      })
      mountRoutes(
        app,
        [
          {
            method: 'GET',
            path: '/sum',
            policy: 'adder:add',
            handler: async (req) => {
              const q = req.query as { a: string; b: string }
              return bus.call(
                { topic: 'adder-conductor' },
                'add',
                { a: Number(q.a), b: Number(q.b) },
                { timeout: 5 },
              )
            },
          },
        ],
        { deps: undefined },
      )
    }
    return { plugin, registry: ctx.registry, close: async () => server?.stop(2000) }
  },
}

const quiet: AnyServiceModule = {
  name: 'quiet',
  serviceType: 'quiet',
  prefix: '/quiet',
  configSchema: defineSections({}),
  migrations: [],
  roles: ['api'],
  create: async (ctx) => ({ provides: {}, hasBus: ctx.bus !== undefined }),
}

describe('host and bus', () => {
  it("runs a module's conductor role on the bus and its API calls it", async () => {
    const t = await startTestHost({ modules: [adder], config: { metrics: { api_access: 'public' } } })
    after(() => t.close())
    assert.ok(t.host.bus, 'the host connected a bus for a module that uses one')
    const res = await t.call('GET', '/adder/sum?a=2&b=40', { as: 'project-reader' })
    assert.equal(res.status, 200)
    assert.equal(res.body.sum, 42)
    const metrics = await t.host.app.inject({ method: 'GET', url: '/metrics' })
    assert.match(metrics.body, /cloudlet_bus_sent_total [1-9]/)
    assert.match(metrics.body, /cloudlet_bus_call_duration_seconds_count 1/)
    // The conductor role is in the module's service registry.
    const instance = t.host.modules.find((m) => m.module.name === 'adder')!.instance as unknown as {
      registry: ServiceRegistry
    }
    assert.deepEqual(
      (await instance.registry.list()).map((s) => s.binary),
      ['adder-conductor'],
    )
  })

  it('connects no bus when no module of the process uses one', async () => {
    const t = await startTestHost({ modules: [quiet] })
    after(() => t.close())
    assert.equal(t.host.bus, undefined)
    const instance = t.host.modules.find((m) => m.module.name === 'quiet')!.instance as unknown as {
      hasBus: boolean
    }
    assert.equal(instance.hasBus, false)
  })
})
