// What the stack `slipway-12` is made of, as data: the Debian release, the packages, the apt sources
// it ships, the locales and the dyno user. The stack's version is a hash of this definition, so any
// change here makes a new stack beside the old one (stack.ts) instead of editing a root that running
// dynos use. Pure: no I/O.
import { createHash } from 'node:crypto';
import { DYNO_GID, DYNO_UID } from './types.ts';

export const STACK_NAME = 'slipway-12';

/**
 * The run image's packages: those of Heroku's heroku-24 run image that Debian 12 has, from
 * heroku/base-images `heroku-24/setup.sh` (commit 9f96a3ad, 2026-05-12), in its order.
 * Renamed to bookworm's equivalents: libcares2 → libc-ares2, libdav1d7 → libdav1d6,
 * libheif-plugin-libde265 → libheif1 (bookworm's libheif links libde265 itself),
 * libmagickcore-6.q16-7-extra → -6.q16-6-extra, libmemcachedutil2t64 → libmemcachedutil2,
 * libmysqlclient21 → libmariadb3 (Debian builds its MySQL client library from MariaDB),
 * libsvtav1enc1d1 → libsvtav1enc1, libtirpc3t64 → libtirpc3, libvpx9 → libvpx7,
 * libwebpdecoder3 → libwebp7 (bookworm has no separate decoder library), postgresql-client-18 →
 * postgresql-client (15: Heroku adds apt.postgresql.org for 18; Debian's own archive is our only source).
 * Left out:
 * - fonts-dejavu-mono: bookworm's fonts-dejavu-core still carries DejaVu Sans Mono.
 * - openssh-server: Heroku installs it for Heroku Exec (`ps:exec`), which Slipway does not offer; its
 *   postinst would also bake one set of SSH host keys into every dyno.
 * - ca-certificates-java (with a JRE installed and removed to generate /etc/ssl/certs/java/cacerts):
 *   a JRE's worth of download for one keystore; JVM buildpacks fall back to their JDK's own cacerts.
 * - AWS RDS's CA bundle: Heroku-specific data, not a Debian package.
 * Not followed either: setup.sh deletes /usr/lib/ssl/cert.pem (a speed-up for OpenSSL clients); here
 * that link to /etc/ssl/certs/ca-certificates.crt is how OpenSSL finds the host's CA bundle, which
 * runc binds over the stack's.
 */
export const RUN_PACKAGES = [
  'bind9-dnsutils', 'binutils', 'bzip2', 'curl', 'file', 'fonts-dejavu-core', 'fonts-urw-base35',
  'gettext-base', 'ghostscript', 'gir1.2-harfbuzz-0.0', 'gnupg', 'imagemagick', 'inetutils-telnet',
  'iproute2', 'iputils-tracepath', 'jq', 'less', 'libargon2-1', 'libass9', 'libatomic1',
  'libc-client2007e', 'libc-ares2', 'libdav1d6', 'libev4', 'libevent-2.1-7', 'libevent-core-2.1-7',
  'libevent-extra-2.1-7', 'libevent-openssl-2.1-7', 'libevent-pthreads-2.1-7', 'libgd3',
  'libgdk-pixbuf-2.0-0', 'libgnutls-openssl27', 'libgnutls30', 'libharfbuzz-icu0', 'libheif1',
  'liblttng-ust1', 'liblzf1', 'libmagickcore-6.q16-6-extra', 'libmemcached11', 'libmemcachedutil2',
  'libmp3lame0', 'libmariadb3', 'libncurses6', 'libonig5', 'libopencore-amrnb0', 'libopencore-amrwb0',
  'libopus0', 'librabbitmq4', 'librsvg2-common', 'libsasl2-modules', 'libsodium23', 'libspeex1',
  'libsvtav1enc1', 'libtheora0', 'libtirpc3', 'libuv1', 'libvips42', 'libvorbisenc2', 'libvorbisfile3',
  'libvpx7', 'libwebp7', 'libwmf-0.2-7', 'libx264-164', 'libx265-199', 'libxslt1.1', 'libyaml-0-2',
  'libzip4', 'locales', 'lsb-release', 'media-types', 'nano', 'netcat-openbsd', 'openssh-client',
  'patch', 'poppler-utils', 'postgresql-client', 'rsync', 'socat', 'tar', 'tzdata', 'unzip', 'wget',
  'xz-utils', 'zip', 'zstd',
];

/**
 * The build image's packages: Heroku's heroku-24-build image adds these (heroku/base-images
 * `heroku-24-build/setup.sh`, commit 63870ed1, 2024-05-22). Renamed: libmysqlclient-dev →
 * default-libmysqlclient-dev (MariaDB's, as above), libxslt-dev → libxslt1-dev (the real package
 * behind Ubuntu's virtual name). Nothing left out.
 */
