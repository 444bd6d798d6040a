#!/usr/bin/env bash
# bench/image: 1 GiB image upload and download through `cloudlet up` (real HTTP), each
# interleaved with its baseline on the same disk in the same run (upload: dd copy with
# fsync; download: dd read of the stored file to /dev/null), the server's RSS growth
# during each transfer, and small-image create/list rates. Run on demand (not part of npm test): `bash bench/image/run.sh` after
# `npx tsc -p tsconfig.json`.
#
#   BENCH_SIZE_MIB  image size [1024]      BENCH_RUNS  repetitions, medians reported [5]
#   BENCH_CACHE     cold (drop caches before each transfer; default as root) or warm
#   BENCH_SMALL     small creates/lists [200]   BENCH_CONC  their concurrency [10]
#   BENCH_DIR       work directory, on the disk under test [/var/tmp/cloudlet-bench-image]
set -euo pipefail
cd "$(dirname "$0")/../.."
[[ -f dist/bench/image/bench.js ]] || npx tsc -p tsconfig.json
export BENCH_DIR=${BENCH_DIR:-/var/tmp/cloudlet-bench-image}
mkdir -p "$BENCH_DIR"
DATA=$(mktemp -d "$BENCH_DIR/data-XXXX")   # the image store lives on the same disk
PORT=${BENCH_PORT:-15090}
export OS_CLIENT_CONFIG_FILE=$DATA/clouds.yaml
export OS_IDENTITY__PASSWORD_HASH_ROUNDS=${OS_IDENTITY__PASSWORD_HASH_ROUNDS:-4}
node dist/src/cmd/cloudlet.js up --port "$PORT" --data-dir "$DATA" --services identity,image > "$DATA/cloudlet.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 1 100); do grep -q "Cloudlet is up" "$DATA/cloudlet.log" && break; sleep 0.1; done
grep -q "Cloudlet is up" "$DATA/cloudlet.log" || { cat "$DATA/cloudlet.log"; exit 1; }
export BENCH_BASE=http://127.0.0.1:$PORT BENCH_SERVER_PID=$PID BENCH_STORE_DIR=$DATA/image/images
BENCH_PASSWORD=$(node -e "console.log(require('$DATA/credentials.json').adminPassword)")
export BENCH_PASSWORD
export BENCH_OUT=${BENCH_OUT:-$BENCH_DIR/result-$(date +%Y%m%d-%H%M%S).json}
node dist/bench/image/bench.js
echo "result: $BENCH_OUT" >&2
