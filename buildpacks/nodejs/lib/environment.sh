# Build environment: config vars from ENV_DIR, a usable HOME, defaults.
# shellcheck shell=bash

# Config vars are not exported by the platform; like Heroku's Node.js buildpack we
# export them for the build (npm scripts see them), except ones that would break it.
export_env_dir() {
  local env_dir=$1 path key
  local denylist='^(PATH|GIT_DIR|CPATH|CPPATH|LD_PRELOAD|LIBRARY_PATH|LD_LIBRARY_PATH|LANG|BUILD_DIR|HOME|STACK|SOURCE_VERSION|SLIPWAY_RUNTIME_CACHE|IFS|SHELLOPTS|BASHOPTS|BASH_ENV|ENV)$'
  [ -d "$env_dir" ] || return 0
  for path in "$env_dir"/*; do
    [ -f "$path" ] || continue
    key=$(basename "$path")
    [[ $key =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
    [[ $key =~ $denylist ]] && continue
    export "$key=$(cat "$path")"
  done
}

# HOME is not meaningful in a build; tools (npm, node-gyp, yarn) want a writable one.
ensure_home() {
  local fallback=$1
  if [ -z "${HOME:-}" ] || [ ! -d "$HOME" ] || [ ! -w "$HOME" ]; then
    mkdir -p "$fallback"
    export HOME=$fallback
  fi
}

create_default_env() {
  # Node ships its own CA list; trust the stack's too (private registries and
  # TLS-intercepting proxies are configured there).
  if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r /etc/ssl/certs/ca-certificates.crt ]; then
    export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
  fi
  export NODE_ENV=${NODE_ENV:-production}
  export NODE_MODULES_CACHE=${NODE_MODULES_CACHE:-true}
  export NODE_VERBOSE=${NODE_VERBOSE:-false}
}

# The NPM_CONFIG_*, YARN_* and NODE_* variables, as Heroku prints them.
list_node_config() {
  env | grep -E '^(NPM_CONFIG_|YARN_|NODE_)[A-Za-z0-9_]*=' | grep -v '^NODE_EXTRA_CA_CERTS=' | LC_ALL=C sort || true
}
