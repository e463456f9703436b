"""Registry metadata, version selection, integrity checks and package.json reading
for the Node.js buildpack. Python 3 standard library only (the stack has no node
and no jq before this buildpack installs node).

  npmreg.py resolve PACKUMENT NAME RANGE [--node VERSION] [--label TEXT]
      Pick the newest version of NAME satisfying RANGE (an npm semver range; empty
      means "newest": dist-tags.latest when it fits, else the newest release).
      --node keeps only versions whose engines.node accepts VERSION (used for npm,
      yarn and pnpm when the app names no version). Prints shell assignments
      RESOLVED_VERSION, RESOLVED_TARBALL, RESOLVED_INTEGRITY, RESOLVED_SHASUM.
      Exit 3 (with a message on stderr naming the range and the newest available
      versions) when nothing satisfies, 2 for an invalid range or packument.
  npmreg.py lts PACKUMENT [--now ISO8601] [--min-age-days N]
      The current Node.js LTS major: the newest even major whose first release is
      at least N (default 183) days old, from the packument's `time` field.
      Falls back to FALLBACK_LTS_MAJOR (printed with a note on stderr) when the
      registry gives no usable times.
  npmreg.py lts-codename NAME                 -> the major of an LTS codename (iron -> 20)
  npmreg.py verify FILE INTEGRITY SHASUM
      Check a downloaded tarball against the registry's SRI integrity (sha512 and
      friends) or, lacking that, its sha1 shasum. Prints the algorithm used.
  npmreg.py hash-hex FILE ALGO                -> hex digest (corepack-style checks)
  npmreg.py cache-key INTEGRITY SHASUM        -> short hex digest for cache dir names
  npmreg.py get JSONFILE KEY.PATH             -> the value (strings raw, others as JSON), empty if absent
  npmreg.py bins PACKAGE_DIR NAME             -> "binname<TAB>relative/path" lines from package.json `bin`
  npmreg.py pnpm-range-from-lock LOCKFILE     -> a pnpm range matching the lockfile's lockfileVersion
"""

import base64
import datetime
import hashlib
import json
import os
import re
import sys

sys.dont_write_bytecode = True   # the buildpack dir may be read-only, and is not ours to litter
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import semver  # noqa: E402

# Used only when the registry's `time` data cannot tell which line is LTS.
# Node 24 ("Krypton") entered LTS in October 2025; update when a newer line does.
FALLBACK_LTS_MAJOR = 24
LTS_MIN_AGE_DAYS = 183   # "about six months": odd/even lines become LTS in October after an April release


def _die(code, msg):
    sys.stderr.write(msg.rstrip("\n") + "\n")
    sys.exit(code)


def _sh(value):
    return "'" + str(value).replace("'", "'\"'\"'") + "'"


def load_packument(path):
    try:
        with open(path, "rb") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        _die(2, "could not read registry metadata %s: %s" % (path, e))
    if not isinstance(doc, dict) or not isinstance(doc.get("versions"), dict):
        _die(2, "registry metadata %s has no versions (error: %s)" % (path, doc.get("error") if isinstance(doc, dict) else doc))
    return doc


def newest_by_major(versions, count=5):
    """The newest release of each of the `count` highest majors, newest first."""
    out, seen = [], set()
    for v in semver.sort_versions(versions, reverse=True):
        pv = semver.parse_version(v)
        if pv.pre or pv.major in seen:
            continue
        seen.add(pv.major)
        out.append(v)
        if len(out) >= count:
            break
    return out


def _engines_ok(meta, node_version):
    engines = meta.get("engines") if isinstance(meta, dict) else None
    rng = engines.get("node") if isinstance(engines, dict) else None
    if not rng or not isinstance(rng, str):
        return True
    try:
        return semver.Range(rng).test(node_version)
    except semver.SemverError:
        return True   # an engines field we can't read does not exclude a version


def resolve(doc, name, rng, node=None):
    versions = doc["versions"]
    candidates = list(versions)
    if node:
        candidates = [v for v in candidates if _engines_ok(versions[v], node)]
    best = None
    if not rng.strip():
        latest = (doc.get("dist-tags") or {}).get("latest")
        if latest in candidates:
            best = latest
        else:
            best = semver.max_satisfying(candidates, "*")
    else:
        best = semver.max_satisfying(candidates, rng)
    return best


