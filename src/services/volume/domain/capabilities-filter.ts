/**
 * The scheduler's CapabilitiesFilter as Cinder applies it to a volume type's extra
 * specs: every spec whose key (without a `capabilities:` scope) names a capability the
 * backend reports must match it; scoped keys of other consumers (`qos:`,
 * `RESKEY:`, `hw:`...) and keys the backend does not report are ignored. Values follow
 * oslo's extra-spec operators: `<is> True`, `<in> x`, `<or> a <or> b`, `=`, `>=`, `<=`,
 * `s==`, `s!=`, or a plain string compared exactly.
 */
export type Capabilities = Readonly<Record<string, unknown>>

export function matchesCapabilities(specs: Readonly<Record<string, string>>, caps: Capabilities): boolean {
  for (const [rawKey, want] of Object.entries(specs)) {
    let key = rawKey
    const scope = rawKey.split(':')
    if (scope.length > 1) {
      if (scope[0] !== 'capabilities') continue
      key = scope.slice(1).join(':')
    }
    if (!(key in caps)) continue
    if (!matches(String(caps[key]), want)) return false
  }
  return true
}

function matches(have: string, want: string): boolean {
  const words = want.trim().split(/\s+/)
  const op = words[0] ?? ''
  const rest = words.slice(1).join(' ')
  const num = (s: string) => Number.parseFloat(s)
  switch (op) {
    case '<is>':
      return have.toLowerCase() === rest.toLowerCase()
    case '<in>':
      return have.includes(rest)
    case '<or>':
      return want
        .split('<or>')
        .map((s) => s.trim())
        .filter(Boolean)
        .includes(have)
    case '<all-in>':
      return rest.split(/\s+/).every((w) => have.includes(w))
    case '=':
      return num(have) >= num(rest)
    case '>=':
      return num(have) >= num(rest)
    case '<=':
      return num(have) <= num(rest)
    case '==':
      return num(have) === num(rest)
    case '!=':
      return num(have) !== num(rest)
    case 's==':
      return have === rest
    case 's!=':
      return have !== rest
    case 's>=':
      return have >= rest
    case 's<=':
      return have <= rest
    default:
      return have === want.trim()
  }
}
