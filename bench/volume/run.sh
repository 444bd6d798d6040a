#!/usr/bin/env bash
# bench/volume: block storage's data path through `cloudlet up` (real HTTP): a volume
# created from a 1 GiB image, a clone of it, a backup of it and a restore, each
# interleaved with `cp` + fsync of the same bytes on the same disk in the same run; then
# empty-volume create and delete rates at concurrency 10. Run on demand (not part of npm
# test): `bash bench/volume/run.sh` after `npx tsc -p tsconfig.json`.
#
#   BENCH_SIZE_MIB  image size [1024]      BENCH_RUNS  repetitions, medians reported [5]
#   BENCH_CACHE     cold (drop caches before each copy; default as root) or warm
#   BENCH_EMPTY     empty volumes created then deleted [200]   BENCH_CONC  concurrency [10]
#   BENCH_DIR       work directory, on the disk under test [/var/tmp/cloudlet-bench-volume]
#   BENCH_PORT      the cloud's port [16590]
#   BENCH_DIRECT_URL=1  create from image copies the image's file (show_image_direct_url,
#                   allowed_direct_url_schemes=file) instead of streaming it [0]
set -euo pipefail
cd "$(dirname "$0")/../.."
[[ -f dist/bench/volume/bench.js ]] || npx tsc -p tsconfig.json
export BENCH_DIR=${BENCH_DIR:-/var/tmp/cloudlet-bench-volume}
mkdir -p "$BENCH_DIR"
DATA=$(mktemp -d "$BENCH_DIR/data-XXXX")   # volumes, backups and images live on the same disk
PORT=${BENCH_PORT:-16590}
export OS_CLIENT_CONFIG_FILE=$DATA/clouds.yaml
export OS_IDENTITY__PASSWORD_HASH_ROUNDS=${OS_IDENTITY__PASSWORD_HASH_ROUNDS:-4}
export OS_DEFAULT__QUOTA_VOLUMES=-1 OS_DEFAULT__QUOTA_GIGABYTES=-1 OS_DEFAULT__QUOTA_BACKUPS=-1
export OS_DEFAULT__QUOTA_BACKUP_GIGABYTES=-1
if [[ ${BENCH_DIRECT_URL:-0} == 1 ]]; then
  export OS_DEFAULT__SHOW_IMAGE_DIRECT_URL=true OS_DEFAULT__ALLOWED_DIRECT_URL_SCHEMES=file
fi
node dist/src/cmd/cloudlet.js up --port "$PORT" --data-dir "$DATA" --services identity,image,volume \
  > "$DATA/cloudlet.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 1 300); do grep -q "Cloudlet is up" "$DATA/cloudlet.log" && break; sleep 0.1; done
grep -q "Cloudlet is up" "$DATA/cloudlet.log" || { cat "$DATA/cloudlet.log"; exit 1; }
export BENCH_BASE=http://127.0.0.1:$PORT BENCH_SERVER_PID=$PID BENCH_DATA=$DATA
BENCH_PASSWORD=$(node -e "console.log(require('$DATA/credentials.json').adminPassword)")
BENCH_MEMBER_PASSWORD=$(node -e "console.log(require('$DATA/credentials.json').memberPassword)")
export BENCH_PASSWORD BENCH_MEMBER_PASSWORD
export BENCH_OUT=${BENCH_OUT:-$BENCH_DIR/result-$(date +%Y%m%d-%H%M%S).json}
node dist/bench/volume/bench.js
echo "result: $BENCH_OUT" >&2
