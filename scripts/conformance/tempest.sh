#!/usr/bin/env bash
# Runs upstream Tempest (Debian python3-tempest) against a fresh `cloudlet up`.
#
#   scripts/conformance/tempest.sh identity     tempest.api.identity v3 (138 tests)
#   scripts/conformance/tempest.sh image        tempest.api.image v2 (83 tests), Glance's
#                                               features on (scripts/conformance/image-tempest.conf:
#                                               two file stores, every import method, locations,
#                                               the cache) and a local HTTP server for http_image
#   scripts/conformance/tempest.sh keystone-rbac  keystone-tempest-plugin's RBAC tests (1,587)
#   scripts/conformance/tempest.sh glance-rbac    glance-tempest-plugin's RBAC tests (114)
#                                               both with scope enforcement on and a
#                                               system-scoped tempest admin; cloudlet with
#                                               scripts/conformance/rbac-tempest.conf
#   scripts/conformance/tempest.sh REGEX [SERVICES]
#
# Uses ../shared/conformance/tempest/tempest-run.sh for the tempest side. Results land in
# $TEMPEST_WORKSPACE (default /var/tmp/conformance/tempest-<area>): passed.txt,
# failed.txt, skipped.txt, tempest-run.log. The last line is 'N passed, N failed, N skipped'.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
SHARED=${CLOUDLET_SHARED:-$ROOT/../shared}
area=${1:-identity}
case "$area" in
  identity)
    regex='^tempest\.api\.identity\.(admin\.v3|v3)\.'; services=identity
    # PCI-DSS options on, as scripts/conformance/identity-tempest.conf sets them in cloudlet.
    CLOUDLET_CONFIG=${CLOUDLET_CONFIG:-$ROOT/scripts/conformance/identity-tempest.conf}
    export IDENTITY_SECURITY_COMPLIANCE=${IDENTITY_SECURITY_COMPLIANCE:-1}
    export TEMPEST_CONF_OVERRIDES="identity.user_lockout_failure_attempts=2;identity.user_lockout_duration=5;identity.user_unique_last_password_count=2${TEMPEST_CONF_OVERRIDES:+;$TEMPEST_CONF_OVERRIDES}"
    ;;
  image)
    regex='^tempest\.api\.image\.v2\.'; services=identity,image
    CLOUDLET_CONFIG=${CLOUDLET_CONFIG:-$ROOT/scripts/conformance/image-tempest.conf}
    # tempest's [image] http_image, served by a local HTTP server on the next port.
    HTTP_PORT=${IMAGE_HTTP_PORT:-$(( ${TEMPEST_PORT:-15070} + 1 ))}
    export OS_IMPORT_FILTERING_OPTS__ALLOWED_PORTS="80,443,$HTTP_PORT"
    export TEMPEST_CONF_OVERRIDES="image.image_caching_enabled=True;image.http_image=http://127.0.0.1:$HTTP_PORT/tempest-http.img;image-feature-enabled.manage_locations=True${TEMPEST_CONF_OVERRIDES:+;$TEMPEST_CONF_OVERRIDES}"
    ;;
  keystone-rbac|glance-rbac)
    # The plugins' secure-RBAC persona tests: scope enforcement on in tempest.conf, the
    # admin credentials system-scoped (tempest creates the personas with them; tempest 33
    # scopes them to a project whenever a project name is set, so the name is blanked:
    # oslo.config reads "" as empty).
    # RBAC_REGEX narrows the run to part of the suite.
    if [[ $area == keystone-rbac ]]; then
      regex=${RBAC_REGEX:-'^keystone_tempest_plugin\.tests\.rbac\.'}; services=identity
    else
      regex=${RBAC_REGEX:-'^glance_tempest_plugin\.tests\.rbac\.'}; services=identity,image
    fi
    CLOUDLET_CONFIG=${CLOUDLET_CONFIG:-$ROOT/scripts/conformance/rbac-tempest.conf}
    export TEMPEST_CONF_OVERRIDES="identity-feature-enabled.enforce_scope=True;enforce_scope.keystone=True;enforce_scope.glance=True;auth.admin_system=all;auth.admin_project_name=\"\"${TEMPEST_CONF_OVERRIDES:+;$TEMPEST_CONF_OVERRIDES}"
    ;;
  *) regex=$area; services=${2:-identity} ;;
