/**
 * The conductor's side of the server operations that move a server or change where its
 * resources are held: resize and cold migration (with confirm and revert), live
 * migration, evacuation, shelve / shelve offload / unshelve, rescue and crash dumps.
 * Placement is kept exact at every step, as upstream does it (but without its leaks):
 *
 *   resize / migrate                    allocations (instance I, migration M)
 *     move I ─▶ M  (POST /allocations,  I: -        M: source
 *                  both generations)
 *     scheduler claims dest for I      I: dest     M: source
 *     check_can_receive (dest)  ┐ fail ─▶ I: source, M: - (rolled back, vm_state kept,
 *     resize_instance (source)  ┘        migration `error`)
 *     finish_resize (dest)        fail ─▶ ERROR on dest, I: dest, M: - (source copy dropped)
 *     VERIFY_RESIZE                    I: dest     M: source   (migration `finished`)
 *       confirm ─▶ source copy destroyed, M dropped           I: dest
 *       revert  ─▶ dest copy destroyed, M ─▶ I, source on    I: source
 *
 *   live migrate: the same move of I's allocation to M, a claim on the destination (the
 *   scheduler's, or a direct one when forced), check, pre_live_migration, the transfer
 *   (abortable, force-completable), post at the destination; success drops M; a failure
 *   or an abort rolls back to the source (migration `error` / `cancelled`).
 *   evacuate: I ─▶ M, a claim on another host, the guest rebuilt there; success drops M
 *   (the down host's copy is abandoned), a failure puts I back on the source in ERROR.
 *   shelve offload drops I's allocation; unshelve claims anew through the scheduler.
 *
 * Two operations on one server never interleave here (the conductor chains the work per
 * instance) nor across processes (both consumers' generations are checked on a move).
 */
import type { Logger } from 'pino'
import type { SnapshotReply } from '../../../agents/compute/rpc.js'
import type { PlacementApi } from '../clients/placement.js'
import type { ShelvedImages } from '../clients/shelved-images.js'
import type { SnapshotImages } from '../clients/snapshot-images.js'
import { type InstanceFlavor, type InstanceImage, POWER } from '../domain/servers.js'
import type {
  AgentApi,
  InstanceStateReport,
  SelectDestinationsArgs,
  SelectDestinationsReply,
  SelectionMessage,
  ServerOperationArgs,
} from '../rpc.js'
import type { ActionRepo } from '../storage/action.repo.js'
import type { MigrationRepo, MigrationRow, SystemMetadataRepo } from '../storage/migration.repo.js'
import type { InstanceRow, ServerRepo } from '../storage/server.repo.js'
import { instanceMessage, type Notifier } from './conductor.js'

export interface MovesDeps {
  servers: ServerRepo
  migrations: MigrationRepo
  actions: ActionRepo
  placement: PlacementApi
  agents: AgentApi
  selectDestinations(args: SelectDestinationsArgs): Promise<SelectDestinationsReply>
  notify: Notifier
  logger: Logger
  allowResizeToSameHost: boolean
  /** `[DEFAULT] shelved_offload_time`: 0 offloads at once, -1 never. */
  shelvedOffloadTime: number
  maxAttempts: number
  /** The `<name>-shelved` image records; absent: none is made. */
  shelvedImages?: ShelvedImages
  systemMetadata?: SystemMetadataRepo
  /** Where createImage's bytes go; absent: snapshots fail (no image service). */
  snapshotImages?: SnapshotImages
}

/** Migration statuses of a move still holding resources on two hosts. */
export const MIGRATION_IN_FLIGHT = [
  'accepted',
  'queued',
  'pre-migrating',
  'preparing',
  'migrating',
  'running',
  'post-migrating',
  'finished',
  'confirming',
  'reverting',
]

/** createImage's (and createBackup's) task states, in their order (upstream's). */
export const SNAPSHOT_TASK_STATES = [
  'image_backup',
  'image_snapshot_pending',
  'image_snapshot',
  'image_pending_upload',
  'image_uploading',
]

/** The task states an accepted operation leaves until the conductor is done with it. */
export const OPERATION_TASK_STATES = [
  'resize_prep',
  'resize_migrating',
  'resize_migrated',
  'resize_finish',
  'resize_reverting',
  'resize_confirming',
  'migrating',
  'rebuilding',
  'shelving',
  'shelving_image_pending_upload',
  'shelving_image_uploading',
  'shelving_offloading',
  'unshelving',
  'rescuing',
  'unrescuing',
  ...SNAPSHOT_TASK_STATES,
]

/** A step that failed, with where: the rollback differs per step. */
class StepFailed extends Error {
  constructor(
    readonly step: 'pre-check' | 'transfer' | 'post' | 'schedule' | 'placement',
    message: string,
  ) {
    super(message)
  }
}

export class Moves {
  constructor(private readonly d: MovesDeps) {}

  async run(args: ServerOperationArgs): Promise<void> {
    const [row] = await this.d.servers.rows([args.instance_uuid])
    if (row?.deleted !== 0) {
      // NOTE: a snapshot whose server went before it started leaves no empty image behind.
      if (args.operation === 'snapshot' && args.image_id)
        await this.d.snapshotImages?.delete(args.image_id).catch(() => {})
      return
    }
    const actionId = args.action_id ?? (await this.d.actions.byRequest(row.uuid, args.request_id))?.id
    const ctx: OpContext = { row, args, actionId }
    let ok = true
    try {
      switch (args.operation) {
        case 'resize':
        case 'migrate':
          ok = await this.resize(ctx)
          break
        case 'confirm_resize':
          ok = await this.confirm(ctx)
          break
        case 'revert_resize':
          ok = await this.revert(ctx)
          break
        case 'live_migrate':
          ok = await this.live(ctx)
          break
        case 'evacuate':
          ok = await this.evacuate(ctx)
          break
        case 'shelve':
          ok = await this.shelve(ctx)
          break
        case 'shelve_offload':
          ok = await this.offload(ctx, 'shelveOffload')
          break
        case 'unshelve':
          ok = await this.unshelve(ctx)
          break
        case 'rescue':
        case 'unrescue':
          ok = await this.rescue(ctx)
          break
        case 'trigger_crash_dump':
          ok = await this.crashDump(ctx)
          break
        case 'snapshot':
          ok = await this.snapshot(ctx)
          break
      }
    } catch (e) {
      ok = false
      this.d.logger.error({ err: e, instance: row.uuid, operation: args.operation }, 'operation failed')
      await this.d.servers.updateIf(row.uuid, OPERATION_TASK_STATES, { task_state: null })
    }
    if (actionId) await this.d.actions.finish(actionId, ok ? undefined : 'Error')
  }

  /**
   * Puts right what a stop interrupted: confirms and reverts run again (each step ends
   * the same when repeated); a move caught between its steps is rolled back to where the
   * guest is (the source: its hold goes back to the server; the destination: ERROR there,
   * the hold dropped); operations without a migration lose their task state.
   */
  async resume(dispatch: (args: ServerOperationArgs) => void): Promise<number> {
    let n = 0
    const statuses = MIGRATION_IN_FLIGHT.filter((st) => st !== 'finished')
    for (const m of await this.d.migrations.inStatuses(statuses)) {
      n++
      if (m.status === 'confirming' || m.status === 'reverting') {
        const action = await this.d.actions.latest(
          m.instance_uuid,
          m.status === 'confirming' ? 'confirmResize' : 'revertResize',
        )
        dispatch({
          instance_uuid: m.instance_uuid,
          request_id: action?.request_id ?? `req-resume-${m.uuid}`,
          operation: m.status === 'confirming' ? 'confirm_resize' : 'revert_resize',
          migration_uuid: m.uuid,
        })
        continue
      }
      const [row] = await this.d.servers.rows([m.instance_uuid])
      if (row?.deleted !== 0) {
        await this.d.placement.release(m.uuid)
        await this.d.migrations.update(m.uuid, { status: 'error' })
        continue
      }
      const held = Object.keys((await this.d.placement.consumer(m.uuid)).allocations).length > 0
      if (row.host === m.source_compute || !m.dest_compute) {
        if (held) await this.restore(row, m)
        await this.d.migrations.update(m.uuid, { status: 'error' })
        await this.d.servers.update(row.uuid, {
          host: m.source_compute,
          node: m.source_node,
          task_state: null,
          ...flavorColumns(JSON.parse(m.old_flavor) as InstanceFlavor, m.old_instance_type_id),
        })
      } else {
        await this.d.placement.release(m.uuid)
        await this.d.migrations.update(m.uuid, { status: 'error' })
        await this.error(row, 'the move was interrupted by a stop of the conductor', row.host)
      }
    }
    for (const row of await this.d.servers.unfinished(OPERATION_TASK_STATES)) {
      if (row.vm_state === 'building' || !row.task_state || row.task_state === 'rebuilding') continue
      if (!OPERATION_TASK_STATES.includes(row.task_state)) continue
      if (
        row.task_state === 'unshelving' ||
        (row.task_state === 'spawning' && row.vm_state === 'shelved_offloaded')
      ) {
        await this.d.placement.release(row.uuid)
        await this.d.servers.update(row.uuid, { host: null, node: null, task_state: null })
      } else if (!(await this.d.migrations.latestFor(row.uuid, statuses))) {
        await this.d.servers.update(row.uuid, { task_state: null })
      }
      n++
    }
    return n
  }

  /** A deleted server's moves in flight: their allocations go, the records end in `error`. */
  async onDeleted(uuid: string): Promise<void> {
    for (const m of await this.d.migrations.list({ instanceUuid: uuid, statuses: MIGRATION_IN_FLIGHT })) {
      await this.d.placement.release(m.uuid)
      if (m.source_compute && m.dest_compute && m.source_compute !== m.dest_compute)
        await this.d.agents
          .operation(m.source_compute, 'confirm_resize', { instance_uuid: uuid })
          .catch(() => {})
      await this.d.migrations.update(m.uuid, { status: 'error' })
    }
  }

  // --- resize and cold migration

  private async resize(ctx: OpContext): Promise<boolean> {
    const { row } = ctx
    const mig = await this.migration(ctx)
    if (!mig) return false
    const newFlavor = JSON.parse(mig.new_flavor) as InstanceFlavor
    const kind = mig.migration_type === 'resize' ? 'resize' : 'migrate'
    const source = row.host!
    await this.notify(`instance.resize_prep.start`, row)
    // 1. the source's resources go to the migration
    if (!(await this.hold(row, mig)))
      return this.moveFailed(ctx, mig, 'placement', 'allocations changed meanwhile')
    // 2. a destination claimed for the instance with the new flavor
    const sameHostOk = kind === 'resize' && this.d.allowResizeToSameHost
    let dest: SelectionMessage[]
    try {
      dest = await this.schedule(row, {
        flavor: newFlavor,
        ...(sameHostOk ? {} : { ignore_hosts: [source] }),
        ...(mig.dest_host ? { destination: { host: mig.dest_host } } : {}),
      })
    } catch (e) {
      return this.moveFailed(ctx, mig, 'schedule', (e as Error).message)
    }
    // 3. pre-check at the destination, then the alternates when it refuses
    let target: SelectionMessage | undefined
    let lastError = ''
    for (let i = 0; i < dest.length && i < this.d.maxAttempts; i++) {
      const sel = dest[i]!
      if (i > 0 && !(await this.d.placement.claim(row.uuid, sel.allocation_request, owner(row)))) continue
      const ok = await this.step(ctx, 'compute_prep_resize', sel.host, () =>
        this.d.agents.operation(sel.host, 'check_can_receive', {
          instance: { ...instanceMessage(row), ...flavorFields(newFlavor) },
          kind: 'resize',
        }),
      )
      if (ok === true) {
        target = sel
        break
      }
      lastError = ok
      await this.d.placement.release(row.uuid)
    }
    if (!target) return this.moveFailed(ctx, mig, 'pre-check', lastError, true)
    const destHost = target.host
    await this.d.migrations.update(mig.uuid, {
      dest_compute: destHost,
      dest_node: target.nodename,
      status: 'migrating',
    })
    await this.notify('instance.resize_prep.end', row)
    // 4. the transfer from the source
    await this.d.servers.updateIf(row.uuid, ['resize_prep'], { task_state: 'resize_migrating' })
    await this.notify('instance.resize.start', row)
    const moved = await this.step(ctx, 'compute_resize_instance', source, () =>
      this.d.agents.operation(source, 'resize_instance', { instance_uuid: row.uuid, destination: destHost }),
    )
    if (moved !== true) {
      // the guest is still at the source: back to where it was
      await this.d.placement.release(row.uuid)
      await this.powerBack(source, row.uuid, mig.old_vm_state)
      return this.moveFailed(ctx, mig, 'transfer', moved)
    }
    await this.d.migrations.update(mig.uuid, { status: 'post-migrating' })
    await this.d.servers.updateIf(row.uuid, ['resize_migrating'], { task_state: 'resize_migrated' })
    await this.notify('instance.resize.end', row)
    // 5. the guest defined at the destination with its new flavor
    await this.d.servers.updateIf(row.uuid, ['resize_migrated'], {
      task_state: 'resize_finish',
      host: destHost,
      node: target.nodename,
      ...flavorColumns(newFlavor, mig.new_instance_type_id),
    })
    await this.notify('instance.resize_finish.start', row)
    let report: InstanceStateReport | undefined
    const finished = await this.step(ctx, 'compute_finish_resize', destHost, async () => {
      report = await this.d.agents.operation<InstanceStateReport>(destHost, 'finish_resize', {
        instance: { ...instanceMessage(row), ...flavorFields(newFlavor) },
        power_on: mig.old_vm_state !== 'stopped',
      })
    })
    if (finished !== true) {
      // upstream ends a failed finish in ERROR at the destination; the source's copy and
      // the migration's hold on the source go, so one allocation is left, where it is.
      if (source !== destHost)
        await this.d.agents.operation(source, 'confirm_resize', { instance_uuid: row.uuid }).catch(() => {})
      await this.d.placement.release(mig.uuid)
      await this.d.migrations.update(mig.uuid, { status: 'error' })
      await this.error(row, finished, destHost)
      await this.notify('instance.resize_finish.error', row, 'error', finished)
      return false
    }
    await this.d.migrations.update(mig.uuid, { status: 'finished' })
    await this.d.servers.updateIf(row.uuid, ['resize_finish'], {
      vm_state: 'resized',
      task_state: null,
      power_state: report?.power_state ?? POWER.RUNNING,
    })
    await this.notify('instance.resize_finish.end', { ...row, host: destHost, vm_state: 'resized' })
    return true
  }

  private async confirm(ctx: OpContext): Promise<boolean> {
    const { row } = ctx
    const mig = await this.migration(ctx)
    if (mig?.status !== 'confirming') return false
    await this.notify('instance.resize_confirm.start', row)
    if (mig.source_compute && mig.source_compute !== mig.dest_compute) {
      // NOTE: a source that cannot be reached does not keep the resize unconfirmed: its
      // copy is a stopped guest the host drops when it is told again (a repeated confirm).
      await this.step(ctx, 'compute_confirm_resize', mig.source_compute, () =>
        this.d.agents.operation(mig.source_compute!, 'confirm_resize', { instance_uuid: row.uuid }),
      )
    }
    await this.d.placement.release(mig.uuid)
    await this.d.migrations.update(mig.uuid, { status: 'confirmed' })
    const [now] = await this.d.servers.rows([row.uuid])
    const vmState = now?.power_state === POWER.SHUTDOWN ? 'stopped' : 'active'
    await this.d.servers.update(row.uuid, { vm_state: vmState, task_state: null })
    await this.notify('instance.resize_confirm.end', { ...row, vm_state: vmState })
    return true
  }

