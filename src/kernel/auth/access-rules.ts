/**
 * Application credential access rules, enforced where every request is authenticated
 * (the service scope), as upstream's auth middleware does in front of each service: a
 * token from an application credential that carries access rules may make only the
 * calls one of them names (service type, method, path), else 401.
 *
 * Paths are relative to the service's endpoint (`/v3/users/*` for identity); `*` is one
 * path segment, `**` any number of them. A HEAD is allowed where a GET is.
 */

/** One access rule, as identity stores it and the token carries it. */
export interface AccessRule {
  service: string
  method: string
  path: string
}

export function permittedByAccessRules(
  rules: readonly AccessRule[],
  serviceType: string,
  method: string,
  path: string,
): boolean {
  const segments = path.split('?')[0]!.split('/').filter(Boolean)
  const wanted = method === 'HEAD' ? 'GET' : method
  return rules.some(
    (r) =>
      r.service === serviceType &&
      r.method.toUpperCase() === wanted &&
      matches(r.path.split('/').filter(Boolean), segments),
  )
}

function matches(pattern: readonly string[], path: readonly string[]): boolean {
  if (pattern.length === 0) return path.length === 0
  const [head, ...rest] = pattern
  if (head === '**') {
    for (let i = 0; i <= path.length; i++) if (matches(rest, path.slice(i))) return true
    return false
  }
  if (path.length === 0) return false
  return (head === '*' || head === path[0]) && matches(rest, path.slice(1))
}
