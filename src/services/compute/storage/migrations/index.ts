/** Compute's migrations, in order. */
import type { NamedMigration } from '../../../../kernel/db/index.js'
import { initial } from './0001-initial.js'
import { defaultFlavors } from './0002-default-flavors.js'

export const computeMigrations: readonly NamedMigration[] = [initial, defaultFlavors]