def cmd_resolve(args):
    if len(args) < 3:
        _die(2, __doc__)
    path, name, rng = args[0], args[1], args[2]
    node = None
    label = None
    rest = args[3:]
    while rest:
        if rest[0] == "--node" and len(rest) > 1:
            node, rest = rest[1], rest[2:]
        elif rest[0] == "--label" and len(rest) > 1:
            label, rest = rest[1], rest[2:]
        else:
            _die(2, "unknown argument %r" % rest[0])
    doc = load_packument(path)
    if rng.strip():
        try:
            semver.Range(rng)
        except semver.SemverError:
            _die(2, "%s is not a valid semver range" % json.dumps(rng))
    best = resolve(doc, name, rng, node)
    if best is None:
        newest = newest_by_major(list(doc["versions"]))
        what = label or ("%s %s" % (name, json.dumps(rng)))
        msg = "No version of %s satisfies %s." % (name, what)
        if node:
            msg += "\n(only versions whose engines.node accepts node %s were considered)" % node
        msg += "\nNewest available versions: %s" % (", ".join(newest) or "none")
        _die(3, msg)
    meta = doc["versions"][best]
    dist = meta.get("dist") or {}
    if not dist.get("tarball"):
        _die(2, "%s@%s has no tarball in the registry metadata" % (name, best))
    print("RESOLVED_VERSION=%s" % _sh(best))
    print("RESOLVED_TARBALL=%s" % _sh(dist.get("tarball", "")))
    print("RESOLVED_INTEGRITY=%s" % _sh(dist.get("integrity", "")))
    print("RESOLVED_SHASUM=%s" % _sh(dist.get("shasum", "")))
    print("RESOLVED_UNPACKED_SIZE=%s" % _sh(dist.get("unpackedSize", "")))


def _parse_time(text):
    if not isinstance(text, str):
        return None
    t = text.strip().replace("Z", "+00:00")
    try:
        d = datetime.datetime.fromisoformat(t)
    except ValueError:
        m = re.match(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})", t)
        if not m:
            return None
        d = datetime.datetime.strptime(m.group(1) + "T" + m.group(2), "%Y-%m-%dT%H:%M:%S")
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    return d


