/**
 * Every service this program can serve, in start order (identity first: the others
 * validate tokens with it).
 */
import { identityModule } from './identity/module.js'
import { imageModule } from './image/module.js'
import { placementModule } from './placement/module.js'

export const SERVICE_MODULES = {
  identity: identityModule,
  placement: placementModule,
  image: imageModule,
} as const

export type ServiceName = keyof typeof SERVICE_MODULES
