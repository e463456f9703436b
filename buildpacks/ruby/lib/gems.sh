# shellcheck shell=bash
# Which gems of a Gemfile.lock Debian packages, at which version. Pure text; no I/O.

# gem_version_of_debian DEBIAN_VERSION: the gem version a Debian package version packages: the epoch
# (`2:`), the Debian revision (`-1~deb12u1`) and the repacking marks (`+dfsg`, `+ds`, `+repack`) go.
#   2:6.1.7.3+dfsg-1~deb12u1 -> 6.1.7.3      2.2.22-0+deb12u2 -> 2.2.22      1.8.1-1 -> 1.8.1
gem_version_of_debian() {
  local v=${1#*:}
  v=${v%-*}
  v=${v%%+dfsg*}
  v=${v%%+ds*}
  v=${v%%+repack*}
  echo "$v"
}
