/**
 * The Enforcer: a service's named policy rules (its defaults in code, overridden by the
 * operator's policy file), compiled once at boot and checked on every request.
 *
 * It follows oslo.policy's Enforcer: `enforce_scope` rejects tokens whose scope the rule
 * does not list in its scope types; with `enforce_new_defaults` off, a rule that replaced
 * an older default still lets through whoever the older rule allowed; an operator's
 * override wins over both.
 */
import { readFileSync } from 'node:fs'
import { load } from 'js-yaml'
import { Forbidden } from '../errors/index.js'
import {
  type Credentials,
  compile,
  type Evaluator,
  parseRule,
  type Residual,
  type RuleNode,
  residualOf,
  type Target,
} from './rule.js'

/** The scope of a token: what it was issued for. */
export type Scope = 'system' | 'domain' | 'project'

/** A rule as a service declares it in code (oslo.policy's `RuleDefault`/`DocumentedRuleDefault`). */
export interface RuleDefault {
  /** The rule name, spelled as upstream (`identity:get_user`, `placement:traits:list`). */
  name: string
  /** The default check string. */
  checkStr: string
  description?: string
  /** The token scopes the rule accepts; enforced only with `enforceScope`. */
  scopeTypes?: readonly Scope[]
  /**
   * The older rule; with enforce_new_defaults=false, a request passes if the new OR the
   * deprecated rule passes (as oslo.policy).
   */
  deprecatedRule?: { checkStr: string; reason?: string }
  /** The API calls the rule guards, for documentation. */
  operations?: readonly { method: string; path: string }[]
}

export interface EnforcerOptions {
  /**
   * `[oslo_policy] enforce_scope`: reject a token whose scope is not among the rule's
   * scope types.
   */
  enforceScope: boolean
  /**
   * `[oslo_policy] enforce_new_defaults`: when false, rules with a deprecated default
   * also accept what the deprecated check string accepts.
   */
  enforceNewDefaults: boolean
  /**
   * `[oslo_policy] policy_file`: YAML or JSON mapping rule names to check strings. It
   * overrides defaults and may add new rules. A file that does not exist is skipped, as
   * upstream (the option has a default path that usually holds nothing).
   */
  policyFile?: string
  /**
   * The 403 message for a denied rule; each service has its own upstream wording.
   * @default (rule) => `You are not authorized to perform the requested action: ${rule}.` (Keystone's)
   */
  forbiddenMessage?: (rule: string) => string
}

/** Which scope a set of credentials carries; undefined for an unscoped token. */
export function scopeOf(creds: Credentials): Scope | undefined {
  if (creds.system_scope === 'all') return 'system'
  if (creds.domain_id && !creds.project_id) return 'domain'
  if (creds.project_id) return 'project'
  return undefined
}

interface CompiledRule {
  readonly text: string
  readonly scopes: ReadonlySet<Scope> | undefined
  readonly node: RuleNode
  readonly evaluate: Evaluator
}

const keystoneMessage = (rule: string): string =>
  `You are not authorized to perform the requested action: ${rule}.`

/**
 * Checks requests against a service's policy rules.
 *
 * @example
 * const enforcer = new Enforcer(placementPolicies, { enforceScope: true, enforceNewDefaults: true })
 * enforcer.authorize('placement:resource_providers:list', {}, ctx.creds)
 */
export class Enforcer {
  private readonly rules = new Map<string, CompiledRule>()
  private readonly enforceScope: boolean
  private readonly forbiddenMessage: (rule: string) => string

  /**
   * Parses and compiles every rule once. Throws on a rule that does not parse, a
   * `rule:` reference to a rule that does not exist, a cycle of `rule:` references, a
   * duplicate default, or a malformed policy file, so mistakes surface at boot.
   */
  constructor(defaults: readonly RuleDefault[], options: EnforcerOptions) {
    this.enforceScope = options.enforceScope
    this.forbiddenMessage = options.forbiddenMessage ?? keystoneMessage

    const overrides =
      options.policyFile === undefined ? new Map<string, string>() : readPolicyFile(options.policyFile)
    const sources = new Map<
      string,
      { text: string; node: RuleNode; scopes: ReadonlySet<Scope> | undefined }
    >()
    const parse = (name: string, text: string): RuleNode => {
      try {
        return parseRule(text)
      } catch (e) {
        throw new Error(`policy rule "${name}": ${(e as Error).message}`, { cause: e })
      }
    }

    for (const d of defaults) {
      if (sources.has(d.name)) throw new Error(`policy rule "${d.name}" is registered twice`)
      const scopes = d.scopeTypes && new Set(d.scopeTypes)
      const override = overrides.get(d.name)
      const old = d.deprecatedRule
      if (override !== undefined) {
        // NOTE: an operator's override replaces the default outright; the deprecated rule
        // no longer applies (oslo.policy does the same).
        sources.set(d.name, { text: override, node: parse(d.name, override), scopes })
      } else if (old && !options.enforceNewDefaults && old.checkStr !== d.checkStr) {
        const node: RuleNode = {
          kind: 'or',
          operands: [parse(d.name, d.checkStr), parse(d.name, old.checkStr)],
        }
        sources.set(d.name, { text: `(${d.checkStr}) or (${old.checkStr})`, node, scopes })
      } else {
        sources.set(d.name, { text: d.checkStr, node: parse(d.name, d.checkStr), scopes })
      }
    }
    for (const [name, text] of overrides) {
      if (!sources.has(name)) sources.set(name, { text, node: parse(name, text), scopes: undefined })
    }

    // Compile depth-first so each `rule:` reference binds to an already compiled closure;
    // the stack of rules being compiled finds cycles.
    const compiled = new Map<string, Evaluator>()
    const compiling: string[] = []
    const build = (name: string): Evaluator => {
      const done = compiled.get(name)
      if (done) return done
      if (compiling.includes(name)) {
        const cycle = [...compiling.slice(compiling.indexOf(name)), name].join(' -> ')
        throw new Error(`policy rule "${name}" refers to itself through rule: checks: ${cycle}`)
      }
      compiling.push(name)
      const evaluate = compile(sources.get(name)!.node, (ref) => {
        if (!sources.has(ref)) throw new Error(`policy rule "${name}" refers to unknown rule "${ref}"`)
        return build(ref)
      })
      compiling.pop()
      compiled.set(name, evaluate)
      return evaluate
    }
    for (const [name, src] of sources) {
      this.rules.set(name, { text: src.text, scopes: src.scopes, node: src.node, evaluate: build(name) })
    }
  }

