/**
 * The ports a server has in the network service, and whether the port was the user's
 * before the server took it (upstream's `preserve_on_delete` in the instance's network
 * info cache): a delete or detach gives such a port back, unbound; the ports compute
 * created for a network go with the server.
 */
import type { Kysely } from 'kysely'
import type { NamedMigration } from '../../../../kernel/db/index.js'

export const instancePorts: NamedMigration = {
  name: 'compute-0006-instance-ports',
  // biome-ignore lint/suspicious/noExplicitAny: migrations see the schema as it was then
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('instance_ports')
      .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
      .addColumn('port_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('preserve_on_delete', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
      .addPrimaryKeyConstraint('instance_ports_pk', ['instance_uuid', 'port_id'])
      .execute()
  },
}
