#!/usr/bin/env bash
# Installs the third-party clients and suites the conformance tests drive, from Debian:
# the openstack CLI with the placement plugin, tempest with the neutron, keystone, glance
# and cinder plugins (the last three for the on-demand runs of docs/conformance-identity.md,
# docs/conformance-image.md and docs/conformance-volume.md), gabbi and subunit tools, and
# the client libraries whose packages carry the functional suites
# scripts/conformance/client-functional.sh runs (openstackclient, keystoneclient with
# os-client-config, openstacksdk), and qemu-img (qemu-utils), which block storage's
# upload-to-image uses to convert a volume to qcow2 (its test converts one).
set -euo pipefail
pkgs=(python3-openstackclient python3-osc-placement python3-tempest neutron-tempest-plugin keystone-tempest-plugin glance-tempest-plugin cinder-tempest-plugin python3-stestr python3-subunit python3-gabbi python3-keystoneclient python3-os-client-config python3-openstacksdk curl qemu-utils)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if (( ${#missing[@]} )); then
  echo "[install-conformance-deps] installing ${missing[*]}" >&2
  as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
  as_root apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi
