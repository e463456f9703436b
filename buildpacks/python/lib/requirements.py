"""Read a pip requirements file without pip: is there anything to install, which
package names does it ask for, which index does it point at.

  requirements.py summary FILE   -> shell assignments REQ_COUNT, REQ_NAMES, REQ_INDEX_URL,
                                    REQ_NO_INDEX, REQ_EDITABLE (REQ_COUNT counts requirement
                                    lines, -r/-c includes and -e lines; 0 means "nothing to install")
  requirements.py redact URL     -> the URL without a password
"""

import re
import shlex
import sys
from urllib.parse import urlsplit, urlunsplit

_NAME_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def logical_lines(text):
    """pip's line handling: join backslash continuations, drop comments and blanks."""
    buf = ""
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        line = buf + line
        buf = ""
        # a comment starts at a "#" at the line start or after whitespace
        line = re.sub(r"(^|\s+)#.*$", "", line).strip()
        if line:
            yield line
    if buf.strip():
        yield buf.strip()


def summarize(text):
    count, names, index_url, no_index, editable = 0, [], "", False, False
    for line in logical_lines(text):
        if line.startswith("-"):
            try:
                parts = shlex.split(line)
            except ValueError:
                parts = line.split()
            opt = parts[0]
            value = parts[1] if len(parts) > 1 else ""
            if "=" in opt and opt.startswith("--"):
                opt, value = opt.split("=", 1)
            elif re.match(r"^-[ircef]\S", opt):
                opt, value = opt[:2], opt[2:]
            if opt in ("-i", "--index-url"):
                index_url = index_url or value
            elif opt == "--no-index":
                no_index = True
            elif opt in ("-r", "--requirement", "-c", "--constraint"):
                count += 1
            elif opt in ("-e", "--editable"):
                count += 1
                editable = True
                names.append(value)
            continue
        count += 1
        m = _NAME_RE.match(line)
        names.append(m.group(1) if m and "://" not in line and not line.startswith(".") else line.split()[0])
    return count, names, index_url, no_index, editable


def redact(url):
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.password is None and parts.username is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host += ":%d" % parts.port
    user = (parts.username or "") + (":****" if parts.password is not None else "")
    return urlunsplit((parts.scheme, user + "@" + host, parts.path, parts.query, parts.fragment))


def _sh(v):
    return shlex.quote(str(v))


def main(argv):
    if len(argv) == 2 and argv[0] == "summary":
        with open(argv[1], "r", encoding="utf-8", errors="replace") as f:
            count, names, index_url, no_index, editable = summarize(f.read())
        print("REQ_COUNT=%d" % count)
        print("REQ_NAMES=%s" % _sh(" ".join(names)))
        print("REQ_INDEX_URL=%s" % _sh(index_url))
        print("REQ_NO_INDEX=%s" % ("1" if no_index else ""))
        print("REQ_EDITABLE=%s" % ("1" if editable else ""))
        return 0
    if len(argv) == 2 and argv[0] == "redact":
        print(redact(argv[1]))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
