#!/usr/bin/env bash
# Installs what Slipway needs on Debian 12 and is missing: git, runc, conmon (the monitor each dyno runs under), debootstrap (for the stack),
# curl, jq, python3, haproxy (the router's data path), the add-on servers (PostgreSQL 15 and Redis, run
# by the platform itself; their Debian services stay unused), chromium (the dashboard's browser tests drive
# it headless), Docker (docker.io, and docker-registry for clusters: the swarm runtime; the tests start dockerd
# themselves when it is not running, and stop what they started), then the npm dependencies and the dashboard's assets, then makes the stack (`slipway stack:make`: a Debian 12
# root for builds and dynos, about 2.5 minutes the first time and whenever its definition changes).
# Safe to run again; does nothing when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for pkg in git runc conmon debootstrap curl jq python3 tar gzip iproute2 iptables haproxy postgresql-15 postgresql-client-15 redis-server openssl openssh-client chromium docker.io docker-registry; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
done
if ((${#need[@]})); then
  if [[ $(id -u) != 0 ]]; then
    echo "Slipway needs these Debian packages: ${need[*]}; run as root or: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  echo "-----> Installing ${need[*]} (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v node >/dev/null || { echo "Slipway needs Node.js 20 or newer on PATH (https://nodejs.org or your distribution)." >&2; exit 1; }
major=$(node -p 'process.versions.node.split(".")[0]')
(( major >= 20 )) || { echo "Slipway needs Node.js 20 or newer; this one is $(node --version)." >&2; exit 1; }
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "-----> Installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
# The dashboard's scripts and stylesheet, served by the platform at / (seconds; redone every time).
npm run --silent build:dashboard
# Which cgroup hierarchy the kernel mounted (as runc tells them apart): dyno memory samples (R14) and
# OOM detection (R15) read it, and both layouts work; the README says what each means.
case "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" in
  cgroup2fs) echo "-----> cgroups: unified (cgroup v2 only)" ;;
  tmpfs) if [[ $(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null) == cgroup2fs ]]; then
      echo "-----> cgroups: hybrid (cgroup v1 controllers, an empty cgroup v2 at /sys/fs/cgroup/unified)"
    else
      echo "-----> cgroups: v1 (cgroup v1 controllers only)"
    fi ;;
  *) echo "-----> cgroups: none mounted at /sys/fs/cgroup; runc cannot limit dynos here" ;;
esac
# Only the runc runtime roots builds and dynos in the stack, and making it needs root.
if [[ $(id -u) == 0 && ${SLIPWAY_RUNTIME:-auto} != process ]]; then
  ./bin/slipway stack:make
else
  echo "-----> Not making the stack: it needs root, and only the runc runtime uses it"
fi
