/**
 * The background work of this process, by name: what `tasks.spawn` runs (a create, a
 * delete, a copy...) is recorded while it runs, so that a workers cleanup resets only
 * resources that nothing in this process is working on.
 */

/** What the domain objects need of the host's task group. */
export interface Spawner {
  spawn(name: string, fn: () => Promise<void>): Promise<void>
  /** Work a request awaits, recorded as in flight while it runs (the host's task group has none). */
  hold?<T>(name: string, fn: () => Promise<T>): Promise<T>
}

export class InFlight implements Spawner {
  private readonly running = new Map<symbol, string>()

  constructor(private readonly tasks: Spawner) {}

  spawn(name: string, fn: () => Promise<void>): Promise<void> {
    const key = Symbol(name)
    this.running.set(key, name)
    return this.tasks.spawn(name, async () => {
      try {
        await fn()
      } finally {
        this.running.delete(key)
      }
    })
  }

  /**
   * Runs `fn` recorded as work on `name` (work a request awaits, such as an extend);
   * names carry the ids of the resources they work on.
   */
  async hold<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const key = Symbol(name)
    this.running.set(key, name)
    try {
      return await fn()
    } finally {
      this.running.delete(key)
    }
  }

  /** Whether work running here names the resource `id`. */
  busy(id: string): boolean {
    for (const name of this.running.values()) if (name.includes(id)) return true
    return false
  }
}
