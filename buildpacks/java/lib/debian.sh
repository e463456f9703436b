# shellcheck shell=bash
# Language runtimes and build tools from Debian 12's own archive (the stack's apt sources), fetched
# by the build's own user with apt into a machine-wide cache and unpacked where the buildpack says.
#
# apt runs unprivileged with its lists and downloads in the cache and the stack's dpkg status as the
# installed set, so `apt-get install --download-only` yields exactly the packages the stack lacks
# (with their dependencies, no Recommends). Unpacked trees are cached by the exact set of .debs, so a
# rebuild (or another app asking for the same runtime) unpacks nothing.
#
# Cache layout under $SLIPWAY_RUNTIME_CACHE (shared by every build on the machine; without it, under
# CACHE_DIR): debian-12/apt/{lists,archives,resolved}, debian-12/trees/<name>-<sha256 prefix>/. Trees
# are published by rename(2) of a complete temp dir; apt's own steps are serialized with flock(1).
#
# The same file is in each of the ruby, java, clojure and scala buildpacks (a buildpack is a
# self-contained folder); test/buildpacks checks the copies are identical.
#
# Needs output.sh (header, info, fail). Sets DEBIAN_TREE (debian_tree) and DEBIAN_DEBS (debian_fetch).

DEBIAN_LISTS_MAX_AGE=${SLIPWAY_APT_LISTS_MAX_AGE:-21600}   # seconds before the package lists are refreshed

# In a build the shared cache is read-only: the platform fills it before the build in a step that runs
# none of the app (bin/fill). A build uses a tree found there as it is, and makes one that is not in
# its app's own cache (CACHE_DIR/.runtimes; DEBIAN_PRIVATE set from then on).
debian_root() {
  local base=${SLIPWAY_RUNTIME_CACHE:-}
  if [ -z "$base" ] || [ -n "${DEBIAN_PRIVATE:-}" ]; then base=${CACHE_DIR:?}/.runtimes; fi
  echo "$base/debian-12"
}

_debian_shared_readonly() {
  [ -n "${SLIPWAY_RUNTIME_CACHE:-}" ] && [ -z "${DEBIAN_PRIVATE:-}" ] && [ ! -w "$SLIPWAY_RUNTIME_CACHE" ]
}

# _debian_apt apt-get|apt-cache ARGS...: apt with its state in the cache.
_debian_apt() {
  local c tool=$1
  shift
  c="$(debian_root)/apt"
  "$tool" -q \
    -o Dir::State::Lists="$c/lists" -o Dir::Cache="$c" -o Dir::Cache::archives="$c/archives" \
    -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
    -o Dir::State::extended_states="$c/extended_states" -o Debug::NoLocking=1 \
    -o APT::Sandbox::User="$(id -un 2>/dev/null || echo root)" \
    -o APT::Install-Recommends=false -o Acquire::Retries=2 "$@"
}

# debian_update [force]: refresh apt's package lists when absent, older than DEBIAN_LISTS_MAX_AGE, or
# forced. A failed refresh with older lists at hand only warns: they may still do.
debian_update() {
  local c lists age
  c="$(debian_root)/apt"
  lists=$(find "$c/lists" -maxdepth 1 -name '*_Packages*' 2>/dev/null | head -n1)
  if [ -n "$lists" ] && [ "${1:-}" != force ]; then
    age=$(( $(date +%s) - $(stat -c %Y "$lists") ))
    (( age < DEBIAN_LISTS_MAX_AGE )) && return 0
  fi
  info "Updating Debian package lists (apt-get update)"
  # Answers kept for older lists no longer match; those of the last week may still (lists unchanged).
  find "$c/resolved" -type f -mtime +7 -delete 2>/dev/null || true
  if ! _debian_apt apt-get update >"$c/update.log" 2>&1; then
    if [ -n "$lists" ]; then
      info "apt-get update failed; using the package lists from $(date -u -r "$lists" '+%Y-%m-%d %H:%M UTC')"
    else
      sed 's/^/       /' "$c/update.log" >&2
      fail "Could not fetch Debian's package lists (apt-get update failed, above).
This buildpack installs its language runtime from Debian's archive (deb.debian.org):
check that builds can reach it, then push again."
    fi
  fi
}

# debian_prepare: the cache's directories, and package lists fresh enough (debian_update).
debian_prepare() {
  local root lock
  if _debian_shared_readonly; then
    [ -n "$(find "$(debian_root)/apt/lists" -maxdepth 1 -name '*_Packages*' 2>/dev/null | head -n1)" ] && return 0
    DEBIAN_PRIVATE=1
  fi
  root=$(debian_root)
  mkdir -p "$root/apt/lists/partial" "$root/apt/archives/partial" "$root/trees"
  exec {lock}>"$root/apt/lock"
  flock "$lock"
  debian_update
  exec {lock}>&-
}

