/**
 * POST /reshaper (1.30): inventories and allocations moved in one transaction.
 */
import type { InventoryInput } from '../domain/inventories.js'
import { type AllocationBody, allocationInput } from './allocations.js'
import { type Handler, input } from './handler.js'

interface ReshapeBody {
  inventories: Record<
    string,
    { resource_provider_generation: number; inventories: Record<string, InventoryInput> }
  >
  allocations: Record<string, AllocationBody>
}

export const reshape: Handler = async (req, reply, d) => {
  const b = input<ReshapeBody>(req)
  await d.pl.allocations.set(
    Object.entries(b.allocations).map(([uuid, e]) => allocationInput(uuid, e, req.version)),
    {
      reshape: Object.entries(b.inventories).map(([uuid, e]) => ({
        uuid,
        generation: e.resource_provider_generation,
        inventories: e.inventories,
      })),
    },
  )
  return reply.code(204).send()
}
