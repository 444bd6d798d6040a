/** Block storage's migrations, in order. */
import type { NamedMigration } from '../../../../kernel/db/index.js'
import { initial } from './0001-initial.js'
import { transfers } from './0002-transfers.js'
import { qosSpecs } from './0003-qos-specs.js'
import { messages } from './0004-messages.js'
import { typeEncryption } from './0005-type-encryption.js'
import { backups } from './0006-backups.js'
import { groups } from './0007-groups.js'
import { unmanagedFiles } from './0008-unmanaged-files.js'

export const volumeMigrations: readonly NamedMigration[] = [
  initial,
  transfers,
  qosSpecs,
  messages,
  typeEncryption,
  backups,
  groups,
  unmanagedFiles,
]
