# shellcheck shell=bash
# The JDK of the JVM buildpacks (java, clojure, scala): Debian 12's OpenJDK 17, unpacked with the
# build tool's packages by debian.sh, vendored into the slug as BUILD_DIR/.jdk (where Heroku's JVM
# buildpacks put theirs), with JAVA_HOME, PATH, JAVA_OPTS and JAVA_TOOL_OPTIONS from .profile.d/jvm.sh.
#
# The same file is in the java, clojure and scala buildpacks; test/buildpacks checks the copies agree.
# Needs output.sh and debian.sh. Uses BUILD_DIR, BP_DIR.

JVM_DIR_REL=usr/lib/jvm/java-17-openjdk-amd64
JVM_MAJOR=17

# jvm_check_version: system.properties' java.runtime.version must name Java 17 (Heroku's forms: 17,
# 1.17, 17.0.9, zulu-17, heroku-17 ...): Debian 12 has no other JDK.
jvm_check_version() {
  local wanted major
  [ -f "$BUILD_DIR/system.properties" ] || return 0
  wanted=$(sed -n 's/^[[:space:]]*java\.runtime\.version[[:space:]]*[=:][[:space:]]*//p' "$BUILD_DIR/system.properties" | tail -n1 | tr -d '[:space:]')
  [ -n "$wanted" ] || return 0
  major=${wanted##*-}
  major=${major#1.}
  major=${major%%[!0-9]*}
  if [ "$major" != "$JVM_MAJOR" ]; then
    fail "Unsupported Java version: $wanted
system.properties asks for java.runtime.version=$wanted, but this platform builds with Debian 12's
OpenJDK $JVM_MAJOR and has no other JDK. Set java.runtime.version=$JVM_MAJOR in system.properties (or remove
the line), check that your app builds and runs on Java $JVM_MAJOR, commit and push again."
  fi
  info "system.properties asks for Java $wanted: Debian 12's OpenJDK $JVM_MAJOR"
}

# Makes an unpacked Debian JDK self-contained (a tree hook, run in the tree): links that leave the
# JDK's directory (into etc/java-17-openjdk) become copies, and lib/security/cacerts, which Debian's
# ca-certificates-java would generate at install time, is made from the stack's CA bundle.
jvm_prepare_jdk() {
  local jdk=$JVM_DIR_REL link real
  while IFS= read -r -d '' link; do
    real=$(readlink -f "$link") || continue
    case $real in "$PWD/$jdk"/*) continue ;; esac
    if [ -f "$real" ]; then rm "$link"; cp "$real" "$link"; fi
  done < <(find "$jdk" -type l -print0)
  rm -f "$jdk/lib/security/cacerts"
  "$jdk/bin/java" -XX:TieredStopAtLevel=1 -Xshare:auto "$BP_DIR/lib/CaCerts.java" /etc/ssl/certs/ca-certificates.crt "$jdk/lib/security/cacerts" >/dev/null
}

# jvm_tree NAME HOOK PACKAGE...: the JDK plus the build tool's packages, unpacked (DEBIAN_TREE);
# JAVA_HOME and PATH point into it for the build. HOOK (debian_tree's) must call jvm_prepare_jdk.
jvm_tree() {
  local name=$1 hook=$2
  shift 2
  DEBIAN_TREE_KEY=$(sha256sum "$BP_DIR/lib/CaCerts.java" "$BP_DIR/lib/jvm.sh")
  debian_tree "$name" "$hook" -- "openjdk-$JVM_MAJOR-jdk-headless" "$@"
  # The platform's runtime-cache fill (bin/fill) ends here, before anything of the app runs.
  [ -z "${SLIPWAY_RUNTIME_FILL:-}" ] || exit 0
  export JAVA_HOME="$DEBIAN_TREE/$JVM_DIR_REL"
  export PATH="$JAVA_HOME/bin:$DEBIAN_TREE/usr/bin:$PATH"
}

# jvm_install: copies the JDK (without jmods, headers and man pages, which only building a JDK needs)
# into BUILD_DIR/.jdk and writes .profile.d/jvm.sh and the multi-buildpack export.
jvm_install() {
  local version
  rm -rf "$BUILD_DIR/.jdk"
  mkdir -p "$BUILD_DIR/.jdk"
  (cd "$JAVA_HOME" && tar -cf - --exclude=./jmods --exclude=./include --exclude=./man --exclude=./docs --exclude=./demo .) | tar -xf - -C "$BUILD_DIR/.jdk"
  version=$(sed -n 's/^JAVA_VERSION="\(.*\)"$/\1/p' "$BUILD_DIR/.jdk/release")
  info "Installed OpenJDK ${version:-$JVM_MAJOR} (Debian 12) into the slug ($(du -sm "$BUILD_DIR/.jdk" | cut -f1) MB)"
  mkdir -p "$BUILD_DIR/.profile.d"
  jvm_profile '$HOME' >"$BUILD_DIR/.profile.d/jvm.sh"
  jvm_profile "$BUILD_DIR" >"$BP_DIR/export" 2>/dev/null || warning "Could not write $BP_DIR/export: later buildpacks will not see the JDK."
}

# jvm_profile ROOT: the dyno environment. The heap follows the dyno's memory as Heroku sizes it:
# Heroku's JVM buildpack gives -Xmx300m -Xss512k -XX:CICompilerCount=2 on 512 MB dynos, -Xmx671m
# on 1 GB, -Xmx2g on performance-m (2.5 GB), -Xmx12g on performance-l (14 GB). The quota is read from
# the dyno's cgroup memory limit, which Slipway sets at twice the quota (where R15 strikes).
jvm_profile() {
  cat <<SH
export JAVA_HOME="$1/.jdk"
export PATH="$1/.jdk/bin:\$PATH"
_slipway_mem=\$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max 2>/dev/null | head -n1)
case \$_slipway_mem in ''|max) _slipway_mem=1073741824 ;; esac
_slipway_mem=\$(( _slipway_mem / 2 / 1048576 ))
if (( _slipway_mem <= 512 )); then _slipway_heap="-Xmx300m -Xss512k -XX:CICompilerCount=2"
elif (( _slipway_mem <= 1024 )); then _slipway_heap="-Xmx671m -XX:CICompilerCount=2"
elif (( _slipway_mem <= 2560 )); then _slipway_heap="-Xmx2g"
else _slipway_heap="-Xmx12g"
fi
export JAVA_OPTS="\${JAVA_OPTS:-\$_slipway_heap -Dfile.encoding=UTF-8}"
export JAVA_TOOL_OPTIONS="\${JAVA_TOOL_OPTIONS:--XX:+UseContainerSupport \$_slipway_heap -Dfile.encoding=UTF-8}"
unset _slipway_mem _slipway_heap
SH
}
