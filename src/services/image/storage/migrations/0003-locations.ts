/**
 * Several locations per image (multiple stores, show_multiple_locations): the full list
 * as JSON text on the image row, so that a status change and the locations it brings
 * commit in one UPDATE. `location` stays the first one's URL (the sweep and the quota
 * read it). Rows from before keep `locations` NULL: their one location is `location`.
 */
import type { Kysely } from 'kysely'
import type { NamedMigration } from '../../../../kernel/db/index.js'

export const locations: NamedMigration = {
  name: 'image-0003-locations',
  // biome-ignore lint/suspicious/noExplicitAny: migrations see the schema as it was then
  async up(db: Kysely<any>) {
    await db.schema.alterTable('images').addColumn('locations', 'text').execute()
    // The API process running a task: at its restart it fails its own unfinished tasks only.
    await db.schema.alterTable('image_tasks').addColumn('host', 'varchar(255)').execute()
  },
}
