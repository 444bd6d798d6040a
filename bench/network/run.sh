#!/usr/bin/env bash
# bench/network over HTTP: the same port create/list/delete run (http.ts) against
# `cloudlet up` with the network service's database on MariaDB and, when the reference
# neutron-server runs (../shared/tools/reference/neutron/refneutron.sh start, beside
# nova/refstack.sh), against upstream Neutron Zed (ML2, no agents) on its MariaDB.
# Figures in docs/benchmarks-network.md.
#
# usage: npm run build && bash bench/network/run.sh [OUTDIR]
#   env: SIZES ("1000 10000"), CONCURRENCY (8), LISTS (5), CLOUDLET_BENCH_PORT (15510),
#        MYSQL_URL (mysql://root@127.0.0.1:3306), PA_PASSWORD (perfanchor),
#        PA_STATE (/var/tmp/perf-anchor)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="${1:-/var/tmp/cloudlet-bench-network}"
SIZES="${SIZES:-1000 10000}"; CONCURRENCY="${CONCURRENCY:-8}"; LISTS="${LISTS:-5}"
PORT="${CLOUDLET_BENCH_PORT:-15510}"
MYSQL_URL="${MYSQL_URL:-mysql://root@127.0.0.1:3306}"
PA_STATE="${PA_STATE:-/var/tmp/perf-anchor}"
mkdir -p "$OUT"; rm -f "$OUT/results.jsonl"
DATA="$(mktemp -d /var/tmp/cloudlet-bench-network-data.XXXXXX)"
DB="cloudlet_bench_network"
bash scripts/ensure-databases.sh > /dev/null
mariadb -h 127.0.0.1 -u root -e "drop database if exists $DB; create database $DB"
export CLOUDLET_ADMIN_PASSWORD=bench-admin OS_CLIENT_CONFIG_FILE="$DATA/clouds.yaml"

echo "== cloudlet up on :$PORT, network database on MariaDB"
OS_NETWORK_DATABASE__CONNECTION="$MYSQL_URL/$DB" \
  node dist/src/cmd/cloudlet.js up --port "$PORT" --data-dir "$DATA/data" > "$OUT/cloudlet.log" 2>&1 &
PID=$!
trap 'kill -INT $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 1 300); do grep -q 'Cloudlet is up' "$OUT/cloudlet.log" && break; sleep 0.2; done
grep -q 'Cloudlet is up' "$OUT/cloudlet.log" || { cat "$OUT/cloudlet.log"; exit 1; }

# the reference stack's read-only stub may hold :15696 instead: only a recorded, live
# neutron-server counts
neutron_up() { [ -f "$PA_STATE/run/neutron-server.pid" ] && kill -0 "$(cat "$PA_STATE/run/neutron-server.pid")" 2>/dev/null; }
for n in $SIZES; do
  echo "== $n ports, concurrency $CONCURRENCY"
  node dist/bench/network/http.js --auth-url "http://127.0.0.1:$PORT/identity/v3" --password bench-admin \
    --pids "$PID" --label cloudlet --ports "$n" --concurrency "$CONCURRENCY" --lists "$LISTS" \
    --json "$OUT/results.jsonl"
  if neutron_up; then
    node dist/bench/network/http.js --auth-url http://127.0.0.1:15000/v3 --password "${PA_PASSWORD:-perfanchor}" \
      --pids "$(cat "$PA_STATE/run/neutron-server.pid")" --label neutron-zed --ports "$n" \
      --concurrency "$CONCURRENCY" --lists "$LISTS" --json "$OUT/results.jsonl"
  else
    echo "   (no reference neutron-server running: upstream skipped)"
  fi
done

node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l))
for (const c of rows.filter((r) => r.label === "cloudlet")) {
  const u = rows.find((r) => r.label === "neutron-zed" && r.ports === c.ports)
  if (!u) continue
  const x = (a, b) => (a / b).toFixed(1) + "x"
  console.log(`${c.ports} ports: creates/s ${x(c.createsPerSecond, u.createsPerSecond)}, CPU per create 1/${(u.cpuSecondsPerCreate / c.cpuSecondsPerCreate).toFixed(1)}, list all ${x(u.listAll.medianMs, c.listAll.medianMs)} faster, page of 100 ${x(u.listPageOf100.medianMs, c.listPageOf100.medianMs)} faster, deletes/s ${x(c.deletesPerSecond, u.deletesPerSecond)}`)
}' "$OUT/results.jsonl"
