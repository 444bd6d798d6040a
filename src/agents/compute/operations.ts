/**
 * The agent's side of the moves and the other server operations (compute 1.2): what
 * each step asks of the driver on this host, and the guest's state it reports. The
 * conductor sequences the steps between a source and a destination agent
 * (src/services/compute/conductor/moves.ts); every step is a call, so its failure is the
 * conductor's to roll back.
 *
 *   step                               host     driver
 *   check_can_receive                  dest     checkCanReceive          (pre-check)
 *   resize_instance                    source   migrateDiskAndPowerOff   (transfer)
 *   finish_resize                      dest     finishMigration          (post)
 *   confirm_resize                     source   destroy
 *   revert_resize                      dest     destroy
 *   finish_revert_resize               source   finishRevertMigration
 *   pre_live_migration                 dest     preLiveMigration
 *   live_migration                     source   liveMigrate              (transfer)
 *   live_migration_abort / _force_complete  source
 *   post_live_migration_at_destination dest     postLiveMigrationAtDestination (post)
 *   rollback_live_migration_at_destination dest destroy
 *   rescue_instance, unrescue_instance, shelve_instance (power off),
 *   shelve_offload_instance (destroy), trigger_crash_dump
 */
import type { ComputeDriver, InstanceInfo } from './drivers/driver.js'
import {
  type CheckCanReceiveArgs,
  type FinishMoveArgs,
  type InstanceArgs,
  type InstanceStateReport,
  type MoveFromArgs,
  type PostLiveMigrationArgs,
  type RescueInstanceArgs,
  toInstanceSpec,
} from './rpc.js'

/** What the operations need of their agent. */
export interface OperationHost {
  driver: ComputeDriver
  /** Runs `work` after the guest's earlier operations (one at a time per guest). */
  locked<T>(uuid: string, work: () => Promise<T>): Promise<T>
  report(info: InstanceInfo): InstanceStateReport
}

export function operationMethods(h: OperationHost) {
  const d = h.driver
  const state = async (uuid: string, op: () => Promise<InstanceInfo>) =>
    h.locked(uuid, async () => h.report(await op()))
  const done = async (uuid: string, op: () => Promise<void>) =>
    h.locked(uuid, async () => {
      await op()
      return { done: true }
    })
  return {
    check_can_receive: (a: CheckCanReceiveArgs) =>
      done(a.instance.uuid, () => d.checkCanReceive(toInstanceSpec(a.instance), a.kind)),
    resize_instance: (a: MoveFromArgs) =>
      done(a.instance_uuid, () => d.migrateDiskAndPowerOff(a.instance_uuid, a.destination)),
    finish_resize: (a: FinishMoveArgs) =>
      state(a.instance.uuid, () => d.finishMigration(toInstanceSpec(a.instance), a.power_on)),
    confirm_resize: (a: InstanceArgs) => done(a.instance_uuid, () => d.destroy(a.instance_uuid)),
    revert_resize: (a: InstanceArgs) => done(a.instance_uuid, () => d.destroy(a.instance_uuid)),
    finish_revert_resize: (a: FinishMoveArgs) =>
      state(a.instance.uuid, () => d.finishRevertMigration(toInstanceSpec(a.instance), a.power_on)),
    pre_live_migration: (a: { instance: FinishMoveArgs['instance'] }) =>
      done(a.instance.uuid, () => d.preLiveMigration(toInstanceSpec(a.instance))),
    live_migration: (a: MoveFromArgs) =>
      done(a.instance_uuid, () => d.liveMigrate(a.instance_uuid, a.destination)),
    // NOTE: not behind the guest's lock: the live migration it acts on holds it.
    live_migration_abort: async (a: InstanceArgs) => {
      await d.abortLiveMigration(a.instance_uuid)
      return { done: true }
    },
    live_migration_force_complete: async (a: InstanceArgs) => {
      await d.forceCompleteLiveMigration(a.instance_uuid)
      return { done: true }
    },
    post_live_migration_at_destination: (a: PostLiveMigrationArgs) =>
      state(a.instance_uuid, () => d.postLiveMigrationAtDestination(a.instance_uuid, a.power_state)),
    rollback_live_migration_at_destination: (a: InstanceArgs) =>
      done(a.instance_uuid, () => d.destroy(a.instance_uuid)),
    rescue_instance: (a: RescueInstanceArgs) =>
      state(a.instance_uuid, () => d.rescue(a.instance_uuid, a.rescue_image_ref)),
    unrescue_instance: (a: InstanceArgs) => state(a.instance_uuid, () => d.unrescue(a.instance_uuid)),
    shelve_instance: (a: InstanceArgs) => state(a.instance_uuid, () => d.powerOff(a.instance_uuid)),
    shelve_offload_instance: (a: InstanceArgs) => done(a.instance_uuid, () => d.destroy(a.instance_uuid)),
    trigger_crash_dump: (a: InstanceArgs) => done(a.instance_uuid, () => d.injectNmi(a.instance_uuid)),
  }
}
