#!/usr/bin/env bash
# Sets up a fresh machine and runs every test; results also land in TestResults/results.trx.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
rm -rf TestResults
exec dotnet test Webhooks.sln --no-build --logger "trx;LogFileName=results.trx" --results-directory TestResults "$@"
