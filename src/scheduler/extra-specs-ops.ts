/**
 * The small comparison language flavor extra specs use against host capabilities and
 * aggregate metadata: `= 4` (at least, numerically), `== 4`, `!= 4`, `>= 4`, `<= 4`,
 * `s== x` and the other string comparisons, `<in> sub`, `<all-in> a b`, `<or> a <or> b`;
 * a value without an operator must equal the host's value as a string.
 */

type Op = (value: string, args: string[]) => boolean

const num = (s: string): number => Number(s.trim())
const numeric = (test: (a: number, b: number) => boolean): Op => {
  return (value, [arg]) => {
    const a = num(value)
    const b = num(arg ?? '')
    return !Number.isNaN(a) && !Number.isNaN(b) && test(a, b)
  }
}

const OPS: Readonly<Record<string, Op>> = {
  '=': numeric((a, b) => a >= b),
  '==': numeric((a, b) => a === b),
  '!=': numeric((a, b) => a !== b),
  '>=': numeric((a, b) => a >= b),
  '<=': numeric((a, b) => a <= b),
  's==': (v, [a]) => v === a,
  's!=': (v, [a]) => v !== a,
  's<': (v, [a]) => a !== undefined && v < a,
  's<=': (v, [a]) => a !== undefined && v <= a,
  's>': (v, [a]) => a !== undefined && v > a,
  's>=': (v, [a]) => a !== undefined && v >= a,
  '<in>': (v, [a]) => a !== undefined && v.includes(a),
  '<all-in>': (v, args) => {
    // NOTE: the host value is a list written as a string ("['a', 'b']" or "a,b");
    // every argument must be one of its items, not merely a substring.
    const items = new Set(v.split(/[\s,[\]'"]+/).filter((x) => x !== ''))
    return args.length > 0 && args.every((a) => items.has(a))
  },
}

/**
 * Does the host's `value` satisfy the extra spec's `requirement`?
 *
 * @example matches('8', '= 4') // true: at least 4
 * @example matches('x86_64', '<or> aarch64 <or> x86_64') // true
 */
export function matches(value: string, requirement: string): boolean {
  const words = requirement.trim().split(/\s+/)
  const op = words[0] ?? ''
  if (op === '<or>') {
    // "<or> a <or> b": the words after each <or> are the alternatives
    const alternatives: string[] = []
    for (let i = 0; i < words.length; i++) {
      if (words[i] === '<or>' && words[i + 1] !== undefined) alternatives.push(words[i + 1]!)
    }
    return alternatives.includes(value)
  }
  const fn = OPS[op]
  if (fn && words.length > 1) return fn(value, words.slice(1))
  return value === requirement
}
