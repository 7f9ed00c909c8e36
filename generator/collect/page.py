"""The live page (``GET /``) and its assets: the catalogue's look, the collector's data.

The page is a shell: the numbers come from ``GET /report``, which its script polls once
a second and renders with ``textContent`` only (captured data is untrusted), so the
page and ``gen validate``'s JSON report can never disagree.  Its style is the HTML
catalogue's own stylesheet (``templates/docs/catalog.css``, read as the catalogue reads
it) plus a few rules for tables (``templates/collect/live.css``).  A
Content-Security-Policy allows only the collector's own script, style and ``/report``.

Owns: the page's HTML and its static assets.  Must not: compute findings (``state``
does) or put captured data into the HTML it serves.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from markupsafe import escape

HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                               "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}


def _template(folder: str, name: str) -> str:
    return resources.files("generator").joinpath("templates", folder, name).read_text("utf-8")


@cache
def _assets() -> dict[str, tuple[bytes, str]]:
    css = _template("docs", "catalog.css") + "\n/* gen collect */\n" + _template("collect", "live.css")
    return {
        "live.css": (css.encode("utf-8"), "text/css; charset=utf-8"),
        "live.js": (_template("collect", "live.js").encode("utf-8"), "text/javascript; charset=utf-8"),
    }


def asset(name: str) -> tuple[bytes, str] | None:
    """A static file of the page (``live.css``, ``live.js``) and its media type."""
    return _assets().get(name)


def html(state) -> bytes:
    """The page: a shell that the script fills from ``/report``.  Only the capture's
    label (escaped) comes from outside the package."""
    text = _template("collect", "live.html")
    return text.replace("{{capture}}", str(escape(state.source.label))).encode("utf-8")