  /**
   * Whether the credentials pass the rule for this target. With `enforceScope`, a token
   * whose scope is not among the rule's scope types fails too, so `check` is false
   * exactly when `authorize` would throw. An unknown rule name is a programming error
   * and throws.
   */
  check(rule: string, target: Target, creds: Credentials): boolean {
    const r = this.get(rule)
    return this.scopeAllowed(r, creds) && r.evaluate(target, creds)
  }

  /**
   * Throws Forbidden (403) unless the credentials pass the rule. A token of the wrong
   * scope under `enforceScope` is also Forbidden: oslo.policy raises InvalidScope, which
   * the services turn into the same 403.
   *
   * @param message replaces the service's usual 403 message for this call.
   */
  authorize(rule: string, target: Target, creds: Credentials, message?: string): void {
    if (!this.check(rule, target, creds)) throw new Forbidden(message ?? this.forbiddenMessage(rule))
  }

  /**
   * What the rule still asks of the target once these credentials are known (see
   * `Residual`): `always` or `never` when the target does not matter. Follows the
   * effective rule (an operator's override, the deprecated alternative) and the scope
   * check, so `holds(residual(r, c), t)` is `check(r, t, c)`.
   */
  residual(rule: string, creds: Credentials): Residual {
    const r = this.get(rule)
    if (!this.scopeAllowed(r, creds)) return { kind: 'never' }
    const done = new Map<string, Residual>()
    const resolve = (name: string): Residual => {
      let v = done.get(name)
      if (!v) {
        v = residualOf(this.get(name).node, creds, resolve)
        done.set(name, v)
      }
      return v
    }
    return residualOf(r.node, creds, resolve)
  }

  /** The effective check string of a rule (after overrides), for docs and `policy list`. */
  ruleString(name: string): string {
    return this.get(name).text
  }

  /** Every rule name: the defaults in registration order, then the policy file's additions. */
  ruleNames(): string[] {
    return [...this.rules.keys()]
  }

  private get(rule: string): CompiledRule {
    const r = this.rules.get(rule)
    if (!r) throw new Error(`unknown policy rule "${rule}"`)
    return r
  }

  private scopeAllowed(r: CompiledRule, creds: Credentials): boolean {
    if (!this.enforceScope || r.scopes === undefined) return true
    // NOTE: as oslo.policy does, a token that is neither system- nor domain-scoped counts
    // as project scope here, so an unscoped token may still validate or revoke itself.
    return r.scopes.has(scopeOf(creds) ?? 'project')
  }
}

/**
 * Reads an operator's policy file: a YAML (or JSON, which YAML reads too) mapping of
 * rule name to check string. Missing file: no overrides.
 */
function readPolicyFile(path: string): Map<string, string> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map()
    throw e
  }
  const doc = load(text, { filename: path })
  const rules = new Map<string, string>()
  if (doc === undefined || doc === null) return rules
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new Error(`policy file ${path} must map rule names to check strings`)
  }
  for (const [name, value] of Object.entries(doc)) {
    if (typeof value === 'string') rules.set(name, value)
    else if (Array.isArray(value)) rules.set(name, fromListSyntax(path, name, value))
    else
      throw new Error(
        `policy file ${path}: rule "${name}" must be a check string, not ${JSON.stringify(value)}`,
      )
  }
  return rules
}

/**
 * The legacy JSON list form, still accepted by oslo.policy: a list of alternatives, each
 * a list of checks that must all pass. `[["role:admin"], ["role:a", "role:b"]]` is
 * `role:admin or (role:a and role:b)`; an empty list always passes.
 */
function fromListSyntax(path: string, name: string, value: unknown[]): string {
  if (value.length === 0) return ''
  const alternatives: string[] = []
  for (const alt of value) {
    const checks = typeof alt === 'string' ? [alt] : alt
    if (!Array.isArray(checks) || !checks.every((c) => typeof c === 'string')) {
      throw new Error(
        `policy file ${path}: rule "${name}" is neither a check string nor a list of lists of checks`,
      )
    }
    if (checks.length === 0) continue
    // NOTE: each entry is a single check upstream; an empty one denies, as there.
    const parts = checks.map((c) => (c === '' ? '!' : `(${c})`))
    alternatives.push(parts.length === 1 ? parts[0]! : `(${parts.join(' and ')})`)
  }
  return alternatives.length === 0 ? '!' : alternatives.join(' or ')
}
