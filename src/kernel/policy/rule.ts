/**
 * The oslo.policy rule language: check strings parsed into a small AST, then compiled
 * into closures that run on every API request.
 *
 * A check string is built from checks joined by `and`, `or`, `not` and parentheses
 * (precedence: not > and > or):
 *
 * - `@` or the empty string: always passes; `!`: never passes.
 * - `role:<name>`: the credentials hold that role (case-insensitive).
 * - `rule:<name>`: another named rule passes.
 * - `<credential>:<value>`: a generic check; the left side is a (dotted) credential
 *   attribute such as `project_id` or `system_scope`, or a literal (`'member'`, `True`);
 *   the right side is a literal or a target substitution such as `%(project_id)s` or
 *   `%(target.user.domain_id)s`. Both sides compare as Python strings, so `True` matches
 *   a boolean `true`.
 * - `http:` / `https:` checks parse, but we never call out to a remote server: they fail.
 *
 * Nothing here knows about named rule sets or scopes; that is the Enforcer's job.
 */

/** What a rule checks against: oslo.policy's "creds". */
export interface Credentials {
  user_id?: string
  user_domain_id?: string
  project_id?: string
  project_domain_id?: string
  /** Set for domain-scoped tokens. */
  domain_id?: string
  /** `'all'` for system-scoped tokens. */
  system_scope?: string
  /** Role names, lowercase. */
  roles: readonly string[]
  is_admin_project?: boolean
  [key: string]: unknown
}

/** The object a request acts on; `%(key)s` substitutions read from it. */
export type Target = Record<string, unknown>

/** A compiled rule: true when the request may proceed. */
export type Evaluator = (target: Target, creds: Credentials) => boolean

/**
 * Literal text with `%(key)s` target substitutions, in order. `['all']` is the literal
 * `all`; `[{ target: 'project_id' }]` is `%(project_id)s`.
 */
export type Template = readonly (string | { readonly target: string })[]

/** The parsed form of a check string. `and` and `or` are n-ary (they flatten). */
export type RuleNode =
  | { readonly kind: 'always' }
  | { readonly kind: 'never' }
  | { readonly kind: 'role'; readonly role: Template }
  | { readonly kind: 'rule'; readonly name: string }
  | { readonly kind: 'http'; readonly url: string }
  | {
      readonly kind: 'generic'
      /** A credential attribute path (`project_id`, `token.user.id`) or a literal. */
      readonly left: { readonly credential: string } | { readonly literal: string }
      readonly right: Template
    }
  | { readonly kind: 'not'; readonly operand: RuleNode }
  | { readonly kind: 'and'; readonly operands: readonly RuleNode[] }
  | { readonly kind: 'or'; readonly operands: readonly RuleNode[] }

/** A check string that does not parse. */
export class RuleSyntaxError extends Error {
  constructor(
    readonly text: string,
    reason: string,
  ) {
    super(`invalid policy check string ${JSON.stringify(text)}: ${reason}`)
    this.name = 'RuleSyntaxError'
  }
}

// ---------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------

type Token = '(' | ')' | 'and' | 'or' | 'not' | { readonly check: string }

/**
 * Parses an oslo.policy check string. Throws RuleSyntaxError when it does not parse.
 *
 * @example
 * parseRule('role:admin or (role:reader and system_scope:all)')
 */
export function parseRule(text: string): RuleNode {
  // NOTE: as oslo.policy, only the empty string means "always"; whitespace alone is an
  // error rather than a silent grant.
  if (text === '') return ALWAYS
  const tokens = tokenize(text)
  let pos = 0

  const fail = (reason: string): never => {
    throw new RuleSyntaxError(text, reason)
  }
  const describe = (t: Token | undefined): string =>
    t === undefined ? 'end of rule' : typeof t === 'string' ? `'${t}'` : `'${t.check}'`

  const parseOr = (): RuleNode => {
    const operands = [parseAnd()]
    while (tokens[pos] === 'or') {
      pos++
      operands.push(parseAnd())
    }
    return join('or', operands)
  }
  const parseAnd = (): RuleNode => {
    const operands = [parseNot()]
    while (tokens[pos] === 'and') {
      pos++
      operands.push(parseNot())
    }
    return join('and', operands)
  }
  const parseNot = (): RuleNode => {
    if (tokens[pos] === 'not') {
      pos++
      return { kind: 'not', operand: parseNot() }
    }
    const t = tokens[pos++]
    if (t === '(') {
      const inner = parseOr()
      if (tokens[pos] !== ')') fail(`expected ')' but found ${describe(tokens[pos])}`)
      pos++
      return inner
    }
    if (t !== undefined && typeof t !== 'string') return parseCheck(text, t.check)
    return fail(`expected a check but found ${describe(t)}`)
  }

  const node = parseOr()
  if (pos < tokens.length) fail(`unexpected ${describe(tokens[pos])}`)
  return node
}

