import type { AnyServiceModule } from '../host/module.js'

/**
 * A service token for test hosts without identity: every call one service makes to
 * another carries `project-admin` (a persona the fake token validator knows).
 */
export const serviceTokenModule: AnyServiceModule = {
  name: 'test-service-token',
  serviceType: 'test-service-token',
  prefix: '/test-service-token',
  configSchema: {},
  migrations: [],
  roles: [],
  provides: ['serviceToken'],
  create: async () => ({ provides: { serviceToken: async () => 'project-admin' } }),
}
