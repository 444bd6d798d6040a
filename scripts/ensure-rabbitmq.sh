#!/usr/bin/env bash
# Makes sure the RabbitMQ broker the bus tests use is installed and running on
# 127.0.0.1:5672 (guest/guest, the Debian package's defaults). Installs it with apt-get on
# a machine without it. The three-node cluster of the fault runs is separate
# (scripts/rabbitmq-cluster.sh) and never touches this broker.
set -euo pipefail
log() { echo "[ensure-rabbitmq] $*" >&2; }
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

port_open() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }

if ! command -v rabbitmq-server >/dev/null && ! [[ -x /usr/sbin/rabbitmq-server ]]; then
  log "installing RabbitMQ"
  as_root apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends rabbitmq-server >&2
fi
if ! port_open; then
  log "starting RabbitMQ"
  as_root rabbitmq-server -detached
  for _ in $(seq 1 120); do port_open && break; sleep 0.5; done
  port_open || { log "RabbitMQ did not come up on 127.0.0.1:5672"; exit 1; }
  # The port opens before the broker accepts logins; wait until it answers a command.
  for _ in $(seq 1 60); do as_root rabbitmqctl -q status >/dev/null 2>&1 && break; sleep 0.5; done
fi
log "RabbitMQ is up on 127.0.0.1:5672"