  private async revert(ctx: OpContext): Promise<boolean> {
    const { row } = ctx
    const mig = await this.migration(ctx)
    if (mig?.status !== 'reverting') return false
    const source = mig.source_compute!
    const dest = mig.dest_compute!
    const oldFlavor = JSON.parse(mig.old_flavor) as InstanceFlavor
    await this.notify('instance.resize_revert.start', row)
    if (source !== dest)
      await this.step(ctx, 'compute_revert_resize', dest, () =>
        this.d.agents.operation(dest, 'revert_resize', { instance_uuid: row.uuid }),
      )
    // the source's resources go back from the migration to the instance, in one write
    if (!(await this.d.placement.move(mig.uuid, row.uuid, owner(row), MOVE_BACK, true)))
      throw new Error(`the allocations of ${row.uuid} changed during its revert`)
    await this.d.servers.update(row.uuid, {
      host: source,
      node: mig.source_node,
      ...flavorColumns(oldFlavor, mig.old_instance_type_id),
    })
    let report: InstanceStateReport | undefined
    const back = await this.step(ctx, 'compute_finish_revert_resize', source, async () => {
      report = await this.d.agents.operation<InstanceStateReport>(source, 'finish_revert_resize', {
        instance: { ...instanceMessage(row), ...flavorFields(oldFlavor) },
        power_on: mig.old_vm_state !== 'stopped',
      })
    })
    if (back !== true) {
      await this.d.migrations.update(mig.uuid, { status: 'error' })
      await this.error(row, back, source)
      return false
    }
    await this.d.migrations.update(mig.uuid, { status: 'reverted' })
    await this.d.servers.update(row.uuid, {
      vm_state: mig.old_vm_state === 'stopped' ? 'stopped' : 'active',
      task_state: null,
      power_state: report?.power_state ?? POWER.RUNNING,
    })
    await this.notify('instance.resize_revert.end', { ...row, host: source })
    return true
  }

  // --- live migration

  private async live(ctx: OpContext): Promise<boolean> {
    const { row, args } = ctx
    const mig = await this.migration(ctx)
    if (!mig) return false
    const source = row.host!
    const flavor = JSON.parse(row.flavor) as InstanceFlavor
    if (!(await this.hold(row, mig))) return this.liveFailed(ctx, mig, 'allocations changed meanwhile', false)
    let targets: SelectionMessage[]
    try {
      targets =
        args.force && mig.dest_host
          ? [await this.forced(row, mig.dest_host, flavor)]
          : await this.schedule(row, {
              ignore_hosts: [source],
              ...(mig.dest_host ? { destination: { host: mig.dest_host } } : {}),
            })
    } catch (e) {
      return this.liveFailed(ctx, mig, (e as Error).message, false)
    }
    let target: SelectionMessage | undefined
    let lastError = ''
    for (let i = 0; i < targets.length && i < this.d.maxAttempts; i++) {
      const sel = targets[i]!
      if (i > 0 && !(await this.d.placement.claim(row.uuid, sel.allocation_request, owner(row)))) continue
      if (
        !(await this.d.migrations.updateIf(mig.uuid, ['accepted', 'queued', 'preparing'], {
          status: 'preparing',
        }))
      )
        return this.liveFailed(ctx, mig, 'cancelled', true, 'cancelled')
      const ok = await this.step(ctx, 'compute_check_can_live_migrate_destination', sel.host, () =>
        this.d.agents.operation(sel.host, 'check_can_receive', {
          instance: instanceMessage(row),
          kind: 'live',
        }),
      )
      if (ok === true) {
        target = sel
        break
      }
      lastError = ok
      await this.d.placement.release(row.uuid)
    }
    if (!target) return this.liveFailed(ctx, mig, lastError, false)
    const dest = target.host
    await this.d.migrations.update(mig.uuid, { dest_compute: dest, dest_node: target.nodename })
    await this.notify('instance.live_migration_pre.start', row)
    const pre = await this.step(ctx, 'compute_pre_live_migration', dest, () =>
      this.d.agents.operation(dest, 'pre_live_migration', { instance: instanceMessage(row) }),
    )
    if (pre !== true) return this.liveFailed(ctx, mig, pre, true)
    await this.notify('instance.live_migration_pre.end', row)
    if (!(await this.d.migrations.updateIf(mig.uuid, ['preparing'], { status: 'running' }))) {
      await this.d.agents.operation(dest, 'rollback_live_migration_at_destination', {
        instance_uuid: row.uuid,
      })
      return this.liveFailed(ctx, mig, 'cancelled', true, 'cancelled')
    }
    const transfer = await this.step(ctx, 'compute_live_migration', source, () =>
      this.d.agents.operation(source, 'live_migration', { instance_uuid: row.uuid, destination: dest }),
    )
    if (transfer !== true) {
      await this.notify('instance.live_migration_rollback_dest.start', row)
      await this.d.agents
        .operation(dest, 'rollback_live_migration_at_destination', { instance_uuid: row.uuid })
        .catch(() => {})
      const [m] = [await this.d.migrations.get(mig.uuid)]
      const aborted = /aborted/.test(transfer) || m?.status === 'cancelled'
      if (aborted) await this.notify('instance.live_migration_abort.end', row)
      return this.liveFailed(ctx, mig, transfer, true, aborted ? 'cancelled' : 'error')
    }
    await this.notify('instance.live_migration_post.start', row)
    await this.d.servers.update(row.uuid, { host: dest, node: target.nodename })
    let report: InstanceStateReport | undefined
    const post = await this.step(ctx, 'compute_post_live_migration_at_destination', dest, async () => {
      report = await this.d.agents.operation<InstanceStateReport>(
        dest,
        'post_live_migration_at_destination',
        {
          instance_uuid: row.uuid,
          power_state: row.power_state,
        },
      )
    })
    // the guest left the source either way: the migration's hold there goes
    await this.d.placement.release(mig.uuid)
    if (post !== true) {
      await this.d.migrations.update(mig.uuid, { status: 'error' })
      await this.error(row, post, dest)
      return false
    }
    await this.d.migrations.update(mig.uuid, { status: 'completed' })
    await this.d.servers.updateIf(row.uuid, ['migrating'], {
      task_state: null,
      power_state: report?.power_state ?? row.power_state,
    })
    await this.notify('instance.live_migration_post.end', { ...row, host: dest })
    return true
  }

