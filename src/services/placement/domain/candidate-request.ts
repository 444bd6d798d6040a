/**
 * The allocation candidates query string (GET /allocation_candidates) turned into a
 * CandidateRequest, with upstream's checks and messages, per microversion. No HTTP here:
 * it takes the parsed query and the request's version.
 */
import type { Version } from '../../../kernel/microversion/index.js'
import { PlacementBadRequest, QueryBadValue } from '../errors.js'
import { isUuidLike } from '../schemas/validation.js'
import type { CandidateRequest, RequestGroup } from './candidates.js'
import type { PlacementState } from './model.js'
import {
  normalizeUuid,
  parseMemberOf,
  parseRequired,
  parseResources,
  type TraitFilter,
  traitsMatch,
  unknownTrait,
} from './query.js'

const GROUP_KEY = /^(resources|required|member_of|in_tree)([1-9][0-9]*)?$/
const GROUP_KEY_1_33 = /^(resources|required|member_of|in_tree)([a-zA-Z0-9_-]{1,64})?$/

/** Python's repr of a list of strings, as upstream's messages print them. */
const pyList = (xs: string[]) => `[${xs.map((x) => `'${x}'`).join(', ')}]`

/**
 * Turns the query string into a candidate request in upstream's order: request-wide
 * parameters, then each group's syntax, then the structural rules (orphans, same_subtree,
 * conflicting traits, group_policy), and only then names against the state. `empty`
 * means the request is valid but can match nothing (upstream answers 200 with no
 * candidates, e.g. for an unknown in_tree provider).
 */
