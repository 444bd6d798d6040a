#!/usr/bin/env bash
# bench/compute: the same boot-and-delete run (bench.ts) against Cloudlet and, when the
# reference stack runs (../shared/tools/reference/nova/refstack.sh all), against
# upstream Nova Zed with its fake driver; figures in docs/benchmarks-compute.md.
#
# usage: npm run build && bash bench/compute/run.sh [OUTDIR]
#   env: COUNT (100), CLIENTS (10), CLOUDLET_BENCH_PORT (15500), POLL_CLOUDLET (0.02),
#        POLL_NOVA (0.5), PA_PASSWORD (perfanchor), PA_STATE (/var/tmp/perf-anchor)
#
# Both clouds get the same request: flavor `tiny` (1 vCPU, 64 MiB, 1 GiB) and a 1 KiB raw
# image `tiny`, networks none, 4 simulated hypervisors, no quota driver (the reference
# stack's NoopQuotaDriver), as admin.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="${1:-/var/tmp/cloudlet-bench-compute}"
COUNT="${COUNT:-100}"; CLIENTS="${CLIENTS:-10}"
PORT="${CLOUDLET_BENCH_PORT:-15500}"
PA_STATE="${PA_STATE:-/var/tmp/perf-anchor}"
REF="$(cd ../shared/tools/reference/nova 2>/dev/null && pwd || true)"
mkdir -p "$OUT"
source bench/compute/fake-timings.sh
DATA="$(mktemp -d /var/tmp/cloudlet-bench-compute-data.XXXXXX)"
export OS_CLIENT_CONFIG_FILE="$DATA/clouds.yaml" CLOUDLET_ADMIN_PASSWORD=bench-admin

echo "== cloudlet up on :$PORT ($DATA)"
OS_QUOTA__DRIVER=nova.quota.NoopQuotaDriver OS_FAKE_DRIVER__HOSTS=4 \
  node --max-semi-space-size=4 dist/src/cmd/cloudlet.js up --port "$PORT" --data-dir "$DATA/data" \
  > "$OUT/cloudlet.log" 2>&1 &
PID=$!
trap 'kill -INT $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 1 100); do grep -q 'Cloudlet is up' "$OUT/cloudlet.log" && break; sleep 0.2; done
grep -q 'Cloudlet is up' "$OUT/cloudlet.log" || { cat "$OUT/cloudlet.log"; exit 1; }
head -c 1024 /dev/urandom > "$DATA/tiny.img"
openstack --os-cloud cloudlet-admin image create --disk-format raw --container-format bare --public \
  --file "$DATA/tiny.img" tiny > /dev/null
openstack --os-cloud cloudlet-admin flavor create --vcpus 1 --ram 64 --disk 1 tiny > /dev/null
sleep 2
node dist/bench/compute/bench.js --auth-url "http://127.0.0.1:$PORT/identity/v3" --password bench-admin \
  --pids "$PID" --label cloudlet --count "$COUNT" --clients "$CLIENTS" --poll "${POLL_CLOUDLET:-0.02}" \
  --json "$OUT/cloudlet.json" > /dev/null
echo "   the same run with the reference tool (nova-boot-bench.py, poll 0.5 s)"
if [ -n "$REF" ]; then
  python3 "$REF/nova-boot-bench.py" --auth-url "http://127.0.0.1:$PORT/identity/v3" --password bench-admin \
    --count "$COUNT" --mode multi --json "$OUT/cloudlet.pybench-multi.json" > /dev/null
fi
kill -INT $PID; wait $PID 2>/dev/null || true

if [ -n "$REF" ] && (exec 3<>/dev/tcp/127.0.0.1/15774) 2>/dev/null; then
  echo "== upstream Nova Zed (reference stack)"
  node dist/bench/compute/bench.js --auth-url http://127.0.0.1:15000/v3 --password "${PA_PASSWORD:-perfanchor}" \
    --pid-dir "$PA_STATE/run" --label nova-zed --count "$COUNT" --clients "$CLIENTS" --poll "${POLL_NOVA:-0.5}" \
    --idle-seconds 30 --json "$OUT/nova.json" > /dev/null
else
  echo "== the reference stack is not running: upstream skipped"
fi
node -e '
const fs = require("fs"); const out = process.argv[1]
const c = JSON.parse(fs.readFileSync(out + "/cloudlet.json"))
const n = fs.existsSync(out + "/nova.json") ? JSON.parse(fs.readFileSync(out + "/nova.json")) : undefined
for (const r of c.runs) {
  const u = n?.runs.find((x) => x.mode === r.mode)
  const line = (x) => `${x.label} ${x.mode}: ${x.active}/${x.count} ACTIVE in ${x.allActiveSeconds} s = ${x.serversPerSecond}/s, time-to-ACTIVE p50 ${x.timeToActive.p50} s p99 ${x.timeToActive.p99} s, CPU ${x.cpuSecondsPerServer} s/server (net of idle ${x.cpuSecondsPerServerNetOfIdle}), RSS ${x.rssMiBAfter} MiB`
  console.log(line(r)); if (u) console.log(line(u))
  if (u) console.log(`  ratio: ${(r.serversPerSecond / u.serversPerSecond).toFixed(1)}x servers/s, CPU per server ${(r.cpuSecondsPerServer / u.cpuSecondsPerServer).toFixed(4)} of upstream (net of idle ${(r.cpuSecondsPerServerNetOfIdle / u.cpuSecondsPerServerNetOfIdle).toFixed(4)})`)
}' "$OUT"
