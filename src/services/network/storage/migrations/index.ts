/** The network service's migrations, in order. */
import type { NamedMigration } from '../../../../kernel/db/index.js'
import { initial } from './0001-initial.js'
import { portForwardings } from './0002-port-forwardings.js'
import { listIndexes } from './0003-list-indexes.js'
import { storedViews } from './0004-stored-views.js'

export const networkMigrations: readonly NamedMigration[] = [
  initial,
  portForwardings,
  listIndexes,
  storedViews,
]