def lts_major(doc, now=None, min_age_days=LTS_MIN_AGE_DAYS):
    """Returns (major, computed: bool)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    times = doc.get("time")
    first = {}
    if isinstance(times, dict):
        for v, ts in times.items():
            if v not in doc["versions"]:
                continue   # "created", "modified", unpublished versions
            try:
                pv = semver.parse_version(v)
            except semver.SemverError:
                continue
            if pv.pre:
                continue
            d = _parse_time(ts)
            if d is None:
                continue
            if pv.major not in first or d < first[pv.major]:
                first[pv.major] = d
    cutoff = now - datetime.timedelta(days=min_age_days)
    eligible = [m for m, d in first.items() if m % 2 == 0 and m >= 4 and d <= cutoff]
    if eligible:
        return max(eligible), True
    return FALLBACK_LTS_MAJOR, False


# Node.js LTS codenames (nvm's lts/<name> syntax) -> major.
LTS_CODENAMES = {
    "argon": 4, "boron": 6, "carbon": 8, "dubnium": 10, "erbium": 12, "fermium": 14,
    "gallium": 16, "hydrogen": 18, "iron": 20, "jod": 22, "krypton": 24,
}


def cmd_lts_codename(args):
    if len(args) != 1:
        _die(2, __doc__)
    major = LTS_CODENAMES.get(args[0].strip().lower())
    if major is None:
        _die(1, "unknown Node.js LTS codename %r (known: %s)" % (
            args[0], ", ".join(sorted(LTS_CODENAMES, key=LTS_CODENAMES.get))))
    print(major)


def cmd_lts(args):
    if not args:
        _die(2, __doc__)
    doc = load_packument(args[0])
    now, min_age = None, LTS_MIN_AGE_DAYS
    rest = args[1:]
    while rest:
        if rest[0] == "--now" and len(rest) > 1:
            now = _parse_time(rest[1])
            rest = rest[2:]
        elif rest[0] == "--min-age-days" and len(rest) > 1:
            min_age = int(rest[1])
            rest = rest[2:]
        else:
            _die(2, "unknown argument %r" % rest[0])
    major, computed = lts_major(doc, now, min_age)
    if not computed:
        sys.stderr.write("registry gave no release times; using FALLBACK_LTS_MAJOR=%d\n" % major)
    print(major)


_ALGOS = ("sha512", "sha384", "sha256", "sha1")


def file_digests(path, algos):
    hs = {a: hashlib.new(a) for a in algos}
    with open(path, "rb") as f:
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                break
            for h in hs.values():
                h.update(chunk)
    return hs


def verify(path, integrity, shasum):
    """Returns the algorithm that matched; raises ValueError on mismatch/nothing to check."""
    expected = []
    for token in (integrity or "").split():
        algo, _, b64 = token.partition("-")
        b64 = b64.split("?")[0]
        if algo in _ALGOS and b64:
            try:
                expected.append((algo, base64.b64decode(b64)))
            except ValueError:
                pass
    if not expected and shasum and re.match(r"^[0-9a-fA-F]{40}$", shasum):
        expected.append(("sha1", bytes.fromhex(shasum)))
    if not expected:
        raise ValueError("the registry published no integrity or shasum to check against")
    # the strongest algorithm present decides (as npm's ssri does)
    best_algo = min((a for a, _ in expected), key=_ALGOS.index)
    digest = file_digests(path, [best_algo])[best_algo].digest()
    for algo, want in expected:
        if algo == best_algo and digest == want:
            return best_algo
    raise ValueError("%s checksum mismatch: expected %s, got %s" % (
        best_algo,
        " or ".join(base64.b64encode(w).decode() for a, w in expected if a == best_algo),
        base64.b64encode(digest).decode()))


def cmd_verify(args):
    if len(args) != 3:
        _die(2, __doc__)
    try:
        print(verify(args[0], args[1], args[2]))
    except (OSError, ValueError) as e:
        _die(1, str(e))


def cmd_hash_hex(args):
    if len(args) != 2 or args[1] not in hashlib.algorithms_available:
        _die(2, __doc__)
    print(file_digests(args[0], [args[1]])[args[1]].hexdigest())


def cache_key(integrity, shasum):
    for token in (integrity or "").split():
        algo, _, b64 = token.partition("-")
        if algo in _ALGOS and b64:
            try:
                return base64.b64decode(b64.split("?")[0]).hex()[:32]
            except ValueError:
                pass
    if shasum:
        return shasum.lower()[:32]
    return "unverified"


def cmd_cache_key(args):
    if len(args) != 2:
        _die(2, __doc__)
    print(cache_key(args[0], args[1]))


def cmd_get(args):
    if len(args) != 2:
        _die(2, __doc__)
    try:
        with open(args[0], "rb") as f:
            doc = json.load(f)
    except OSError as e:
        _die(2, "could not read %s: %s" % (args[0], e))
    except ValueError as e:
        _die(2, "%s is not valid JSON: %s" % (os.path.basename(args[0]), e))
    cur = doc
    for key in args[1].split("."):
        if isinstance(cur, dict) and key in cur:
            cur = cur[key]
        else:
            return
    if cur is None:
        return
    if isinstance(cur, str):
        print(cur)
    else:
        print(json.dumps(cur))


def cmd_bins(args):
    if len(args) != 2:
        _die(2, __doc__)
    pkg_dir, name = args
    with open(os.path.join(pkg_dir, "package.json"), "rb") as f:
        doc = json.load(f)
    b = doc.get("bin")
    if isinstance(b, str):
        b = {name.split("/")[-1]: b}
    if not isinstance(b, dict):
        return
    for k, v in sorted(b.items()):
        if not isinstance(v, str) or "/" in k or k in (".", ".."):
            continue
        rel = os.path.normpath(v)
        if rel.startswith(".."):
            continue
        print("%s\t%s" % (k, rel))


def cmd_pnpm_range_from_lock(args):
    if len(args) != 1:
        _die(2, __doc__)
    version = None
    try:
        with open(args[0], "r", encoding="utf-8", errors="replace") as f:
            for line in f:
                m = re.match(r"""^lockfileVersion:\s*['"]?([0-9.]+)""", line)
                if m:
                    version = m.group(1)
                    break
    except OSError:
        pass
    if not version:
        print("")
        return
    major = int(version.split(".")[0])
    # lockfile v5.x: pnpm 7 (5.4) and older; v6: pnpm 8; v9: pnpm 9 and later
    if major <= 5:
        print("7.x" if version.startswith("5.4") else "<7")
    elif major == 6:
        print("8.x")
    else:
        print(">=9")


COMMANDS = {
    "resolve": cmd_resolve,
    "lts": cmd_lts,
    "lts-codename": cmd_lts_codename,
    "verify": cmd_verify,
    "hash-hex": cmd_hash_hex,
    "cache-key": cmd_cache_key,
    "get": cmd_get,
    "bins": cmd_bins,
    "pnpm-range-from-lock": cmd_pnpm_range_from_lock,
}


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        _die(2, __doc__)
    COMMANDS[sys.argv[1]](sys.argv[2:])
