// What a task or an engine one-off runs as its command: as root only long enough to read its secrets
// (config vars; a service's signed slug URL) and make /app the dyno user's; the slug is unpacked as the
// dyno user, then the command runs as that user with no capabilities, after `.profile.d/*.sh` and
// `.profile`. The runner stays pid 1 and passes SIGTERM, SIGINT and SIGHUP on to every process of the
// container (the engine signals pid 1 alone, and an init ignores signals it has no handler for), so an
// app without a SIGTERM handler still ends on SIGTERM, as on runc; it exits with the command's status.
import { shellQuote } from './shell.ts';

const DYNO_USER = '1000';
const AS_DYNO = `setpriv --reuid=${DYNO_USER} --regid=${DYNO_USER} --clear-groups --no-new-privs`;
const PROFILE = 'for f in /app/.profile.d/*.sh; do [ -r "$f" ] && . "$f"; done; [ -r /app/.profile ] && . /app/.profile\n';

/** The runner's end: `argv` (shell words) as the dyno user, its signals passed on, its status returned. */
function supervise(argv: string): string[] {
  return [
    'cd /app',
    'set +e',
    'for s in TERM INT HUP; do trap "kill -$s -1 2>/dev/null" $s; done',
    // Explicitly stdin: a background job's would otherwise be /dev/null (an attached one-off reads it).
    `${AS_DYNO} --inh-caps=-all ${argv} 0<&0 &`,
    'child=$!',
    'wait $child; code=$?',
    'while kill -0 $child 2>/dev/null; do wait $child; code=$?; done',
    'exit $code',
  ];
}

/** A service's task: config vars and the slug URL from the secret file, the slug fetched and unpacked. */
export function serviceRunner(secretFile: string, command: string): string {
  return [
    'set -eu',
    `set -a; . ${secretFile}; set +a`,
    'url=$SLIPWAY_SLUG_URL; unset SLIPWAY_SLUG_URL',
    `install -d -o ${DYNO_USER} -g ${DYNO_USER} /app`,
    `${AS_DYNO} sh -c 'curl -fsS --retry 3 --retry-connrefused --max-time 300 "$0" | tar -xz -C /app' "$url" || { echo "Error: the slug could not be fetched" >&2; exit 1; }`,
    'unset url',
    ...supervise(`/bin/bash -c ${shellQuote(`${PROFILE}${command}\nexit $?\n`)}`),
  ].join('\n');
}

/**
 * An engine one-off: its environment from a root-only file, the slug copied from read-only binds (its
 * layers first, then the app part over them); runs "$@".
 */
export function oneOffRunner(envFile: string, slugDir: string, layerDirs: readonly string[] = []): string {
  return [
    'set -eu',
    `set -a; . ${envFile}; set +a`,
    `install -d -o ${DYNO_USER} -g ${DYNO_USER} /app`,
    ...[...layerDirs, slugDir].map((dir) => `${AS_DYNO} cp -R --preserve=mode,timestamps,links ${dir}/. /app/`),
    ...supervise('"$@"'),
  ].join('\n');
}
