# shellcheck shell=bash
# Heroku's build output conventions:
#   "-----> Step header"
#   "       detail line" (7 spaces)
#   " !     error or warning" (to stderr, surrounded by blank lines)

header() {
  echo "-----> $*"
}

info() {
  echo "       $*"
}

# Indent a stream line by line as it arrives (GNU sed -u: no buffering of whole steps).
indent() {
  sed -u 's/^/       /'
}

# Each line of the message gets the " !     " prefix.
_bang_lines() {
  local line
  while IFS= read -r line || [ -n "$line" ]; do
    echo " !     $line"
  done <<<"$*"
}

error() {
  {
    echo
    _bang_lines "$*"
    echo
  } >&2
}

warning() {
  error "$@"
}

# fail MESSAGE: print the error and end the build.
fail() {
  error "$@"
  exit 1
}

# run_indented CMD ARGS...: run a command with stdout+stderr merged and indented
# as it streams; returns the command's own exit status (not sed's).
run_indented() {
  local status
  set +e
  "$@" 2>&1 | indent
  status=${PIPESTATUS[0]}
  set -e
  return "$status"
}

# now_s: seconds since the epoch with fractions; elapsed START: "1.2s"
now_s() {
  date +%s.%N
}

elapsed() {
  awk -v s="$1" -v e="$(now_s)" 'BEGIN { printf "%.1fs", e - s }'
}

# human_size BYTES -> "40.7 MB"
human_size() {
  awk -v b="${1:-0}" 'BEGIN {
    if (b >= 1048576) printf "%.1f MB", b / 1048576;
    else if (b >= 1024) printf "%.1f KB", b / 1024;
    else printf "%d B", b }'
}