  private async liveFailed(
    ctx: OpContext,
    mig: MigrationRow,
    message: string,
    claimed: boolean,
    status = 'error',
  ): Promise<false> {
    const { row } = ctx
    await this.notify('instance.live_migration_rollback.start', row)
    if (claimed) await this.d.placement.release(row.uuid)
    await this.restore(row, mig)
    await this.d.migrations.update(mig.uuid, { status })
    await this.d.servers.update(row.uuid, { host: mig.source_compute, node: mig.source_node })
    await this.d.servers.updateIf(row.uuid, ['migrating'], { task_state: null })
    this.d.logger.info({ instance: row.uuid, message }, 'live migration rolled back')
    await this.notify('instance.live_migration_rollback.end', row)
    return false
  }

  // --- evacuate

  private async evacuate(ctx: OpContext): Promise<boolean> {
    const { row, args } = ctx
    const mig = await this.migration(ctx)
    if (!mig) return false
    const flavor = JSON.parse(row.flavor) as InstanceFlavor
    const source = mig.source_compute!
    await this.notify('instance.evacuate', row)
    if (!(await this.hold(row, mig))) return this.evacuateFailed(ctx, mig, 'allocations changed meanwhile')
    let targets: SelectionMessage[]
    try {
      targets =
        args.force && mig.dest_host
          ? [await this.forced(row, mig.dest_host, flavor)]
          : await this.schedule(row, {
              ignore_hosts: [source],
              ...(mig.dest_host ? { destination: { host: mig.dest_host } } : {}),
            })
    } catch (e) {
      return this.evacuateFailed(ctx, mig, (e as Error).message)
    }
    const target = targets[0]!
    await this.d.migrations.update(mig.uuid, {
      dest_compute: target.host,
      dest_node: target.nodename,
      status: 'pre-migrating',
    })
    await this.d.servers.update(row.uuid, { host: target.host, node: target.nodename })
    let report: InstanceStateReport | undefined
    const rebuilt = await this.step(ctx, 'compute_rebuild_instance', target.host, async () => {
      report = await this.d.agents.rebuild(target.host, { instance: instanceMessage(row) })
      if (row.vm_state === 'stopped')
        report = await this.d.agents.power(target.host, 'stop_instance', { instance_uuid: row.uuid })
    })
    if (rebuilt !== true) {
      await this.d.placement.release(row.uuid)
      await this.d.servers.update(row.uuid, { host: source, node: mig.source_node })
      return this.evacuateFailed(ctx, mig, rebuilt)
    }
    // NOTE: the down host's copy is abandoned with its hold (upstream keeps that until
    // the host comes back and cleans up; here the hold goes now, so usage is exact).
    await this.d.placement.release(mig.uuid)
    await this.d.migrations.update(mig.uuid, { status: 'done' })
    await this.d.servers.updateIf(row.uuid, ['rebuilding'], {
      vm_state: row.vm_state === 'stopped' ? 'stopped' : 'active',
      task_state: null,
      power_state: report?.power_state ?? POWER.RUNNING,
      launched_on: target.host,
    })
    return true
  }

  private async evacuateFailed(ctx: OpContext, mig: MigrationRow, message: string): Promise<false> {
    const { row } = ctx
    await this.restore(row, mig)
    await this.d.migrations.update(mig.uuid, { status: 'failed' })
    await this.error(row, message, mig.source_compute)
    return false
  }

  // --- shelve, offload, unshelve

  private async shelve(ctx: OpContext): Promise<boolean> {
    const { row } = ctx
    await this.notify('instance.shelve.start', row)
    let report: InstanceStateReport | undefined
    const ok = await this.step(ctx, 'compute_shelve_instance', row.host, async () => {
      report = await this.d.agents.operation<InstanceStateReport>(row.host!, 'shelve_instance', {
        instance_uuid: row.uuid,
      })
    })
    if (ok !== true) {
      await this.d.servers.updateIf(row.uuid, ['shelving'], { task_state: null })
      await this.fault(row, ok, row.host)
      return false
    }
    await this.shelvedImage(row)
    await this.d.servers.updateIf(
      row.uuid,
      ['shelving', 'shelving_image_pending_upload', 'shelving_image_uploading'],
      {
        vm_state: 'shelved',
        task_state: this.d.shelvedOffloadTime === 0 ? 'shelving_offloading' : null,
        power_state: report?.power_state ?? POWER.SHUTDOWN,
      },
    )
    await this.notify('instance.shelve.end', { ...row, vm_state: 'shelved' })
    if (this.d.shelvedOffloadTime === 0)
      return this.offload({ ...ctx, row: { ...row, vm_state: 'shelved' } }, null)
    return true
  }

  /** Offloads a shelved server: the guest and its allocation go, the host is cleared. */
  async offload(ctx: OpContext, _how: string | null): Promise<boolean> {
    const { row } = ctx
    await this.notify('instance.shelve_offload.start', row)
    if (row.host) {
      const ok = await this.step(ctx, 'compute_shelve_offload_instance', row.host, () =>
        this.d.agents.operation(row.host!, 'shelve_offload_instance', { instance_uuid: row.uuid }),
      )
      if (ok !== true) {
        await this.d.servers.updateIf(row.uuid, ['shelving_offloading'], { task_state: null })
        await this.fault(row, ok, row.host)
        return false
      }
    }
    await this.d.placement.release(row.uuid)
    await this.d.servers.updateIf(row.uuid, ['shelving_offloading'], {
      vm_state: 'shelved_offloaded',
      task_state: null,
      power_state: POWER.SHUTDOWN,
      host: null,
      node: null,
    })
    await this.notify('instance.shelve_offload.end', { ...row, vm_state: 'shelved_offloaded', host: null })
    return true
  }