const ALWAYS: RuleNode = { kind: 'always' }
const NEVER: RuleNode = { kind: 'never' }

function join(kind: 'and' | 'or', operands: RuleNode[]): RuleNode {
  if (operands.length === 1) return operands[0]!
  // `a and (b and c)` is `a and b and c`: keep the tree flat.
  const flat = operands.flatMap((n) => (n.kind === kind ? n.operands : [n]))
  return { kind, operands: flat }
}

/**
 * Splits on whitespace, then peels leading `(` and trailing `)` off each word, as
 * oslo.policy does. Keywords are case-insensitive.
 *
 * NOTE: unlike oslo.policy we keep a quoted literal (`'a b'`) in one word even when it
 * holds spaces; upstream would split it and fail to parse, so nothing that worked breaks.
 */
function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  for (const word of splitWords(text)) {
    let start = 0
    let end = word.length
    while (start < end && word[start] === '(') {
      tokens.push('(')
      start++
    }
    let closers = 0
    while (end > start && word[end - 1] === ')') {
      closers++
      end--
    }
    if (end > start) {
      const core = word.slice(start, end)
      const lowered = core.toLowerCase()
      tokens.push(lowered === 'and' || lowered === 'or' || lowered === 'not' ? lowered : { check: core })
    }
    for (let i = 0; i < closers; i++) tokens.push(')')
  }
  return tokens
}

function splitWords(text: string): string[] {
  const words: string[] = []
  let word = ''
  let quote: string | undefined
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (quote !== undefined) {
      word += ch
      if (ch === quote) quote = undefined
    } else if (/\s/.test(ch)) {
      if (word) words.push(word)
      word = ''
    } else {
      // A quote opens a literal only where a value can start: at the start of a word,
      // after an opening parenthesis, or right after the `:` of a check.
      const prev = word[word.length - 1]
      if ((ch === "'" || ch === '"') && (prev === undefined || prev === '(' || prev === ':')) quote = ch
      word += ch
    }
  }
  if (quote !== undefined) throw new RuleSyntaxError(text, `unterminated ${quote} quote`)
  if (word) words.push(word)
  return words
}

/** Parses one check (`role:admin`, `rule:x`, `project_id:%(project_id)s`, `@`, `!`). */
function parseCheck(text: string, check: string): RuleNode {
  if (check === '@') return ALWAYS
  if (check === '!') return NEVER
  const fail = (reason: string): never => {
    throw new RuleSyntaxError(text, reason)
  }

  // The left side may itself be a quoted literal holding a colon: `'a:b':%(x)s`.
  let colon: number
  if (isQuote(check[0])) {
    colon = check.indexOf(check[0]!, 1) + 1
    if (check[colon] !== ':') fail(`expected ':' after the quoted literal in '${check}'`)
  } else {
    colon = check.indexOf(':')
  }
  if (colon <= 0) return fail(`'${check}' is not a check (expected kind:value)`)
  const kind = check.slice(0, colon)
  const value = check.slice(colon + 1)

  switch (kind) {
    case 'rule':
      if (!value) fail(`'${check}' names no rule`)
      return { kind: 'rule', name: value }
    case 'role':
      if (!value) fail(`'${check}' names no role`)
      return { kind: 'role', role: parseTemplate(text, value) }
    case 'http':
    case 'https':
      return { kind: 'http', url: check }
    default:
      return { kind: 'generic', left: parseLeft(kind), right: parseTemplate(text, value) }
  }
}

function isQuote(ch: string | undefined): boolean {
  return ch === "'" || ch === '"'
}

function unquote(text: string): string | undefined {
  return text.length >= 2 && isQuote(text[0]) && text[text.length - 1] === text[0]
    ? text.slice(1, -1)
    : undefined
}

/**
 * The left side of a generic check. oslo.policy first tries it as a Python literal
 * (`'member'`, `True`, `42`) and only then as a credential attribute path.
 */
function parseLeft(kind: string): { credential: string } | { literal: string } {
  const quoted = unquote(kind)
  if (quoted !== undefined) return { literal: quoted }
  if (kind === 'True' || kind === 'False' || kind === 'None') return { literal: kind }
  if (/^[+-]?\d+$/.test(kind)) return { literal: String(Number.parseInt(kind, 10)) }
  return { credential: kind }
}

