#!/usr/bin/env bash
# bench/compute operations: resize + confirm and live migration throughput
# (operations.ts) against Cloudlet and, when the reference stack runs
# (../shared/tools/reference/nova/refstack.sh all), against upstream Nova Zed with its
# fake driver, in the same run; figures in docs/benchmarks-compute.md.
#
# usage: npm run build && bash bench/compute/run-operations.sh [OUTDIR]
#   env: COUNT (40), CLIENTS (8), CLOUDLET_BENCH_PORT (15500), POLL_CLOUDLET (0.02),
#        POLL_NOVA (0.5), PA_PASSWORD (perfanchor), PA_STATE (/var/tmp/perf-anchor),
#        ONLY (cloudlet|nova: run one side only), PROFILE (1: Cloudlet runs under
#        --cpu-prof, the profile in OUTDIR/prof)
#
# Both clouds get the same requests: N servers of flavor `tiny` (1 vCPU, 64 MiB, 1 GiB)
# from a 1 KiB raw image, networks none, resized to `tiny2` (128 MiB) and confirmed,
# then live-migrated (the scheduler's choice, block_migration auto), on 4 simulated
# hypervisors, no quota driver, as admin.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="${1:-/var/tmp/cloudlet-bench-compute-ops}"
COUNT="${COUNT:-40}"; CLIENTS="${CLIENTS:-8}"
PORT="${CLOUDLET_BENCH_PORT:-15500}"
PA_STATE="${PA_STATE:-/var/tmp/perf-anchor}"
mkdir -p "$OUT"
source bench/compute/fake-timings.sh
rm -f "$OUT/cloudlet-ops.json" "$OUT/nova-ops.json"

if [ "${ONLY:-}" != nova ]; then
  DATA="$(mktemp -d /var/tmp/cloudlet-bench-compute-ops-data.XXXXXX)"
  export OS_CLIENT_CONFIG_FILE="$DATA/clouds.yaml" CLOUDLET_ADMIN_PASSWORD=bench-admin
  echo "== cloudlet up on :$PORT ($DATA)"
  OS_QUOTA__DRIVER=nova.quota.NoopQuotaDriver OS_FAKE_DRIVER__HOSTS=4 \
    node --max-semi-space-size=4 ${PROFILE:+--cpu-prof --cpu-prof-dir "$OUT/prof"} \
    dist/src/cmd/cloudlet.js up --port "$PORT" --data-dir "$DATA/data" > "$OUT/cloudlet-ops.log" 2>&1 &
  PID=$!
  trap 'kill -INT $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$DATA"' EXIT
  for _ in $(seq 1 300); do grep -q 'Cloudlet is up' "$OUT/cloudlet-ops.log" && break; sleep 0.2; done
  grep -q 'Cloudlet is up' "$OUT/cloudlet-ops.log" || { cat "$OUT/cloudlet-ops.log"; exit 1; }
  head -c 1024 /dev/urandom > "$DATA/tiny.img"
  openstack --os-cloud cloudlet-admin image create --disk-format raw --container-format bare --public \
    --file "$DATA/tiny.img" tiny > /dev/null
  openstack --os-cloud cloudlet-admin flavor create --vcpus 1 --ram 64 --disk 1 tiny > /dev/null
  openstack --os-cloud cloudlet-admin flavor create --vcpus 1 --ram 128 --disk 1 tiny2 > /dev/null
  sleep 2
  node dist/bench/compute/operations.js --auth-url "http://127.0.0.1:$PORT/identity/v3" --password bench-admin \
    --pids "$PID" --label cloudlet --count "$COUNT" --clients "$CLIENTS" --poll "${POLL_CLOUDLET:-0.02}" \
    --json "$OUT/cloudlet-ops.json" > /dev/null
  kill -INT $PID; wait $PID 2>/dev/null || true
fi

if [ "${ONLY:-}" != cloudlet ] && (exec 3<>/dev/tcp/127.0.0.1/15774) 2>/dev/null; then
  echo "== upstream Nova Zed (reference stack)"
  node dist/bench/compute/operations.js --auth-url http://127.0.0.1:15000/v3 --password "${PA_PASSWORD:-perfanchor}" \
    --pid-dir "$PA_STATE/run" --label nova-zed --count "$COUNT" --clients "$CLIENTS" --poll "${POLL_NOVA:-0.5}" \
    --idle-seconds 30 --json "$OUT/nova-ops.json" > /dev/null
elif [ "${ONLY:-}" != cloudlet ]; then
  echo "== the reference stack is not running: upstream skipped"
fi
node -e '
const fs = require("fs"); const out = process.argv[1]
const read = (f) => fs.existsSync(out + "/" + f) ? JSON.parse(fs.readFileSync(out + "/" + f)) : undefined
const c = read("cloudlet-ops.json"), n = read("nova-ops.json")
const line = (x) => `${x.label} ${x.op}: ${x.done}/${x.count} done (${x.failed} failed) in ${x.wallSeconds} s = ${x.opsPerSecond} ops/s, latency p50 ${x.latency.p50} s p99 ${x.latency.p99} s, CPU ${x.cpuSecondsPerOp} s/op (net of idle ${x.cpuSecondsPerOpNetOfIdle}), load ${x.loadavg}`
for (const op of ["resize", "live"]) {
  const a = c?.results.find((x) => x.op === op), b = n?.results.find((x) => x.op === op)
  if (a) console.log(line(a)); if (b) console.log(line(b))
  if (a && b) console.log(`  ratio: ${(a.opsPerSecond / b.opsPerSecond).toFixed(1)}x ops/s, p50 latency 1/${(b.latency.p50 / a.latency.p50).toFixed(0)}, CPU per op ${(a.cpuSecondsPerOp / b.cpuSecondsPerOp).toFixed(4)} of upstream`)
}' "$OUT"
