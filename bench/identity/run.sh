#!/usr/bin/env bash
# bench/identity: token issue and validate throughput and latency at concurrency 1 and
# 10, and server RSS, for Cloudlet and (when it can be started here) upstream Keystone,
# measured in the same run with the same load generator and the same bcrypt cost (12).
# Prints the ratios. Run on demand: `bash bench/identity/run.sh` (after `npm run build`).
#
#   BENCH_DURATION  seconds per measurement [10]
#   BENCH_CONC      concurrency levels ["1 10"]
#   BENCH_REFERENCE 0 to skip upstream Keystone [1]
set -euo pipefail
cd "$(dirname "$0")/../.."
REF_TOOLS=${REF_TOOLS:-$(cd .. && pwd)/shared/tools/reference}
DURATION=${BENCH_DURATION:-10}
CONC=${BENCH_CONC:-1 10}
OUT=${BENCH_OUT:-/tmp/cloudlet-bench-identity/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
command -v wrk >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; }

# --- Cloudlet ----------------------------------------------------------------
DATA=$(mktemp -d /tmp/cloudlet-bench-XXXX)
PORT=${BENCH_PORT:-15080}
export OS_CLIENT_CONFIG_FILE=$DATA/clouds.yaml
# Upstream Keystone's default bcrypt cost, so issue pays the same hash.
export OS_IDENTITY__PASSWORD_HASH_ROUNDS=12
node dist/src/cmd/cloudlet.js up --port "$PORT" --data-dir "$DATA" --services identity > "$OUT/cloudlet.log" 2>&1 &
CLOUDLET_PID=$!
trap 'kill $CLOUDLET_PID 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 1 100); do grep -q "Cloudlet is up" "$OUT/cloudlet.log" && break; sleep 0.1; done
grep -q "Cloudlet is up" "$OUT/cloudlet.log" || { cat "$OUT/cloudlet.log"; exit 1; }
PASS=$(node -e "console.log(require('$DATA/credentials.json').adminPassword)")
bash "$REF_TOOLS/keystone-bench.sh" --base-url "http://127.0.0.1:$PORT/identity" --user admin --password "$PASS" \
  --project admin --duration "$DURATION" --concurrency "$CONC" --rss-match "cloudlet.js up --port $PORT" \
  --out "$OUT/cloudlet" --label cloudlet --tool wrk

# --- upstream Keystone, with its in-process cache and without --------------------
# The issue's goal is stated against uncached validation; the cached run is the harder
# comparison, so both are measured and reported.
if [[ "${BENCH_REFERENCE:-1}" == 1 ]]; then
  for cache in memory none; do
    bash "$REF_TOOLS/start-reference-keystone.sh" stop > /dev/null 2>&1 || true
    if KS_CACHE=$cache bash "$REF_TOOLS/start-reference-keystone.sh" start > "$OUT/reference-start-$cache.log" 2>&1; then
      # shellcheck disable=SC1091
      source /var/lib/ref-keystone/openrc
      bash "$REF_TOOLS/keystone-bench.sh" --base-url "${OS_AUTH_URL%/v3}" --user "$OS_USERNAME" --password "$OS_PASSWORD" \
        --project "$OS_PROJECT_NAME" --duration "$DURATION" --concurrency "$CONC" --rss-match 'uwsgi.*keystone' \
        --out "$OUT/keystone-$cache" --label "keystone-cache-$cache" --tool wrk
    else
      echo "upstream Keystone (cache=$cache) could not be started here; see $OUT/reference-start-$cache.log" >&2
    fi
  done
  bash "$REF_TOOLS/start-reference-keystone.sh" stop > /dev/null 2>&1 || true
fi

node dist/bench/identity/compare.js "$OUT/cloudlet/results.jsonl" "$OUT/keystone-memory/results.jsonl" "$OUT/keystone-none/results.jsonl" | tee "$OUT/ratios.md"
echo "results: $OUT"
