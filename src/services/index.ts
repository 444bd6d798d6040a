/**
 * Every service this program can serve, in start order (identity first).
 */
import { identityModule } from './identity/module.js'

export const SERVICE_MODULES = {
  identity: identityModule,
} as const

export type ServiceName = keyof typeof SERVICE_MODULES
