/**
 * The compute test host: the compute module on a real host with fake tokens, called as
 * personas at a microversion. `admin` is the project-scoped admin (Nova's admin is a
 * project token with the admin role).
 */
import { startTestHost, type TestHost } from '../../../kernel/testing/index.js'
import { computeModule } from '../module.js'

export type { TestHost }

export async function startCompute(config?: Record<string, Record<string, string | number | boolean>>) {
  return startTestHost({ modules: [computeModule], ...(config ? { config } : {}) })
}

export const ADMIN = 'project-admin'
export const MEMBER = 'project-member'
export const READER = 'project-reader'
export const OTHER = 'other-project-member'
