"""The web console's files (docs/console.md): one page and its script and style, shipped in
the package and served by ``dxlocal serve`` at ``/_dxlocal/console/``; the root page links to it.

Everything the page shows it fetches from the server, as any client would: the Direct Connect
API itself (awsJson 1.1, the caller's account in the credential scope) and the control API
(faults, the clock, route tables, live sessions, the change feed). Nothing is loaded from
elsewhere: the Content-Security-Policy below lets the page reach its own origin only.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

PREFIX = "/_dxlocal/console"
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
HEADERS = [
    ("content-security-policy",
     "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
     "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("cache-control", "no-cache"),
]  # fmt: skip

ROOT_PAGE = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dxlocal</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>dxlocal</h1><p>AWS Direct Connect on one machine.</p>
<p><a href="/_dxlocal/console/">Open the console</a> &middot;
<a href="/_dxlocal/health">health</a></p></body></html>
"""


def serves(method: str, path: str) -> bool:
    return method == "GET" and (path == "/" or path.startswith(PREFIX))


def page(path: str) -> tuple[int, str, bytes]:
    """(status, content type, body) for a GET of ``path``."""
    if path == "/":
        return 200, _TYPES[".html"], ROOT_PAGE
    name = path[len(PREFIX) :].lstrip("/") or "index.html"
    found = _asset(name)
    if found is None:
        return 404, "text/plain; charset=utf-8", b"Not found.\n"
    return 200, *found


@cache
def _asset(name: str) -> tuple[str, bytes] | None:
    if "/" in name or name.startswith("."):
        return None
    suffix = name[name.rfind(".") :] if "." in name else ""
    if suffix not in _TYPES:
        return None
    ref = resources.files(__package__).joinpath("static", name)
    if not ref.is_file():
        return None
    return _TYPES[suffix], ref.read_bytes()
