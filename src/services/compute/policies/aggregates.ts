/** Host aggregate rules: every aggregate operation is an admin's. */
import { ADMIN, rule } from './base.js'

export const AGGREGATE = {
  INDEX: 'os_compute_api:os-aggregates:index',
  CREATE: 'os_compute_api:os-aggregates:create',
  SHOW: 'os_compute_api:os-aggregates:show',
  UPDATE: 'os_compute_api:os-aggregates:update',
  DELETE: 'os_compute_api:os-aggregates:delete',
  ADD_HOST: 'os_compute_api:os-aggregates:add_host',
  REMOVE_HOST: 'os_compute_api:os-aggregates:remove_host',
  SET_METADATA: 'os_compute_api:os-aggregates:set_metadata',
  IMAGES: 'compute:aggregates:images',
} as const

const A = '/os-aggregates'
const ONE = `${A}/{aggregate_id}`

export const AGGREGATE_RULES = [
  rule(AGGREGATE.SET_METADATA, ADMIN, 'Create or replace metadata for an aggregate', [
    { method: 'POST', path: `${ONE}/action (set_metadata)` },
  ]),
  rule(AGGREGATE.ADD_HOST, ADMIN, 'Add a host to an aggregate', [
    { method: 'POST', path: `${ONE}/action (add_host)` },
  ]),
  rule(AGGREGATE.CREATE, ADMIN, 'Create an aggregate', [{ method: 'POST', path: A }]),
  rule(AGGREGATE.REMOVE_HOST, ADMIN, 'Remove a host from an aggregate', [
    { method: 'POST', path: `${ONE}/action (remove_host)` },
  ]),
  rule(AGGREGATE.UPDATE, ADMIN, 'Update name and/or availability zone for an aggregate', [
    { method: 'PUT', path: ONE },
  ]),
  rule(AGGREGATE.INDEX, ADMIN, 'List all aggregates', [{ method: 'GET', path: A }]),
  rule(AGGREGATE.DELETE, ADMIN, 'Delete an aggregate', [{ method: 'DELETE', path: ONE }]),
  rule(AGGREGATE.SHOW, ADMIN, 'Show details for an aggregate', [{ method: 'GET', path: ONE }]),
  rule(AGGREGATE.IMAGES, ADMIN, 'Request image caching for an aggregate', [
    { method: 'POST', path: `${ONE}/images` },
  ]),
]
