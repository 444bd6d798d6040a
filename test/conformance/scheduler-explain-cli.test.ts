/**
 * `cloudlet scheduler explain` run as a child process against a cloud started with
 * `cloudlet up` (its simulated hosts, one disabled with the openstack CLI, which placement then leaves
 * out): it prints the placement candidate count, each filter's removals with per-host reasons and the ranked
 * hosts with weights, boots nothing, and is refused for a non-admin cloud entry.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import {
  CLOUDLET,
  type CloudProcess,
  openstackJson,
  openstackOk,
  startCloudProcess,
} from '../support/cloud-process.js'

const run = promisify(execFile)

async function explain(env: NodeJS.ProcessEnv, args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLOUDLET, 'scheduler', 'explain', ...args], {
      env,
      timeout: 60_000,
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

describe('cloudlet scheduler explain', { timeout: 300_000 }, () => {
  let cloud: CloudProcess
  let admin: NodeJS.ProcessEnv
  let hosts: string[]

  before(async () => {
    cloud = await startCloudProcess()
    admin = { ...cloud.env, OS_CLOUD: 'cloudlet-admin' }
    // The simulated hosts register themselves once the cloud is up.
    for (let i = 0; i < 100; i++) {
      const svcs = await openstackJson<{ Host: string; Binary: string }[]>(admin, [
        'compute',
        'service',
        'list',
      ])
      hosts = svcs
        .filter((s) => s.Binary === 'nova-compute')
        .map((s) => s.Host)
        .sort()
      if (hosts.length === 3) break
      await new Promise((r) => setTimeout(r, 200))
    }
    assert.equal(hosts.length, 3)
    await openstackOk(admin, [
      'compute',
      'service',
      'set',
      '--disable',
      '--disable-reason',
      'RAM errors',
      hosts[2]!,
      'nova-compute',
    ])
  })
  after(async () => cloud?.stop())

  it('prints candidates, removals with reasons and the ranked hosts, and boots nothing', async () => {
    const r = await explain(cloud.env, ['--flavor', 'm1.small', '--count', '2'])
    assert.equal(r.code, 0, r.stderr)
    const out = r.stdout
    assert.match(
      out,
      /^scheduler explain: flavor m1\.small, 2 servers; 3 compute hosts known \(nothing booted or claimed\)\nPlaced\./,
    )
    // The disabled host's provider carries COMPUTE_STATUS_DISABLED, which the request
    // filter's root_required excludes: placement never offers it.
    assert.match(out, /root_required=!COMPUTE_STATUS_DISABLED/)
    assert.match(out, /candidates from placement: 2/)
    assert.match(out, /rank {2}host {18}weight {4}outcome {4}weighers/)
    assert.match(out, new RegExp(`\\n +1 +${hosts[0]!}|\\n +1 +${hosts[1]!}`))
    assert.match(out, new RegExp(`not returned by placement: ${hosts[2]!}`))
    assert.equal((out.match(/^server /gm) ?? []).length, 2, 'one pass per server of the request')
    const servers = await openstackJson<unknown[]>(admin, ['server', 'list', '--all-projects'])
    assert.deepEqual(servers, [])
    process.stdout.write(`${out}\n`)
  })

  it('answers JSON with --json, and says why when nothing fits', async () => {
    const j = await explain(cloud.env, [
      '--flavor',
      '1',
      '--json',
      '--hint',
      'same_host=x',
      '--hint',
      'same_host=y',
    ])
    assert.equal(j.code, 0, j.stderr)
    const e = JSON.parse(j.stdout).scheduler_explanation
    assert.equal(e.hosts, 3)
    assert.equal(e.candidates, 2, 'the disabled host is not a candidate')
    assert.equal(e.passes.length, 1)
    await openstackOk(admin, [
      'flavor',
      'create',
      '--ram',
      '9999999',
      '--vcpus',
      '1',
      '--disk',
      '1',
      'too-big',
    ])
    const none = await explain(cloud.env, ['--flavor', 'too-big'])
    assert.equal(none.code, 3, 'no host: exit code 3')
    assert.match(
      none.stdout,
      /No valid host was found\. Placement returned no candidates for resources=.*MEMORY_MB:9999999/,
    )
  })

  it('is refused for a member, and names a mistake in one line', async () => {
    const member = await explain(cloud.env, ['--flavor', 'm1.tiny', '--os-cloud', 'cloudlet'])
    assert.equal(member.code, 1)
    assert.match(
      member.stderr,
      /compute answered 403: Policy doesn't allow cloudlet:compute:scheduler:explain to be performed\./,
    )
    const unknown = await explain(cloud.env, ['--flavor', 'no-such-flavor'])
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /^cloudlet: no flavor "no-such-flavor"\n$/)
    const noFlavor = await explain(cloud.env, [])
    assert.equal(noFlavor.code, 2)
    assert.match(noFlavor.stderr, /needs --flavor/)
  })
})
