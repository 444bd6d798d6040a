#!/usr/bin/env bash
# A three-node RabbitMQ cluster of the project's own, for the bus fault runs
# (bench/bus/faults.ts): nodes cloudlet-bus1..3@localhost on AMQP ports 5681-5683 and
# distribution ports 25681-25683, each with its own config, cookie, data and logs under
# one directory (default /tmp/cloudlet-rabbit-cluster, or $CLOUDLET_RABBIT_CLUSTER_DIR).
# The machine's broker on 5672 is never touched: nothing here reads /etc/rabbitmq or
# /var/lib/rabbitmq.
#
#   rabbitmq-cluster.sh start          start the three nodes (forming the cluster the first time)
#   rabbitmq-cluster.sh url            print the transport_url for the cluster
#   rabbitmq-cluster.sh kill N         kill -9 node N
#   rabbitmq-cluster.sh start-node N   start node N again on its data
#   rabbitmq-cluster.sh stop-all       stop the three nodes (data kept)
#   rabbitmq-cluster.sh status         cluster status as node 1 sees it
#   rabbitmq-cluster.sh destroy        stop everything and delete the directory
set -euo pipefail
BASE=${CLOUDLET_RABBIT_CLUSTER_DIR:-/tmp/cloudlet-rabbit-cluster}
BIN=/usr/lib/rabbitmq/bin
log() { echo "[rabbitmq-cluster] $*" >&2; }

node_name() { echo "cloudlet-bus$1@localhost"; }
amqp_port() { echo $((5680 + $1)); }

# Runs a RabbitMQ command with node N's environment only.
node_env() {
  local n=$1; shift
  local dir=$BASE/node$n
  env -i PATH="$PATH" HOME="$BASE" LANG=C.UTF-8 \
    RABBITMQ_NODENAME="$(node_name "$n")" \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$(amqp_port "$n")" \
    RABBITMQ_DIST_PORT=$((25680 + n)) \
    RABBITMQ_MNESIA_BASE="$dir/mnesia" \
    RABBITMQ_LOG_BASE="$dir/log" \
    RABBITMQ_PID_FILE="$dir/pid" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config" \
    RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
    RABBITMQ_PLUGINS_EXPAND_DIR="$dir/plugins-expand" \
    ERL_EPMD_ADDRESS=127.0.0.1 \
    "$@"
}

ctl() { local n=$1; shift; node_env "$n" "$BIN/rabbitmqctl" -n "$(node_name "$n")" "$@"; }

prepare() {
  mkdir -p "$BASE"
  if [[ ! -f $BASE/.erlang.cookie ]]; then
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$BASE/.erlang.cookie"
    chmod 400 "$BASE/.erlang.cookie"
  fi
  for n in 1 2 3; do
    local dir=$BASE/node$n
    mkdir -p "$dir/mnesia" "$dir/log"
    cat >"$dir/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:$(amqp_port "$n")
loopback_users.guest = true
# Small cluster on a shared two-core machine: notice a dead peer in seconds.
net_ticktime = 10
CONF
    echo '[].' >"$dir/advanced.config"
    echo '[].' >"$dir/enabled_plugins"
    : >"$dir/rabbitmq-env.conf"
  done
}

running() { ctl "$1" -q status >/dev/null 2>&1; }

wait_up() {
  local n=$1
  for _ in $(seq 1 240); do running "$n" && return 0; sleep 0.5; done
  log "node $n did not come up; see $BASE/node$n/log"; return 1
}

start_node() {
  local n=$1
  if running "$n"; then return 0; fi
  node_env "$n" "$BIN/rabbitmq-server" -detached
}

case ${1:-} in
  start)
    prepare
    fresh=0; [[ -d $BASE/node1/mnesia/$(node_name 1) ]] || fresh=1
    for n in 1 2 3; do start_node "$n"; done
    for n in 1 2 3; do wait_up "$n"; done
    if [[ $fresh -eq 1 ]]; then
      for n in 2 3; do
        ctl "$n" -q stop_app
        ctl "$n" -q join_cluster "$(node_name 1)"
        ctl "$n" -q start_app
      done
    fi
    for n in 1 2 3; do ctl "$n" -q await_startup; done
    log "cluster up: $("$0" url)"
    ;;
  url)
    echo "rabbit://guest:guest@127.0.0.1:5681,guest:guest@127.0.0.1:5682,guest:guest@127.0.0.1:5683/"
    ;;
  kill)
    n=${2:?node number}
    pid=$(cat "$BASE/node$n/pid")
    kill -9 "$pid"
    log "node $n (pid $pid) killed"
    ;;
  start-node)
    n=${2:?node number}
    start_node "$n"; wait_up "$n"; ctl "$n" -q await_startup
    log "node $n up"
    ;;
  stop-all)
    for n in 1 2 3; do ctl "$n" -q stop >/dev/null 2>&1 & done
    wait
    log "all nodes stopped"
    ;;
  start-all)
    for n in 1 2 3; do start_node "$n"; done
    for n in 1 2 3; do wait_up "$n"; done
    for n in 1 2 3; do ctl "$n" -q await_startup; done
    log "all nodes up"
    ;;
  status)
    ctl 1 cluster_status
    ;;
  list-queues)
    n=${2:-1}
    ctl "$n" -q list_queues --no-table-headers name type messages consumers
    ;;
  destroy)
    for n in 1 2 3; do
      if [[ -f $BASE/node$n/pid ]]; then kill -9 "$(cat "$BASE/node$n/pid")" 2>/dev/null || true; fi
    done
    rm -rf "$BASE"
    log "destroyed"
    ;;
  *)
    sed -n '2,17p' "$0" >&2
    exit 2
    ;;
esac