# debian_versions PACKAGE...: "package version" for each one Debian has (its candidate version).
debian_versions() {
  _debian_apt apt-cache policy "$@" 2>/dev/null | awk '
    /^[^ ].*:$/ { p = substr($0, 1, length($0) - 1) }
    $1 == "Candidate:" && $2 != "(none)" { print p, $2 }'
}

# _debian_resolution_key PACKAGE...: everything apt's choice of .debs for PACKAGE... depends on: the
# package lists (names, sizes, times: apt-get update rewrites what changed), the stack's dpkg status
# and apt configuration, and the apt options used here.
_debian_resolution_key() {
  local c
  c="$(debian_root)/apt"
  {
    printf '%s\n' "$@"
    stat -c '%n %s %Y' "$c"/lists/*_* 2>/dev/null
    sha256sum /var/lib/dpkg/status
    find /etc/apt -type f -print0 2>/dev/null | sort -z | xargs -0r sha256sum
    declare -f _debian_apt
  } | sha256sum | cut -c1-32
}

# debian_fetch PACKAGE...: downloads the packages and their dependencies that the stack lacks into
# the cache; DEBIAN_DEBS lists their .deb files. Retries once with fresh lists (a security update
# replaces the old .deb on the mirror). apt's answer is kept in resolved/<key>: resolving a JDK's
# hundred-odd packages takes apt three runs and about 4 s, the same every build while the lists and
# the stack stay as they are; with the answer kept and its .debs all at hand, apt does not run.
debian_fetch() {
  local c sim attempt resolved deb
  c="$(debian_root)/apt"
  resolved="$c/resolved/$(_debian_resolution_key "$@")"
  if [ -f "$resolved" ]; then
    DEBIAN_DEBS=()
    while IFS= read -r deb; do DEBIAN_DEBS+=("$c/archives/$deb"); done <"$resolved"
    for deb in "${DEBIAN_DEBS[@]}"; do [ -f "$deb" ] || DEBIAN_DEBS=(); done
    (( ${#DEBIAN_DEBS[@]} )) && return 0
  fi
  local uris count bytes
  for attempt in 1 2; do
    if sim=$(_debian_apt apt-get -s install "$@" 2>&1) && uris=$(_debian_apt apt-get -y --print-uris install "$@" 2>/dev/null); then
      # --print-uris lists what is not downloaded yet: "'URL' FILE SIZE HASH".
      read -r count bytes < <(awk '/^'"'"'/ { n++; b += $3 } END { print n + 0, b + 0 }' <<<"$uris")
      (( count )) && info "Downloading $count Debian packages ($(human_size "$bytes")) from $(awk -F/ '/^'"'"'/ { print $3; exit }' <<<"$uris")"
      if _debian_apt apt-get -y install --download-only "$@" >"$c/fetch.log" 2>&1; then
        break
      fi
    fi
    if [ "$attempt" = 2 ]; then
      { echo "$sim"; cat "$c/fetch.log" 2>/dev/null; } | grep -E '^(E:|W:|Err)' | sed 's/^/       /' >&2
      fail "Could not download the Debian packages $* (apt, above).
Check that builds can reach deb.debian.org, then push again."
    fi
    debian_update force
  done
  DEBIAN_DEBS=()
  local name version arch deb
  while read -r name version arch; do
    DEBIAN_DEBS+=("$c/archives/${name}_${version//:/%3a}_${arch}.deb")
  done < <(awk '$1 == "Inst" { v = $3; gsub(/[()]/, "", v); if (match($0, /\[[a-z0-9]+\]\)/)) print $2, v, substr($0, RSTART + 1, RLENGTH - 3) }' <<<"$sim")
  for deb in "${DEBIAN_DEBS[@]}"; do
    [ -f "$deb" ] || fail "apt reported $(basename "$deb") downloaded, but it is not in $(dirname "$deb")."
  done
  mkdir -p "$c/resolved"
  printf '%s\n' "${DEBIAN_DEBS[@]##*/}" >"$resolved.tmp.$$" && mv -f "$resolved.tmp.$$" "$resolved"
}

# debian_relink TREE: absolute symlinks whose target the tree itself holds (/etc/maven,
# /etc/java-17-openjdk/...) become relative ones, so the tree works wherever it is.
debian_relink() {
  local tree=$1 link target
  while IFS= read -r -d '' link; do
    target=$(readlink "$link")
    if [ -e "$tree$target" ] || [ -L "$tree$target" ]; then
      ln -sfnr "$tree$target" "$link"
    fi
  done < <(find "$tree" -type l -lname '/*' -print0)
}

