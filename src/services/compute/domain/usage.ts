/**
 * The seam to what servers consume: instances, cores and RAM of a project (and of a
 * user in it), and the members of a server group. The servers API fills it; until then
 * nothing is consumed.
 */

export interface ServerUsage {
  /** instances, cores and ram in use by a project, or by one user of it. */
  project(projectId: string, userId?: string): Promise<{ instances: number; cores: number; ram: number }>
}

export const NO_SERVERS: ServerUsage = {
  project: async () => ({ instances: 0, cores: 0, ram: 0 }),
}
