# Package managers: choose one, install it, install dependencies (devDependencies
# included), run scripts, prune, describe the cache.
# Needs: BUILD_DIR, CACHE_DIR, NODE_HOME, NODE_VERSION, output.sh, runtime.sh.
# shellcheck shell=bash

pkg_get() {
  npmreg get "$BUILD_DIR/package.json" "$1"
}

has_script() {
  [ -n "$(pkg_get "scripts.$1")" ]
}

# Dev dependencies are installed for the build unless the app opts out.
dev_deps_wanted() {
  [ "${NPM_CONFIG_PRODUCTION:-}" != "true" ] && [ "${YARN_PRODUCTION:-}" != "true" ]
}

# detect_package_manager: sets PM (npm|yarn|pnpm), PM_REQUESTED (version from
# packageManager, may be empty) and PM_REASON.
detect_package_manager() {
  local field lockfiles=()
  field=$(pkg_get packageManager)
  [ -f "$BUILD_DIR/package-lock.json" ] && lockfiles+=(package-lock.json)
  [ -f "$BUILD_DIR/npm-shrinkwrap.json" ] && lockfiles+=(npm-shrinkwrap.json)
  [ -f "$BUILD_DIR/yarn.lock" ] && lockfiles+=(yarn.lock)
  [ -f "$BUILD_DIR/pnpm-lock.yaml" ] && lockfiles+=(pnpm-lock.yaml)
  PM_REQUESTED=""
  if [ -n "$field" ]; then
    if [[ $field =~ ^(npm|yarn|pnpm)@([^+]+)(\+.*)?$ ]]; then
      PM=${BASH_REMATCH[1]}
      PM_REQUESTED=${BASH_REMATCH[2]}
      PM_REASON="packageManager: $field"
      return 0
    fi
    fail "packageManager in package.json must look like \"pnpm@9.1.0\", \"yarn@4.1.0\" or \"npm@10.5.0\"; got \"$field\""
  fi
  local managers=0
  if [ -f "$BUILD_DIR/package-lock.json" ] || [ -f "$BUILD_DIR/npm-shrinkwrap.json" ]; then managers=$((managers + 1)); fi
  if [ -f "$BUILD_DIR/yarn.lock" ]; then managers=$((managers + 1)); fi
  if [ -f "$BUILD_DIR/pnpm-lock.yaml" ]; then managers=$((managers + 1)); fi
  if [ "$managers" -gt 1 ]; then
    fail "Two different lockfiles found: ${lockfiles[*]}
Delete the one of the package manager you do not use (or set packageManager in package.json)."
  fi
  if [ -f "$BUILD_DIR/yarn.lock" ]; then
    PM=yarn
    PM_REASON="yarn.lock"
  elif [ -f "$BUILD_DIR/pnpm-lock.yaml" ]; then
    PM=pnpm
    PM_REASON="pnpm-lock.yaml"
  elif [ ${#lockfiles[@]} -gt 0 ]; then
    PM=npm
    PM_REASON=${lockfiles[0]}
  else
    PM=npm
    PM_REASON="no lockfile"
  fi
}

yarn_is_berry() {
  [ "${YARN_MAJOR:-1}" -ge 2 ]
}

# install_package_manager: npm is already there; yarn and pnpm come from the
# registry (corepack is not part of the node-linux-* packages, and left Node in 25).
install_package_manager() {
  local range label yarn_path
  case "$PM" in
    npm) ;; # installed with node (install_npm), honouring packageManager "npm@..."
    yarn)
      yarn_path=""
      if [ -f "$BUILD_DIR/.yarnrc.yml" ]; then
        yarn_path=$(sed -n -E 's/^yarnPath:[[:space:]]*["'\'']?([^"'\'' ]+)["'\'']?[[:space:]]*$/\1/p' "$BUILD_DIR/.yarnrc.yml" | head -n1)
      fi
      if [ -n "$yarn_path" ] && [ -f "$BUILD_DIR/$yarn_path" ]; then
        mkdir -p "$BUILD_DIR/.heroku/yarn/bin"
        # relative to the app: works in the build dir and at /app
        printf '#!/bin/sh\nexec node "$(dirname "$0")/../../../%s" "$@"\n' "$yarn_path" >"$BUILD_DIR/.heroku/yarn/bin/yarn"
        chmod +x "$BUILD_DIR/.heroku/yarn/bin/yarn"
        ln -sfn ../../yarn/bin/yarn "$NODE_HOME/bin/yarn"
        info "Using yarn from yarnPath (.yarnrc.yml): $yarn_path"
      else
        range=${PM_REQUESTED:-$(pkg_get engines.yarn)}
        label="yarn \"$range\" (package.json)"
        if [ -z "$range" ]; then
          if grep -q '^__metadata:' "$BUILD_DIR/yarn.lock" 2>/dev/null; then
            range=">=2"   # a Berry lockfile; the newest Berry that supports this node
            label="yarn >=2 (yarn.lock is a Yarn 2+ lockfile)"
          else
            range="1.x"
            label="yarn 1.x (yarn.lock is a Yarn 1 lockfile)"
          fi
        fi
        # Yarn 1 is the `yarn` package, Yarn 2+ is `@yarnpkg/cli-dist`.
        if python3 "$BP_DIR/lib/semver.py" satisfies 1.22.22 "$range" ||
          python3 "$BP_DIR/lib/semver.py" satisfies 1.0.0 "$range"; then
          install_tool yarn yarn "$range" "$label"
        else
          install_tool yarn @yarnpkg/cli-dist "$range" "$label"
        fi
      fi
      YARN_VERSION=$(cd "$BUILD_DIR" && yarn --version 2>/dev/null) || fail "yarn does not run (yarn --version failed)"
      YARN_MAJOR=${YARN_VERSION%%.*}
      info "Using yarn $YARN_VERSION"
      ;;
    pnpm)
      range=${PM_REQUESTED:-$(pkg_get engines.pnpm)}
      label="pnpm \"$range\" (package.json)"
      if [ -z "$range" ] && [ -f "$BUILD_DIR/pnpm-lock.yaml" ]; then
        range=$(npmreg pnpm-range-from-lock "$BUILD_DIR/pnpm-lock.yaml")
        label="pnpm $range (from the lockfileVersion of pnpm-lock.yaml)"
      fi
      install_tool pnpm pnpm "$range" "$label"
      PNPM_VERSION=$(pnpm --version 2>/dev/null) || fail "pnpm does not run (pnpm --version failed)"
      info "Using pnpm $PNPM_VERSION"
      ;;
  esac
}

