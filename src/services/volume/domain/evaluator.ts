/**
 * The expression language of a backend's `filter_function` and `goodness_function`
 * (Cinder's scheduler evaluator), parsed and evaluated here without `eval`: numbers,
 * quoted strings, variables written `<object>.<key>` (`volume.size`,
 * `capabilities.free_capacity_gb`, `stats.total_capacity_gb`, `extra.<spec>`,
 * `qos.<spec>`), `+ - * / ^`, unary `+ - not !`, comparisons `< <= > >= == != <>`,
 * `and &&`, `or ||`, the ternary `a ? b : c`, parentheses and `abs()`, `max()`, `min()`.
 * Precedence, highest first: `^`, unary sign, `* /`, `+ -`, comparisons, `not`, `and`,
 * `or`, `?:`. A variable's value is used as a number when it reads as one (booleans are
 * 1 and 0), else as a string. Anything else (an unknown variable or function, a division
 * by zero, a syntax error) throws `EvaluatorError`, which the scheduler reports.
 *
 * ```ts
 * evaluate('volume.size <= 10 and capabilities.pool_name == "gold"', { volume: { size: 2 }, capabilities: { pool_name: 'gold' } }) // true
 * ```
 */

export class EvaluatorError extends Error {}

export type Value = number | string | boolean
export type Variables = Readonly<Record<string, Readonly<Record<string, unknown>> | undefined>>

type Node =
  | { k: 'num'; v: number }
  | { k: 'str'; v: string }
  | { k: 'var'; obj: string; key: string }
  | { k: 'un'; op: string; a: Node }
  | { k: 'bin'; op: string; a: Node; b: Node }
  | { k: 'tern'; c: Node; a: Node; b: Node }
  | { k: 'call'; fn: string; args: Node[] }

interface Token {
  t: 'num' | 'str' | 'id' | 'op'
  v: string
}

const OPS = [
  '<=',
  '>=',
  '==',
  '!=',
  '<>',
  '&&',
  '||',
  '+',
  '-',
  '*',
  '/',
  '^',
  '(',
  ')',
  ',',
  '?',
  ':',
  '<',
  '>',
  '!',
]

function tokenize(src: string): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < src.length) {
    const c = src[i]!
    if (/\s/.test(c)) {
      i++
      continue
    }
    const num = /^(\d+\.?\d*([eE][+-]?\d+)?|\.\d+)/.exec(src.slice(i))
    if (num) {
      out.push({ t: 'num', v: num[0] })
      i += num[0].length
      continue
    }
    const id = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(src.slice(i))
    if (id) {
      out.push({ t: 'id', v: id[0] })
      i += id[0].length
      continue
    }
    if (c === '"' || c === "'") {
      const end = src.indexOf(c, i + 1)
      if (end < 0) throw new EvaluatorError(`unterminated string at ${i}`)
      out.push({ t: 'str', v: src.slice(i + 1, end) })
      i = end + 1
      continue
    }
    const op = OPS.find((o) => src.startsWith(o, i))
    if (!op) throw new EvaluatorError(`unexpected character '${c}' at ${i}`)
    out.push({ t: 'op', v: op })
    i += op.length
  }
  return out
}

class Parser {
  private i = 0
  constructor(private readonly toks: Token[]) {}

  parse(): Node {
    if (!this.toks.length) throw new EvaluatorError('empty expression')
    const n = this.ternary()
    if (this.i < this.toks.length) throw new EvaluatorError(`unexpected '${this.toks[this.i]!.v}'`)
    return n
  }

  private peek(): Token | undefined {
    return this.toks[this.i]
  }

  private isOp(...ops: string[]): string | undefined {
    const t = this.peek()
    if (!t) return undefined
    if (t.t === 'op' && ops.includes(t.v)) return t.v
    if (t.t === 'id' && ops.includes(t.v.toLowerCase())) return t.v.toLowerCase()
    return undefined
  }

  private expect(op: string): void {
    if (!this.isOp(op)) throw new EvaluatorError(`expected '${op}'`)
    this.i++
  }

  private ternary(): Node {
    const c = this.or()
    if (!this.isOp('?')) return c
    this.i++
    const a = this.ternary()
    this.expect(':')
    const b = this.ternary()
    return { k: 'tern', c, a, b }
  }

  private binary(next: () => Node, ops: string[], norm: (op: string) => string = (o) => o): Node {
    let a = next()
    for (let op = this.isOp(...ops); op; op = this.isOp(...ops)) {
      this.i++
      a = { k: 'bin', op: norm(op), a, b: next() }
    }
    return a
  }

  private or(): Node {
    return this.binary(
      () => this.and(),
      ['or', '||'],
      () => 'or',
    )
  }

  private and(): Node {
    return this.binary(
      () => this.not(),
      ['and', '&&'],
      () => 'and',
    )
  }

  private not(): Node {
    if (this.isOp('not', '!')) {
      this.i++
      return { k: 'un', op: 'not', a: this.not() }
    }
    return this.comparison()
  }

  private comparison(): Node {
    return this.binary(
      () => this.additive(),
      ['<', '<=', '>', '>=', '==', '!=', '<>'],
      (o) => (o === '<>' ? '!=' : o),
    )
  }

  private additive(): Node {
    return this.binary(() => this.multiplicative(), ['+', '-'])
  }

  private multiplicative(): Node {
    return this.binary(() => this.unary(), ['*', '/'])
  }

