/**
 * The ports each server holds in the network service: the only SQL on
 * `instance_ports`. A row is written when the build (or an interface attach) binds a
 * port to the server and goes when the port is given back or deleted.
 */
import type { Kysely, Selectable } from 'kysely'
import { isUniqueViolation } from '../../../kernel/db/index.js'
import type { ComputeDatabase, InstancePortsTable } from './schema.js'

export type InstancePortRow = Selectable<InstancePortsTable>

export class InstancePortRepo {
  constructor(private readonly db: Kysely<ComputeDatabase>) {}

  /** The server's ports, in the order they were taken. */
  async ofInstance(instanceUuid: string): Promise<InstancePortRow[]> {
    return this.db
      .selectFrom('instance_ports')
      .selectAll()
      .where('instance_uuid', '=', instanceUuid)
      .orderBy('created_at')
      .orderBy('port_id')
      .execute()
  }

  /** The ports of many servers (the views ask only for servers that hold one). */
  async ofInstances(instanceUuids: readonly string[]): Promise<InstancePortRow[]> {
    if (instanceUuids.length === 0) return []
    return this.db
      .selectFrom('instance_ports')
      .selectAll()
      .where('instance_uuid', 'in', [...instanceUuids])
      .orderBy('created_at')
      .orderBy('port_id')
      .execute()
  }

  /** Records a port; a port already recorded for the server keeps its row. */
  async add(instanceUuid: string, portId: string, preserveOnDelete: boolean): Promise<void> {
    try {
      await this.db
        .insertInto('instance_ports')
        .values({
          instance_uuid: instanceUuid,
          port_id: portId,
          preserve_on_delete: preserveOnDelete ? 1 : 0,
          created_at: new Date().toISOString(),
        })
        .execute()
    } catch (e) {
      if (!isUniqueViolation(e)) throw e
    }
  }

  async remove(instanceUuid: string, portId: string): Promise<void> {
    await this.db
      .deleteFrom('instance_ports')
      .where('instance_uuid', '=', instanceUuid)
      .where('port_id', '=', portId)
      .execute()
  }
}
