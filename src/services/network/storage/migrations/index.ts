/** The network service's migrations, in order. */
import type { NamedMigration } from '../../../../kernel/db/index.js'
import { initial } from './0001-initial.js'

export const networkMigrations: readonly NamedMigration[] = [initial]