/**
 * The right side: `%(key)s` substitutions and `%%` escapes in literal text (Python's
 * `%` formatting with a dict). A fully quoted value is a plain literal.
 *
 * NOTE: oslo.policy keeps the quotes of a quoted right side in the compared string, so
 * `name:'x'` could never match there; we drop them, which is what the writer meant.
 */
function parseTemplate(text: string, value: string): Template {
  const quoted = unquote(value)
  if (quoted !== undefined) return [quoted]
  const parts: (string | { target: string })[] = []
  let literal = ''
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!
    if (ch !== '%') {
      literal += ch
      continue
    }
    if (value[i + 1] === '%') {
      literal += '%'
      i++
      continue
    }
    const close = value.indexOf(')', i)
    if (value[i + 1] !== '(' || close < 0 || value[close + 1] !== 's' || close === i + 2) {
      throw new RuleSyntaxError(text, `bad substitution in '${value}' (expected %(key)s)`)
    }
    if (literal) parts.push(literal)
    literal = ''
    parts.push({ target: value.slice(i + 2, close) })
    i = close + 1
  }
  if (literal || parts.length === 0) parts.push(literal)
  return parts
}

/**
 * Renders a parsed rule back to a check string, fully parenthesised so the grouping
 * is visible: `a or b and c` becomes `(a or (b and c))`.
 */
export function formatRule(node: RuleNode): string {
  switch (node.kind) {
    case 'always':
      return '@'
    case 'never':
      return '!'
    case 'role':
      return `role:${formatTemplate(node.role)}`
    case 'rule':
      return `rule:${node.name}`
    case 'http':
      return node.url
    case 'generic': {
      const left = 'credential' in node.left ? node.left.credential : `'${node.left.literal}'`
      return `${left}:${formatTemplate(node.right)}`
    }
    case 'not':
      return `not ${formatRule(node.operand)}`
    case 'and':
    case 'or':
      return `(${node.operands.map(formatRule).join(` ${node.kind} `)})`
  }
}

function formatTemplate(t: Template): string {
  if (t.every((p) => typeof p === 'string')) {
    const text = t.join('')
    return text === '' || /[\s()%'"]/.test(text) ? `'${text}'` : text
  }
  return t.map((p) => (typeof p === 'string' ? p.replaceAll('%', '%%') : `%(${p.target})s`)).join('')
}

// ---------------------------------------------------------------------------------------
// Compiling
// ---------------------------------------------------------------------------------------

/**
 * Finds the compiled evaluator of a named rule for `rule:<name>` checks. The Enforcer
 * compiles rules in dependency order, so references bind straight to closures.
 */
export type RuleResolver = (name: string) => Evaluator | undefined

/**
 * Compiles a parsed rule into a closure. `rule:` references are bound now, through
 * `resolve`; an unknown name throws.
 */
export function compile(node: RuleNode, resolve: RuleResolver = () => undefined): Evaluator {
  switch (node.kind) {
    case 'always':
      return () => true
    case 'never':
    case 'http':
      // NOTE: an http check would POST the request to a remote server on every call;
      // we do not support that, and an unsupported check must deny.
      return () => false
    case 'rule': {
      const ref = resolve(node.name)
      if (!ref) throw new Error(`policy rule refers to unknown rule "${node.name}"`)
      return ref
    }
    case 'role':
      return compileRole(node.role)
    case 'generic':
      return compileGeneric(node.left, node.right)
    case 'not': {
      const inner = compile(node.operand, resolve)
      return (t, c) => !inner(t, c)
    }
    case 'and':
    case 'or': {
      const fs = node.operands.map((n) => compile(n, resolve))
      if (fs.length === 2) {
        const [a, b] = fs as [Evaluator, Evaluator]
        return node.kind === 'and' ? (t, c) => a(t, c) && b(t, c) : (t, c) => a(t, c) || b(t, c)
      }
      return node.kind === 'and' ? (t, c) => fs.every((f) => f(t, c)) : (t, c) => fs.some((f) => f(t, c))
    }
  }
}

/** Renders a template against a target; undefined when a substitution is missing. */
type Render = (target: Target) => string | undefined

function compileTemplate(t: Template): Render | string {
  if (t.every((p) => typeof p === 'string')) return t.join('')
  const parts = t.map((p) => (typeof p === 'string' ? p : targetGetter(p.target)))
  if (parts.length === 1 && typeof parts[0] !== 'string') return parts[0]!
  return (target) => {
    let out = ''
    for (const p of parts) {
      if (typeof p === 'string') out += p
      else {
        const v = p(target)
        if (v === undefined) return undefined
        out += v
      }
    }
    return out
  }
}

/**
 * A reader for `%(a.b.c)s`. oslo.policy formats against a flat dict, so Keystone
 * flattens its target into keys like `target.user.domain_id`; services here may pass
 * either that or the nested object. We accept both (and mixtures), longest key first.
 */
function targetGetter(key: string): Render {
  const value = targetValue(key)
  return (target) => pyStr(value(target))
}

/** The raw value at `%(a.b.c)s`: null when present but null, undefined when absent. */
function targetValue(key: string): (target: Target) => unknown {
  const segs = key.split('.')
  // keys[from][end] = segs[from..end).join('.'), built once.
  const keys = segs.map((_, from) => segs.map((__, i) => segs.slice(from, i + 1).join('.')))
  const walk = (obj: unknown, from: number): unknown => {
    if (from === segs.length) return obj
    if (obj === null || typeof obj !== 'object') return undefined
    const rec = obj as Record<string, unknown>
    const row = keys[from]!
    for (let end = segs.length; end > from; end--) {
      const k = row[end - 1]!
      const next = rec[k]
      if (next !== undefined) {
        const v = walk(next, end)
        if (v !== undefined) return v
      }
    }
    return undefined
  }
  return (target) => walk(target, 0)
}

/**
 * Python's `str()` for the scalar values policy compares, so `True` in a rule matches a
 * boolean `true`.
 *
 * NOTE: `null` and `undefined` count as missing (the check fails). In Python, `None`
 * formats as the text `None` and two absent ids would compare equal; we refuse to grant
 * access on that coincidence.
 */
function pyStr(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return v
    case 'boolean':
      return v ? 'True' : 'False'
    case 'number':
    case 'bigint':
      return String(v)
    default:
      return undefined
  }
}

