/**
 * /resource_providers/{uuid}/aggregates (1.1; with generations from 1.19).
 */
import { normalizeUuid } from '../domain/query.js'
import { cacheHeaders, validBody } from '../http-support.js'
import * as S from '../schemas/bodies.js'
import { type Handler, params } from './handler.js'
import { aggregatesView } from './views.js'

export const listAggregates: Handler = async (req, reply, d) => {
  const p = await d.pl.provider(params(req).uuid)
  cacheHeaders(req, reply, undefined)
  return aggregatesView(p, req.version)
}

export const setAggregates: Handler = async (req, reply, d) => {
  const uuid = params(req).uuid
  await d.pl.provider(uuid) // NOTE: a 404 comes before the body is looked at (upstream).
  const b = req.version.gte('1.19')
    ? validBody<{ aggregates: string[]; resource_provider_generation: number }>(req, S.PUT_AGGREGATES_1_19)
    : { aggregates: validBody<string[]>(req, S.PUT_AGGREGATES_1_1), resource_provider_generation: undefined }
  const p = await d.pl.aggregates.set(uuid, b.aggregates.map(normalizeUuid), b.resource_provider_generation)
  cacheHeaders(req, reply, undefined)
  return aggregatesView(p, req.version)
}
