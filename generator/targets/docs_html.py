"""Target: the searchable HTML catalogue (``docs/catalog.html``).

One self-contained file an auditor can open from disk or a docs site can serve: the
product's introduction, guarantees and purposes, one card per feature (who sends what
where, and the exact setting that switches it off), and a table of every field and
event with a search box and filters for feature, section, kind, schedule, edition and
opt-out setting; every field and event has a link target (``#field-<payload>-<key>``,
``#event-<name>``).

How it stays safe and fast:

* Spec text reaches the page only through jinja's autoescape (the prose) or as JSON in
  ``<script type="application/json">`` with ``<``, ``>`` and ``&`` written as ``\\u``
  escapes (the rows); the page's script puts it into the DOM with ``textContent``
  only.  A Content-Security-Policy allows no network access at all, and only the page's
  own script and style (by hash), so even a slip elsewhere could not load or run
  anything.
* Rows are built once from the JSON; a keystroke only flips ``hidden`` on rows whose
  state changes (linear in the number of rows, no re-rendering), which stays instant
  with thousands of fields.

Must not: decide what the page says (``docs_view`` does), load anything over the
network, or put spec text into the page other than autoescaped or as escaped JSON.
"""

from __future__ import annotations

import base64
import hashlib
from importlib import resources

from markupsafe import Markup

from generator.model import Spec
from generator.targets import docs_jinja
from generator.targets.docs_view import build_view, catalog_data
from generator.targets.escape import json_for_script

PATH = "docs/catalog.html"


def _asset(name: str) -> str:
    """A file of the template folder, normalised as the page is (no trailing spaces,
    '\\n' line endings), so the Content-Security-Policy hash matches what is served."""
    text = resources.files("generator").joinpath("templates/docs", name).read_text("utf-8")
    return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n")


def _csp_hash(text: str) -> str:
    return (
        "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"
    )


def render(spec: Spec) -> dict[str, bytes]:
    """The catalogue page for a spec."""
    view = build_view(spec)
    data = catalog_data(view)
    script = _asset("catalog.js")
    style = _asset("catalog.css")
    csp = (
        "default-src 'none'; "
        f"script-src {_csp_hash(script)}; "
        f"style-src {_csp_hash(style)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    env = docs_jinja.environment(None)
    html = docs_jinja.render(
        env,
        "catalog.html.j2",
        blank_lines=False,
        view=view,
        data=data,
        data_json=json_for_script(data),
        script=Markup(script),
        style=Markup(style),
        csp=csp,
    )
    return {PATH: html}
