import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { createTestDatabase } from '../../../kernel/db/testing.js'
import { claimBody, providerWith, startInstance } from '../test/harness.js'

describe('GET /resource_providers/{uuid}/allocations', () => {
  it("shows each consumer's generation from 1.28, not before", async () => {
    const tdb = await createTestDatabase('sqlite')
    const inst = await startInstance(tdb.connection)
    try {
      const rp = await providerWith(inst, { VCPU: { total: 8 } })
      const consumer = randomUUID()
      assert.equal(
        (await inst.call('PUT', `/allocations/${consumer}`, claimBody(rp, { VCPU: 2 }))).status,
        204,
      )
      const first = (await inst.call('GET', `/allocations/${consumer}`)).body.consumer_generation as number
      const again = { ...claimBody(rp, { VCPU: 3 }), consumer_generation: first }
      assert.equal((await inst.call('PUT', `/allocations/${consumer}`, again)).status, 204)
      const generation = (await inst.call('GET', `/allocations/${consumer}`)).body
        .consumer_generation as number
      assert.equal(generation, first + 1)

      const now = await inst.call('GET', `/resource_providers/${rp}/allocations`, undefined, '1.28')
      const entry = (
        now.body.allocations as Record<string, { resources: unknown; consumer_generation?: number }>
      )[consumer]
      assert.deepEqual(entry, { resources: { VCPU: 3 }, consumer_generation: generation })
      const before = await inst.call('GET', `/resource_providers/${rp}/allocations`, undefined, '1.27')
      assert.deepEqual((before.body.allocations as Record<string, unknown>)[consumer], {
        resources: { VCPU: 3 },
      })
    } finally {
      await inst.close()
      await tdb.drop()
    }
  })
})
