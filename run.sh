#!/usr/bin/env bash
# Sets up a fresh machine and runs the whole app (Postgres, Redis, Api, Dispatcher) under the Aspire AppHost.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
exec dotnet run --project Webhooks.AppHost --no-build "$@"
