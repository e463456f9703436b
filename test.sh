#!/usr/bin/env bash
# Quick start, step two: install what is missing, then run the whole test suite (npm test):
# type check, lint (Biome), the import table (dependency-cruiser), unit tests, and integration tests
# that start real platforms with runc dynos.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/install-deps.sh
npx tsc --noEmit
npm run --silent lint
npm run --silent deps
exec npm test
