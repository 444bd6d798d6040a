#!/usr/bin/env bash
# Placement perfload benchmark (on demand; not part of npm test).
#
#   bench/placement/run.sh [--reference] [--postgres] [--no-build] [--parity]
#
# Starts `cloudlet api --services placement` (noauth2, a fresh SQLite database, or a
# fresh PostgreSQL database with --postgres), loads upstream's nested perfload shape
# (1,000 compute trees x 7 providers, traits and aggregates as upstream's gate loader
# makes them) through the HTTP API with ../shared/tools/reference/load-perfload.py,
# and times the gate's allocation-candidates query with bench-reference.sh:
# 10 serial; 100 at concurrency 10; 1,000 at concurrency 100; 2,000 at concurrency 500.
#
# --reference also starts upstream Placement (Debian Zed under uWSGI, MariaDB; the
# script installs Debian packages on first use), loads the same data into it and
# times the same query (10 serial, 100 at c=10, REF_N100 at c=100), then prints the
# ratios. It is stopped when the run ends.
#
# --parity adds the gate job's replay (bench-reference.sh --gate-parity) on both: the
# query timed twice, then ten times a claim from its candidates followed by the query
# timed twice, then 500 queries at concurrency 10. The claims are what a scheduler does
# between two queries; they make every process drop what it kept for the claimed tree.
#
# Environment: PORT [18790], REF_PORT [18778], REF_N100 [200], OUT [/tmp/placement-bench/run-<ts>],
#   WORKERS [1]: Cloudlet API processes (`cloudlet api --workers N`)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
REF=${REF_TOOLS:-$(cd "$ROOT/../shared/tools/reference" 2>/dev/null && pwd || echo /work/shared/tools/reference)}
PORT=${PORT:-18790}
REF_PORT=${REF_PORT:-18778}
REF_N100=${REF_N100:-200}
OUT=${OUT:-/tmp/placement-bench/run-$(date +%Y%m%d-%H%M%S)}
REFERENCE=0; POSTGRES=0; BUILD=1; PARITY=0
for a in "$@"; do
  case $a in
    --reference) REFERENCE=1 ;;
    --postgres) POSTGRES=1 ;;
    --no-build) BUILD=0 ;;
    --parity) PARITY=1 ;;
    *) echo "unknown argument $a" >&2; exit 2 ;;
  esac
done
# ab (apache2-utils) times the concurrent phases; install it on a fresh machine.
command -v ab >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends apache2-utils; }
# The gate replay makes consumer ids with uuidgen and claim bodies with jq.
if [ $PARITY = 1 ] && ! { command -v uuidgen && command -v jq; } >/dev/null; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends uuid-runtime jq
fi
mkdir -p "$OUT"
ulimit -n 65536 2>/dev/null || true

[ $BUILD = 1 ] && (cd "$ROOT" && npx tsc -p tsconfig.json)

DATA=$(mktemp -d /tmp/cloudlet-placement-bench-XXXXXX)
CONF=$DATA/placement.conf
printf '[api]\nauth_strategy = noauth2\n' >"$CONF"
DBNAME=""
if [ $POSTGRES = 1 ]; then
  DBNAME=cloudlet_bench_$$
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $DBNAME" >/dev/null
  printf '[placement_database]\nconnection = postgresql://postgres@127.0.0.1:5432/%s\n' "$DBNAME" >>"$CONF"
fi

node "$ROOT/dist/src/cmd/cloudlet.js" api --services placement --config-file "$CONF" \
  --port "$PORT" --data-dir "$DATA" --workers "${WORKERS:-1}" >"$OUT/cloudlet.log" 2>&1 &
