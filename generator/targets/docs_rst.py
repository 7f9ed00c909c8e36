"""Target: the privacy docs as reStructuredText (``docs/telemetry.rst``).

The page a documentation site publishes (Sphinx or plain docutils): the product's
introduction, guarantees and purposes, then each feature with what it collects, how
often, who sends it where and how to switch it off; each section's fields grouped as
the spec groups them (``**Group**: label Name, label Name``) and each event category
with its events.  Content and order come from ``docs_view.build_view``; this module
only adds the reStructuredText spelling, and every piece of spec text goes through
``escape.rst_text`` (the template environment escapes by default).

Must not: decide content or order (``docs_view`` does) or print unescaped spec text.
"""

from __future__ import annotations

from markupsafe import Markup

from generator.model import Spec
from generator.phrases import DEFAULTS
from generator.targets import docs_jinja
from generator.targets.docs_view import DocView, build_view
from generator.targets.escape import rst_literal, rst_text, safe_url

PATH = "docs/telemetry.rst"


def _heading(text: str, char: str, prefix: str = "", suffix: str = "") -> Markup:
    """A section title (``prefix`` and ``suffix`` are template wording, ``text`` spec
    text) with an underline as long as the title line."""
    body = str(text) if isinstance(text, Markup) else rst_text(text, part=bool(prefix))
    line = prefix + body + suffix
    return Markup(f"{line}\n{char * max(len(line), 4)}")


def _link(title: str, url: str) -> str:
    """An anonymous hyperlink; the URL is percent-encoded where it could end the link."""
    return f"`{rst_text(title, code=False)} <{safe_url(url)}>`__"  # (no literal inside a link)


def _literal(text: str) -> Markup:
    return Markup(rst_literal(text))




def filters(ph) -> dict:
    """The template filters for a spec's wording ``ph``."""
    return {**docs_jinja.text_filters(rst_text, _link, ph, tail_lead=". "), "heading": _heading, "literal": _literal, "code": _literal}


# The filters with the generator's default wording (for template targets, which render
# outside one spec's docs); the docs page itself uses ``filters(spec phrases)``.
FILTERS = filters(DEFAULTS)


def render(spec: Spec, view: DocView | None = None) -> dict[str, bytes]:
    """The reStructuredText page for a spec."""
    view = view if view is not None else build_view(spec)
    ph = view.phrases
    say = docs_jinja.sayer(ph, rst_text)
    fs = filters(ph)
    words = docs_jinja.opt_out_words(say, fs["code"], fs["strong"])
    env = docs_jinja.environment(rst_text, {**fs, **docs_jinja.row_filters(rst_text, rst_literal, ph, say)}, {"say": say, "opt_out_sentence": words})
    return {PATH: docs_jinja.render(env, "telemetry.rst.j2", view=view)}