npm_major() {
  local v
  v=$(npm --version 2>/dev/null) || v=0
  echo "${v%%.*}"
}

# Set package-manager cache locations inside CACHE_DIR.
configure_caches() {
  export npm_config_cache="$CACHE_DIR/npm"
  export YARN_CACHE_FOLDER="$CACHE_DIR/yarn"
  # Yarn 2+: keep its global cache (enableGlobalCache) in CACHE_DIR too
  export YARN_GLOBAL_FOLDER="$CACHE_DIR/yarn-berry"
  export YARN_ENABLE_TELEMETRY=0
  export YARN_ENABLE_PROGRESS_BARS=false
  export PNPM_HOME="$WORK/pnpm-home"
  if [ "$PM" = pnpm ]; then
    export npm_config_store_dir="$CACHE_DIR/pnpm-store"   # pnpm reads npm_config_*; npm would warn
  fi
  export npm_config_update_notifier=false
  export npm_config_fund=false
  # Native modules: node-gyp builds against the installed node's headers instead of
  # downloading them. npm 11 warns about unknown npm_config_* variables, and its
  # node-gyp reads npm_package_config_node_gyp_* as well.
  if [ -n "${NODE_HEADERS_DIR:-}" ]; then
    export npm_package_config_node_gyp_nodedir="$NODE_HEADERS_DIR"
    if [ "$PM" != npm ] || [ "$(npm_major)" -lt 11 ]; then
      export npm_config_nodedir="$NODE_HEADERS_DIR"
    fi
  fi
}