esac
export TEMPEST_WORKSPACE=${TEMPEST_WORKSPACE:-/var/tmp/conformance/tempest-${area//[^a-z0-9]/_}}

[[ -f dist/src/cmd/cloudlet.js ]] || npx tsc -p tsconfig.json
DATA=$(mktemp -d /tmp/cloudlet-tempest-XXXX)
PORT=${TEMPEST_PORT:-15070}
export OS_CLIENT_CONFIG_FILE=$DATA/clouds.yaml
export OS_IDENTITY__PASSWORD_HASH_ROUNDS=${OS_IDENTITY__PASSWORD_HASH_ROUNDS:-4}
node dist/src/cmd/cloudlet.js up --port "$PORT" --data-dir "$DATA" ${CLOUDLET_CONFIG:+--config-file "$CLOUDLET_CONFIG"} > "$DATA/cloudlet.log" 2>&1 &
pid=$!
http_pid=
if [[ -n "${HTTP_PORT:-}" ]]; then
  head -c 4194304 /dev/urandom > "$DATA/tempest-http.img"
  node "$ROOT/scripts/conformance/static-http.mjs" "$DATA" "$HTTP_PORT" > "$DATA/http.log" 2>&1 &
  http_pid=$!
fi
trap 'kill $pid $http_pid 2>/dev/null; wait $pid 2>/dev/null; [[ -n "${KEEP_DATA:-}" ]] || rm -rf "$DATA"' EXIT
# Start-up takes about a second; a loaded shared machine can take much longer.
for _ in $(seq 1 "$(( ${TEMPEST_START_TIMEOUT:-10} * 10 ))"); do grep -q "Cloudlet is up" "$DATA/cloudlet.log" && break; sleep 0.1; done
grep -q "Cloudlet is up" "$DATA/cloudlet.log" || { cat "$DATA/cloudlet.log" >&2; exit 2; }

export OS_AUTH_URL=http://127.0.0.1:$PORT/identity/v3
export OS_USERNAME=admin OS_PROJECT_NAME=admin OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_REGION_NAME=RegionOne
OS_PASSWORD=$(node -e "console.log(require('$DATA/credentials.json').adminPassword)")
export OS_PASSWORD SERVICES=$services
# TEMPEST_PREPARE: commands run against the fresh cloud with the admin credentials
# before tempest, to shape it as a run needs (e.g. `openstack network set --no-share
# private`: tempest's auto-allocation tests skip while any network is shared).
if [[ -n "${TEMPEST_PREPARE:-}" ]]; then bash -c "$TEMPEST_PREPARE" || { echo "TEMPEST_PREPARE failed" >&2; exit 2; }; fi

# A second image API process (IMAGE_REMOTE=0 turns it off): its own data directory and
# host name, the first one's image database, stores and staging area, in the catalog as
# tempest's alternate_image_endpoint (image_remote), so that tempest's remote import and
# delete tests stage on one process and import or delete through the other.
remote_pid=
if [[ $area == image && ${IMAGE_REMOTE:-1} == 1 ]]; then
  DATA2=$(mktemp -d /tmp/cloudlet-tempest-remote-XXXX)
  REMOTE_PORT=$(( PORT + 2 ))
  OS_DEFAULT__HOST=image-remote OS_DATABASE__CONNECTION="sqlite:///$DATA/image.db" \
    OS_KEYSTONE_AUTHTOKEN__AUTH_URL="http://127.0.0.1:$PORT/identity" \
    OS_GLANCE_STORE__FILESYSTEM_STORE_DATADIR="$DATA/image/images" \
    OS_OS_GLANCE_STAGING_STORE__FILESYSTEM_STORE_DATADIR="$DATA/image/staging" \
    node dist/src/cmd/cloudlet.js api --services image --port "$REMOTE_PORT" --data-dir "$DATA2" \
      ${CLOUDLET_CONFIG:+--config-file "$CLOUDLET_CONFIG"} > "$DATA/cloudlet-remote.log" 2>&1 &
  remote_pid=$!
  for _ in $(seq 1 100); do grep -q "Cloudlet API serving" "$DATA/cloudlet-remote.log" && break; sleep 0.1; done
  openstack service create --name image-remote image_remote >/dev/null
  openstack endpoint create --region "$OS_REGION_NAME" image_remote public "http://127.0.0.1:$REMOTE_PORT/image" >/dev/null
  export TEMPEST_CONF_OVERRIDES="$TEMPEST_CONF_OVERRIDES;image.alternate_image_endpoint=image_remote;image.alternate_image_endpoint_type=publicURL"
  trap 'kill $pid $http_pid $remote_pid 2>/dev/null; wait $pid 2>/dev/null; [[ -n "${KEEP_DATA:-}" ]] || rm -rf "$DATA" "$DATA2"' EXIT
fi
unset OS_CLIENT_CONFIG_FILE
bash "$SHARED/conformance/tempest/tempest-run.sh" "$regex" "${@:3}"
status=$?
cp "$DATA/cloudlet.log" "$TEMPEST_WORKSPACE/cloudlet.log" 2>/dev/null || true
cp "$DATA/cloudlet-remote.log" "$TEMPEST_WORKSPACE/cloudlet-remote.log" 2>/dev/null || true
exit $status
