/**
 * Parsers for placement's query-string mini-languages: `resources=VCPU:1,DISK_GB:10`,
 * `required=A,!B,in:C,D`, `member_of=in:a,b` / `!in:...`. They check names against the
 * state and throw the 400s upstream throws.
 */
import { PlacementBadRequest } from '../errors.js'
import { isUuidLike } from '../schemas/validation.js'
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

/**
 * Parses one or more `required` values (each `A,!B` or, from 1.39, `in:A,B`) as
 * upstream does: names are trimmed, any run of leading `!` marks a forbidden trait, and
 * the messages always name the parameter `required`. With `resolve` (the default)
 * unknown trait names are a 400 at once.
 */
export function parseRequired(
  values: string[],
  state: PlacementState,
  opts: { allowForbidden: boolean; allowAnyOf: boolean; param?: string; resolve?: boolean },
): TraitFilter {
  const required: Set<string>[] = []
  const forbidden = new Set<string>()
  const prefix = 'Invalid query string parameters:'
  for (const value of values) {
    if (value.startsWith('in:')) {
      if (!opts.allowAnyOf) {
        throw new PlacementBadRequest(
          `${prefix} The format 'in:HW_CPU_X86_VMX,CUSTOM_MAGIC' only supported since microversion 1.39. Got: ${value}`,
        )
      }
      const names = new Set(
        value
          .slice(3)
          .split(',')
          .map((n) => n.trim()),
      )
      if ([...names].some((n) => n === '')) {
        throw new PlacementBadRequest(
          `${prefix} Expected 'required' parameter value of the form: in:HW_CPU_X86_VMX,CUSTOM_MAGIC. Got an empty trait in: ${value}`,
        )
      }
      if ([...names].some((n) => n.startsWith('!'))) {
        throw new PlacementBadRequest(
          `${prefix} The format 'in:HW_CPU_X86_VMX,CUSTOM_MAGIC' does not support forbidden traits. Got: ${value}`,
        )
      }
      required.push(names)
      continue
    }
    const names = value.split(',').map((n) => n.trim())
    const neg = names.filter((n) => n.startsWith('!')).map((n) => n.replace(/^!+/, ''))
    if ([...neg, ...names].some((n) => n === '')) {
      const form = opts.allowForbidden ? 'HW_CPU_X86_VMX,!CUSTOM_MAGIC' : 'HW_CPU_X86_VMX,CUSTOM_MAGIC'
      throw new PlacementBadRequest(
        `${prefix} Expected 'required' parameter value of the form: ${form}. Got an empty trait in: ${value}`,
      )
    }
    if (neg.length && !opts.allowForbidden) {
      throw new PlacementBadRequest(
        `${prefix} Expected 'required' parameter value of the form: HW_CPU_X86_VMX,CUSTOM_MAGIC. Got: ${value}`,
      )
    }
    for (const n of names) if (!n.startsWith('!')) required.push(new Set([n]))
    for (const n of neg) forbidden.add(n)
  }
  const f = { required, forbidden }
  if (opts.resolve !== false) {
    const unknown = [...new Set([...required.flatMap((x) => [...x]), ...forbidden])].filter(
      (n) => !state.traits.has(n),
    )
    if (unknown.length) throw new PlacementBadRequest(`No such trait(s): ${unknown.join(', ')}.`)
  }
  return f
}

/**
 * Parses `member_of` values as upstream: a uuid, `!uuid`, `in:a,b` or `!in:a,b`
 * (forbidden forms from 1.32). `suffix` is the request group's, for the messages.
 */
export function parseMemberOf(values: string[], allowForbidden: boolean, suffix = ''): AggregateFilter {
  const memberOf: string[][] = []
  const forbidden = new Set<string>()
  for (const value of values) {
    if (value.includes(',') && !value.startsWith('in:') && !value.startsWith('!in:')) {
      throw new PlacementBadRequest(
        `Multiple values for 'member_of' must be prefixed with the 'in:' or '!in:' keyword using the valid microversion. Got: ${value}`,
      )
    }
    let required: string[] = []
    let neg: string[] = []
    if (value.startsWith('!in:')) neg = value.slice(4).split(',')
    else if (value.startsWith('!')) neg = [value.slice(1)]
    else if (value.startsWith('in:')) required = value.slice(3).split(',')
    else required = [value]
    for (const u of [...required, ...neg]) {
      if (!isUuidLike(u)) {
        throw new PlacementBadRequest(
          `Invalid query string parameters: Expected 'member_of' parameter to contain valid UUID(s). Got: ${u}`,
        )
      }
    }
    if (required.length) memberOf.push([...new Set(required)])
    if (neg.length) {
      if (!allowForbidden) {
        throw new PlacementBadRequest(
          `Forbidden member_of${suffix} parameters are not supported in the specified microversion`,
        )
      }
      for (const u of neg) forbidden.add(u)
    }
  }
  return { memberOf, forbidden }
}

export function traitsMatch(traits: ReadonlySet<string>, f: TraitFilter): boolean {
  // Called per provider per query: no iterator unless the filter names something.
  if (f.forbidden.size) for (const t of f.forbidden) if (traits.has(t)) return false
  for (let i = 0; i < f.required.length; i++) {
    let hit = false
    for (const t of f.required[i]!) if (traits.has(t)) hit = true
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

/**
 * A uuid in any form upstream accepts (braces, no dashes, `urn:uuid:`, upper case) as
 * the canonical lower-case dashed string; anything else is returned unchanged.
 */
export function normalizeUuid(u: string): string {
  const hex = u
    .replace(/[{}-]/g, '')
    .replace(/^urn:uuid:/, '')
    .toLowerCase()
  if (!/^[0-9a-f]{32}$/.test(hex)) return u
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

export interface TraitListFilter {
  /** `name=in:A,B` */
  names?: Set<string>
  /** `name=startswith:CUSTOM_` */
  prefix?: string
  /** `associated=true|false`: only traits some provider has (or none has). */
  associated?: boolean
}

/** Parses GET /traits' `name` and `associated` parameters, with upstream's 400s. */
export function parseTraitListFilter(q: { name?: string; associated?: string }): TraitListFilter {
  const f: TraitListFilter = {}
  if (q.name !== undefined) {
    if (q.name.startsWith('in:')) f.names = new Set(q.name.slice(3).split(','))
    else if (q.name.startsWith('startswith:')) f.prefix = q.name.slice('startswith:'.length)
    else {
      throw new PlacementBadRequest(
        `Badly formatted name parameter. Expected name query string parameter in form: ?name=[in|startswith]:[name1,name2|prefix]. Got: "${q.name}"`,
      )
    }
  }
  if (q.associated !== undefined) {
    if (q.associated !== 'true' && q.associated !== 'false') {
      throw new PlacementBadRequest('The query parameter "associated" only accepts "true" or "false"')
    }
    f.associated = q.associated === 'true'
  }
  return f
}
