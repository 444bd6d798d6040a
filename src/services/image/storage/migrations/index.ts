/** The image service's migrations, in order. */
import type { NamedMigration } from '../../../../kernel/db/index.js'
import { initial } from './0001-initial.js'
import { metadefs } from './0002-metadefs.js'
import { locations } from './0003-locations.js'

export const migrations: readonly NamedMigration[] = [initial, metadefs, locations]
