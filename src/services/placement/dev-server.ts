/**
 * A standalone placement for conformance runs and benchmarks (noauth2, mounted at /):
 *
 *   node dist/src/services/placement/dev-server.js --port 18780 --db sqlite:////tmp/p.db \
 *     [--profile default|cors|openpolicy|secure|legacy]
 */

import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { Kysely } from 'kysely'
import { migrateToLatest, openDatabase } from '../../kernel/db/index.js'
import { createApp } from '../../kernel/http/index.js'
import { placementPolicies } from './policies/index.js'
import { defaultConfig, startStandalone } from './standalone.js'
import { placementMigrations } from './storage/migrations/0001-initial.js'
import type { PlacementDatabase } from './storage/schema.js'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '18780' },
    host: { type: 'string', default: '127.0.0.1' },
    db: { type: 'string', default: 'sqlite://' },
    profile: { type: 'string', default: 'default' },
    prefix: { type: 'string', default: '' },
  },
})

const defaults = defaultConfig()
let policyFile: string | undefined
const profile = values.profile
if (profile === 'cors') {
  defaults.cors!.allowed_origin = ['http://valid.example.com']
  defaults.cors!.allow_headers = ['openstack-api-version']
}
if (profile === 'openpolicy') {
  policyFile = join(tmpdir(), `placement-open-policy-${process.pid}.yaml`)
  const lines = placementPolicies.filter((r) => r.name !== 'admin_api').map((r) => `"${r.name}": "@"`)
  writeFileSync(policyFile, `${lines.join('\n')}\n`)
}
defaults.oslo_policy = {
  enforce_scope: true,
  enforce_new_defaults: profile === 'secure',
  policy_file: policyFile,
}

const { db, dialect } = await openDatabase<PlacementDatabase>(values.db!)
await migrateToLatest(db as Kysely<unknown>, 'placement', placementMigrations)
const { service } = await startStandalone({ db, dialect, config: defaults, dataDir: tmpdir() })
// The same app `cloudlet api` serves; mounted at / the service's scope owns the root.
const app = createApp({
  logger: false,
  metrics: false,
  rootFaults: values.prefix !== '' && values.prefix !== '/',
})
await app.register(service.plugin!, { prefix: values.prefix })
await app.listen({ port: Number(values.port), host: values.host })
process.stdout.write(`placement listening on http://${values.host}:${values.port}${values.prefix}\n`)
