/**
 * The upstream suites, run as part of `npm test` so that the figures in
 * docs/conformance.md are what CI saw:
 *   - Tempest (Debian python3-tempest 33) identity v3 and image v2 against `cloudlet up`
 *   - the upstream Placement gabbi files (Debian python3-gabbi) against a fresh
 *     placement per file
 * A test fails on any failure that is not listed in known-failures.json with its reason,
 * so a regression breaks the build while a newly passing test is only reported.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, it } from 'node:test'
import { promisify } from 'node:util'

const run = promisify(execFile)
const ROOT = resolve(import.meta.dirname, '../../..')
const SHARED = process.env.CLOUDLET_SHARED ?? resolve(ROOT, '../shared')
const KNOWN = JSON.parse(readFileSync(join(ROOT, 'test/conformance/known-failures.json'), 'utf8')) as Record<
  string,
  Record<string, string>
>

interface Summary {
  passed: number
  failed: number
  skipped: number
  output: string
}

async function runScript(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Summary> {
  let output: string
  try {
    const r = await run(cmd, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      timeout: 15 * 60_000,
      maxBuffer: 64 << 20,
    })
    output = r.stdout + r.stderr
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string }
    output = (e.stdout ?? '') + (e.stderr ?? '')
  }
  const m = /(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$/m.exec(output)
  assert.ok(m, `no summary line in the output:\n${output.slice(-3000)}`)
  return { passed: Number(m[1]), failed: Number(m[2]), skipped: Number(m[3] ?? 0), output }
}

/** Test ids in a tempest failed.txt (lines that start a test id, without [attrs]). */
function tempestIds(file: string): string[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => /^(tempest\.|setUpClass|tearDownClass)/.test(l))
    .map((l) => l.replace(/\[.*$/, '').trim())
}

describe('upstream conformance suites', {
  skip: !existsSync(SHARED) && `no ../shared beside the repository (${SHARED})`,
}, () => {
  for (const area of ['identity', 'image'] as const) {
    it(`tempest ${area}: no failures beyond the known ones`, async () => {
      const workspace = `/var/tmp/conformance/ci-tempest-${area}`
      const s = await runScript('bash', ['scripts/conformance/tempest.sh', area], {
        TEMPEST_WORKSPACE: workspace,
        TEMPEST_PORT: area === 'identity' ? '15171' : '15172',
        CLOUDLET_SHARED: SHARED,
      })
      const known = KNOWN[`tempest-${area}`] ?? {}
      const unexpected = tempestIds(join(workspace, 'failed.txt')).filter((id) => !(id in known))
      console.log(`tempest ${area}: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`)
      assert.deepEqual(
        unexpected,
        [],
        `unexpected tempest ${area} failures:\n${readFileSync(join(workspace, 'failed.txt'), 'utf8').slice(0, 6000)}`,
      )
      assert.ok(s.passed > 0)
    })
  }

  it('placement gabbi: no failures beyond the known ones', async () => {
    const json = '/var/tmp/conformance/ci-gabbi.json'
    const s = await runScript(
      'bash',
      [join(SHARED, 'conformance/placement/run-gabbits.sh'), 'http://127.0.0.1:18781'],
      {
        GABBI_RESET_CMD: `PLACEMENT_PORT=18781 bash ${join(ROOT, 'scripts/placement-gabbi-reset.sh')}`,
        GABBI_JSON: json,
        GABBI_LOG_DIR: '/var/tmp/conformance/ci-gabbi-logs',
      },
    )
    // The reset script leaves the last file's placement running; stop it.
    const pidFile = '/tmp/placement-gabbi-18781.pid'
    if (existsSync(pidFile)) {
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8')))
      } catch {
        // already gone
      }
    }
    const perFile = JSON.parse(readFileSync(json, 'utf8')) as unknown
    const known = KNOWN['placement-gabbi'] ?? {}
    const worse = failuresByFile(perFile).filter(
      ([file, failed]) => failed > Number.parseInt(known[file] ?? '0', 10),
    )
    console.log(`placement gabbi: ${s.passed} passed, ${s.failed} failed`)
    assert.deepEqual(worse, [], 'gabbi files with more failures than known-failures.json allows')
  })
})

/** Reads run-gabbits.sh's GABBI_JSON (`{totals, files: [{file, counts}]}`) into [file, failed] pairs. */
function failuresByFile(doc: unknown): Array<[string, number]> {
  const files = (doc as { files: Array<{ file: string; counts: Record<string, number> }> }).files
  return files.map((f) => [f.file, (f.counts.failed ?? 0) + (f.counts.errors ?? 0)])
}
