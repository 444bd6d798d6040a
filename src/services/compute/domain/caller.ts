/** Who asks, as the domain needs to know it: the token's user and project, and admin-ness. */
export interface Caller {
  userId: string
  /** Undefined for a token without a project (refused by policy before it gets here). */
  projectId: string
  /** Passes `context_is_admin`: sees every flavor, may act for other users and projects. */
  isAdmin: boolean
}

/** Timestamps as Nova renders them: ISO 8601 with microseconds and no zone. */
export function novaTime(iso: string | null): string | null {
  if (!iso) return null
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return `${d.toISOString().slice(0, 19)}.${String(d.getUTCMilliseconds()).padStart(3, '0')}000`
}

export const nowIso = (): string => new Date().toISOString()
