/**
 * Parsers for placement's query-string mini-languages: `resources=VCPU:1,DISK_GB:10`,
 * `required=A,!B,in:C,D`, `member_of=in:a,b` / `!in:...`. They check names against the
 * state and throw the 400s upstream throws.
 */
import { PlacementBadRequest, QueryBadValue } from '../errors.js'
import { isUuidLike } from '../schemas/validate.js'
import type { PlacementState } from './model.js'

export interface TraitFilter {
  /** Each inner set is an any-of; all sets must match. */
  required: Set<string>[]
  forbidden: Set<string>
}

export interface AggregateFilter {
  /** Each inner list is an any-of; all lists must match. */
  memberOf: string[][]
  forbidden: Set<string>
}

export function parseResources(value: string, state: PlacementState, strictRc = true): Map<string, number> {
  const out = new Map<string, number>()
  const bad = (got: string) =>
    new PlacementBadRequest(
      `Badly formed resources parameter. Expected resources query string parameter in form: ?resources=VCPU:2,MEMORY_MB:1024. Got: ${got}.`,
    )
  if (value.trim() === '') throw bad('empty string')
  for (const part of value.split(',')) {
    const [rc, amount, ...rest] = part.split(':')
    if (rc === undefined || amount === undefined || rest.length) throw bad(part)
    if (!/^-?\d+$/.test(amount.trim())) {
      throw new PlacementBadRequest(
        `Requested resource ${rc} expected positive integer amount. Got: ${amount}.`,
      )
    }
    const n = Number(amount)
    if (n < 1) throw new PlacementBadRequest(`Requested resource ${rc} requires amount >= 1. Got: ${amount}.`)
    if (strictRc && !state.resourceClasses.has(rc)) {
      throw new PlacementBadRequest(
        `Invalid resource class in resources parameter: No such resource class ${rc}.`,
      )
    }
    out.set(rc, n)
  }
  return out
}

/** Parses one or more `required` values (each may be `A,!B` or, from 1.39, `in:A,B`). */
export function parseRequired(
  values: string[],
  state: PlacementState,
  opts: { allowForbidden: boolean; allowAnyOf: boolean; param?: string; resolve?: boolean },
): TraitFilter {
  const param = opts.param ?? 'required'
  const required: Set<string>[] = []
  const forbidden = new Set<string>()
  const unknown: string[] = []
  const example = opts.allowForbidden ? 'HW_CPU_X86_VMX,!CUSTOM_MAGIC' : 'HW_CPU_X86_VMX,CUSTOM_MAGIC'
  for (const value of values) {
    if (value.startsWith('in:')) {
      if (!opts.allowAnyOf) {
        throw new PlacementBadRequest(
          `The format 'in:HW_CPU_X86_VMX,CUSTOM_MAGIC' only supported since microversion 1.39. Got: ${value}`,
        )
      }
      const names = value.slice(3).split(',')
      if (names.some((n) => n === '' || n.startsWith('!'))) {
        throw new PlacementBadRequest(
          `Invalid query string parameters: Expected '${param}' parameter value of the form: in:HW_CPU_X86_VMX,CUSTOM_MAGIC. Got: ${value}`,
        )
      }
      for (const n of names) if (!state.traits.has(n)) unknown.push(n)
      required.push(new Set(names))
      continue
    }
    const names = value.split(',')
    if (names.some((n) => n === '' || n === '!')) {
      throw new PlacementBadRequest(
        `Invalid query string parameters: Expected '${param}' parameter value of the form: ${example}. Got: ${value === '' ? 'empty string' : value}`,
      )
    }
    for (const raw of names) {
      const neg = raw.startsWith('!')
      if (neg && !opts.allowForbidden) {
        throw new PlacementBadRequest(
          `Invalid query string parameters: Expected '${param}' parameter value of the form: ${example}. Got: ${value}`,
        )
      }
      const name = neg ? raw.slice(1) : raw
      if (!state.traits.has(name)) unknown.push(name)
      if (neg) forbidden.add(name)
      else required.push(new Set([name]))
    }
  }
  if (unknown.length && opts.resolve !== false)
    throw new PlacementBadRequest(`No such trait(s): ${unknown.join(', ')}.`)
  return { required, forbidden }
}

/** Parses `member_of` values. `allowForbidden` from 1.32. */
export function parseMemberOf(
  values: string[],
  allowForbidden: boolean,
  param = 'member_of',
): AggregateFilter {
  const memberOf: string[][] = []
  const forbidden = new Set<string>()
  for (const value of values) {
    let v = value
    let neg = false
    if (v.startsWith('!')) {
      if (!allowForbidden) {
        throw new PlacementBadRequest(
          'Forbidden member_of parameters are not supported in the specified microversion',
        )
      }
      neg = true
      v = v.slice(1)
    }
    let anyOf = false
    if (v.startsWith('in:')) {
      anyOf = true
      v = v.slice(3)
    }
    const uuids = v.split(',')
    if (v === '' || uuids.some((u) => !isUuidLike(u))) {
      throw new QueryBadValue(
        `Invalid query string parameters: Expected '${param}' parameter to contain valid UUID(s). Got: ${value}`,
      )
    }
    if (neg) {
      if (uuids.some((u) => u.startsWith('!')) || (!anyOf && uuids.length > 1)) {
        throw new QueryBadValue(
          `Invalid query string parameters: Forbidden aggregates must be specified as a single uuid or with the "in:" prefix. Got: ${value}`,
        )
      }
      for (const u of uuids) forbidden.add(u)
    } else {
      if (!anyOf && uuids.length > 1) {
        throw new QueryBadValue(
          `Invalid query string parameters: Expected '${param}' parameter to contain valid UUID(s). Got: ${value}`,
        )
      }
      memberOf.push(uuids)
    }
  }
  return { memberOf, forbidden }
}

export function traitsMatch(traits: ReadonlySet<string>, f: TraitFilter): boolean {
  for (const t of f.forbidden) if (traits.has(t)) return false
  for (const any of f.required) {
    let hit = false
    for (const t of any) if (traits.has(t)) hit = true
    if (!hit) return false
  }
  return true
}

/** The first trait a filter names that does not exist (upstream resolves them in order). */
export function unknownTrait(f: TraitFilter, state: PlacementState): string | undefined {
  for (const any of f.required) for (const t of any) if (!state.traits.has(t)) return t
  for (const t of f.forbidden) if (!state.traits.has(t)) return t
  return undefined
}
