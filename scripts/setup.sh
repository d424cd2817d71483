#!/usr/bin/env bash
# Installs what a fresh machine lacks, then restores and builds the solution. Used by ./run.sh and ./test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
# Without a container runtime the AppHost runs Postgres and Redis as local processes from Debian's packages.
if ! docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; then
  if [ ! -x /usr/lib/postgresql/15/bin/postgres ] || [ ! -x /usr/bin/redis-server ]; then
    echo "setup: no container runtime answers; installing postgresql and redis-server" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql redis-server >/dev/null
  fi
fi
# The tests always start a 3-master Redis Cluster from local redis-server processes, joined by redis-cli.
if [ ! -x /usr/bin/redis-server ] || [ ! -x /usr/bin/redis-cli ]; then
  echo "setup: installing redis-server and redis-tools for the tests' Redis Cluster" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server redis-tools >/dev/null
fi

# The portal's browser tests drive Debian's chromium with Playwright (Playwright's own browser download needs the internet).
if [ ! -x /usr/bin/chromium ] && [ -z "${PORTAL_TESTS_CHROMIUM:-}" ]; then
  echo "setup: installing chromium for the portal's browser tests" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

# The OpenAPI linter the tests run, pinned in tools/openapi-lint/package-lock.json (needs Node.js 20.19+ and npm).
lint=tools/openapi-lint
if [ ! -x "$lint/node_modules/.bin/redocly" ] || [ "$lint/package-lock.json" -nt "$lint/node_modules/.package-lock.json" ]; then
  command -v npm >/dev/null || { echo "setup: npm is missing; install Node.js 20.19 or later" >&2; exit 1; }
  npm ci --prefix "$lint" --no-audit --no-fund --loglevel=error >/dev/null
fi

dotnet tool restore >/dev/null
dotnet build Webhooks.sln -nologo -v quiet -clp:ErrorsOnly
