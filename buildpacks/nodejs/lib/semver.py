"""npm-compatible semver ranges, in plain Python 3 (no dependencies).

The stack has python3 but no node until this buildpack installs one, so version
resolution lives here. Semantics follow node-semver 7 (what npm uses for
`engines`) with includePrerelease=false:

  exact        1.2.3   =1.2.3   v1.2.3
  x-ranges     20  20.x  20.x.x  20.*  *  ""  (and x-ranges after comparators)
  caret        ^1.2.3  ^0.2.3  ^0.0.3  ^1.x  ^0.x
  tilde        ~1.2.3  ~1.2  ~1  ~>1.2
  comparators  >1.2.3  >=1.2  <2  <=1.2  (space after the operator allowed)
  hyphen       1.2.3 - 2.3.4   1.2 - 2
  union        a || b          (a comparator set is AND of whitespace-separated comparators)

A version with a prerelease tag (1.2.3-beta.1) only satisfies a comparator set
that itself names a prerelease of the same major.minor.patch, as in npm.

Command line (used by the buildpack and by the tests):
  python3 semver.py valid VERSION                 -> prints the cleaned version or exits 1
  python3 semver.py satisfies VERSION RANGE       -> exit 0 / 1
  python3 semver.py max-satisfying RANGE V1 V2 .. -> prints the best version or exits 1
  python3 semver.py batch  < JSON lines           -> {"op": ..., ...} per line, answers per line
"""

import json
import re
import sys

__all__ = [
    "SemverError", "parse_version", "compare", "Range", "satisfies",
    "max_satisfying", "valid_range",
]


class SemverError(ValueError):
    pass


_NUM = r"0|[1-9]\d*"
_PRE_ID = r"(?:0|[1-9]\d*|\d*[a-zA-Z-][a-zA-Z0-9-]*)"
_PRE = r"(?:-(?P<pre>{id}(?:\.{id})*))".format(id=_PRE_ID)
_BUILD = r"(?:\+(?P<build>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))"
_FULL_RE = re.compile(
    r"^v?(?P<major>{n})\.(?P<minor>{n})\.(?P<patch>{n}){pre}?{build}?$".format(
        n=_NUM, pre=_PRE, build=_BUILD))

# A partial version as it may appear in a range: each part may be a number or x/X/*.
_XR = r"(?:\d+|[xX*])"
_PARTIAL = (
    r"[v=\s]*(?P<M>{x})(?:\.(?P<m>{x})(?:\.(?P<p>{x})"
    r"(?:-?(?P<pr>{id}(?:\.{id})*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?)?"
).format(x=_XR, id=r"(?:\d+|\d*[a-zA-Z-][a-zA-Z0-9-]*)")
_PARTIAL_RE = re.compile("^" + _PARTIAL + "$")
_HYPHEN_RE = re.compile(r"^\s*(?P<a>[^\s]+)\s+-\s+(?P<b>[^\s]+)\s*$")
_OP_SPACE_RE = re.compile(r"(^|\s)(<=|>=|<|>|=|~>|~|\^)\s+")
_COMPARATOR_RE = re.compile(r"^(?P<op><=|>=|<|>|=)?(?P<v>.*)$")


class Version(object):
    __slots__ = ("major", "minor", "patch", "pre", "raw")

    def __init__(self, major, minor, patch, pre=(), raw=None):
        self.major, self.minor, self.patch = major, minor, patch
        self.pre = tuple(pre)
        self.raw = raw

    def __str__(self):
        s = "%d.%d.%d" % (self.major, self.minor, self.patch)
        if self.pre:
            s += "-" + ".".join(str(p) for p in self.pre)
        return s

    __repr__ = __str__

    def tuple3(self):
        return (self.major, self.minor, self.patch)


def _pre_ids(text):
    if not text:
        return ()
    return tuple(int(p) if p.isdigit() else p for p in text.split("."))


def parse_version(text):
    """Parse a full semver version (leading v/= and surrounding spaces allowed)."""
    if not isinstance(text, str):
        raise SemverError("not a version: %r" % (text,))
    t = text.strip()
    while t[:1] in ("=", "v"):
        t = t[1:].strip() if t[:1] == "=" else t[1:]
    m = _FULL_RE.match(t)
    if not m:
        raise SemverError("invalid version: %r" % text)
    return Version(int(m.group("major")), int(m.group("minor")), int(m.group("patch")),
                   _pre_ids(m.group("pre")), raw=text)


def _cmp_pre_id(a, b):
    a_num, b_num = isinstance(a, int), isinstance(b, int)
    if a_num and b_num:
        return (a > b) - (a < b)
    if a_num:
        return -1
    if b_num:
        return 1
    return (a > b) - (a < b)


