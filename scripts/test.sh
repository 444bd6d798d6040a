#!/usr/bin/env bash
# The one test command (`npm test`): lint, type-check, build, then every test tier:
# unit and HTTP tests, storage tests on SQLite, PostgreSQL and MariaDB, bus tests on
# the in-process transport and the local RabbitMQ, and the
# conformance tests that drive the real openstack CLI against a started cloud.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-databases.sh
bash scripts/ensure-rabbitmq.sh
bash scripts/install-conformance-deps.sh

echo "== lint"; npx biome check src bench scripts test
echo "== build"; rm -rf dist && npx tsc -p tsconfig.json
echo "== tests"
# One node:test run over every compiled test file; its closing summary is the verdict.
mapfile -t files < <(find dist -name '*.test.js' | sort)
node --test --test-concurrency=2 --test-reporter=spec "${files[@]}"
