#!/usr/bin/env bash
# Makes sure the database servers the storage tests use are installed and running:
# PostgreSQL (127.0.0.1:5432, trust auth for postgres) and MariaDB (127.0.0.1:3306, root
# without a password). Installs them with apt-get on a machine that has neither.
set -euo pipefail
log() { echo "[ensure-databases] $*" >&2; }
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

apt_updated=0
apt_install() {
  if [[ $apt_updated -eq 0 ]]; then as_root apt-get update -q >&2; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends "$@" >&2
}

wait_for() { # name, command...
  local name=$1; shift
  for _ in $(seq 1 60); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  log "$name did not come up"; return 1
}

# --- PostgreSQL -------------------------------------------------------------
if ! command -v pg_ctlcluster >/dev/null; then log "installing PostgreSQL"; apt_install postgresql; fi
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  log "starting PostgreSQL"
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  wait_for PostgreSQL pg_isready -q -h 127.0.0.1 -p 5432
fi
if ! psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
  # A fresh Debian cluster asks for a password over TCP; trust local TCP like the dev machines.
  log "allowing trust auth on 127.0.0.1 for the test role"
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  hba=/etc/postgresql/$ver/main/pg_hba.conf
  as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main reload
fi

# --- MariaDB ----------------------------------------------------------------
if ! command -v mariadbd >/dev/null && ! [[ -x /usr/sbin/mariadbd ]]; then log "installing MariaDB"; apt_install mariadb-server; fi
if ! mariadb-admin -h 127.0.0.1 -u root ping >/dev/null 2>&1; then
  log "starting MariaDB"
  as_root mkdir -p /run/mysqld && as_root chown mysql:mysql /run/mysqld 2>/dev/null || true
  as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
  wait_for MariaDB mariadb-admin -h 127.0.0.1 -u root ping
fi
log "PostgreSQL and MariaDB are up"