export const BUILD_PACKAGES = [
  'autoconf', 'automake', 'bison', 'build-essential', 'cmake', 'gettext', 'git', 'libargon2-dev',
  'libbsd-dev', 'libbz2-dev', 'libcairo2-dev', 'libcurl4-openssl-dev', 'libev-dev', 'libevent-dev',
  'libexif-dev', 'libffi-dev', 'libgd-dev', 'libgdbm-dev', 'libgnutls28-dev', 'libheif-dev',
  'libicu-dev', 'libidn-dev', 'libjpeg-dev', 'libkrb5-dev', 'libldap-dev', 'liblz4-dev', 'liblzf-dev',
  'libmagic-dev', 'libmagickwand-dev', 'libmemcached-dev', 'default-libmysqlclient-dev', 'libonig-dev',
  'libpq-dev', 'librabbitmq-dev', 'librtmp-dev', 'libsodium-dev', 'libssl-dev', 'libtool',
  'libuv1-dev', 'libwrap0-dev', 'libxml2-dev', 'libxslt1-dev', 'libyaml-dev', 'libzip-dev',
  'libzstd-dev', 'patchelf', 'python3', 'zlib1g-dev',
];

/**
 * What Slipway's own buildpacks and build containers rely on, whether or not Heroku's lists name it
 * (most of it they do): TLS roots and curl for downloads, git, python3 with pip and venv (the python
 * buildpack), make and g++ for node-gyp and pip's native extensions, every archive format buildpacks
 * fetch, `ps` (procps), and netbase's /etc/services and /etc/protocols for getaddrinfo users.
 */
export const SLIPWAY_PACKAGES = [
  'ca-certificates', 'curl', 'git', 'python3', 'python3-pip', 'python3-venv', 'make', 'g++', 'tar',
  'gzip', 'xz-utils', 'bzip2', 'unzip', 'procps', 'libstdc++6', 'netbase',
];

/**
 * Where the stack's packages come from, and what its `/etc/apt/sources.list` names, so third-party
 * buildpacks (heroku-buildpack-apt's `apt-get update` + `apt-get download`) work unchanged. Like
 * Heroku's images, the stack ships no apt lists: `apt-get update` fetches them first.
 */
export const MIRROR = 'http://deb.debian.org/debian';
export const SOURCES_LIST = [
  'deb http://deb.debian.org/debian bookworm main',
  'deb http://deb.debian.org/debian bookworm-updates main',
  'deb http://deb.debian.org/debian-security bookworm-security main',
].join('\n') + '\n';

export interface StackDefinition {
  name: string;
  /** Debian suite debootstrap installs, and its variant. */
  suite: string;
  variant: string;
  mirror: string;
  /** Every package installed on top of the variant (with their dependencies, no Recommends). */
  packages: string[];
  /** After debootstrap: `apt-get upgrade` from sources.list (bookworm-security, -updates), as Heroku's setup.sh does. */
  upgrade: boolean;
  sourcesList: string;
  /** Generated beside glibc's built-in C.UTF-8. */
  locales: string[];
  dynoUser: { name: string; uid: number; gid: number; home: string };
  /**
   * Bump when the way the stack is made changes in code (stack.ts's customize and slim steps) so a
   * machine's stack is remade with it; everything else that defines the stack is in the fields above.
   */
  recipe: number;
}

export const STACK_DEFINITION: StackDefinition = {
  name: STACK_NAME,
  suite: 'bookworm',
  variant: 'minbase',
  mirror: MIRROR,
  packages: [...new Set([...RUN_PACKAGES, ...BUILD_PACKAGES, ...SLIPWAY_PACKAGES])].sort(),
  upgrade: true,
  sourcesList: SOURCES_LIST,
  locales: ['en_US.UTF-8'],
  dynoUser: { name: 'dyno', uid: DYNO_UID, gid: DYNO_GID, home: '/app' },
  recipe: 1,
};

/**
 * The version of a stack definition: 12 hex digits of the sha256 of its canonical JSON (keys sorted,
 * packages as a set), so reordering or repeating a package changes nothing and any real change does.
 */
export function stackVersion(def: StackDefinition): string {
  const canonical = { ...def, packages: [...new Set(def.packages)].sort(), locales: [...def.locales].sort() };
  return createHash('sha256').update(stableJson(canonical)).digest('hex').slice(0, 12);
}

/** A version directory's name: exactly what stackVersion() produces. */
export const VERSION_PATTERN = /^[0-9a-f]{12}$/;

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
