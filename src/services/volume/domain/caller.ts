/** Who is asking, as the domain sees it: the project acted in, and whether cloud admin. */
export interface Caller {
  userId: string
  projectId: string
  isAdmin: boolean
}

/** Cinder's `project_only` reads: admins see every project's resources, others their own. */
export function sees(caller: Caller, projectId: string): boolean {
  return caller.isAdmin || caller.projectId === projectId
}
