/**
 * Bad input (acceptance 4): one table of requests placement must refuse, each with
 * upstream's status and error code (placement/errors.py, the gabbi files), run through
 * app.inject on SQLite. After every refused write the whole visible state (providers,
 * generations, inventories, traits, aggregates, allocations, usages, classes) must be
 * what it was before. A few rows are writes upstream accepts although they look wrong
 * (JSON's last duplicate key wins; min_unit > max_unit; allocation_ratio 0 from 1.26):
 * they are asserted as accepted, against a provider no other row reads.
 *
 * Placeholders in paths and bodies: $RP (a provider with VCPU 8 / DISK_GB 100, trait
 * CUSTOM_BAD_INPUT, aggregate $AGG, consumer $C1 holding VCPU 2), $RP2 (a spare
 * provider), "$GEN"/"$GEN2" (their current generations, as numbers), "$CGEN" ($C1's
 * consumer generation), $MISSING (a uuid nothing has), $NEW (a fresh uuid per row).
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { createTestDatabase, type TestDatabase } from '../../../kernel/db/testing.js'
import {
  ADMIN,
  claimBody,
  errorCode,
  type Instance,
  providerWith,
  type Reply,
  startInstance,
} from './harness.js'

interface Row {
  name: string
  method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'PATCH'
  path: string
  /** An object is sent as JSON; a string is sent as it is (malformed JSON). */
  body?: unknown
  version?: string
  status: number
  code?: string
}

const UNDEFINED = 'placement.undefined_code'
const BAD_VALUE = 'placement.query.bad_value'
const MISSING_VALUE = 'placement.query.missing_value'
const DUPLICATE_KEY = 'placement.query.duplicate_key'
const CONCURRENT = 'placement.concurrent_update'
const INUSE = 'placement.inventory.inuse'
const RP_NOT_FOUND = 'placement.resource_provider.not_found'

const MALFORMED = '{"foo": }'
const MAX_INT = 2147483647
const inv = (fields: Record<string, unknown>) => ({ resource_provider_generation: '$GEN', ...fields })
/** The provider's own inventory (so nothing in use is dropped) with `rc` changed. */
const invs = (fields: Record<string, unknown>, rc = 'VCPU') => ({
  resource_provider_generation: '$GEN',
  inventories: {
    VCPU: { total: 8, max_unit: 8 },
    DISK_GB: { total: 100, max_unit: 50 },
    [rc]: { total: 8, ...(rc === 'VCPU' ? { max_unit: 8 } : {}), ...fields },
  },
})
const alloc = (resources: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  allocations: { $RP: { resources } },
  project_id: 'p1',
  user_id: 'u1',
  consumer_generation: null,
  consumer_type: 'INSTANCE',
  ...extra,
})
const postAlloc = (body: unknown) => ({ $NEW: body })
const reshape = (extra: Record<string, unknown>) => ({
  inventories: { $RP: { resource_provider_generation: '$GEN', inventories: { VCPU: { total: 8 } } } },
  allocations: {},
  ...extra,
})

