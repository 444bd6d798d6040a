#!/bin/bash
# GABBI_RESET_CMD for shared/conformance/placement/run-gabbits.sh: restarts the standalone
# placement (dev-server, noauth2, fresh in-memory SQLite) on $PLACEMENT_PORT with the
# server profile the file's fixture needs ($GABBI_PROFILE).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PORT=${PLACEMENT_PORT:-18780}
PIDFILE=/tmp/placement-gabbi-$PORT.pid
# NOTE: the old server must be gone before the new one binds: on a loaded machine a
# SIGTERM can take seconds, and a new server that lost the port would leave the dying one
# answering the first requests of the next file.
if [ -f "$PIDFILE" ]; then
  old=$(cat "$PIDFILE")
  kill "$old" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$old" 2>/dev/null || break; sleep 0.05; done
  kill -9 "$old" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$old" 2>/dev/null || break; sleep 0.05; done
fi
node "$ROOT/dist/src/services/placement/dev-server.js" --port "$PORT" --db sqlite:// --profile "${GABBI_PROFILE:-default}" \
  >/tmp/placement-gabbi-$PORT.log 2>&1 &
new=$!
echo $new >"$PIDFILE"
for _ in $(seq 600); do
  kill -0 "$new" 2>/dev/null || { cat /tmp/placement-gabbi-$PORT.log >&2; exit 1; }
  curl -sf "http://127.0.0.1:$PORT/" >/dev/null && exit 0
  sleep 0.05
done
exit 1
