/**
 * Drivers by `[DEFAULT] compute_driver`: one driver instance per host name.
 */
import type { ComputeAgentConfig } from '../config.js'
import type { ComputeDriver } from './driver.js'
import { hostSpecs } from './fake/fake-config.js'
import { FakeDriver } from './fake/fake-driver.js'

export * from './cpu-models.js'
export * from './driver.js'
export * from './fake/fake-config.js'
export * from './fake/fake-driver.js'

/** The drivers of `hostNames`, as the configuration says. */
export function createDrivers(
  config: Pick<ComputeAgentConfig, 'DEFAULT' | 'fake_driver'>,
  hostNames: readonly string[],
): ComputeDriver[] {
  switch (config.DEFAULT.compute_driver) {
    case 'fake':
    case 'fake.FakeDriver':
      return hostSpecs(config.fake_driver, hostNames).map((spec) => new FakeDriver(spec))
  }
}