  private async unshelve(ctx: OpContext): Promise<boolean> {
    const { row, args } = ctx
    await this.notify('instance.unshelve.start', row)
    if (row.vm_state === 'shelved' && row.host) {
      // still on its host: powered on where it is
      let report: InstanceStateReport | undefined
      const ok = await this.step(ctx, 'compute_unshelve_instance', row.host, async () => {
        report = await this.d.agents.power(row.host!, 'start_instance', { instance_uuid: row.uuid })
      })
      await this.d.servers.updateIf(row.uuid, ['unshelving'], {
        task_state: null,
        ...(ok === true ? { vm_state: 'active', power_state: report?.power_state ?? POWER.RUNNING } : {}),
      })
      if (ok !== true) await this.fault(row, ok, row.host)
      else {
        await this.dropShelvedImage(row)
        await this.notify('instance.unshelve.end', { ...row, vm_state: 'active' })
      }
      return ok === true
    }
    let targets: SelectionMessage[]
    try {
      targets = await this.schedule(row, {
        ...(args.availability_zone !== undefined ? { availability_zone: args.availability_zone } : {}),
        ...(args.host ? { destination: { host: args.host } } : {}),
      })
    } catch (e) {
      await this.d.servers.updateIf(row.uuid, ['unshelving'], { task_state: null })
      await this.fault(row, (e as Error).message, null)
      return false
    }
    let lastError = ''
    for (let i = 0; i < targets.length && i < this.d.maxAttempts; i++) {
      const sel = targets[i]!
      if (i > 0 && !(await this.d.placement.claim(row.uuid, sel.allocation_request, owner(row)))) continue
      // NOTE: the task state stays `unshelving` while the guest spawns: a conductor that
      // restarts would take `spawning` for a build to start over.
      await this.d.servers.updateIf(row.uuid, ['unshelving'], {
        host: sel.host,
        node: sel.nodename,
        ...(args.availability_zone !== undefined ? { availability_zone: args.availability_zone } : {}),
      })
      let report: InstanceStateReport | undefined
      const ok = await this.step(ctx, 'compute_unshelve_instance', sel.host, async () => {
        report = await this.d.agents.build(sel.host, { instance: instanceMessage(row) })
      })
      if (ok === true) {
        await this.d.servers.updateIf(row.uuid, ['unshelving'], {
          vm_state: 'active',
          task_state: null,
          power_state: report?.power_state ?? POWER.RUNNING,
        })
        await this.dropShelvedImage(row)
        await this.notify('instance.unshelve.end', { ...row, vm_state: 'active', host: sel.host })
        return true
      }
      lastError = ok
      await this.d.placement.release(row.uuid)
    }
    await this.d.servers.updateIf(row.uuid, ['unshelving'], {
      task_state: null,
      host: null,
      node: null,
    })
    await this.fault(row, lastError || 'No valid host was found.', null)
    return false
  }

  /** The `<name>-shelved` image record, its id kept as upstream's `shelved_image_id`. */
  private async shelvedImage(row: InstanceRow): Promise<void> {
    const { shelvedImages, systemMetadata, snapshotImages } = this.d
    if (!shelvedImages || !systemMetadata) return
    try {
      const id = await shelvedImages.create({
        uuid: row.uuid,
        name: row.display_name,
        projectId: row.project_id,
        image: JSON.parse(row.image) as InstanceImage,
      })
      await systemMetadata.set(row.uuid, 'shelved_image_id', id)
      // the guest's disk, as upstream's shelve snapshot uploads it
      if (!snapshotImages || !row.host) return
      await this.d.servers.updateIf(row.uuid, ['shelving'], { task_state: 'shelving_image_pending_upload' })
      const snap = await this.d.agents.operation<SnapshotReply>(row.host, 'snapshot_instance', {
        instance_uuid: row.uuid,
      })
      await this.d.servers.updateIf(row.uuid, ['shelving_image_pending_upload'], {
        task_state: 'shelving_image_uploading',
      })
      await snapshotImages.upload(id, Buffer.from(snap.data, 'base64'), {
        diskFormat: snap.disk_format,
        containerFormat: snap.container_format,
      })
    } catch (err) {
      // NOTE: the server is shelved either way; the image is a record of it.
      this.d.logger.warn({ err, instance: row.uuid }, 'the shelved image record was not made')
    }
  }

  private async dropShelvedImage(row: InstanceRow): Promise<void> {
    const { shelvedImages, systemMetadata } = this.d
    if (!shelvedImages || !systemMetadata) return
    const id = await systemMetadata.get(row.uuid, 'shelved_image_id')
    if (!id) return
    await shelvedImages
      .delete(id)
      .catch((err: unknown) => this.d.logger.warn({ err, image: id }, 'shelved image not deleted'))
    await systemMetadata.delete(row.uuid, 'shelved_image_id')
  }

  // --- createImage, createBackup

