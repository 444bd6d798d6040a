/**
 * A RabbitMQ virtual host of its own for a test that runs whole cloud processes on the
 * machine's broker: the cloud's queue names (`conductor`, `scheduler`, ...) are stable by
 * design, so two runs in one vhost would share them. Made and removed with rabbitmqctl
 * (the broker scripts/ensure-rabbitmq.sh starts; run as root, as the test command is).
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface RabbitVhost {
  /** `rabbit://guest:guest@127.0.0.1:5672/<vhost>` */
  url: string
  drop(): Promise<void>
}

export async function createRabbitVhost(prefix = 'cloudlet-test'): Promise<RabbitVhost> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`
  await run('rabbitmqctl', ['-q', 'add_vhost', name])
  await run('rabbitmqctl', ['-q', 'set_permissions', '-p', name, 'guest', '.*', '.*', '.*'])
  return {
    url: `rabbit://guest:guest@127.0.0.1:5672/${encodeURIComponent(name)}`,
    drop: async () => {
      await run('rabbitmqctl', ['-q', 'delete_vhost', name]).catch(() => {})
    },
  }
}
