#!/usr/bin/env bash
# bench/image imports: web-download of BENCH_SIZE_MIB (1 GiB) from a loopback HTTP server
# against curl writing the same file, and copy-image between two file stores against cp,
# through `cloudlet up` (identity, image). Run on demand after `npx tsc -p tsconfig.json`:
#   bash bench/image/imports.sh
#   BENCH_SIZE_MIB [1024]  BENCH_RUNS [5]  BENCH_DIR [/var/tmp/cloudlet-bench-image-imports]
#   BENCH_PORT [16420] (the HTTP server takes the next port)
# The page cache is left warm (dropping it would disturb whatever else runs here).
set -euo pipefail
cd "$(dirname "$0")/../.."
[[ -f dist/bench/image/imports.js ]] || npx tsc -p tsconfig.json
export BENCH_DIR=${BENCH_DIR:-/var/tmp/cloudlet-bench-image-imports}
mkdir -p "$BENCH_DIR"
DATA=$(mktemp -d "$BENCH_DIR/data-XXXX")
PORT=${BENCH_PORT:-16420}
HTTP_PORT=$((PORT + 1))
SRC=$(mktemp -d "$BENCH_DIR/src-XXXX")
head -c "$(( ${BENCH_SIZE_MIB:-1024} * 1048576 ))" /dev/urandom > "$SRC/source.raw"
node scripts/conformance/static-http.mjs "$SRC" "$HTTP_PORT" &
HTTP_PID=$!
export OS_CLIENT_CONFIG_FILE=$DATA/clouds.yaml
export OS_IDENTITY__PASSWORD_HASH_ROUNDS=4
OS_DEFAULT__ENABLED_BACKENDS=fast:file,cheap:file OS_GLANCE_STORE__DEFAULT_BACKEND=fast \
  OS_DEFAULT__ENABLED_IMPORT_METHODS=glance-direct,web-download,copy-image \
  OS_IMPORT_FILTERING_OPTS__ALLOWED_PORTS=$HTTP_PORT OS_IMPORT_FILTERING_OPTS__ALLOWED_INTERNAL_HOSTS=127.0.0.1 \
  OS_DEFAULT__IMAGE_SIZE_CAP=$(( 4 * 1073741824 )) \
  node dist/src/cmd/cloudlet.js up --port "$PORT" --data-dir "$DATA" --services identity,image > "$DATA/cloudlet.log" 2>&1 &
PID=$!
trap 'kill $PID $HTTP_PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$DATA" "$SRC"' EXIT
for _ in $(seq 1 100); do grep -q "Cloudlet is up" "$DATA/cloudlet.log" && break; sleep 0.1; done
grep -q "Cloudlet is up" "$DATA/cloudlet.log" || { cat "$DATA/cloudlet.log"; exit 1; }
export BENCH_BASE=http://127.0.0.1:$PORT BENCH_SOURCE_URL=http://127.0.0.1:$HTTP_PORT/source.raw
export BENCH_STORE_DIR=$DATA/image/images BENCH_SOURCE_FILE=$SRC/source.raw
BENCH_PASSWORD=$(node -e "console.log(require('$DATA/credentials.json').adminPassword)")
export BENCH_PASSWORD
node dist/bench/image/imports.js
