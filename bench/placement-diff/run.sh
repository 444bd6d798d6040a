#!/usr/bin/env bash
# Randomized differential comparison of Cloudlet's placement with upstream Placement
# (on demand; not part of npm test).
#
#   bench/placement-diff/run.sh [--no-build] [SEED ...]        (default seeds: 1 2 3 4 5)
#
# Per seed: a fresh `cloudlet api --services placement` (noauth2, fresh SQLite) and a
# reset upstream Placement (../shared/tools/reference/start-reference-placement.sh,
# Debian Zed under uWSGI), the seeded world loaded into both through the API, then
# QUERIES questions and a state dump compared (bench/placement-diff/compare.ts).
# Upstream is stopped when the run ends.
#
# Environment: PORT [18972] (Cloudlet), REF_PORT [18971] (upstream), QUERIES [300],
#   REF_DB [sqlite] (upstream's database: sqlite | mysql), OUT [/tmp/placement-diff/run-<ts>]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
REF=${REF_TOOLS:-$(cd "$ROOT/../shared/tools/reference" 2>/dev/null && pwd || echo /work/shared/tools/reference)}
PORT=${PORT:-18972}
REF_PORT=${REF_PORT:-18971}
QUERIES=${QUERIES:-300}
OUT=${OUT:-/tmp/placement-diff/run-$(date +%Y%m%d-%H%M%S)}
BUILD=1
SEEDS=()
for a in "$@"; do
  case $a in
    --no-build) BUILD=0 ;;
    *) SEEDS+=("$a") ;;
  esac
done
[ ${#SEEDS[@]} -eq 0 ] && SEEDS=(1 2 3 4 5)
mkdir -p "$OUT"
[ $BUILD = 1 ] && (cd "$ROOT" && npx tsc -p tsconfig.json)

# NOTE: an instance name and port of its own, so a benchmark's reference instance
# (PA_NAME=bench, port 18778) is neither reused nor reset by this run.
ref() { PA_NAME=pdiff PA_DB=${REF_DB:-sqlite} PA_PORT=$REF_PORT PA_PROCESSES=1 PA_THREADS=4 \
  bash "$REF/start-reference-placement.sh" "$@"; }

CLOUDLET_PID=""
DATA=""
stop_cloudlet() {
  if [ -n "$CLOUDLET_PID" ]; then
    kill "$CLOUDLET_PID" 2>/dev/null || true
    wait "$CLOUDLET_PID" 2>/dev/null || true
    CLOUDLET_PID=""
  fi
  [ -n "$DATA" ] && rm -rf "$DATA"
  DATA=""
}
cleanup() {
  stop_cloudlet
  ref --stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

STATUS=0
for seed in "${SEEDS[@]}"; do
  DATA=$(mktemp -d /tmp/cloudlet-placement-diff-XXXXXX)
  printf '[api]\nauth_strategy = noauth2\n' >"$DATA/placement.conf"
  node "$ROOT/dist/src/cmd/cloudlet.js" api --services placement --config-file "$DATA/placement.conf" \
    --port "$PORT" --data-dir "$DATA" >"$OUT/cloudlet-$seed.log" 2>&1 &
  CLOUDLET_PID=$!
  ref --reset >"$OUT/reference-$seed.log" 2>&1
  URL=http://127.0.0.1:$PORT/placement
  for _ in $(seq 200); do curl -sf "$URL/" >/dev/null && break; sleep 0.1; done
  curl -sf "$URL/" >/dev/null || { echo "cloudlet did not start:"; cat "$OUT/cloudlet-$seed.log"; exit 1; }
  echo "# seed $seed"
  node "$ROOT/dist/bench/placement-diff/compare.js" --seed "$seed" --queries "$QUERIES" \
    --cloudlet "$URL" --reference "http://127.0.0.1:$REF_PORT" | tee "$OUT/seed-$seed.txt" || STATUS=1
  stop_cloudlet
done
echo "# results in $OUT"
grep -h "passed," "$OUT"/seed-*.txt
exit $STATUS
