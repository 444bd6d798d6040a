/**
 * /traits, /traits/{name} and /resource_providers/{uuid}/traits (all 1.6).
 */
import { parseTraitListFilter } from '../domain/query.js'
import { listTraits as findTraits } from '../domain/traits.js'
import { PlacementBadRequest } from '../errors.js'
import { cacheHeaders, newest, validateQuery } from '../http-support.js'
import * as S from '../schemas/bodies.js'
import { validate } from '../schemas/validation.js'
import { type Handler, input, params } from './handler.js'
import { providerTraitsView } from './views.js'

const TRAIT_NAME = { type: 'string', minLength: 1, maxLength: 255, pattern: S.CUSTOM_PATTERN } as const

export const listTraits: Handler = async (req, reply, d) => {
  const f = parseTraitListFilter(validateQuery(req, S.LIST_TRAITS_QUERY))
  const list = findTraits(await d.pl.state(), f)
  cacheHeaders(req, reply, newest(...list.map((t) => t.createdAt)))
  return { traits: list.map((t) => t.name).sort() }
}

export const showTrait: Handler = async (req, reply, d) => {
  const t = await d.pl.trait(params(req).name)
  cacheHeaders(req, reply, t.updatedAt ?? t.createdAt)
  return reply.code(204).send()
}

export const createTrait: Handler = async (req, reply, d) => {
  const name = params(req).name
  if (validate(name, TRAIT_NAME)) {
    throw new PlacementBadRequest(
      'The trait is invalid. A valid trait must be no longer than 255 characters, start with the prefix "CUSTOM_" and use following characters: "A"-"Z", "0"-"9" and "_"',
    )
  }
  const created = await d.pl.traits.create(name)
  const t = (await d.pl.state()).traits.get(name)
  reply.header('location', `${d.prefix}/traits/${name}`)
  cacheHeaders(req, reply, t?.updatedAt ?? t?.createdAt)
  return reply.code(created ? 201 : 204).send()
}

export const deleteTrait: Handler = async (req, reply, d) => {
  await d.pl.traits.delete(params(req).name)
  return reply.code(204).send()
}

export const listProviderTraits: Handler = async (req, reply, d) => {
  const p = await d.pl.provider(params(req).uuid)
  cacheHeaders(req, reply, undefined)
  return providerTraitsView(p)
}

export const setProviderTraits: Handler = async (req, reply, d) => {
  const b = input<{ traits: string[]; resource_provider_generation: number }>(req)
  const p = await d.pl.traits.setOnProvider(params(req).uuid, b.traits, b.resource_provider_generation)
  cacheHeaders(req, reply, undefined)
  return providerTraitsView(p)
}

export const deleteProviderTraits: Handler = async (req, reply, d) => {
  await d.pl.traits.deleteFromProvider(params(req).uuid)
  return reply.code(204).send()
}
