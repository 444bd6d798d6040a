/** Compute's migrations, in order. */

import { busMigrations } from '../../../../kernel/bus/outbox.js'
import type { NamedMigration } from '../../../../kernel/db/index.js'
import { initial } from './0001-initial.js'
import { defaultFlavors } from './0002-default-flavors.js'
import { servers } from './0003-servers.js'
import { serverPassword } from './0004-server-password.js'
import { blockDeviceMapping } from './0005-block-device-mapping.js'
import { instancePorts } from './0006-instance-ports.js'
import { serverMigrations } from './0007-server-migrations.js'

export const computeMigrations: readonly NamedMigration[] = [
  initial,
  defaultFlavors,
  servers,
  // NOTE: the outbox lives in the API database so an accepted build is recorded in the
  // same transaction as its instance.
  ...busMigrations,
  serverPassword,
  blockDeviceMapping,
  instancePorts,
  serverMigrations,
]