export function parseCandidateRequest(
  s: PlacementState,
  query: Readonly<Record<string, string | string[]>>,
  v: Version,
): { creq: CandidateRequest; empty: boolean } {
  const all = (k: string): string[] => {
    const x = query[k]
    return x === undefined ? [] : Array.isArray(x) ? x : [x]
  }
  // --- request-wide parameters
  const limitValues = all('limit')
  const limit = limitValues.length ? Number(limitValues[0]) : undefined
  const policy = all('group_policy')[0]
  let rootRequired: TraitFilter | undefined
  const rootValues = v.gte('1.35') ? all('root_required') : []
  if (rootValues.length > 1) {
    throw new PlacementBadRequest(
      "Query parameter 'root_required' may be specified only once.",
      'placement.query.duplicate_key',
    )
  }
  if (rootValues.length) {
    rootRequired = parseRequired(rootValues, s, {
      allowForbidden: true,
      allowAnyOf: false,
      param: 'root_required',
      resolve: false,
    })
    const conflicts = rootRequired.required
      .map((x) => [...x][0]!)
      .filter((t) => rootRequired!.forbidden.has(t))
    if (conflicts.length) {
      throw new QueryBadValue(
        `Conflicting required and forbidden traits found in root_required: ${[...new Set(conflicts)].join(', ')}`,
      )
    }
  }
  const sameSubtree: string[][] = []
  if (v.gte('1.36')) {
    for (const value of all('same_subtree')) {
      const suffixes = [...new Set(value.split(',').map((x) => x.trim()))]
      if (suffixes.includes('')) {
        throw new QueryBadValue('Empty string (unsuffixed group) can not be specified in `same_subtree` ')
      }
      sameSubtree.push(suffixes)
    }
  }
  // --- groups, syntax only
  const groups = new Map<string, RequestGroup>()
  const inTreeUuid = new Map<string, string>()
  const group = (suffix: string): RequestGroup => {
    let g = groups.get(suffix)
    if (!g) {
      g = {
        suffix,
        resources: new Map(),
        traits: { required: [], forbidden: new Set() },
        aggregates: { memberOf: [], forbidden: new Set() },
        inTree: undefined,
        sameProvider: suffix !== '',
      }
      groups.set(suffix, g)
    }
    return g
  }
  const keyPattern = v.gte('1.33') ? GROUP_KEY_1_33 : GROUP_KEY
  for (const key of Object.keys(query)) {
    const m = keyPattern.exec(key)
    if (!m) continue
    const kind = m[1]!
    const suffix = m[2] ?? ''
    const values = all(key)
    const g = group(suffix)
    if (kind === 'resources') {
      g.resources = parseResources(values[values.length - 1]!, s, false)
    } else if (kind === 'required') {
      const f = parseRequired(v.gte('1.39') ? values : [values[values.length - 1]!], s, {
        allowForbidden: v.gte('1.22'),
        allowAnyOf: v.gte('1.39'),
        param: key,
        resolve: false,
      })
      g.traits = f
    } else if (kind === 'member_of') {
      if (values.length > 1 && !v.gte('1.24'))
        throw new PlacementBadRequest(`Multiple member_of${suffix} parameters are not supported`)
      const f = parseMemberOf(values, v.gte('1.32'), suffix)
      g.aggregates = f
    } else if (kind === 'in_tree') {
      const t = values[values.length - 1]!
      if (!isUuidLike(t)) {
        throw new PlacementBadRequest(
          `Invalid query string parameters: Expected 'in_tree' parameter to be a format of uuid. Got: ${t}`,
        )
      }
      inTreeUuid.set(suffix, normalizeUuid(t))
    }
  }
  // --- structure
  const list = [...groups.values()]
  const resourceless = list.filter((g) => g.resources.size === 0).map((g) => g.suffix)
  if (v.gte('1.36')) {
    if (resourceless.length === list.length) {
      throw new PlacementBadRequest(
        'There must be at least one resources or resources[$S] parameter.',
        'placement.query.missing_value',
      )
    }
    const inSubtree = new Set(sameSubtree.flat())
    const bad = resourceless.filter((sfx) => !inSubtree.has(sfx))
    if (bad.length) {
      throw new QueryBadValue(
        `Resourceless suffixed group request should be specified in \`same_subtree\` query param: bad group(s) - ${pyList(bad)}.`,
      )
    }
    const notFound = [...inSubtree].filter((sfx) => !groups.has(sfx))
    if (notFound.length) {
      throw new QueryBadValue(
        `Real suffixes should be specified in \`same_subtree\`: ${pyList(notFound)} not found in ${pyList([...groups.keys()])}.`,
      )
    }
  } else {
    const orphanTraits = list
      .filter((g) => g.traits.required.length && g.resources.size === 0)
      .map((g) => `required${g.suffix}`)
    if (orphanTraits.length) {
      throw new PlacementBadRequest(
        `All traits parameters must be associated with resources.  Found the following orphaned traits keys: ${orphanTraits.join(', ')}`,
      )
    }
    const orphanAggs = list
      .filter(
        (g) =>
          g.resources.size === 0 && (g.aggregates.memberOf.length > 0 || g.aggregates.forbidden.size > 0),
      )
      .map((g) => `member_of${g.suffix}`)
    if (orphanAggs.length) {
      throw new PlacementBadRequest(
        `All member_of parameters must be associated with resources. Found the following orphaned member_of keys: ${orphanAggs.join(', ')}`,
      )
    }
    if (resourceless.length) throw new PlacementBadRequest('All request groups must specify resources.')
    if (list.length === 0) {
      throw new PlacementBadRequest(
        'At least one request group (`resources` or `resources{$S}`) is required.',
      )
    }
  }
  if (v.gte('1.22')) {
    const conflicts: string[] = []
    for (const g of list) {
      for (const any of g.traits.required) {
        if ([...any].every((t) => g.traits.forbidden.has(t)))
          conflicts.push(`required${g.suffix}: (${[...any].sort().join(', ')})`)
      }
    }
    if (conflicts.length) {
      throw new PlacementBadRequest(
        `Conflicting required and forbidden traits found in the following traits keys: ${conflicts.sort().join(', ')}`,
      )
    }
  }
  if (policy === undefined && list.filter((g) => g.sameProvider).length > 1) {
    throw new PlacementBadRequest(
      'The "group_policy" parameter is required when specifying more than one "resources{N}" parameter.',
    )
  }
  // --- names against the state, in upstream's order: anchor traits, then each group's
  // resource classes, traits and in_tree.
  let empty = false
  const missingTrait = (f: TraitFilter) => {
    const t = unknownTrait(f, s)
    if (t !== undefined) throw new PlacementBadRequest(`No such trait(s): ${t}.`)
  }
  if (rootRequired) {
    missingTrait(rootRequired)
    if (!s.roots.some((r) => traitsMatch(r.traits, rootRequired!))) empty = true
  }
  for (const g of empty ? [] : list) {
    for (const rc of g.resources.keys()) {
      if (!s.resourceClasses.has(rc))
        throw new PlacementBadRequest(
          `Invalid resource class in resources parameter: No such resource class ${rc}.`,
        )
    }
    missingTrait(g.traits)
    const t = inTreeUuid.get(g.suffix)
    if (t !== undefined) {
      g.inTree = s.byUuid.get(t)
      if (!g.inTree) {
        empty = true
        break
      }
    }
  }
  return {
    creq: {
      groups: list,
      isolate: policy === 'isolate',
      limit,
      rootRequired,
      sameSubtree,
      nestedAware: v.gte('1.29'),
    },
    empty,
  }
}