  private unary(): Node {
    const op = this.isOp('+', '-')
    if (op) {
      this.i++
      return { k: 'un', op, a: this.unary() }
    }
    return this.power()
  }

  private power(): Node {
    const a = this.atom()
    if (!this.isOp('^')) return a
    this.i++
    // right-associative, and binds tighter than a sign on its right operand's left
    return { k: 'bin', op: '^', a, b: this.unary() }
  }

  private atom(): Node {
    const t = this.peek()
    if (!t) throw new EvaluatorError('unexpected end of expression')
    this.i++
    if (t.t === 'num') return { k: 'num', v: Number(t.v) }
    if (t.t === 'str') return { k: 'str', v: t.v }
    if (t.t === 'op' && t.v === '(') {
      const n = this.ternary()
      this.expect(')')
      return n
    }
    if (t.t === 'id') {
      if (this.isOp('(')) {
        this.i++
        const args: Node[] = []
        if (!this.isOp(')')) {
          args.push(this.ternary())
          while (this.isOp(',')) {
            this.i++
            args.push(this.ternary())
          }
        }
        this.expect(')')
        return { k: 'call', fn: t.v.toLowerCase(), args }
      }
      const dot = t.v.indexOf('.')
      if (dot <= 0 || dot === t.v.length - 1)
        throw new EvaluatorError(`'${t.v}' is not a variable (object.key)`)
      return { k: 'var', obj: t.v.slice(0, dot), key: t.v.slice(dot + 1) }
    }
    throw new EvaluatorError(`unexpected '${t.v}'`)
  }
}

/** A parsed expression, evaluated against variables. */
export function compile(src: string): (vars: Variables) => Value {
  const tree = new Parser(tokenize(src)).parse()
  return (vars) => run(tree, vars)
}

export function evaluate(src: string, vars: Variables): Value {
  return compile(src)(vars)
}

function asNumber(v: Value): number {
  if (typeof v === 'number') return v
  if (typeof v === 'boolean') return v ? 1 : 0
  const n = Number(v)
  if (v.trim() === '' || Number.isNaN(n)) throw new EvaluatorError(`'${v}' is not a number`)
  return n
}

function truthy(v: Value): boolean {
  if (typeof v === 'string') return v !== ''
  return Boolean(v)
}

function lookup(vars: Variables, obj: string, key: string): Value {
  const o = vars[obj]
  if (!o || !(key in o)) throw new EvaluatorError(`Value ${obj}.${key} not found`)
  const v = o[key]
  if (typeof v === 'number' || typeof v === 'boolean') return typeof v === 'boolean' ? (v ? 1 : 0) : v
  if (v === null || v === undefined) return ''
  const s = String(v)
  if (/^\s*<is>\s*true\s*$/i.test(s) || /^true$/i.test(s)) return 1
  if (/^\s*<is>\s*false\s*$/i.test(s) || /^false$/i.test(s)) return 0
  const n = Number(s)
  return s.trim() !== '' && !Number.isNaN(n) ? n : s
}

function compare(op: string, a: Value, b: Value): boolean {
  // A string on either side compares as text; otherwise both compare as numbers.
  return typeof a === 'string' || typeof b === 'string'
    ? ordered(op, String(a), String(b))
    : ordered(op, asNumber(a), asNumber(b))
}

function ordered<T extends string | number>(op: string, x: T, y: T): boolean {
  switch (op) {
    case '==':
      return x === y
    case '!=':
      return x !== y
    case '<':
      return x < y
    case '<=':
      return x <= y
    case '>':
      return x > y
    default:
      return x >= y
  }
}

function run(n: Node, vars: Variables): Value {
  switch (n.k) {
    case 'num':
    case 'str':
      return n.v
    case 'var':
      return lookup(vars, n.obj, n.key)
    case 'un': {
      const a = run(n.a, vars)
      if (n.op === 'not') return !truthy(a)
      return n.op === '-' ? -asNumber(a) : asNumber(a)
    }
    case 'tern':
      return truthy(run(n.c, vars)) ? run(n.a, vars) : run(n.b, vars)
    case 'call': {
      const args = n.args.map((a) => asNumber(run(a, vars)))
      if (n.fn === 'abs' && args.length === 1) return Math.abs(args[0]!)
      if ((n.fn === 'max' || n.fn === 'min') && args.length >= 1)
        return n.fn === 'max' ? Math.max(...args) : Math.min(...args)
      throw new EvaluatorError(`unknown function ${n.fn}/${args.length}`)
    }
    case 'bin': {
      if (n.op === 'and') return truthy(run(n.a, vars)) && truthy(run(n.b, vars))
      if (n.op === 'or') return truthy(run(n.a, vars)) || truthy(run(n.b, vars))
      const a = run(n.a, vars)
      const b = run(n.b, vars)
      if (['<', '<=', '>', '>=', '==', '!='].includes(n.op)) return compare(n.op, a, b)
      const [x, y] = [asNumber(a), asNumber(b)]
      switch (n.op) {
        case '+':
          return x + y
        case '-':
          return x - y
        case '*':
          return x * y
        case '/':
          if (y === 0) throw new EvaluatorError('division by zero')
          return x / y
        default:
          return x ** y
      }
    }
  }
}

/** Whether a result passes a filter function (a non-zero number, true, a non-empty string). */
export function passes(v: Value): boolean {
  return truthy(v)
}

/** A result as a number (goodness), else an error. */
export function numeric(v: Value): number {
  return asNumber(v)
}
