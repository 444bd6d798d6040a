/** Block storage's migrations, in order. */
import type { NamedMigration } from '../../../../kernel/db/index.js'
import { initial } from './0001-initial.js'

export const volumeMigrations: readonly NamedMigration[] = [initial]