CLOUDLET_PID=$!
cleanup() {
  kill "$CLOUDLET_PID" 2>/dev/null || true
  wait "$CLOUDLET_PID" 2>/dev/null || true
  [ -n "$DBNAME" ] && psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DBNAME WITH (FORCE)" >/dev/null || true
  rm -rf "$DATA"
  # Upstream keeps working through queued requests after ab gives up; stop it so it does
  # not load the machine after the run.
  [ $REFERENCE = 1 ] && PA_NAME=bench bash "$REF/start-reference-placement.sh" --stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
URL=http://127.0.0.1:$PORT/placement
for _ in $(seq 200); do curl -sf "$URL/" >/dev/null && break; sleep 0.1; done
curl -sf "$URL/" >/dev/null || { echo "cloudlet did not start:"; cat "$OUT/cloudlet.log"; exit 1; }

bench() { # NAME URL PIDS DBPIDS [--load] ; AB_N/AB_C from the environment
  local name=$1 url=$2 pids=$3 dbpids=$4
  shift 4
  BASE_URL=$url SERVER_PIDS=$pids DB_PIDS=$dbpids OUT_DIR=$OUT/$name \
    bash "$REF/bench-reference.sh" nested "$@" | tee "$OUT/$name.txt"
}

# The measured processes: the one API process, or the primary and its workers.
PIDS=$(echo "$CLOUDLET_PID" $(pgrep -P "$CLOUDLET_PID" || true))
echo "# cloudlet placement at $URL (pids $PIDS, workers ${WORKERS:-1}, $([ $POSTGRES = 1 ] && echo PostgreSQL || echo SQLite))"
AB_N=100 AB_C=10 bench cloudlet-c10 "$URL" "$PIDS" "" --load
AB_N=1000 AB_C=100 bench cloudlet-c100 "$URL" "$PIDS" ""
AB_N=2000 AB_C=500 bench cloudlet-c500 "$URL" "$PIDS" ""
[ $PARITY = 1 ] && AB_N=20 AB_C=10 bench cloudlet-parity "$URL" "$PIDS" "" --gate-parity

if [ $REFERENCE = 1 ]; then
  RURL=$(PA_NAME=bench PA_PORT=$REF_PORT bash "$REF/start-reference-placement.sh" --reset | tail -1)
  echo "# upstream placement at $RURL"
  export PA_NAME=bench
  AB_N=100 AB_C=10 bench upstream-c10 "$RURL" "" "" --load
  AB_N=$REF_N100 AB_C=100 bench upstream-c100 "$RURL" "" ""
  [ $PARITY = 1 ] && AB_N=20 AB_C=10 bench upstream-parity "$RURL" "" "" --gate-parity
  unset PA_NAME
fi

# Summary: medians and ratios from the bench outputs.
python3 - "$OUT" "$REFERENCE" <<'PY'
import re, sys, pathlib
out, ref = pathlib.Path(sys.argv[1]), sys.argv[2] == '1'
def parse(name):
    p = out / f'{name}.txt'
    if not p.exists():
        return {}
    t = p.read_text().split('=== nested-gate-limit5')[0]
    d = {}
    m = re.search(r'serial n=\d+ mean=(\d+)ms median=(\d+)ms', t)
    if m: d['serial_median'] = float(m.group(2))
    m = re.search(r'ab n=(\d+) c=(\d+): ([\d.]+) req/s, mean ([\d.]+) ms/req, p50 (\d+) p90 (\d+) p99 (\d+) max (\d+) ms, complete (\d+), non-2xx (\d+)', t)
    if m:
        d.update(n=int(m.group(1)), c=int(m.group(2)), rps=float(m.group(3)), p50=int(m.group(5)),
                 p99=int(m.group(7)), complete=int(m.group(9)), non2xx=int(m.group(10)))
    m = re.findall(r'RSS KiB after bench: server (\d+)', p.read_text())
    if m: d['rss_mib'] = int(m[-1]) / 1024
    m = re.search(r'response: (.*)', t)
    if m: d['shape'] = m.group(1)
    return d
rows = {n: parse(n) for n in ['cloudlet-c10', 'cloudlet-c100', 'cloudlet-c500', 'upstream-c10', 'upstream-c100']}
print('\n# summary (nested perfload, gate query)')
for n, d in rows.items():
    if d: print(f'{n:15} {d}')
if ref and rows['upstream-c10'] and rows['cloudlet-c10']:
    c, u = rows['cloudlet-c10'], rows['upstream-c10']
    print(f"ratio serial median, first phase right after the load (upstream/cloudlet): {u['serial_median'] / max(c['serial_median'], 0.5):.0f}x")
    # Later phases: Cloudlet's JIT and index caches are warm; upstream has no warm-up.
    warm_c = [rows[n]['serial_median'] for n in ('cloudlet-c100', 'cloudlet-c500') if rows[n]]
    warm_u = [rows[n]['serial_median'] for n in ('upstream-c10', 'upstream-c100') if rows[n]]
    if warm_c and warm_u:
        wc, wu = sorted(warm_c)[len(warm_c) // 2], sorted(warm_u)[len(warm_u) // 2]
        print(f"ratio serial median, later phases (upstream {wu:.0f} ms / cloudlet {wc:.0f} ms): {wu / max(wc, 0.5):.0f}x")
    print(f"ratio c=10 p50 latency (upstream/cloudlet): {u['p50'] / max(c['p50'], 0.5):.0f}x; throughput {c['rps'] / u['rps']:.0f}x")
    if rows['upstream-c100'] and rows['cloudlet-c100']:
        c, u = rows['cloudlet-c100'], rows['upstream-c100']
        print(f"ratio c=100 p50 latency: {u['p50'] / max(c['p50'], 0.5):.0f}x; throughput {c['rps'] / u['rps']:.0f}x")
def parity(name):
    p = out / f'{name}.txt'
    if not p.exists():
        return None
    t = p.read_text().split('=== gate-parity')
    if len(t) < 2:
        return None
    m = re.search(r'timed requests: n=(\d+) mean=(\d+)ms median=(\d+)ms', t[1])
    a = re.search(r'ab n=500 c=10: ([\d.]+) req/s, mean [\d.]+ ms/req, p50 (\d+) p90 \d+ p99 (\d+)', t[1])
    return {'median': float(m.group(3)), 'rps': float(a.group(1)), 'p50': int(a.group(2)), 'p99': int(a.group(3))} if m and a else None
cp, up = parity('cloudlet-parity'), parity('upstream-parity')
for n, d in (('cloudlet-parity', cp), ('upstream-parity', up)):
    if d: print(f'{n:15} {d}')
if cp and up:
    print(f"ratio gate replay median (query after each claim, upstream {up['median']:.0f} ms / cloudlet {cp['median']:.0f} ms): {up['median'] / max(cp['median'], 0.5):.0f}x")
    print(f"ratio gate replay c=10 p50 (ab -n500): {up['p50'] / max(cp['p50'], 0.5):.0f}x; throughput {cp['rps'] / up['rps']:.0f}x")
PY
echo "# results in $OUT"