function compileRole(role: Template): Evaluator {
  const match = compileTemplate(role)
  const has = (roles: readonly string[] | undefined, want: string): boolean => {
    if (!Array.isArray(roles)) return false
    for (const r of roles) {
      if (typeof r === 'string' && (r === want || r.toLowerCase() === want)) return true
    }
    return false
  }
  if (typeof match === 'string') {
    const want = match.toLowerCase()
    return (_t, c) => has(c.roles, want)
  }
  return (t, c) => {
    const want = match(t)
    return want !== undefined && has(c.roles, want.toLowerCase())
  }
}

function compileGeneric(left: { credential: string } | { literal: string }, right: Template): Evaluator {
  const match = compileTemplate(right)
  if ('literal' in left) {
    const lit = left.literal
    if (typeof match === 'string') return match === lit ? () => true : () => false
    const only = right.length === 1 ? right[0] : undefined
    if (lit === 'None' && only !== undefined && typeof only !== 'string') {
      // NOTE: an explicit `None:%(x)s` asks "is x present and None" (Keystone's rules
      // for global roles: `None:%(target.role.domain_id)s`). oslo.policy renders a
      // present None as 'None'; an absent key still fails, as there.
      const raw = targetValue(only.target)
      return (t) => {
        const v = raw(t)
        return v === null || v === 'None'
      }
    }
    return (t) => match(t) === lit
  }
  const path = left.credential.split('.')
  if (typeof match === 'string') return (_t, c) => credentialMatches(c, path, 0, match)
  return (t, c) => {
    const want = match(t)
    return want !== undefined && credentialMatches(c, path, 0, want)
  }
}

/**
 * Walks a dotted path through the credentials; a list along the way matches when any
 * element does (as oslo.policy).
 */
function credentialMatches(value: unknown, path: readonly string[], at: number, want: string): boolean {
  if (Array.isArray(value)) return value.some((v) => credentialMatches(v, path, at, want))
  if (at === path.length) return pyStr(value) === want
  if (value === null || typeof value !== 'object') return false
  // NOTE: plain property reads (not hasOwn), so a context object with getters works;
  // the path comes from the operator's rule, never from the request.
  const next = (value as Record<string, unknown>)[path[at]!]
  return next !== undefined && credentialMatches(next, path, at + 1, want)
}

// ---------------------------------------------------------------------------------------
// Partial evaluation
// ---------------------------------------------------------------------------------------