restore_cache() {
  local found=()
  if [ "$NODE_MODULES_CACHE" = "false" ]; then
    info "Caching has been disabled because NODE_MODULES_CACHE=${NODE_MODULES_CACHE}"
    rm -rf "$CACHE_DIR/npm" "$CACHE_DIR/yarn" "$CACHE_DIR/yarn-berry" "$CACHE_DIR/pnpm-store"
    return 0
  fi
  [ -d "$CACHE_DIR/npm" ] && found+=("npm cache")
  [ -d "$CACHE_DIR/yarn" ] && found+=("yarn cache")
  [ -d "$CACHE_DIR/yarn-berry" ] && found+=("yarn cache")
  [ -d "$CACHE_DIR/pnpm-store" ] && found+=("pnpm store")
  if [ ${#found[@]} -eq 0 ]; then
    info "Cache directory is empty (first build of this app)"
  else
    local f
    for f in "${found[@]}"; do info "- $f"; done
  fi
}

run_script() {
  local name=$1
  info "Running $name"
  case "$PM" in
    npm) run_indented npm run "$name" ;;
    yarn) run_indented yarn run "$name" ;;
    pnpm) run_indented pnpm run "$name" ;;
  esac
}

# run_script_or_fail NAME: a script that exits non-zero fails the build.
run_script_or_fail() {
  local name=$1 status=0
  run_script "$name" || status=$?
  if [ "$status" -ne 0 ]; then
    fail "The \"$name\" script in package.json failed (exit status $status)."
  fi
}

# nothing_to_install: an npm app with no dependencies of any kind, no workspaces, no install scripts
# (nor a binding.gyp, which npm builds as one), no lockfile and no node_modules: `npm install` would
# only write a package-lock.json, and `npm prune` remove nothing; both are skipped (a second or two).
nothing_to_install() {
  [ "$PM" = npm ] || return 1
  local f
  for f in package-lock.json npm-shrinkwrap.json node_modules binding.gyp; do
    [ ! -e "$BUILD_DIR/$f" ] && [ ! -L "$BUILD_DIR/$f" ] || return 1
  done
  python3 - "$BUILD_DIR/package.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
kinds = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies",
         "bundleDependencies", "bundledDependencies", "workspaces", "overrides")
hooks = ("preinstall", "install", "postinstall", "prepublish", "preprepare", "prepare", "postprepare", "dependencies")
scripts = doc.get("scripts") if isinstance(doc, dict) else None
ok = isinstance(doc, dict) and not any(doc.get(k) for k in kinds) and (scripts is None or (isinstance(scripts, dict) and not any(h in scripts for h in hooks)))
sys.exit(0 if ok else 1)
PY
}

