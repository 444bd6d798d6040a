/**
 * Every service this program can run: the one registration line per service. The host
 * starts them in dependency order (identity first when others need its token
 * validation), whatever the order here.
 */
import type { AnyServiceModule } from '../kernel/host/index.js'
import { computeModule } from './compute/module.js'
import { identityModule } from './identity/module.js'
import { imageModule } from './image/module.js'
import { networkModule } from './network/module.js'
import { placementModule } from './placement/module.js'
import { volumeModule } from './volume/module.js'

export const SERVICE_MODULES = {
  identity: identityModule,
  placement: placementModule,
  image: imageModule,
  compute: computeModule,
  network: networkModule,
  volume: volumeModule,
} as const satisfies Record<string, AnyServiceModule>

export type ServiceName = keyof typeof SERVICE_MODULES

/** The modules in registration order, as the host takes them. */
export const MODULE_LIST: readonly AnyServiceModule[] = Object.values(SERVICE_MODULES)