def compare(a, b):
    """-1, 0 or 1, by semver precedence (build metadata ignored)."""
    if isinstance(a, str):
        a = parse_version(a)
    if isinstance(b, str):
        b = parse_version(b)
    ta, tb = a.tuple3(), b.tuple3()
    if ta != tb:
        return (ta > tb) - (ta < tb)
    if not a.pre and not b.pre:
        return 0
    if not a.pre:
        return 1   # 1.0.0 > 1.0.0-rc
    if not b.pre:
        return -1
    for x, y in zip(a.pre, b.pre):
        c = _cmp_pre_id(x, y)
        if c:
            return c
    return (len(a.pre) > len(b.pre)) - (len(a.pre) < len(b.pre))


def _is_x(part):
    return part is None or part in ("x", "X", "*")


def _parse_partial(text):
    m = _PARTIAL_RE.match(text)
    if not m:
        raise SemverError("invalid version in range: %r" % text)
    parts = [m.group("M"), m.group("m"), m.group("p")]
    for i in range(2):
        if _is_x(parts[i]) and parts[i + 1] is not None and not _is_x(parts[i + 1]):
            raise SemverError("invalid version in range: %r" % text)   # x.2.3
    return parts[0], parts[1], parts[2], m.group("pr")


class Comparator(object):
    """op in ('<', '<=', '>', '>=', '=') with a Version, or ANY (op None)."""
    __slots__ = ("op", "version")

    def __init__(self, op, version):
        self.op, self.version = op, version

    def test(self, v):
        if self.op is None:
            return True
        c = compare(v, self.version)
        return {"<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0, "=": c == 0}[self.op]

    def __str__(self):
        return "" if self.op is None else ("" if self.op == "=" else self.op) + str(self.version)


ANY = Comparator(None, None)


def _cmp(op, text):
    return Comparator(op, parse_version(text))


# --- desugaring, one comparator token at a time (node-semver's replace* functions) ---

def _caret(tok):
    M, m, p, pr = _parse_partial(tok)
    if _is_x(M):
        return [ANY]
    M = int(M)
    if _is_x(m):
        return [_cmp(">=", "%d.0.0" % M), _cmp("<", "%d.0.0-0" % (M + 1))]
    m = int(m)
    if _is_x(p):
        if M == 0:
            return [_cmp(">=", "%d.%d.0" % (M, m)), _cmp("<", "%d.%d.0-0" % (M, m + 1))]
        return [_cmp(">=", "%d.%d.0" % (M, m)), _cmp("<", "%d.0.0-0" % (M + 1))]
    p = int(p)
    low = "%d.%d.%d" % (M, m, p) + ("-" + pr if pr else "")
    if M == 0:
        if m == 0:
            high = "%d.%d.%d-0" % (M, m, p + 1)
        else:
            high = "%d.%d.0-0" % (M, m + 1)
    else:
        high = "%d.0.0-0" % (M + 1)
    return [_cmp(">=", low), _cmp("<", high)]


def _tilde(tok):
    M, m, p, pr = _parse_partial(tok)
    if _is_x(M):
        return [ANY]
    M = int(M)
    if _is_x(m):
        return [_cmp(">=", "%d.0.0" % M), _cmp("<", "%d.0.0-0" % (M + 1))]
    m = int(m)
    if _is_x(p):
        return [_cmp(">=", "%d.%d.0" % (M, m)), _cmp("<", "%d.%d.0-0" % (M, m + 1))]
    p = int(p)
    low = "%d.%d.%d" % (M, m, p) + ("-" + pr if pr else "")
    return [_cmp(">=", low), _cmp("<", "%d.%d.0-0" % (M, m + 1))]


def _xrange(op, tok):
    M, m, p, pr = _parse_partial(tok)
    xM = _is_x(M)
    xm = xM or _is_x(m)
    xp = xm or _is_x(p)
    any_x = xp
    if op == "=" and any_x:
        op = ""
    if xM:
        if op in (">", "<"):
            return [_cmp("<", "0.0.0-0")]   # matches nothing
        return [ANY]
    M = int(M)
    if op and any_x:
        m = 0 if xm else int(m)
        p = 0
        suffix = ""
        if op == ">":
            op = ">="
            if xm:
                M, m = M + 1, 0
            else:
                m += 1
        elif op == "<=":
            op = "<"
            if xm:
                M += 1
            else:
                m += 1
        if op == "<":
            suffix = "-0"
        return [_cmp(op, "%d.%d.%d%s" % (M, m, p, suffix))]
    if xm:
        return [_cmp(">=", "%d.0.0" % M), _cmp("<", "%d.0.0-0" % (M + 1))]
    m = int(m)
    if xp:
        return [_cmp(">=", "%d.%d.0" % (M, m)), _cmp("<", "%d.%d.0-0" % (M, m + 1))]
    version = "%d.%d.%s" % (M, m, p) + ("-" + pr if pr else "")
    return [_cmp(op or "=", version)]


def _hyphen(a, b):
    aM, am, ap, apr = _parse_partial(a)
    bM, bm, bp, bpr = _parse_partial(b)
    out = []
    if not _is_x(aM):
        if _is_x(am):
            out.append(_cmp(">=", "%s.0.0" % aM))
        elif _is_x(ap):
            out.append(_cmp(">=", "%s.%s.0" % (aM, am)))
        else:
            out.append(_cmp(">=", "%s.%s.%s" % (aM, am, ap) + ("-" + apr if apr else "")))
    if not _is_x(bM):
        if _is_x(bm):
            out.append(_cmp("<", "%d.0.0-0" % (int(bM) + 1)))
        elif _is_x(bp):
            out.append(_cmp("<", "%s.%d.0-0" % (bM, int(bm) + 1)))
        else:
            out.append(_cmp("<=", "%s.%s.%s" % (bM, bm, bp) + ("-" + bpr if bpr else "")))
    return out or [ANY]


def _parse_set(text):
    text = text.strip()
    if not text:
        return [ANY]
    h = _HYPHEN_RE.match(text)
    if h:
        return _hyphen(h.group("a"), h.group("b"))
    # ">= 1.2.3" -> ">=1.2.3", "~ 1.2" -> "~1.2", "^ 1" -> "^1"
    text = _OP_SPACE_RE.sub(lambda mo: mo.group(1) + mo.group(2), text)
    comparators = []
    for tok in text.split():
        if tok.startswith("~>"):
            comparators += _tilde(tok[2:])
        elif tok.startswith("~"):
            comparators += _tilde(tok[1:])
        elif tok.startswith("^"):
            comparators += _caret(tok[1:])
        else:
            m = _COMPARATOR_RE.match(tok)
            op, rest = m.group("op") or "", m.group("v")
            if rest in ("", "*", "x", "X") and op in ("", "=", ">="):
                comparators.append(ANY)
                continue
            comparators += _xrange(op, rest)
    # ANY adds nothing to a set that has real comparators
    real = [c for c in comparators if c.op is not None]
    return real or [ANY]


class Range(object):
    def __init__(self, text):
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise SemverError("invalid range: %r" % (text,))
        self.raw = text
        try:
            self.sets = [_parse_set(part) for part in re.split(r"\s*\|\|\s*", text.strip())]
        except SemverError as e:
            raise SemverError("invalid range %r: %s" % (text, e))

    def test(self, version):
        if isinstance(version, str):
            try:
                version = parse_version(version)
            except SemverError:
                return False
        for comparators in self.sets:
            if all(c.test(version) for c in comparators):
                if not version.pre:
                    return True
                # prereleases only match a set that names a prerelease of the same M.m.p
                for c in comparators:
                    if c.op is not None and c.version.pre and c.version.tuple3() == version.tuple3():
                        return True
        return False

    def __str__(self):
        return "||".join(" ".join(str(c) for c in s) or "*" for s in self.sets)


def valid_range(text):
    try:
        return str(Range(text))
    except SemverError:
        return None


def satisfies(version, range_text):
    try:
        return Range(range_text).test(version)
    except SemverError:
        return False


def max_satisfying(versions, range_text):
    rng = Range(range_text)   # raises SemverError for an invalid range
    best = None
    for v in versions:
        try:
            pv = parse_version(v)
        except SemverError:
            continue
        if rng.test(pv) and (best is None or compare(pv, best[0]) > 0):
            best = (pv, v)
    return None if best is None else best[1]


def sort_versions(versions, reverse=False):
    """Valid versions sorted by precedence (invalid ones dropped)."""
    import functools
    parsed = []
    for v in versions:
        try:
            parsed.append((parse_version(v), v))
        except SemverError:
            pass
    parsed.sort(key=functools.cmp_to_key(lambda a, b: compare(a[0], b[0])), reverse=reverse)
    return [v for _, v in parsed]


def _batch(stream, out):
    for line in stream:
        line = line.strip()
        if not line:
            continue
        q = json.loads(line)
        op = q.get("op")
        try:
            if op == "satisfies":
                r = satisfies(q["version"], q["range"])
            elif op == "max-satisfying":
                r = max_satisfying(q["versions"], q["range"])
            elif op == "valid-range":
                r = valid_range(q["range"])
            elif op == "compare":
                r = compare(q["a"], q["b"])
            else:
                raise SemverError("unknown op %r" % op)
            out.write(json.dumps({"result": r}) + "\n")
        except (SemverError, KeyError) as e:
            out.write(json.dumps({"error": str(e)}) + "\n")
    out.flush()


def main(argv):
    if not argv:
        sys.stderr.write(__doc__)
        return 2
    cmd, args = argv[0], argv[1:]
    try:
        if cmd == "valid" and len(args) == 1:
            print(str(parse_version(args[0])))
            return 0
        if cmd == "satisfies" and len(args) == 2:
            return 0 if Range(args[1]).test(args[0]) else 1
        if cmd == "max-satisfying" and len(args) >= 1:
            best = max_satisfying(args[1:], args[0])
            if best is None:
                return 1
            print(best)
            return 0
        if cmd == "batch":
            _batch(sys.stdin, sys.stdout)
            return 0
    except SemverError as e:
        sys.stderr.write("%s\n" % e)
        return 2
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
