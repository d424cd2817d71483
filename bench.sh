#!/usr/bin/env bash
# Builds the load generator and the app in Release and runs the benchmark of issue 8 (see bench/README.md).
#   ./bench.sh            full run (~5 min): the figures bench/README.md reports
#   ./bench.sh --quick    every scenario briefly (< 2 min): a smoke run, figures indicative only
#   ./bench.sh --help     all options (--only raw,scale,latency,... runs some scenarios)
# The markdown table goes to stdout, progress to stderr, the JSON to bench/results/<timestamp>.json.
set -euo pipefail
cd "$(dirname "$0")"

# Postgres and Redis run as local processes when no container runtime answers; setup.sh installs them if missing.
if ! docker info --format '{{.ServerVersion}}' >/dev/null 2>&1 \
  && { [ ! -x /usr/lib/postgresql/15/bin/postgres ] || [ ! -x /usr/bin/redis-server ]; }; then
  scripts/setup.sh
fi

dotnet build bench/Webhooks.Bench -c Release -nologo -v quiet -clp:ErrorsOnly
WEBHOOKS_BENCH_COMMAND="./bench.sh${*:+ $*}" exec dotnet bench/Webhooks.Bench/bin/Release/net10.0/Webhooks.Bench.dll "$@"