install_dependencies() {
  local status=0 args=()
  if nothing_to_install; then
    info "No dependencies in package.json: nothing to install"
    return 0
  fi
  case "$PM" in
    npm)
      if [ -f "$BUILD_DIR/package-lock.json" ] || [ -f "$BUILD_DIR/npm-shrinkwrap.json" ]; then
        args=(ci)
      else
        args=(install)
      fi
      if dev_deps_wanted; then
        if [ "$(npm_major)" -ge 7 ]; then args+=(--include=dev); else args+=(--production=false); fi
      fi
      info "Installing node modules ($PM_REASON): npm ${args[*]}"
      run_indented npm "${args[@]}" --cache "$CACHE_DIR/npm" --no-progress || status=$?
      ;;
    yarn)
      if yarn_is_berry; then
        args=(install)
        [ -f "$BUILD_DIR/yarn.lock" ] && args+=(--immutable)
      else
        args=(install --non-interactive --cache-folder "$CACHE_DIR/yarn")
        [ -f "$BUILD_DIR/yarn.lock" ] && args+=(--frozen-lockfile)
        dev_deps_wanted && args+=(--production=false)
      fi
      info "Installing node modules ($PM_REASON): yarn ${args[*]}"
      run_indented yarn "${args[@]}" || status=$?
      ;;
    pnpm)
      args=(install --store-dir "$CACHE_DIR/pnpm-store")
      [ -f "$BUILD_DIR/pnpm-lock.yaml" ] && args+=(--frozen-lockfile)
      dev_deps_wanted && args+=(--prod=false)
      info "Installing node modules ($PM_REASON): pnpm ${args[*]}"
      run_indented pnpm "${args[@]}" || status=$?
      ;;
  esac
  if [ "$status" -ne 0 ]; then
    fail "Installing dependencies with $PM failed (exit status $status)."
  fi
}

prune_dev_dependencies() {
  local status=0
  if [ "${NPM_CONFIG_PRODUCTION:-}" = "false" ] || [ "${YARN_PRODUCTION:-}" = "false" ]; then
    info "Skipping because NPM_CONFIG_PRODUCTION or YARN_PRODUCTION is false"
    return 0
  fi
  if ! dev_deps_wanted; then
    info "Skipping: devDependencies were not installed (production mode)"
    return 0
  fi
  if [ "${NODE_SKIP_PRUNING:-}" = "true" ]; then
    info "Skipping because NODE_SKIP_PRUNING=true"
    return 0
  fi
  if nothing_to_install; then
    info "Skipping: no dependencies were installed"
    return 0
  fi
  case "$PM" in
    npm)
      if [ "$(npm_major)" -ge 7 ]; then
        run_indented npm prune --omit=dev --cache "$CACHE_DIR/npm" --no-progress || status=$?
      else
        run_indented npm prune --production --cache "$CACHE_DIR/npm" || status=$?
      fi
      ;;
    yarn)
      if yarn_is_berry; then
        if [ "${YARN_MAJOR:-0}" -ge 4 ] || (yarn plugin runtime 2>/dev/null | grep -q workspace-tools); then
          run_indented yarn workspaces focus --all --production || status=$?
        else
          info "Skipping: yarn $YARN_VERSION prunes only with the workspace-tools plugin"
          return 0
        fi
      else
        run_indented yarn install --non-interactive --frozen-lockfile --production=true \
          --ignore-scripts --prefer-offline --cache-folder "$CACHE_DIR/yarn" || status=$?
      fi
      ;;
    pnpm)
      run_indented pnpm prune --prod || status=$?
      ;;
  esac
  if [ "$status" -ne 0 ]; then
    fail "Pruning devDependencies with $PM failed (exit status $status)."
  fi
}

save_cache() {
  local d label
  if [ "$NODE_MODULES_CACHE" = "false" ]; then
    info "Caching has been disabled because NODE_MODULES_CACHE=${NODE_MODULES_CACHE}"
    rm -rf "$CACHE_DIR/npm" "$CACHE_DIR/yarn" "$CACHE_DIR/yarn-berry" "$CACHE_DIR/pnpm-store"
    return 0
  fi
  # npm's debug logs are not worth keeping between builds
  rm -rf "$CACHE_DIR/npm/_logs"
  for d in npm yarn yarn-berry pnpm-store; do
    [ -d "$CACHE_DIR/$d" ] || continue
    case "$d" in
      npm) label="npm cache" ;;
      yarn | yarn-berry) label="yarn cache" ;;
      pnpm-store) label="pnpm store" ;;
    esac
    info "- $label ($(du -sh "$CACHE_DIR/$d" 2>/dev/null | cut -f1))"
  done
}