  /**
   * The guest's disk from its host, uploaded to the image record the API made; the task
   * state walks image_snapshot (image_backup) ─▶ image_pending_upload ─▶ image_uploading
   * ─▶ none; a backup then deletes the server's backups of its type beyond the rotation,
   * oldest first. A failure deletes the image, clears the task state and records the
   * fault (vm_state kept).
   */
  private async snapshot(ctx: OpContext): Promise<boolean> {
    const { row, args } = ctx
    const images = this.d.snapshotImages
    const imageId = args.image_id
    const backup = args.backup_type !== undefined
    const first = backup ? 'image_backup' : 'image_snapshot'
    const task = (from: string, to: string | null) =>
      this.d.servers.updateIf(row.uuid, [from], { task_state: to })
    // NOTE: a restarted conductor may have cleared the task state: the snapshot goes on.
    await this.d.servers.updateIf(row.uuid, backup ? [null] : ['image_snapshot_pending', null], {
      task_state: first,
    })
    await this.notify('instance.snapshot.start', row)
    const event = backup ? 'compute_backup_instance' : 'compute_snapshot_instance'
    const ok = await this.step(ctx, event, row.host, async () => {
      if (!images || !imageId || !row.host) throw new Error('No image service to upload the snapshot to.')
      const snap = await this.d.agents.operation<SnapshotReply>(row.host, 'snapshot_instance', {
        instance_uuid: row.uuid,
      })
      await task(first, 'image_pending_upload')
      await task('image_pending_upload', 'image_uploading')
      await images.upload(imageId, Buffer.from(snap.data, 'base64'), {
        diskFormat: snap.disk_format,
        containerFormat: snap.container_format,
      })
      await task('image_uploading', null)
      if (backup) await this.rotate(row.uuid, args.backup_type!, args.rotation ?? 0)
    })
    if (ok !== true) {
      if (images && imageId) await images.delete(imageId).catch(() => {})
      await this.d.servers.updateIf(row.uuid, SNAPSHOT_TASK_STATES, { task_state: null })
      await this.fault(row, ok, row.host)
      await this.notify('instance.snapshot.error', row, 'error', ok)
      return false
    }
    await this.notify('instance.snapshot.end', row)
    return true
  }

  /** Keeps the newest `rotation` backups of the type; a delete that fails is left for the next. */
  private async rotate(uuid: string, backupType: string, rotation: number): Promise<void> {
    const images = this.d.snapshotImages!
    const excess = (await images.backups(uuid, backupType)).slice(rotation)
    for (const id of excess)
      await images
        .delete(id)
        .catch((err: unknown) => this.d.logger.warn({ err, image: id }, 'backup not rotated'))
  }

  // --- rescue, crash dump

  private async rescue(ctx: OpContext): Promise<boolean> {
    const { row, args } = ctx
    const rescuing = args.operation === 'rescue'
    const task = rescuing ? 'rescuing' : 'unrescuing'
    await this.notify(`instance.${rescuing ? 'rescue' : 'unrescue'}.start`, row)
    let report: InstanceStateReport | undefined
    const ok = await this.step(ctx, `compute_${task.replace(/ing$/, 'e')}_instance`, row.host, async () => {
      report = rescuing
        ? await this.d.agents.operation<InstanceStateReport>(row.host!, 'rescue_instance', {
            instance_uuid: row.uuid,
            rescue_image_ref: args.rescue_image_ref ?? row.image_ref,
          })
        : await this.d.agents.operation<InstanceStateReport>(row.host!, 'unrescue_instance', {
            instance_uuid: row.uuid,
          })
    })
    if (ok !== true) {
      await this.d.servers.updateIf(row.uuid, [task], { task_state: null })
      await this.fault(row, ok, row.host)
      return false
    }
    const vmState = rescuing ? 'rescued' : 'active'
    await this.d.servers.updateIf(row.uuid, [task], {
      vm_state: vmState,
      task_state: null,
      power_state: report?.power_state ?? POWER.RUNNING,
    })
    await this.notify(`instance.${rescuing ? 'rescue' : 'unrescue'}.end`, { ...row, vm_state: vmState })
    return true
  }

  private async crashDump(ctx: OpContext): Promise<boolean> {
    const { row } = ctx
    const ok = await this.step(ctx, 'compute_trigger_crash_dump', row.host, () =>
      this.d.agents.operation(row.host!, 'trigger_crash_dump', { instance_uuid: row.uuid }),
    )
    if (ok === true) await this.notify('instance.trigger_crash_dump.end', row)
    return ok === true
  }

  // --- shared steps

  private async migration(ctx: OpContext): Promise<MigrationRow | undefined> {
    return ctx.args.migration_uuid ? this.d.migrations.get(ctx.args.migration_uuid) : undefined
  }

  /**
   * The instance's allocations become the migration's (both generations checked; the
   * migration is new, so its consumer is not read first).
   */
  private hold(row: InstanceRow, mig: MigrationRow): Promise<boolean> {
    return this.d.placement.move(row.uuid, mig.uuid, owner(row), HOLD, false, true)
  }

  /** The migration's hold goes back to the instance (which holds nothing else now). */
  private async restore(row: InstanceRow, mig: MigrationRow): Promise<void> {
    if (!(await this.d.placement.move(mig.uuid, row.uuid, owner(row), MOVE_BACK, true)))
      throw new Error(`the allocations of ${row.uuid} changed while its move was rolled back`)
  }

  /** The scheduler's destinations, claimed (the first) for the instance. */
  private async schedule(
    row: InstanceRow,
    extra: Omit<SelectDestinationsArgs, 'instance_uuids'>,
  ): Promise<SelectionMessage[]> {
    let reply: SelectDestinationsReply
    try {
      reply = await this.d.selectDestinations({ instance_uuids: [row.uuid], move: true, ...extra })
    } catch (e) {
      throw new StepFailed('schedule', `No valid host was found. ${(e as Error).message}`)
    }
    if (!reply.ok) throw new StepFailed('schedule', reply.message)
    const s = reply.selections[0]
    if (!s) throw new StepFailed('schedule', 'No valid host was found.')
    return [s.selection, ...s.alternates]
  }

