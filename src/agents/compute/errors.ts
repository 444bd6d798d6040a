/**
 * The compute agent's and its drivers' errors. They cross the bus: a handler that throws
 * one gives the caller a RemoteError whose `remoteCode` is the stable code below, so the
 * conductor can branch on it (reschedule on `compute.instance.build_failed`, give up on
 * `compute.hypervisor.unavailable`, …).
 */
import { DomainError } from '../../kernel/errors/index.js'

/** The driver cannot do this at all (a migration on the fake driver, say). */
export class DriverNotSupported extends DomainError {
  constructor(driver: string, operation: string) {
    super(
      'not_implemented',
      'compute.driver.not_supported',
      `The ${driver} driver does not support ${operation}.`,
    )
  }
}

export class InstanceNotFound extends DomainError {
  constructor(readonly uuid: string) {
    super('not_found', 'compute.instance.not_found', `Instance ${uuid} could not be found.`)
  }
}

export class InstanceExists extends DomainError {
  constructor(readonly uuid: string) {
    super('conflict', 'compute.instance.exists', `Instance ${uuid} already exists.`)
  }
}

/** The guest's power state does not allow the operation (unpause a running guest). */
export class InstancePowerStateInvalid extends DomainError {
  constructor(uuid: string, operation: string, state: string) {
    super(
      'conflict',
      'compute.instance.invalid_power_state',
      `Cannot ${operation} instance ${uuid} while it is ${state}.`,
    )
  }
}

/** The hypervisor did not answer (the host is down). */
export class HypervisorUnavailable extends DomainError {
  constructor(host: string) {
    super(
      'service_unavailable',
      'compute.hypervisor.unavailable',
      `The hypervisor of host ${host} is unavailable.`,
    )
  }
}

/**
 * A build failed on this host; `reschedulable` says another host may succeed (the
 * conductor tries an alternate) rather than the request itself being at fault.
 */
export class InstanceBuildFailed extends DomainError {
  constructor(
    readonly uuid: string,
    readonly host: string,
    readonly reason: string,
    readonly reschedulable: boolean,
  ) {
    super(
      'conflict',
      'compute.instance.build_failed',
      `Build of instance ${uuid} on ${host} failed: ${reason}`,
    )
  }
}

/** The host lacks what the guest asks for (no free SEV slot, an unknown PCI device). */
export class HostResourcesExhausted extends DomainError {
  constructor(host: string, what: string) {
    super('conflict', 'compute.host.resources_exhausted', `Host ${host} has no ${what} left.`)
  }
}

/** Placement kept answering 409 to the agent's writes after every retry. */
export class ProviderUpdateConflict extends DomainError {
  constructor(provider: string, attempts: number) {
    super(
      'conflict',
      'compute.provider.update_conflict',
      `Resource provider ${provider} changed under every one of ${attempts} attempts to update it.`,
    )
  }
}

/** A live migration stopped on request (abort); the guest stays on its source host. */
export class MigrationAborted extends DomainError {
  constructor(uuid: string) {
    super('conflict', 'compute.migration.aborted', `Live migration of instance ${uuid} was aborted.`)
  }
}
