/**
 * The persona matrix: every route of every service's route table, called by every
 * persona (system, domain and project admin/manager/member/reader, a member of another
 * project and of another domain, restricted and unrestricted application credentials,
 * a trustee) with objects of its own project, another project and another domain, on
 * one real cloud. The expected answer of each call is the service's own policy defaults
 * (enforce_scope and enforce_new_defaults on) evaluated against the object's owner; the
 * test fails on any leak (a success the defaults deny), unexpected refusal (a refusal
 * they allow) or 5xx, except what the allow-lists of test/support/persona-matrix/ name.
 *
 * A route added to a table joins by itself; a service joins with its table's import and
 * one line in SERVICES (its fixtures live in test/support/persona-matrix/<service>.ts).
 * PERSONA_MATRIX_ROUTE=<part of "METHOD path"> runs only the matching routes;
 * PERSONA_MATRIX_SERVICE=<name>[,<name>] only those services; PERSONA_MATRIX_DUMP=<file>
 * writes every cell there as JSON (debugging aids).
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { ROUTES as COMPUTE_ROUTES } from '../../src/services/compute/routes.js'
import { ROUTES as IDENTITY_ROUTES } from '../../src/services/identity/routes.js'
import { ROUTES as IMAGE_ROUTES } from '../../src/services/image/routes.js'
import { ROUTES as PLACEMENT_ROUTES } from '../../src/services/placement/routes.js'
import {
  type Cell,
  type MatrixService,
  runService,
  type ServiceTotals,
} from '../support/persona-matrix/engine.js'
import {
  computeService,
  identityService,
  imageService,
  placementService,
} from '../support/persona-matrix/services.js'
import { buildWorld, type World } from '../support/persona-matrix/world.js'
import { startTestCloud, type TestCloud } from '../support/test-cloud.js'

const ALL_SERVICES: Array<[name: string, make: (w: World, t: TestCloud) => Promise<MatrixService>]> = [
  ['identity', (w) => identityService(w, IDENTITY_ROUTES)],
  ['image', (w) => imageService(w, IMAGE_ROUTES)],
  ['placement', (w) => placementService(w, PLACEMENT_ROUTES)],
  [
    'compute',
    (w, t) => {
      const registry = t.cloud.host.modules.find((m) => m.module.name === 'compute')?.registry
      assert.ok(registry, "compute's service registry")
      return computeService(w, COMPUTE_ROUTES, registry)
    },
  ],
]
const only = process.env.PERSONA_MATRIX_SERVICE?.split(',')
const SERVICES = ALL_SERVICES.filter(([name]) => !only || only.includes(name))

describe('persona matrix: every route, every persona, against the policy defaults', () => {
  let t: TestCloud
  let world: World
  const totals: ServiceTotals[] = []
  const cells: Cell[] = []

  before(async () => {
    // Deleted servers stay SOFT_DELETED, so that restore and forceDelete have a subject.
    t = await startTestCloud('sqlite', {
      env: { OS_DEFAULT__IMAGE_CACHE_DIR: 'image-cache', OS_DEFAULT__RECLAIM_INSTANCE_INTERVAL: '3600' },
    })
    world = await buildWorld(t.cloud.app, t.adminToken, t.adminUserId)
  })
  after(async () => {
    if (totals.length) {
      const line = (x: ServiceTotals) =>
        `${x.service.padEnd(10)} routes ${String(x.routes).padStart(4)}  calls ${String(x.calls).padStart(5)} (${x.allowed} allowed)  ` +
        `leaks ${x.leaks}  unexpected refusals ${x.refusals}  5xx ${x.errors}  ` +
        `inconclusive ${x.inconclusive}  allow-listed ${x.allowListed}  not called ${x.skipped}`
      console.log(`persona matrix\n${totals.map(line).join('\n')}`)
      const odd = cells.filter((c) => c.verdict === 'inconclusive')
      if (odd.length)
        console.log(
          `inconclusive (a 4xx that is not about authorization):\n${odd
            .map((c) => `  ${c.route} [${c.owner}] ${c.persona}: ${c.status} ${c.note ?? ''}`)
            .join('\n')}`,
        )
    }
    if (process.env.PERSONA_MATRIX_DUMP)
      writeFileSync(process.env.PERSONA_MATRIX_DUMP, JSON.stringify(cells, null, 1))
    await t?.close()
  })

  for (const [name, make] of SERVICES) {
    it(`${name}: 0 leaks, 0 unexpected refusals, 0 5xx`, async () => {
      const svc = await make(world, t)
      const run = await runService(svc, {
        app: t.cloud.app,
        personas: world.personas,
        ...(process.env.PERSONA_MATRIX_ROUTE ? { only: process.env.PERSONA_MATRIX_ROUTE } : {}),
      })
      totals.push(run.totals)
      cells.push(...run.cells)
      const bad = run.cells.filter(
        (c) => c.verdict === 'leak' || c.verdict === 'refusal' || c.verdict === 'error',
      )
      const show = (c: Cell) =>
        `${c.verdict.toUpperCase()} ${c.route} [${c.owner}] as ${c.persona}: ${c.status}, ` +
        `defaults ${c.expected} (${c.rule ?? 'token only'})${c.note ? ` ${c.note}` : ''}`
      assert.deepEqual(bad.map(show), [], `${svc.name}: ${bad.length} cells`)
    })
  }
})