// biome-ignore format: one row a line reads best as a table
const rows: Row[] = [
  // ---- resource providers -------------------------------------------------------
  { name: 'create provider: malformed JSON', method: 'POST', path: '/resource_providers', body: MALFORMED, status: 400, code: UNDEFINED },
  { name: 'create provider: body is a list', method: 'POST', path: '/resource_providers', body: [], status: 400, code: UNDEFINED },
  { name: 'create provider: body is a string', method: 'POST', path: '/resource_providers', body: '"rp"', status: 400, code: UNDEFINED },
  { name: 'create provider: body is null', method: 'POST', path: '/resource_providers', body: 'null', status: 400, code: UNDEFINED },
  { name: 'create provider: no name', method: 'POST', path: '/resource_providers', body: {}, status: 400, code: UNDEFINED },
  { name: 'create provider: name is a number', method: 'POST', path: '/resource_providers', body: { name: 5 }, status: 400, code: UNDEFINED },
  { name: 'create provider: name of 201 chars', method: 'POST', path: '/resource_providers', body: { name: 'x'.repeat(201) }, status: 400, code: UNDEFINED },
  { name: 'create provider: unknown field', method: 'POST', path: '/resource_providers', body: { name: 'bi-extra', colour: 'red' }, status: 400, code: UNDEFINED },
  { name: 'create provider: bad uuid', method: 'POST', path: '/resource_providers', body: { name: 'bi-baduuid', uuid: 'not-a-uuid' }, status: 400, code: UNDEFINED },
  { name: 'create provider: bad parent uuid', method: 'POST', path: '/resource_providers', body: { name: 'bi-badparent', parent_provider_uuid: 'not-a-uuid' }, status: 400, code: UNDEFINED },
  { name: 'create provider: missing parent', method: 'POST', path: '/resource_providers', body: { name: 'bi-noparent', parent_provider_uuid: '$MISSING' }, status: 400, code: UNDEFINED },
  { name: 'create provider: duplicate keys, last (bad) wins', method: 'POST', path: '/resource_providers', body: '{"name": "bi-dup", "name": 7}', status: 400, code: UNDEFINED },
  { name: 'create provider: duplicate name', method: 'POST', path: '/resource_providers', body: { name: 'bad-input-rp' }, status: 409, code: 'placement.duplicate_name' },
  { name: 'update provider: malformed JSON', method: 'PUT', path: '/resource_providers/$RP', body: MALFORMED, status: 400, code: UNDEFINED },
  { name: 'update provider: body is a list', method: 'PUT', path: '/resource_providers/$RP', body: ['x'], status: 400, code: UNDEFINED },
  { name: 'update provider: no name', method: 'PUT', path: '/resource_providers/$RP', body: {}, status: 400, code: UNDEFINED },
  { name: 'update provider: bad parent uuid', method: 'PUT', path: '/resource_providers/$RP', body: { name: 'bad-input-rp', parent_provider_uuid: 'not-a-uuid' }, status: 400, code: UNDEFINED },
  { name: 'update provider: uuid is read-only', method: 'PUT', path: '/resource_providers/$RP', body: { name: 'bad-input-rp', uuid: '$MISSING' }, status: 400, code: UNDEFINED },
  { name: 'update provider: bad uuid in path', method: 'PUT', path: '/resource_providers/not-a-uuid', body: { name: 'x' }, status: 404, code: UNDEFINED },
  { name: 'show provider: bad uuid in path', method: 'GET', path: '/resource_providers/not-a-uuid', status: 404, code: UNDEFINED },
  { name: 'show provider: missing', method: 'GET', path: '/resource_providers/$MISSING', status: 404, code: UNDEFINED },
  { name: 'delete provider: bad uuid in path', method: 'DELETE', path: '/resource_providers/not-a-uuid', status: 404, code: UNDEFINED },
  { name: 'delete provider: has allocations', method: 'DELETE', path: '/resource_providers/$RP', status: 409, code: 'placement.resource_provider.inuse' },

  // ---- inventories: all ---------------------------------------------------------
  { name: 'set inventories: malformed JSON', method: 'PUT', path: '/resource_providers/$RP/inventories', body: MALFORMED, status: 400, code: UNDEFINED },
  { name: 'set inventories: body is a list', method: 'PUT', path: '/resource_providers/$RP/inventories', body: [], status: 400, code: UNDEFINED },
  { name: 'set inventories: inventories is a list', method: 'PUT', path: '/resource_providers/$RP/inventories', body: { resource_provider_generation: '$GEN', inventories: [] }, status: 400, code: UNDEFINED },
  { name: 'set inventories: no generation', method: 'PUT', path: '/resource_providers/$RP/inventories', body: { inventories: { VCPU: { total: 8 } } }, status: 400, code: UNDEFINED },
  { name: 'set inventories: generation is a string', method: 'PUT', path: '/resource_providers/$RP/inventories', body: { resource_provider_generation: 'one', inventories: { VCPU: { total: 8 } } }, status: 400, code: UNDEFINED },
  { name: 'set inventories: stale generation', method: 'PUT', path: '/resource_providers/$RP/inventories', body: { resource_provider_generation: 99, inventories: { VCPU: { total: 9 } } }, status: 409, code: CONCURRENT },
  { name: 'set inventories: unknown resource class', method: 'PUT', path: '/resource_providers/$RP/inventories', body: invs({}, 'CUSTOM_NO_SUCH_CLASS'), status: 400, code: UNDEFINED },
  { name: 'set inventories: bad resource class name', method: 'PUT', path: '/resource_providers/$RP/inventories', body: invs({}, 'vcpu'), status: 400, code: UNDEFINED },
  { name: 'set inventories: total 0', method: 'PUT', path: '/resource_providers/$RP/inventories', body: invs({ total: 0 }), status: 400, code: UNDEFINED },
  { name: 'set inventories: no total', method: 'PUT', path: '/resource_providers/$RP/inventories', body: { resource_provider_generation: '$GEN', inventories: { VCPU: { reserved: 1 } } }, status: 400, code: UNDEFINED },
  { name: 'set inventories: total is a string', method: 'PUT', path: '/resource_providers/$RP/inventories', body: invs({ total: '8' }), status: 400, code: UNDEFINED },
  { name: 'set inventories: total above max int', method: 'PUT', path: '/resource_providers/$RP/inventories', body: invs({ total: MAX_INT + 1 }), status: 400, code: UNDEFINED },
  { name: 'set inventories: negative reserved', method: 'PUT', path: '/resource_providers/$RP/inventories', body: invs({ reserved: -1 }), status: 400, code: UNDEFINED },
  { name: 'set inventories: reserved above total (1.25)', method: 'PUT', path: '/resource_providers/$RP/inventories', body: invs({ reserved: 8 }), version: '1.25', status: 400, code: UNDEFINED },
  { name: 'set inventories: reserved above total', method: 'PUT', path: '/resource_providers/$RP/inventories', body: invs({ reserved: 9 }), status: 400, code: UNDEFINED },
  { name: 'set inventories: min_unit 0', method: 'PUT', path: '/resource_providers/$RP/inventories', body: invs({ min_unit: 0 }), status: 400, code: UNDEFINED },
  { name: 'set inventories: max_unit 0', method: 'PUT', path: '/resource_providers/$RP/inventories', body: invs({ max_unit: 0 }), status: 400, code: UNDEFINED },
  { name: 'set inventories: max_unit above max int', method: 'PUT', path: '/resource_providers/$RP/inventories', body: invs({ max_unit: MAX_INT + 1 }), status: 400, code: UNDEFINED },
  { name: 'set inventories: step_size 0', method: 'PUT', path: '/resource_providers/$RP/inventories', body: invs({ step_size: 0 }), status: 400, code: UNDEFINED },
  { name: 'set inventories: allocation_ratio 0 (1.25)', method: 'PUT', path: '/resource_providers/$RP/inventories', body: invs({ allocation_ratio: 0 }), version: '1.25', status: 400, code: UNDEFINED },
  { name: 'set inventories: allocation_ratio 0.1 leaves no capacity (1.25)', method: 'PUT', path: '/resource_providers/$RP/inventories', body: invs({ allocation_ratio: 0.1 }), version: '1.25', status: 400, code: UNDEFINED },
  { name: 'set inventories: negative allocation_ratio', method: 'PUT', path: '/resource_providers/$RP/inventories', body: invs({ allocation_ratio: -1 }), status: 400, code: UNDEFINED },
  { name: 'update inventory: negative allocation_ratio', method: 'PUT', path: '/resource_providers/$RP/inventories/VCPU', body: inv({ total: 8, allocation_ratio: -1 }), status: 400, code: UNDEFINED },
  { name: 'create inventory: allocation_ratio 0 (1.25)', method: 'POST', path: '/resource_providers/$RP/inventories', body: inv({ resource_class: 'MEMORY_MB', total: 8, allocation_ratio: 0 }), version: '1.25', status: 400, code: UNDEFINED },
  { name: 'set inventories: allocation_ratio a string', method: 'PUT', path: '/resource_providers/$RP/inventories', body: invs({ allocation_ratio: '1.0' }), status: 400, code: UNDEFINED },
  { name: 'set inventories: allocation_ratio above float max', method: 'PUT', path: '/resource_providers/$RP/inventories', body: invs({ allocation_ratio: 3.5e38 }), status: 400, code: UNDEFINED },
  { name: 'set inventories: unknown field', method: 'PUT', path: '/resource_providers/$RP/inventories', body: invs({ colour: 'red' }), status: 400, code: UNDEFINED },
  { name: 'set inventories: drop one in use', method: 'PUT', path: '/resource_providers/$RP/inventories', body: { resource_provider_generation: '$GEN', inventories: { DISK_GB: { total: 100 } } }, status: 409, code: INUSE },
  { name: 'set inventories: bad uuid in path', method: 'PUT', path: '/resource_providers/not-a-uuid/inventories', body: invs({}), status: 404, code: UNDEFINED },
  { name: 'delete inventories: in use', method: 'DELETE', path: '/resource_providers/$RP/inventories', status: 409, code: INUSE },
  { name: 'delete inventories: before 1.5', method: 'DELETE', path: '/resource_providers/$RP/inventories', version: '1.4', status: 405, code: UNDEFINED },

  // ---- inventories: one ---------------------------------------------------------
  { name: 'create inventory: malformed JSON', method: 'POST', path: '/resource_providers/$RP/inventories', body: MALFORMED, status: 400, code: UNDEFINED },
  { name: 'create inventory: body is a list', method: 'POST', path: '/resource_providers/$RP/inventories', body: [1], status: 400, code: UNDEFINED },
  { name: 'create inventory: no resource class', method: 'POST', path: '/resource_providers/$RP/inventories', body: inv({ total: 8 }), status: 400, code: UNDEFINED },
  { name: 'create inventory: unknown resource class', method: 'POST', path: '/resource_providers/$RP/inventories', body: inv({ resource_class: 'CUSTOM_NO_SUCH_CLASS', total: 8 }), status: 400, code: UNDEFINED },
  { name: 'create inventory: total 0', method: 'POST', path: '/resource_providers/$RP/inventories', body: inv({ resource_class: 'MEMORY_MB', total: 0 }), status: 400, code: UNDEFINED },
  { name: 'create inventory: negative reserved', method: 'POST', path: '/resource_providers/$RP/inventories', body: inv({ resource_class: 'MEMORY_MB', total: 8, reserved: -1 }), status: 400, code: UNDEFINED },
  { name: 'create inventory: step_size 0', method: 'POST', path: '/resource_providers/$RP/inventories', body: inv({ resource_class: 'MEMORY_MB', total: 8, step_size: 0 }), status: 400, code: UNDEFINED },
  { name: 'create inventory: already there', method: 'POST', path: '/resource_providers/$RP/inventories', body: inv({ resource_class: 'VCPU', total: 8 }), status: 409, code: UNDEFINED },
  { name: 'create inventory: stale generation', method: 'POST', path: '/resource_providers/$RP/inventories', body: { resource_provider_generation: 99, resource_class: 'MEMORY_MB', total: 8 }, status: 409, code: CONCURRENT },
  { name: 'create inventory: missing provider', method: 'POST', path: '/resource_providers/$MISSING/inventories', body: inv({ resource_class: 'MEMORY_MB', total: 8 }), status: 404, code: UNDEFINED },
  { name: 'update inventory: malformed JSON', method: 'PUT', path: '/resource_providers/$RP/inventories/VCPU', body: MALFORMED, status: 400, code: UNDEFINED },
  { name: 'update inventory: body is a number', method: 'PUT', path: '/resource_providers/$RP/inventories/VCPU', body: '8', status: 400, code: UNDEFINED },
  { name: 'update inventory: no generation', method: 'PUT', path: '/resource_providers/$RP/inventories/VCPU', body: { total: 8 }, status: 400, code: UNDEFINED },
  { name: 'update inventory: stale generation', method: 'PUT', path: '/resource_providers/$RP/inventories/VCPU', body: { resource_provider_generation: 99, total: 9 }, status: 409, code: CONCURRENT },
  { name: 'update inventory: total 0', method: 'PUT', path: '/resource_providers/$RP/inventories/VCPU', body: inv({ total: 0 }), status: 400, code: UNDEFINED },
  { name: 'update inventory: total above max int', method: 'PUT', path: '/resource_providers/$RP/inventories/VCPU', body: inv({ total: MAX_INT + 1 }), status: 400, code: UNDEFINED },
  { name: 'update inventory: resource_class in body', method: 'PUT', path: '/resource_providers/$RP/inventories/VCPU', body: inv({ total: 8, resource_class: 'VCPU' }), status: 400, code: UNDEFINED },
  { name: 'update inventory: class not on provider', method: 'PUT', path: '/resource_providers/$RP/inventories/MEMORY_MB', body: inv({ total: 8 }), status: 400, code: UNDEFINED },
  { name: 'update inventory: unknown class', method: 'PUT', path: '/resource_providers/$RP/inventories/CUSTOM_NO_SUCH_CLASS', body: inv({ total: 8 }), status: 400, code: UNDEFINED },
  { name: 'show inventory: class not on provider', method: 'GET', path: '/resource_providers/$RP/inventories/MEMORY_MB', status: 404, code: UNDEFINED },
  { name: 'delete inventory: in use', method: 'DELETE', path: '/resource_providers/$RP/inventories/VCPU', status: 409, code: INUSE },
  { name: 'delete inventory: class not on provider', method: 'DELETE', path: '/resource_providers/$RP/inventories/MEMORY_MB', status: 404, code: UNDEFINED },

  // ---- aggregates ---------------------------------------------------------------
  { name: 'set aggregates: malformed JSON', method: 'PUT', path: '/resource_providers/$RP/aggregates', body: '{"bad", "not json"}', status: 400, code: UNDEFINED },
  { name: 'set aggregates: body is a string', method: 'PUT', path: '/resource_providers/$RP/aggregates', body: '"agg"', status: 400, code: UNDEFINED },
  { name: 'set aggregates: old list form at 1.19', method: 'PUT', path: '/resource_providers/$RP/aggregates', body: ['$MISSING'], status: 400, code: UNDEFINED },
  { name: 'set aggregates: no generation', method: 'PUT', path: '/resource_providers/$RP/aggregates', body: { aggregates: ['$MISSING'] }, status: 400, code: UNDEFINED },
  { name: 'set aggregates: bad uuid', method: 'PUT', path: '/resource_providers/$RP/aggregates', body: { aggregates: ['not-a-uuid'], resource_provider_generation: '$GEN' }, status: 400, code: UNDEFINED },
  { name: 'set aggregates: bad uuid (1.1)', method: 'PUT', path: '/resource_providers/$RP/aggregates', body: ['not-a-uuid'], version: '1.1', status: 400, code: UNDEFINED },
  { name: 'set aggregates: duplicates', method: 'PUT', path: '/resource_providers/$RP/aggregates', body: { aggregates: ['$MISSING', '$MISSING'], resource_provider_generation: '$GEN' }, status: 400, code: UNDEFINED },
  { name: 'set aggregates: stale generation', method: 'PUT', path: '/resource_providers/$RP/aggregates', body: { aggregates: ['$MISSING'], resource_provider_generation: 99 }, status: 409, code: CONCURRENT },
  { name: 'set aggregates: missing provider', method: 'PUT', path: '/resource_providers/$MISSING/aggregates', body: { aggregates: [], resource_provider_generation: 0 }, status: 404, code: UNDEFINED },

  // ---- traits on providers, traits ----------------------------------------------
  { name: 'set provider traits: malformed JSON', method: 'PUT', path: '/resource_providers/$RP/traits', body: MALFORMED, status: 400, code: UNDEFINED },
  { name: 'set provider traits: body is a list', method: 'PUT', path: '/resource_providers/$RP/traits', body: ['CUSTOM_BAD_INPUT'], status: 400, code: UNDEFINED },
  { name: 'set provider traits: traits is a string', method: 'PUT', path: '/resource_providers/$RP/traits', body: { traits: 'CUSTOM_BAD_INPUT', resource_provider_generation: '$GEN' }, status: 400, code: UNDEFINED },
  { name: 'set provider traits: no generation', method: 'PUT', path: '/resource_providers/$RP/traits', body: { traits: [] }, status: 400, code: UNDEFINED },
  { name: 'set provider traits: unknown trait', method: 'PUT', path: '/resource_providers/$RP/traits', body: { traits: ['CUSTOM_NO_SUCH_TRAIT'], resource_provider_generation: '$GEN' }, status: 400, code: UNDEFINED },
  { name: 'set provider traits: stale generation', method: 'PUT', path: '/resource_providers/$RP/traits', body: { traits: [], resource_provider_generation: 99 }, status: 409, code: CONCURRENT },
  { name: 'set provider traits: missing provider', method: 'PUT', path: '/resource_providers/$MISSING/traits', body: { traits: [], resource_provider_generation: 0 }, status: 404, code: UNDEFINED },
  { name: 'create trait: not CUSTOM_', method: 'PUT', path: '/traits/HW_NOT_CUSTOM', status: 400, code: UNDEFINED },
  { name: 'create trait: lower case', method: 'PUT', path: '/traits/CUSTOM_lower', status: 400, code: UNDEFINED },
  { name: 'delete trait: standard', method: 'DELETE', path: '/traits/HW_CPU_X86_AVX2', status: 400, code: UNDEFINED },
  { name: 'delete trait: unknown', method: 'DELETE', path: '/traits/CUSTOM_NO_SUCH_TRAIT', status: 404, code: UNDEFINED },
  { name: 'delete trait: in use', method: 'DELETE', path: '/traits/CUSTOM_BAD_INPUT', status: 409, code: UNDEFINED },

  // ---- resource classes ---------------------------------------------------------
  { name: 'create class: malformed JSON', method: 'POST', path: '/resource_classes', body: MALFORMED, status: 400, code: UNDEFINED },
  { name: 'create class: body is a list', method: 'POST', path: '/resource_classes', body: ['CUSTOM_X'], status: 400, code: UNDEFINED },
  { name: 'create class: no name', method: 'POST', path: '/resource_classes', body: {}, status: 400, code: UNDEFINED },
  { name: 'create class: name is a number', method: 'POST', path: '/resource_classes', body: { name: 5 }, status: 400, code: UNDEFINED },
  { name: 'create class: not CUSTOM_', method: 'POST', path: '/resource_classes', body: { name: 'GOLD' }, status: 400, code: UNDEFINED },
  { name: 'create class: lower case', method: 'POST', path: '/resource_classes', body: { name: 'CUSTOM_gold' }, status: 400, code: UNDEFINED },
  { name: 'create class: 256 chars', method: 'POST', path: '/resource_classes', body: { name: `CUSTOM_${'X'.repeat(249)}` }, status: 400, code: UNDEFINED },
  { name: 'create class: duplicate keys, last (bad) wins', method: 'POST', path: '/resource_classes', body: '{"name": "CUSTOM_DUP_OK", "name": "dup_bad"}', status: 400, code: UNDEFINED },
  { name: 'create class: exists', method: 'POST', path: '/resource_classes', body: { name: 'CUSTOM_BAD_RC' }, status: 409, code: UNDEFINED },
  { name: 'create class: standard exists', method: 'POST', path: '/resource_classes', body: { name: 'VCPU' }, status: 400, code: UNDEFINED },
  { name: 'update class (1.6): no content type', method: 'PUT', path: '/resource_classes/CUSTOM_BAD_RC', version: '1.6', status: 415 },
  { name: 'update class (1.6): empty body', method: 'PUT', path: '/resource_classes/CUSTOM_BAD_RC', body: '', version: '1.6', status: 400 },
  { name: 'update class (1.6): to a standard name', method: 'PUT', path: '/resource_classes/CUSTOM_BAD_RC', body: { name: 'VCPU' }, version: '1.6', status: 400 },
  { name: 'update class (1.6): malformed JSON', method: 'PUT', path: '/resource_classes/CUSTOM_BAD_RC', body: MALFORMED, version: '1.6', status: 400, code: UNDEFINED },
  { name: 'update class (1.6): standard', method: 'PUT', path: '/resource_classes/VCPU', body: { name: 'CUSTOM_VCPU' }, version: '1.6', status: 400, code: UNDEFINED },
  { name: 'create class (1.7): not CUSTOM_', method: 'PUT', path: '/resource_classes/GOLD', status: 400, code: UNDEFINED },
  { name: 'delete class: standard', method: 'DELETE', path: '/resource_classes/VCPU', status: 400, code: UNDEFINED },
  { name: 'delete class: unknown', method: 'DELETE', path: '/resource_classes/CUSTOM_NO_SUCH_CLASS', status: 404, code: UNDEFINED },
  { name: 'show class: unknown', method: 'GET', path: '/resource_classes/CUSTOM_NO_SUCH_CLASS', status: 404, code: UNDEFINED },

  // ---- allocations: PUT /allocations/{consumer} ---------------------------------
  { name: 'put allocations: malformed JSON', method: 'PUT', path: '/allocations/$NEW', body: MALFORMED, status: 400, code: UNDEFINED },
  { name: 'put allocations: body is a list', method: 'PUT', path: '/allocations/$NEW', body: [], status: 400, code: UNDEFINED },
  { name: 'put allocations: allocations is a list', method: 'PUT', path: '/allocations/$NEW', body: { ...alloc({}), allocations: [] }, status: 400, code: UNDEFINED },
  { name: 'put allocations: bad consumer uuid', method: 'PUT', path: '/allocations/not-a-uuid', body: alloc({ VCPU: 1 }), status: 400, code: UNDEFINED },
  { name: 'put allocations: bad provider uuid', method: 'PUT', path: '/allocations/$NEW', body: { ...alloc({}), allocations: { 'not-a-uuid': { resources: { VCPU: 1 } } } }, status: 400, code: UNDEFINED },
  { name: 'put allocations: missing provider', method: 'PUT', path: '/allocations/$NEW', body: { ...alloc({}), allocations: { $MISSING: { resources: { VCPU: 1 } } } }, status: 400, code: UNDEFINED },
  { name: 'put allocations: unknown resource class', method: 'PUT', path: '/allocations/$NEW', body: alloc({ CUSTOM_NO_SUCH_CLASS: 1 }), status: 400, code: UNDEFINED },
  { name: 'put allocations: class not on provider', method: 'PUT', path: '/allocations/$NEW', body: alloc({ MEMORY_MB: 1 }), status: 409, code: UNDEFINED },
  { name: 'put allocations: amount 0', method: 'PUT', path: '/allocations/$NEW', body: alloc({ VCPU: 0 }), status: 400, code: UNDEFINED },
  { name: 'put allocations: amount negative', method: 'PUT', path: '/allocations/$NEW', body: alloc({ VCPU: -1 }), status: 400, code: UNDEFINED },
  { name: 'put allocations: amount a string', method: 'PUT', path: '/allocations/$NEW', body: alloc({ VCPU: '1' }), status: 400, code: UNDEFINED },
  { name: 'put allocations: amount above max int', method: 'PUT', path: '/allocations/$NEW', body: alloc({ VCPU: MAX_INT + 1 }), status: 409, code: UNDEFINED },
  { name: 'put allocations: no resources', method: 'PUT', path: '/allocations/$NEW', body: alloc({}), status: 400, code: UNDEFINED },
  { name: 'put allocations: no consumer_generation', method: 'PUT', path: '/allocations/$NEW', body: { allocations: { $RP: { resources: { VCPU: 1 } } }, project_id: 'p1', user_id: 'u1', consumer_type: 'INSTANCE' }, status: 400, code: UNDEFINED },
  { name: 'put allocations: no project_id', method: 'PUT', path: '/allocations/$NEW', body: { allocations: { $RP: { resources: { VCPU: 1 } } }, user_id: 'u1', consumer_generation: null, consumer_type: 'INSTANCE' }, status: 400, code: UNDEFINED },
  { name: 'put allocations: project_id of 256 chars', method: 'PUT', path: '/allocations/$NEW', body: alloc({ VCPU: 1 }, { project_id: 'p'.repeat(256) }), status: 400, code: UNDEFINED },
  { name: 'put allocations: no consumer_type at 1.38', method: 'PUT', path: '/allocations/$NEW', body: { allocations: { $RP: { resources: { VCPU: 1 } } }, project_id: 'p1', user_id: 'u1', consumer_generation: null }, status: 400, code: UNDEFINED },
  { name: 'put allocations: lower-case consumer_type', method: 'PUT', path: '/allocations/$NEW', body: alloc({ VCPU: 1 }, { consumer_type: 'instance' }), status: 400, code: UNDEFINED },
  { name: 'put allocations: unknown field', method: 'PUT', path: '/allocations/$NEW', body: alloc({ VCPU: 1 }, { colour: 'red' }), status: 400, code: UNDEFINED },
  { name: 'put allocations: new consumer with a generation', method: 'PUT', path: '/allocations/$NEW', body: alloc({ VCPU: 1 }, { consumer_generation: 3 }), status: 409, code: CONCURRENT },
  { name: 'put allocations: existing consumer, null generation', method: 'PUT', path: '/allocations/$C1', body: alloc({ VCPU: 1 }), status: 409, code: CONCURRENT },
  { name: 'put allocations: existing consumer, stale generation', method: 'PUT', path: '/allocations/$C1', body: alloc({ VCPU: 1 }, { consumer_generation: 99 }), status: 409, code: CONCURRENT },
  { name: 'put allocations: over capacity', method: 'PUT', path: '/allocations/$NEW', body: alloc({ VCPU: 7 }), status: 409, code: UNDEFINED },
  { name: 'put allocations: over max_unit', method: 'PUT', path: '/allocations/$NEW', body: alloc({ DISK_GB: 51 }), status: 409, code: UNDEFINED },
  { name: 'put allocations: mappings before 1.34', method: 'PUT', path: '/allocations/$NEW', body: alloc({ VCPU: 1 }, { mappings: { a: ['$RP'] } }), version: '1.33', status: 400, code: UNDEFINED },
  { name: 'put allocations: mappings not a dict', method: 'PUT', path: '/allocations/$NEW', body: alloc({ VCPU: 1 }, { mappings: ['$RP'] }), status: 400, code: UNDEFINED },
  { name: 'delete allocations: unknown consumer', method: 'DELETE', path: '/allocations/$MISSING', status: 404, code: UNDEFINED },

  // ---- allocations: POST /allocations -------------------------------------------
  { name: 'post allocations: malformed JSON', method: 'POST', path: '/allocations', body: MALFORMED, status: 400, code: UNDEFINED },
  { name: 'post allocations: body is a list', method: 'POST', path: '/allocations', body: [], status: 400, code: UNDEFINED },
  { name: 'post allocations: bad consumer uuid', method: 'POST', path: '/allocations', body: { 'not-a-uuid': alloc({ VCPU: 1 }) }, status: 400, code: UNDEFINED },
  { name: 'post allocations: bad provider uuid', method: 'POST', path: '/allocations', body: postAlloc({ ...alloc({}), allocations: { 'not-a-uuid': { resources: { VCPU: 1 } } } }), status: 400, code: UNDEFINED },
  { name: 'post allocations: missing provider', method: 'POST', path: '/allocations', body: postAlloc({ ...alloc({}), allocations: { $MISSING: { resources: { VCPU: 1 } } } }), status: 400, code: UNDEFINED },
  { name: 'post allocations: unknown resource class', method: 'POST', path: '/allocations', body: postAlloc(alloc({ CUSTOM_NO_SUCH_CLASS: 1 })), status: 400, code: UNDEFINED },
  { name: 'post allocations: amount 0', method: 'POST', path: '/allocations', body: postAlloc(alloc({ VCPU: 0 })), status: 400, code: UNDEFINED },
  { name: 'post allocations: no project_id', method: 'POST', path: '/allocations', body: postAlloc({ allocations: { $RP: { resources: { VCPU: 1 } } }, user_id: 'u1', consumer_generation: null, consumer_type: 'INSTANCE' }), status: 400, code: UNDEFINED },
  { name: 'post allocations: stale consumer generation', method: 'POST', path: '/allocations', body: { $C1: alloc({ VCPU: 1 }, { consumer_generation: 99 }) }, status: 409, code: CONCURRENT },
  { name: 'post allocations: over capacity', method: 'POST', path: '/allocations', body: postAlloc(alloc({ VCPU: 7 })), status: 409, code: UNDEFINED },

  // ---- reshaper ----------------------------------------------------------------
  { name: 'reshape: malformed JSON', method: 'POST', path: '/reshaper', body: MALFORMED, status: 400, code: UNDEFINED },
  { name: 'reshape: body is a list', method: 'POST', path: '/reshaper', body: [], status: 400, code: UNDEFINED },
  { name: 'reshape: no allocations', method: 'POST', path: '/reshaper', body: { inventories: {} }, status: 400, code: UNDEFINED },
  { name: 'reshape: bad provider uuid', method: 'POST', path: '/reshaper', body: { inventories: { 'not-a-uuid': { resource_provider_generation: 0, inventories: {} } }, allocations: {} }, status: 400, code: UNDEFINED },
  { name: 'reshape: missing provider', method: 'POST', path: '/reshaper', body: { inventories: { $MISSING: { resource_provider_generation: 0, inventories: {} } }, allocations: {} }, status: 400, code: RP_NOT_FOUND },
  { name: 'reshape: stale generation', method: 'POST', path: '/reshaper', body: { inventories: { $RP: { resource_provider_generation: 99, inventories: { VCPU: { total: 8 } } } }, allocations: {} }, status: 409, code: CONCURRENT },
  { name: 'reshape: unknown resource class', method: 'POST', path: '/reshaper', body: { inventories: { $RP: { resource_provider_generation: '$GEN', inventories: { CUSTOM_NO_SUCH_CLASS: { total: 8 } } } }, allocations: {} }, status: 400, code: UNDEFINED },
  { name: 'reshape: total 0', method: 'POST', path: '/reshaper', body: { inventories: { $RP: { resource_provider_generation: '$GEN', inventories: { VCPU: { total: 0 } } } }, allocations: {} }, status: 400, code: UNDEFINED },
  { name: 'reshape: drops inventory in use', method: 'POST', path: '/reshaper', body: reshape({ inventories: { $RP: { resource_provider_generation: '$GEN', inventories: {} } } }), status: 409, code: INUSE },
  { name: 'reshape: allocation with bad consumer uuid', method: 'POST', path: '/reshaper', body: reshape({ allocations: { 'not-a-uuid': alloc({ VCPU: 1 }) } }), status: 400, code: UNDEFINED },
  { name: 'reshape: before 1.30', method: 'POST', path: '/reshaper', body: reshape({}), version: '1.29', status: 404, code: UNDEFINED },

  // ---- GET /resource_providers queries ------------------------------------------
  { name: 'providers: unknown parameter', method: 'GET', path: '/resource_providers?colour=red', status: 400, code: UNDEFINED },
  { name: 'providers: empty name is only a name', method: 'GET', path: '/resource_providers?name=', status: 200 },
  { name: 'providers: long name is only a name', method: 'GET', path: `/resource_providers?name=${'x'.repeat(201)}`, status: 200 },
  { name: 'providers: bad uuid', method: 'GET', path: '/resource_providers?uuid=not-a-uuid', status: 400, code: UNDEFINED },
  { name: 'providers: bad member_of', method: 'GET', path: '/resource_providers?member_of=not-a-uuid', status: 400, code: UNDEFINED },
  { name: 'providers: member_of without in:', method: 'GET', path: '/resource_providers?member_of=$AGG,$MISSING', status: 400, code: UNDEFINED },
  { name: 'providers: bad uuid in member_of in:', method: 'GET', path: '/resource_providers?member_of=in:$AGG,not-a-uuid', status: 400, code: UNDEFINED },
  { name: 'providers: empty member_of in:', method: 'GET', path: '/resource_providers?member_of=in:', status: 400, code: UNDEFINED },
  { name: 'providers: forbidden member_of before 1.32', method: 'GET', path: '/resource_providers?member_of=!$AGG', version: '1.31', status: 400, code: UNDEFINED },
  { name: 'providers: forbidden inside in:', method: 'GET', path: '/resource_providers?member_of=in:!$AGG', status: 400, code: UNDEFINED },
  { name: 'providers: repeated member_of before 1.24', method: 'GET', path: '/resource_providers?member_of=$AGG&member_of=$MISSING', version: '1.23', status: 400, code: UNDEFINED },
  { name: 'providers: member_of before 1.3', method: 'GET', path: '/resource_providers?member_of=$AGG', version: '1.2', status: 400, code: UNDEFINED },
  { name: 'providers: bad in_tree', method: 'GET', path: '/resource_providers?in_tree=not-a-uuid', status: 400, code: UNDEFINED },
  { name: 'providers: in_tree before 1.14', method: 'GET', path: '/resource_providers?in_tree=$RP', version: '1.13', status: 400, code: UNDEFINED },
  { name: 'providers: resources without amount', method: 'GET', path: '/resource_providers?resources=VCPU', status: 400, code: UNDEFINED },
  { name: 'providers: resources amount not a number', method: 'GET', path: '/resource_providers?resources=VCPU:x', status: 400, code: UNDEFINED },
  { name: 'providers: resources amount negative', method: 'GET', path: '/resource_providers?resources=VCPU:-1', status: 400, code: UNDEFINED },
  { name: 'providers: resources amount 0', method: 'GET', path: '/resource_providers?resources=VCPU:0', status: 400, code: UNDEFINED },
  { name: 'providers: unknown resource class', method: 'GET', path: '/resource_providers?resources=CUSTOM_NO_SUCH_CLASS:1', status: 400, code: UNDEFINED },
  { name: 'providers: repeated resource class, last wins', method: 'GET', path: '/resource_providers?resources=VCPU:1,VCPU:2', status: 200 },
  { name: 'providers: resources before 1.4', method: 'GET', path: '/resource_providers?resources=VCPU:1', version: '1.3', status: 400, code: UNDEFINED },
  { name: 'providers: unknown required trait', method: 'GET', path: '/resource_providers?required=CUSTOM_NO_SUCH_TRAIT', status: 400, code: UNDEFINED },
  { name: 'providers: empty required', method: 'GET', path: '/resource_providers?required=', status: 400, code: UNDEFINED },
  { name: 'providers: forbidden trait before 1.22', method: 'GET', path: '/resource_providers?required=!CUSTOM_BAD_INPUT', version: '1.21', status: 400, code: UNDEFINED },
  { name: 'providers: required before 1.18', method: 'GET', path: '/resource_providers?required=CUSTOM_BAD_INPUT', version: '1.17', status: 400, code: UNDEFINED },
  { name: 'providers: any-of before 1.39', method: 'GET', path: '/resource_providers?required=in:CUSTOM_BAD_INPUT,HW_CPU_X86_AVX2', version: '1.38', status: 400, code: UNDEFINED },
  { name: 'providers: any-of with a forbidden trait', method: 'GET', path: '/resource_providers?required=in:CUSTOM_BAD_INPUT,!HW_CPU_X86_AVX2', status: 400, code: UNDEFINED },
  { name: 'providers: empty any-of', method: 'GET', path: '/resource_providers?required=in:', status: 400, code: UNDEFINED },
  { name: 'providers: unknown trait in any-of', method: 'GET', path: '/resource_providers?required=in:CUSTOM_BAD_INPUT,CUSTOM_NO_SUCH_TRAIT', status: 400, code: UNDEFINED },

  // ---- GET /allocation_candidates queries ---------------------------------------
  { name: 'candidates: no resources', method: 'GET', path: '/allocation_candidates', status: 400, code: MISSING_VALUE },
  { name: 'candidates: unknown parameter', method: 'GET', path: '/allocation_candidates?resources=VCPU:1&colour=red', status: 400, code: UNDEFINED },
  { name: 'candidates: resources without amount', method: 'GET', path: '/allocation_candidates?resources=VCPU', status: 400, code: UNDEFINED },
  { name: 'candidates: resources amount 0', method: 'GET', path: '/allocation_candidates?resources=VCPU:0', status: 400, code: UNDEFINED },
  { name: 'candidates: unknown resource class', method: 'GET', path: '/allocation_candidates?resources=CUSTOM_NO_SUCH_CLASS:1', status: 400, code: UNDEFINED },
  { name: 'candidates: unknown required trait', method: 'GET', path: '/allocation_candidates?resources=VCPU:1&required=CUSTOM_NO_SUCH_TRAIT', status: 400, code: UNDEFINED },
  { name: 'candidates: required and forbidden conflict', method: 'GET', path: '/allocation_candidates?resources=VCPU:1&required=CUSTOM_BAD_INPUT,!CUSTOM_BAD_INPUT', status: 400, code: UNDEFINED },
  { name: 'candidates: any-of with a forbidden trait', method: 'GET', path: '/allocation_candidates?resources=VCPU:1&required=in:CUSTOM_BAD_INPUT,!HW_CPU_X86_AVX2', status: 400, code: UNDEFINED },
  { name: 'candidates: bad member_of', method: 'GET', path: '/allocation_candidates?resources=VCPU:1&member_of=not-a-uuid', status: 400, code: UNDEFINED },
  { name: 'candidates: bad member_of in:', method: 'GET', path: '/allocation_candidates?resources=VCPU:1&member_of=in:not-a-uuid', status: 400, code: UNDEFINED },
  { name: 'candidates: bad in_tree', method: 'GET', path: '/allocation_candidates?resources=VCPU:1&in_tree=not-a-uuid', status: 400, code: UNDEFINED },
  { name: 'candidates: bad group_policy', method: 'GET', path: '/allocation_candidates?resources1=VCPU:1&group_policy=sometimes', status: 400, code: UNDEFINED },
  { name: 'candidates: two groups, no group_policy', method: 'GET', path: '/allocation_candidates?resources1=VCPU:1&resources2=DISK_GB:1', status: 400, code: UNDEFINED },
  { name: 'candidates: limit 0', method: 'GET', path: '/allocation_candidates?resources=VCPU:1&limit=0', status: 400, code: UNDEFINED },
  { name: 'candidates: negative limit', method: 'GET', path: '/allocation_candidates?resources=VCPU:1&limit=-1', status: 400, code: UNDEFINED },
  { name: 'candidates: limit not a number', method: 'GET', path: '/allocation_candidates?resources=VCPU:1&limit=ten', status: 400, code: UNDEFINED },
  { name: 'candidates: huge limit is fine', method: 'GET', path: '/allocation_candidates?resources=VCPU:1&limit=99999999999999999999999999', status: 200 },
  { name: 'candidates: limit before 1.16', method: 'GET', path: '/allocation_candidates?resources=VCPU:1&limit=1', version: '1.15', status: 400, code: UNDEFINED },
  { name: 'candidates: same_subtree with unknown suffix', method: 'GET', path: '/allocation_candidates?resources_A=VCPU:1&same_subtree=_A,_B&group_policy=none', status: 400, code: BAD_VALUE },
  { name: 'candidates: same_subtree with empty suffix', method: 'GET', path: '/allocation_candidates?resources_A=VCPU:1&same_subtree=_A,,_A&group_policy=none', status: 400, code: BAD_VALUE },
  { name: 'candidates: same_subtree before 1.36', method: 'GET', path: '/allocation_candidates?resources_A=VCPU:1&same_subtree=_A&group_policy=none', version: '1.35', status: 400, code: UNDEFINED },
  { name: 'candidates: only resourceless groups', method: 'GET', path: '/allocation_candidates?required_A=CUSTOM_BAD_INPUT&same_subtree=_A&group_policy=none', status: 400, code: MISSING_VALUE },
  { name: 'candidates: resourceless group outside same_subtree', method: 'GET', path: '/allocation_candidates?resources_A=VCPU:1&required_B=CUSTOM_BAD_INPUT&group_policy=none', status: 400, code: BAD_VALUE },
  { name: 'candidates: root_required twice', method: 'GET', path: '/allocation_candidates?resources=VCPU:1&root_required=CUSTOM_BAD_INPUT&root_required=!HW_NUMA_ROOT', status: 400, code: DUPLICATE_KEY },
  { name: 'candidates: root_required conflict', method: 'GET', path: '/allocation_candidates?resources=VCPU:1&root_required=CUSTOM_BAD_INPUT,!CUSTOM_BAD_INPUT', status: 400, code: BAD_VALUE },
  { name: 'candidates: root_required unknown trait', method: 'GET', path: '/allocation_candidates?resources=VCPU:1&root_required=CUSTOM_NO_SUCH_TRAIT', status: 400, code: UNDEFINED },
  { name: 'candidates: root_required any-of', method: 'GET', path: '/allocation_candidates?resources=VCPU:1&root_required=in:CUSTOM_BAD_INPUT', status: 400, code: UNDEFINED },
  { name: 'candidates: root_required before 1.35', method: 'GET', path: '/allocation_candidates?resources=VCPU:1&root_required=CUSTOM_BAD_INPUT', version: '1.34', status: 400, code: UNDEFINED },
  { name: 'candidates: numbered resources without amount', method: 'GET', path: '/allocation_candidates?resources1=VCPU', status: 400, code: UNDEFINED },
  { name: 'candidates: numbered unknown class', method: 'GET', path: '/allocation_candidates?resources1=CUSTOM_NO_SUCH_CLASS:1', status: 400, code: UNDEFINED },
  { name: 'candidates: numbered required without resources', method: 'GET', path: '/allocation_candidates?resources=VCPU:1&required1=CUSTOM_BAD_INPUT', version: '1.35', status: 400, code: UNDEFINED },
  { name: 'candidates: numbered unknown trait', method: 'GET', path: '/allocation_candidates?resources1=VCPU:1&required1=CUSTOM_NO_SUCH_TRAIT', status: 400, code: UNDEFINED },
  { name: 'candidates: numbered bad member_of', method: 'GET', path: '/allocation_candidates?resources1=VCPU:1&member_of1=not-a-uuid', status: 400, code: UNDEFINED },
  { name: 'candidates: numbered member_of without resources', method: 'GET', path: '/allocation_candidates?resources=VCPU:1&member_of1=$AGG', version: '1.35', status: 400, code: UNDEFINED },
  { name: 'candidates: numbered bad in_tree', method: 'GET', path: '/allocation_candidates?resources1=VCPU:1&in_tree1=not-a-uuid', status: 400, code: UNDEFINED },
  { name: 'candidates: numbered groups before 1.25', method: 'GET', path: '/allocation_candidates?resources1=VCPU:1', version: '1.24', status: 400, code: UNDEFINED },
  { name: 'candidates: string suffix before 1.33', method: 'GET', path: '/allocation_candidates?resources_A=VCPU:1', version: '1.32', status: 400, code: UNDEFINED },
  { name: 'candidates: suffix of 65 chars', method: 'GET', path: `/allocation_candidates?resources_${'A'.repeat(64)}=VCPU:1`, status: 400, code: UNDEFINED },

  // ---- usages, traits, others ---------------------------------------------------
  { name: 'usages: no project_id', method: 'GET', path: '/usages', status: 400, code: UNDEFINED },
  { name: 'usages: empty project_id', method: 'GET', path: '/usages?project_id=', status: 400, code: UNDEFINED },
  { name: 'usages: project_id of 256 chars', method: 'GET', path: `/usages?project_id=${'p'.repeat(256)}`, status: 400, code: UNDEFINED },
  { name: 'usages: empty user_id', method: 'GET', path: '/usages?project_id=p1&user_id=', status: 400, code: UNDEFINED },
  { name: 'usages: user_id of 256 chars', method: 'GET', path: `/usages?project_id=p1&user_id=${'u'.repeat(256)}`, status: 400, code: UNDEFINED },
  { name: 'usages: consumer_type before 1.38', method: 'GET', path: '/usages?project_id=p1&consumer_type=INSTANCE', version: '1.37', status: 400, code: UNDEFINED },
  { name: 'usages: lower-case consumer_type', method: 'GET', path: '/usages?project_id=p1&consumer_type=instance', status: 400, code: UNDEFINED },
  { name: 'usages: unknown parameter', method: 'GET', path: '/usages?project_id=p1&colour=red', status: 400, code: UNDEFINED },
  { name: 'usages: before 1.9', method: 'GET', path: '/usages?project_id=p1', version: '1.8', status: 404, code: UNDEFINED },
  { name: 'provider usages: bad uuid in path', method: 'GET', path: '/resource_providers/not-a-uuid/usages', status: 404, code: UNDEFINED },
  { name: 'traits: name without in: or startswith:', method: 'GET', path: '/traits?name=CUSTOM_BAD_INPUT', status: 400, code: UNDEFINED },
  { name: 'traits: bad associated', method: 'GET', path: '/traits?associated=maybe', status: 400, code: UNDEFINED },
  { name: 'traits: unknown parameter', method: 'GET', path: '/traits?colour=red', status: 400, code: UNDEFINED },
  { name: 'provider traits: missing provider', method: 'GET', path: '/resource_providers/$MISSING/traits', status: 404, code: UNDEFINED },
  { name: 'provider allocations: bad uuid in path', method: 'GET', path: '/resource_providers/not-a-uuid/allocations', status: 404, code: UNDEFINED },
  { name: 'provider aggregates: missing provider', method: 'GET', path: '/resource_providers/$MISSING/aggregates', status: 404, code: UNDEFINED },
]

