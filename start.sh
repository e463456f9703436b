#!/usr/bin/env bash
# Quick start, step one: install what is missing, then run the platform in the foreground on its
# embedded defaults (API and git on :5000, router on :8080, state in ~/.slipway). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/install-deps.sh
exec ./bin/slipway server