  /** A forced destination (no scheduler): the flavor claimed on the host's provider. */
  private async forced(row: InstanceRow, host: string, flavor: InstanceFlavor): Promise<SelectionMessage> {
    const [rp] = (await this.d.placement.providers(host)).filter((p) => p.uuid === p.root_provider_uuid)
    if (!rp) throw new StepFailed('schedule', `Compute host ${host} could not be found.`)
    const resources = {
      VCPU: flavor.vcpus,
      MEMORY_MB: flavor.memory_mb,
      DISK_GB: flavor.root_gb + flavor.ephemeral_gb + Math.ceil(flavor.swap / 1024),
    }
    if (!(await this.d.placement.claimOn(row.uuid, rp.uuid, resources, owner(row))))
      throw new StepFailed('schedule', `Unable to allocate resources on ${host}.`)
    return {
      host,
      nodename: host,
      allocation_request: {
        allocations: { [rp.uuid]: { resources } },
      } as SelectionMessage['allocation_request'],
    }
  }

  /** Powers the guest left at the source back on after a failed transfer. */
  private async powerBack(host: string, uuid: string, oldVmState: string): Promise<void> {
    if (oldVmState === 'stopped') return
    await this.d.agents.power(host, 'start_instance', { instance_uuid: uuid }).catch(() => {})
  }

  /** A resize or migration that did not get going: everything back at the source. */
  private async moveFailed(
    ctx: OpContext,
    mig: MigrationRow,
    step: StepFailed['step'],
    message: string,
    released = false,
  ): Promise<false> {
    const { row } = ctx
    if (!released && step !== 'placement' && step !== 'schedule') await this.d.placement.release(row.uuid)
    if (step !== 'placement') await this.restore(row, mig)
    await this.d.migrations.update(mig.uuid, { status: 'error' })
    await this.d.servers.update(row.uuid, {
      host: mig.source_compute,
      node: mig.source_node,
      ...flavorColumns(JSON.parse(mig.old_flavor) as InstanceFlavor, mig.old_instance_type_id),
    })
    await this.d.servers.updateIf(row.uuid, OPERATION_TASK_STATES, { task_state: null })
    await this.fault(row, message, step === 'schedule' ? null : row.host)
    await this.notify('instance.resize_prep.error', row, 'error', message)
    return false
  }

  /** ERROR with the reason as the fault. */
  private async error(row: InstanceRow, message: string, host: string | null): Promise<void> {
    await this.fault(row, message, host)
    await this.d.servers.update(row.uuid, { vm_state: 'error', task_state: null })
  }

  private async fault(row: InstanceRow, message: string, host: string | null): Promise<void> {
    await this.d.servers.addFault({
      instance_uuid: row.uuid,
      code: 500,
      message: message.length > 255 ? `${message.slice(0, 252)}...` : message,
      details: message,
      host,
      created_at: new Date().toISOString(),
    })
  }

  /** Runs one step as an instance action event; true, or the failure's message. */
  private async step(
    ctx: OpContext,
    event: string,
    host: string | null,
    work: () => Promise<unknown>,
  ): Promise<true | string> {
    const id = ctx.actionId ? await this.d.actions.startEvent(ctx.actionId, event, host) : undefined
    try {
      await work()
      if (id) await this.d.actions.finishEvent(id, 'Success', null)
      return true
    } catch (e) {
      const message = (e as Error).message
      if (id) await this.d.actions.finishEvent(id, 'Error', message, message)
      this.d.logger.warn({ instance: ctx.row.uuid, event, host, err: message }, 'operation step failed')
      return message
    }
  }

  private async notify(
    eventType: string,
    row: InstanceRow,
    priority: 'info' | 'error' = 'info',
    fault?: string,
  ): Promise<void> {
    await this.d
      .notify(
        eventType,
        {
          name: 'InstanceActionPayload',
          version: '1.8',
          data: {
            uuid: row.uuid,
            display_name: row.display_name,
            tenant_id: row.project_id,
            user_id: row.user_id,
            host: row.host,
            node: row.node,
            state: row.vm_state,
            task_state: row.task_state,
            fault: fault ? { message: fault, exception: 'InstanceFaultRollback' } : null,
          },
        },
        priority,
      )
      .catch((err: unknown) => this.d.logger.warn({ err, eventType }, 'notification not sent'))
  }
}

interface OpContext {
  row: InstanceRow
  args: ServerOperationArgs
  actionId: number | undefined
}

const HOLD = { from: 'INSTANCE', to: 'MIGRATION' } as const
const MOVE_BACK = { from: 'MIGRATION', to: 'INSTANCE' } as const

const owner = (row: InstanceRow) => ({ projectId: row.project_id, userId: row.user_id })

/** The instance columns a flavor sets. */
export function flavorColumns(f: InstanceFlavor, typeId?: number | null) {
  return {
    flavor: JSON.stringify(f),
    ...(typeId ? { instance_type_id: typeId } : {}),
    vcpus: f.vcpus,
    memory_mb: f.memory_mb,
    root_gb: f.root_gb,
    ephemeral_gb: f.ephemeral_gb,
  }
}

/** The agent message's fields a flavor sets. */
function flavorFields(f: InstanceFlavor) {
  return {
    vcpus: f.vcpus,
    memory_mb: f.memory_mb,
    root_gb: f.root_gb,
    ephemeral_gb: f.ephemeral_gb,
    swap_mb: f.swap,
    extra_specs: f.extra_specs,
  }
}