/** Writes upstream accepts though they look wrong; run on $RP2 only. */
// biome-ignore format: one row a line reads best as a table
const accepted: Row[] = [
  { name: 'inventory: min_unit above max_unit', method: 'PUT', path: '/resource_providers/$RP2/inventories', body: { resource_provider_generation: '$GEN2', inventories: { VCPU: { total: 8, min_unit: 4, max_unit: 2 } } }, status: 200 },
  { name: 'inventory: allocation_ratio 0 from 1.26', method: 'PUT', path: '/resource_providers/$RP2/inventories', body: { resource_provider_generation: '$GEN2', inventories: { VCPU: { total: 8, allocation_ratio: 0 } } }, status: 200 },
  { name: 'inventory: reserved equal to total from 1.26', method: 'PUT', path: '/resource_providers/$RP2/inventories', body: { resource_provider_generation: '$GEN2', inventories: { VCPU: { total: 8, reserved: 8 } } }, status: 200 },
  { name: 'update provider: duplicate keys, last wins', method: 'PUT', path: '/resource_providers/$RP2', body: '{"name": 7, "name": "bad-input-rp2-renamed"}', status: 200 },
]

const WRITES = new Set(['PUT', 'POST', 'DELETE', 'PATCH'])

describe('placement: bad input', () => {
  let tdb: TestDatabase
  let inst: Instance
  const ids: Record<string, string> = {}

  const generation = async (uuid: string) =>
    (await inst.call('GET', `/resource_providers/${uuid}`)).body.generation as number

  /** Every visible row a write could touch. */
  async function snapshot(): Promise<unknown> {
    const get = async (path: string) => {
      const r = await inst.call('GET', path)
      assert.equal(r.status, 200, `${path}: ${r.raw.body}`)
      return r.body
    }
    const rp = ids.RP
    return {
      providers: await get('/resource_providers'),
      inventories: await get(`/resource_providers/${rp}/inventories`),
      traits: await get(`/resource_providers/${rp}/traits`),
      aggregates: await get(`/resource_providers/${rp}/aggregates`),
      allocations: await get(`/resource_providers/${rp}/allocations`),
      usages: await get(`/resource_providers/${rp}/usages`),
      consumer: await get(`/allocations/${ids.C1}`),
      projectUsages: await get('/usages?project_id=p1'),
      classes: await get('/resource_classes'),
      allTraits: await get('/traits'),
    }
  }

  async function substitute(text: string): Promise<string> {
    const values: Record<string, string> = {
      ...ids,
      NEW: randomUUID(),
      GEN: String(await generation(ids.RP!)),
      GEN2: String(await generation(ids.RP2!)),
      CGEN: String((await inst.call('GET', `/allocations/${ids.C1}`)).body.consumer_generation),
    }
    return text
      .replace(/"\$(GEN2|GEN|CGEN)"/g, (_, k: string) => values[k]!)
      .replace(/\$(RP2|RP|AGG|C1|MISSING|NEW)/g, (_, k: string) => values[k]!)
  }

  async function send(row: Row): Promise<Reply> {
    const path = await substitute(row.path)
    const payload =
      row.body === undefined
        ? undefined
        : await substitute(typeof row.body === 'string' ? row.body : JSON.stringify(row.body))
    const raw = await inst.app.inject({
      method: row.method,
      url: `/placement${path}`,
      headers: {
        ...ADMIN,
        // The reshaper is for the service role only (secure RBAC default).
        ...(path.startsWith('/reshaper') ? { 'x-roles': 'admin,service' } : {}),
        'openstack-api-version': `placement ${row.version ?? '1.39'}`,
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      },
      payload,
    })
    let body: Record<string, unknown> = {}
    if (raw.headers['content-type']?.toString().startsWith('application/json') && raw.body)
      body = JSON.parse(raw.body) as Record<string, unknown>
    return { status: raw.statusCode, body, raw }
  }

  before(async () => {
    tdb = await createTestDatabase('sqlite')
    inst = await startInstance(tdb.connection)
    const ok = (r: Reply, status: number) => assert.equal(r.status, status, r.raw.body)
    ok(await inst.call('PUT', '/traits/CUSTOM_BAD_INPUT'), 201)
    ok(await inst.call('POST', '/resource_classes', { name: 'CUSTOM_BAD_RC' }), 201)
    ids.RP = await providerWith(
      inst,
      { VCPU: { total: 8, max_unit: 8 }, DISK_GB: { total: 100, max_unit: 50 } },
      { name: 'bad-input-rp' },
    )
    ids.RP2 = await providerWith(inst, {}, { name: 'bad-input-rp2' })
    ids.AGG = randomUUID()
    ids.MISSING = randomUUID()
    ids.C1 = randomUUID()
    ok(
      await inst.call('PUT', `/resource_providers/${ids.RP}/traits`, {
        traits: ['CUSTOM_BAD_INPUT'],
        resource_provider_generation: await generation(ids.RP),
      }),
      200,
    )
    ok(
      await inst.call('PUT', `/resource_providers/${ids.RP}/aggregates`, {
        aggregates: [ids.AGG],
        resource_provider_generation: await generation(ids.RP),
      }),
      200,
    )
    ok(await inst.call('PUT', `/allocations/${ids.C1}`, claimBody(ids.RP, { VCPU: 2, DISK_GB: 10 })), 204)
  })

  after(async () => {
    await inst.close()
    await tdb.drop()
  })

  for (const row of rows) {
    it(`${row.method} ${row.name} -> ${row.status}${row.code ? ` ${row.code}` : ''}`, async () => {
      const write = WRITES.has(row.method)
      const state = write ? await snapshot() : undefined
      const r = await send(row)
      assert.equal(r.status, row.status, `status: ${r.raw.body}`)
      // Error bodies carry a code from 1.23 on only.
      const [major, minor] = (row.version ?? '1.39').split('.').map(Number) as [number, number]
      const code =
        major === 1 && minor < 23 ? undefined : (row.code ?? (row.status >= 400 ? UNDEFINED : undefined))
      if (row.status >= 400) assert.equal(errorCode(r), code, `code: ${r.raw.body}`)
      if (row.status >= 400) {
        const errors = r.body.errors as { status: number; title: string; detail: string }[] | undefined
        assert.ok(errors?.length === 1, `API-WG error body: ${r.raw.body}`)
        assert.equal(errors[0]!.status, row.status)
      }
      if (write) assert.deepEqual(await snapshot(), state, 'a refused write changed nothing')
    })
  }

  for (const row of accepted) {
    it(`${row.method} accepted like upstream: ${row.name} -> ${row.status}`, async () => {
      const r = await send(row)
      assert.equal(r.status, row.status, r.raw.body)
    })
  }
})
