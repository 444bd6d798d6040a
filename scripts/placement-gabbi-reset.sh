#!/bin/bash
# GABBI_RESET_CMD for shared/conformance/placement/run-gabbits.sh: restarts the standalone
# placement (dev-server, noauth2, fresh in-memory SQLite) on $PLACEMENT_PORT with the
# server profile the file's fixture needs ($GABBI_PROFILE).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PORT=${PLACEMENT_PORT:-18780}
PIDFILE=/tmp/placement-gabbi-$PORT.pid
if [ -f "$PIDFILE" ]; then
  kill "$(cat "$PIDFILE")" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break; sleep 0.05; done
fi
node "$ROOT/dist/src/services/placement/dev-server.js" --port "$PORT" --db sqlite:// --profile "${GABBI_PROFILE:-default}" \
  >/tmp/placement-gabbi-$PORT.log 2>&1 &
echo $! >"$PIDFILE"
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/" >/dev/null && exit 0; sleep 0.05; done
exit 1
