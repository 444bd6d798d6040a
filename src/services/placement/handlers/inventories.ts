/**
 * /resource_providers/{uuid}/inventories and .../inventories/{resource_class}.
 */

import type { InventoryInput } from '../domain/inventories.js'
import type { Inventory } from '../domain/model.js'
import { PlacementNotFound } from '../errors.js'
import { cacheHeaders, newest } from '../http-support.js'
import { type Handler, input, params, providerUrl } from './handler.js'
import { inventoriesView, providerInventoryView } from './views.js'

const lastModifiedOf = (i: Inventory) => i.updatedAt ?? i.createdAt

export const listInventories: Handler = async (req, reply, d) => {
  const p = await d.pl.provider(params(req).uuid)
  cacheHeaders(req, reply, newest(...[...p.inventories.values()].map(lastModifiedOf)))
  return inventoriesView(p)
}

export const createInventory: Handler = async (req, reply, d) => {
  const b = input<InventoryInput & { resource_class: string; resource_provider_generation?: number }>(req)
  const rc = b.resource_class
  const p = await d.pl.inventories.create(params(req).uuid, rc, b, req.version.gte('1.26'))
  reply.header('location', `${providerUrl(d, p.uuid)}/inventories/${rc}`)
  const i = p.inventories.get(rc)!
  cacheHeaders(req, reply, lastModifiedOf(i))
  return reply.code(201).send(providerInventoryView(p, i))
}

export const setInventories: Handler = async (req, reply, d) => {
  const b = input<{ resource_provider_generation: number; inventories: Record<string, InventoryInput> }>(req)
  const p = await d.pl.inventories.set(
    params(req).uuid,
    b.resource_provider_generation,
    b.inventories,
    req.version.gte('1.26'),
  )
  cacheHeaders(req, reply, undefined)
  return inventoriesView(p)
}

export const deleteInventories: Handler = async (req, reply, d) => {
  await d.pl.inventories.deleteAll(params(req).uuid)
  return reply.code(204).send()
}

export const showInventory: Handler = async (req, reply, d) => {
  const { uuid, resource_class: rc } = params(req)
  const p = await d.pl.provider(uuid)
  const i = p.inventories.get(rc)
  if (!i) throw new PlacementNotFound(`No inventory of class ${rc} for ${uuid}`)
  cacheHeaders(req, reply, lastModifiedOf(i))
  return providerInventoryView(p, i)
}

export const updateInventory: Handler = async (req, reply, d) => {
  const b = input<InventoryInput & { resource_provider_generation: number }>(req)
  const { uuid, resource_class: rc } = params(req)
  const p = await d.pl.inventories.update(uuid, rc, b, req.version.gte('1.26'))
  const i = p.inventories.get(rc)!
  cacheHeaders(req, reply, lastModifiedOf(i))
  return providerInventoryView(p, i)
}

export const deleteInventory: Handler = async (req, reply, d) => {
  const { uuid, resource_class: rc } = params(req)
  await d.pl.inventories.delete(uuid, rc)
  return reply.code(204).send()
}