# debian_tree NAME [HOOK] -- PACKAGE...: the packages (and what the stack lacks of their dependencies)
# unpacked into one tree (usr/..., etc/...) in the cache; its path in DEBIAN_TREE. HOOK, a shell
# function, runs once in the fresh tree before it is published (to make it relocatable); the tree's
# cache key covers the .debs, the hook's body and $DEBIAN_TREE_KEY (for files the hook copies in).
debian_tree() {
  local name=$1 hook="" root key tmp deb lock total=0
  shift
  if [ "$1" != -- ]; then hook=$1; shift; fi
  shift
  if _debian_shared_readonly; then
    _debian_shared_tree "$name" "$hook" "$@" && return 0
    DEBIAN_PRIVATE=1
  fi
  root=$(debian_root)
  debian_prepare
  exec {lock}>"$root/apt/lock"
  flock "$lock"
  debian_fetch "$@"
  exec {lock}>&-
  key=$(_debian_tree_key "$hook")
  DEBIAN_TREE="$root/trees/$name-$key"
  if [ -f "$DEBIAN_TREE/.slipway-tree" ]; then
    touch "$DEBIAN_TREE/.slipway-tree"
    info "Using cached $name (${#DEBIAN_DEBS[@]} Debian packages)"
    return 0
  fi
  for deb in "${DEBIAN_DEBS[@]}"; do total=$(( total + $(stat -c %s "$deb") )); done
  info "Unpacking ${#DEBIAN_DEBS[@]} Debian packages ($(human_size "$total"))"
  tmp=$(mktemp -d "$root/trees/.tmp-$name.XXXXXX")
  for deb in "${DEBIAN_DEBS[@]}"; do dpkg-deb -x "$deb" "$tmp"; done
  debian_relink "$tmp"
  if [ -n "$hook" ]; then (cd "$tmp" && "$hook") || fail "Could not prepare $name from Debian's packages (above)."; fi
  printf '%s\n' "${DEBIAN_DEBS[@]##*/}" >"$tmp/.slipway-tree"
  chmod 0755 "$tmp"
  # Another build may have published the same tree meanwhile: then keep theirs.
  mv -T "$tmp" "$DEBIAN_TREE" 2>/dev/null || rm -rf "$tmp"
  debian_prune "$name"
}

# _debian_tree_key HOOK: a tree's cache key, from DEBIAN_DEBS, the hook's body and $DEBIAN_TREE_KEY.
_debian_tree_key() {
  { printf '%s\n' "${DEBIAN_DEBS[@]##*/}" | sort; [ -n "$1" ] && declare -f "$1"; echo "${DEBIAN_TREE_KEY:-}"; } | sha256sum | cut -c1-16
}

# _debian_shared_tree NAME HOOK PACKAGE...: the tree the read-only shared cache holds for these
# packages (apt's answer and the tree, both as the platform's fill left them), in DEBIAN_TREE.
_debian_shared_tree() {
  local name=$1 hook=$2 c resolved deb
  shift 2
  c="$(debian_root)/apt"
  resolved="$c/resolved/$(_debian_resolution_key "$@")"
  [ -f "$resolved" ] || return 1
  DEBIAN_DEBS=()
  while IFS= read -r deb; do DEBIAN_DEBS+=("$c/archives/$deb"); done <"$resolved"
  (( ${#DEBIAN_DEBS[@]} )) || return 1
  DEBIAN_TREE="$(debian_root)/trees/$name-$(_debian_tree_key "$hook")"
  [ -f "$DEBIAN_TREE/.slipway-tree" ] || return 1
  info "Using cached $name (${#DEBIAN_DEBS[@]} Debian packages)"
}

# debian_prune NAME: a new tree usually replaces an older one (a Debian update, a changed hook). Trees
# of NAME unused (their marker untouched) for DEBIAN_TREE_MAX_IDLE_DAYS go, and .debs that Debian no
# longer serves (apt-get autoclean).
DEBIAN_TREE_MAX_IDLE_DAYS=${SLIPWAY_RUNTIME_MAX_IDLE_DAYS:-7}
debian_prune() {
  local root tree lock
  root=$(debian_root)
  for tree in "$root/trees/$1"-*; do
    [ "$tree" = "$DEBIAN_TREE" ] && continue
    if [ -z "$(find "$tree/.slipway-tree" -mtime "-$DEBIAN_TREE_MAX_IDLE_DAYS" 2>/dev/null)" ]; then
      rm -rf "$tree" 2>/dev/null || true
    fi
  done
  exec {lock}>"$root/apt/lock"
  flock "$lock"
  _debian_apt apt-get autoclean >/dev/null 2>&1 || true
  exec {lock}>&-
}
