#!/usr/bin/env bash
# Runs the functional test suites the OpenStack client libraries ship (Debian bookworm:
# python3-openstackclient 6.0.0, python3-keystoneclient 5.0.1, python3-openstacksdk
# 0.101.0 install their tests/functional trees with the library) against a fresh
# `cloudlet up --services identity,image` with its own data directory.
#
#   scripts/conformance/client-functional.sh [SUITE...]
#
# SUITE is one or more of (default: all five)
#   osc-identity   openstackclient.tests.functional.identity (v3: 102 tests; v2: 36)
#   osc-image      openstackclient.tests.functional.image (v2: 7 tests; v1: 2)
#   keystoneclient keystoneclient.tests.functional (105 tests)
#   sdk-identity   openstack.tests.functional.identity and the identity tests of
#                  openstack.tests.functional.cloud (domain, endpoints, groups, identity,
#                  project, services, users)
#   sdk-image      openstack.tests.functional.image and cloud.test_image
#
# Environment: CLIENTFUNC_PORT (default 16300), CLIENTFUNC_WORKSPACE (default
# /var/tmp/conformance/client-functional), CLIENTFUNC_CONCURRENCY (default 2),
# CLIENTFUNC_FILTER (a stestr regex that replaces each suite's own selection, to run a
# suite in parts), KEEP_DATA=1 keeps the
# cloud's data directory.
#
# Before the suites the script makes, through the API as admin, what a devstack cloud
# has and the suites expect: users demo (made by `cloudlet up`) and alt_demo, each member
# of its own project, an image named like devstack's cirros; then it writes a
# clouds.yaml with devstack, devstack-alt, devstack-admin and devstack-system-admin.
#
# Results per suite in $WORKSPACE/SUITE/: results.subunit, passed.txt, failed.txt,
# skipped.txt (with the skip reason), run.log; a summary line per suite on stdout and in
# $WORKSPACE/summary.txt: 'SUITE: N passed, N failed, N skipped'.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH # Debian's python3 and openstack
PORT=${CLIENTFUNC_PORT:-16300}
WS=${CLIENTFUNC_WORKSPACE:-/var/tmp/conformance/client-functional}
CONC=${CLIENTFUNC_CONCURRENCY:-2}
suites=("$@")
((${#suites[@]})) || suites=(osc-identity osc-image keystoneclient sdk-identity sdk-image)
PY=/usr/lib/python3/dist-packages
log() { echo "[client-functional] $*" >&2; }

for p in python3-openstackclient python3-keystoneclient python3-openstacksdk python3-stestr python3-subunit python3-tempest; do
  dpkg -s "$p" >/dev/null 2>&1 || { log "missing $p: run scripts/install-conformance-deps.sh"; exit 2; }
done

[[ -f dist/src/cmd/cloudlet.js ]] || npx tsc -p tsconfig.json
mkdir -p "$WS"
DATA=$(mktemp -d /tmp/cloudlet-clientfunc-XXXX)
# openstacksdk's test base fails a test after OS_TEST_TIMEOUT seconds, 5 by default;
# upstream's functional job raises it (a loaded machine needs more than 5 s).
export OS_TEST_TIMEOUT=${OS_TEST_TIMEOUT:-600}
export OS_IDENTITY__PASSWORD_HASH_ROUNDS=${OS_IDENTITY__PASSWORD_HASH_ROUNDS:-4}
# The suites are Zed's (Debian bookworm) and expect Zed's bootstrap: roles admin > member >
# reader without `manager` (openstackclient's test_implied_role_list counts the
# implications). Cloudlet's default is Keystone 2023.2's chain with `manager`.
export OS_IDENTITY__BOOTSTRAP_MANAGER_ROLE=${OS_IDENTITY__BOOTSTRAP_MANAGER_ROLE:-false}
node dist/src/cmd/cloudlet.js up --port "$PORT" --data-dir "$DATA" --services identity,image \
  --no-clouds-yaml ${CLOUDLET_CONFIG:+--config-file "$CLOUDLET_CONFIG"} >"$DATA/cloudlet.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; cp "$DATA/cloudlet.log" "$WS/cloudlet.log" 2>/dev/null; [[ -n "${KEEP_DATA:-}" ]] || rm -rf "$DATA"' EXIT
for _ in $(seq 1 "$((${CLIENTFUNC_START_TIMEOUT:-30} * 10))"); do
  grep -q "Cloudlet is up" "$DATA/cloudlet.log" && break
  sleep 0.1
done
grep -q "Cloudlet is up" "$DATA/cloudlet.log" || { cat "$DATA/cloudlet.log" >&2; exit 2; }

AUTH=http://127.0.0.1:$PORT/identity
ADMIN_PW=$(node -e "console.log(require('$DATA/credentials.json').adminPassword)")
DEMO_PW=$(node -e "console.log(require('$DATA/credentials.json').memberPassword)")
ALT_PW=alt-$RANDOM$RANDOM
export OS_CLIENT_CONFIG_FILE=$DATA/clouds.yaml
unset OS_CLOUD OS_AUTH_URL OS_USERNAME OS_PASSWORD OS_PROJECT_NAME OS_TOKEN OS_AUTH_TYPE 2>/dev/null || true
cloud() { # name user password [project|--system]
  local scope
  if [[ $4 == --system ]]; then scope="      system_scope: all"; else
    scope="      project_name: $4
      project_domain_id: default"
  fi
  cat <<EOF
  $1:
    auth:
      auth_url: $AUTH
      username: $2
      password: $3
      user_domain_id: default
$scope
    region_name: RegionOne
    identity_api_version: '3'
    image_api_version: '2'
EOF
}
{
  echo "clouds:"
  cloud devstack-admin admin "$ADMIN_PW" admin
  cloud devstack-system-admin admin "$ADMIN_PW" --system
} >"$OS_CLIENT_CONFIG_FILE"

# The devstack users and projects, made through the API as admin
osa() { openstack --os-cloud devstack-admin "$@" >>"$WS/prepare.log" 2>&1 || { log "failed: openstack $* (see $WS/prepare.log)"; exit 2; }; }
: >"$WS/prepare.log"
# (`cloudlet up` has made demo, member of project demo, with credentials.json's memberPassword.)
osa project create --domain default alt_demo
osa user create --domain default --project alt_demo --password "$ALT_PW" alt_demo
osa role add --project alt_demo --user alt_demo member
osa role add --system all --user admin admin
# openstacksdk's tests pick an image named like devstack's cirros (qcow2).
head -c 1048576 /dev/zero >"$DATA/cirros.img"
osa image create cirros-0.6.2-x86_64-disk --disk-format qcow2 --container-format bare --public --file "$DATA/cirros.img"
{
  cloud devstack demo "$DEMO_PW" demo
  cloud devstack-alt alt_demo "$ALT_PW" alt_demo
} >>"$OS_CLIENT_CONFIG_FILE"

# Debian's python3-os-client-config 2.1.0 leaves out os_client_config/constructors.json,
# the service-to-client map keystoneclient's tests reach through get_legacy_client(), so
# every one of them fails in setUp with FileNotFoundError. The keystoneclient suite runs
# with a sitecustomize that gives os_client_config the one entry it needs.
SHIM=$WS/os-client-config-shim
mkdir -p "$SHIM"
printf '%s\n' 'import os_client_config.constructors as _constructors' '' \
  "_constructors._class_mapping = {'identity': 'keystoneclient.client.Client'}" >"$SHIM/sitecustomize.py"

run_suite() { # name concurrency "test_path..." [test id regex...]
  # One stestr run per test path (discovery from the package root; openstacksdk's
  # functional tree as a whole does not import: its examples tests need the examples
  # package, which Debian does not ship), the subunit streams joined. The tests of one
  # class run in one worker, one after the other (stestr group_regex, as tempest's).
  local name=$1 conc=$2 paths=$3
  shift 3
  if [[ -n ${CLIENTFUNC_FILTER:-} ]]; then set -- "$CLIENTFUNC_FILTER"; fi
  local dir="$WS/$name" start path i=0
  rm -rf "$dir"
  mkdir -p "$dir"
  : >"$dir/results.subunit"
  : >"$dir/list.txt"
  start=$(date -u +%H:%M:%S)
  for path in $paths; do
    i=$((i + 1))
    mkdir -p "$dir/run$i"
    printf '[DEFAULT]\ntest_path=%s\ntop_dir=%s\ngroup_regex=([^\\.]*\\.)*\n' "$PY/$path" "$PY" >"$dir/run$i/.stestr.conf"
    # openstacksdk's image tests upload CONTRIBUTING.rst from the working directory (the
    # root of a source checkout); any text file does.
    printf 'Image data for openstacksdk functional tests.\n' >"$dir/run$i/CONTRIBUTING.rst"
    (
      cd "$dir/run$i" && stestr init >/dev/null &&
        OS_CLOUD=devstack-admin PYTHON=/usr/bin/python3 stestr run --concurrency "$conc" --subunit \
          "$@" >>"$dir/results.subunit" 2>>"$dir/run.log"
      stestr list "$@" >>"$dir/list.txt" 2>/dev/null
    )
  done
  /usr/bin/python3 "$ROOT/scripts/conformance/subunit-summary.py" "$dir" "$dir/list.txt" <"$dir/results.subunit"
  echo "$name: $(tail -1 "$dir/summary.txt") ($start-$(date -u +%H:%M:%S) UTC)" | tee -a "$WS/summary.txt"
}

: >"$WS/summary.txt"
status=0
for s in "${suites[@]}"; do
  case "$s" in
    osc-identity) run_suite "$s" "$CONC" openstackclient/tests/functional/identity ;;
    osc-image) run_suite "$s" "$CONC" openstackclient/tests/functional/image ;;
    keystoneclient) PYTHONPATH=$SHIM run_suite "$s" "$CONC" keystoneclient/tests/functional ;;
    # openstacksdk's cloud-layer tests name what they make from testtools' getUniqueString
    # ('user-1', 'group-2', 'image-1' in every test) and clean up by that prefix, and its
    # application credential tests all use the name 'app_cred': run side by side they
    # delete or collide with each other's resources.
    sdk-identity)
      run_suite "$s" 1 "openstack/tests/functional/identity openstack/tests/functional/cloud" \
        '^openstack\.tests\.functional\.(identity\.|cloud\.test_(domain|endpoints|groups|identity|project|services|users)\.)'
      ;;
    sdk-image)
      run_suite "$s" 1 "openstack/tests/functional/image openstack/tests/functional/cloud" \
        '^openstack\.tests\.functional\.(image\.|cloud\.test_image\.)'
      ;;
    *)
      log "unknown suite $s"
      status=2
      ;;
  esac
  grep -Eq '^[1-9][0-9]* passed, 0 failed' <(tail -1 "$WS/$s/summary.txt" 2>/dev/null) || status=1
done
exit $status