/**
 * What is left of a rule once the credentials are known: a condition on the target
 * alone. `in` holds when the target's value at `key`, as a policy check formats it
 * (`True`/`False` for booleans; absent or null never matches), is one of `values`.
 * `opaque` is a part that depends on the target in another way (a role named by the
 * target, a substitution inside other text, an explicit `None:` check).
 *
 * A service that can say the same thing in its query language (SQL) can then list only
 * what the rule lets through instead of checking every row.
 */
export type Residual =
  | { readonly kind: 'always' }
  | { readonly kind: 'never' }
  | { readonly kind: 'opaque' }
  | { readonly kind: 'in'; readonly key: string; readonly values: readonly string[] }
  | { readonly kind: 'not'; readonly operand: Residual }
  | { readonly kind: 'and'; readonly operands: readonly Residual[] }
  | { readonly kind: 'or'; readonly operands: readonly Residual[] }

const R_ALWAYS: Residual = { kind: 'always' }
const R_NEVER: Residual = { kind: 'never' }
const R_OPAQUE: Residual = { kind: 'opaque' }

/**
 * Partially evaluates a parsed rule for known credentials. `resolve` answers the residual
 * of a named rule (`rule:` checks). Agrees with `compile`: for every target, the residual
 * holds exactly when the compiled rule passes.
 */
export function residualOf(
  node: RuleNode,
  creds: Credentials,
  resolve: (name: string) => Residual,
): Residual {
  switch (node.kind) {
    case 'always':
      return R_ALWAYS
    case 'never':
    case 'http':
      return R_NEVER
    case 'rule':
      return resolve(node.name)
    case 'role': {
      if (!node.role.every((p) => typeof p === 'string')) return R_OPAQUE
      return compileRole(node.role)({}, creds) ? R_ALWAYS : R_NEVER
    }
    case 'generic': {
      const right = node.right
      if (right.every((p) => typeof p === 'string'))
        return compileGeneric(node.left, right)({}, creds) ? R_ALWAYS : R_NEVER
      const only = right.length === 1 ? right[0] : undefined
      if (only === undefined || typeof only === 'string') return R_OPAQUE
      if ('literal' in node.left) {
        if (node.left.literal === 'None') return R_OPAQUE
        return { kind: 'in', key: only.target, values: [node.left.literal] }
      }
      const values = new Set<string>()
      credentialValues(creds, node.left.credential.split('.'), 0, values)
      return values.size ? { kind: 'in', key: only.target, values: [...values] } : R_NEVER
    }
    case 'not': {
      const inner = residualOf(node.operand, creds, resolve)
      if (inner.kind === 'always') return R_NEVER
      if (inner.kind === 'never') return R_ALWAYS
      return { kind: 'not', operand: inner }
    }
    case 'and':
    case 'or': {
      const stop = node.kind === 'and' ? 'never' : 'always'
      const skip = node.kind === 'and' ? 'always' : 'never'
      const kept: Residual[] = []
      for (const n of node.operands) {
        const r = residualOf(n, creds, resolve)
        if (r.kind === stop) return r
        if (r.kind === skip) continue
        if (r.kind === node.kind) kept.push(...r.operands)
        else kept.push(r)
      }
      if (kept.length === 0) return node.kind === 'and' ? R_ALWAYS : R_NEVER
      return kept.length === 1 ? kept[0]! : { kind: node.kind, operands: kept }
    }
  }
}

/** Every value `credentialMatches` could match along a path (lists fan out). */
function credentialValues(value: unknown, path: readonly string[], at: number, out: Set<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) credentialValues(v, path, at, out)
    return
  }
  if (at === path.length) {
    const s = pyStr(value)
    if (s !== undefined) out.add(s)
    return
  }
  if (value === null || typeof value !== 'object') return
  const next = (value as Record<string, unknown>)[path[at]!]
  if (next !== undefined) credentialValues(next, path, at + 1, out)
}

/** Evaluates a residual against a target (as the compiled rule would). */
export function holds(r: Residual, target: Target): boolean {
  switch (r.kind) {
    case 'always':
      return true
    case 'never':
      return false
    case 'opaque':
      throw new Error('an opaque residual cannot be evaluated without its rule')
    case 'in': {
      const v = pyStr(targetValue(r.key)(target))
      return v !== undefined && r.values.includes(v)
    }
    case 'not':
      return !holds(r.operand, target)
    case 'and':
      return r.operands.every((o) => holds(o, target))
    case 'or':
      return r.operands.some((o) => holds(o, target))
  }
}
