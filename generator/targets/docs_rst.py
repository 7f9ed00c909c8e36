"""Target: the privacy docs as reStructuredText (``docs/telemetry.rst``).

The page a documentation site publishes (Sphinx or plain docutils): the product's
introduction, guarantees and purposes, then each feature with what it collects, how
often, who sends it where and how to switch it off; each section's fields grouped as
the spec groups them (``**Group**: label Name, label Name``) and each event category
with its events.  Content and order come from ``docs_view.build_view``; this module
only adds the reStructuredText spelling, and every piece of spec text goes through
``escape.rst_text`` (the template environment escapes by default).
"""

from __future__ import annotations

from markupsafe import Markup

from generator.model import Spec
from generator.targets import docs_jinja
from generator.targets.docs_view import FieldView, Part, build_view
from generator.targets.escape import rst_literal, rst_text, safe_url

PATH = "docs/telemetry.rst"


def _heading(text: str, char: str, prefix: str = "", suffix: str = "") -> Markup:
    """A section title (``prefix`` and ``suffix`` are template wording, ``text`` spec
    text) with an underline as long as the title line."""
    line = prefix + rst_text(text, part=bool(prefix)) + suffix
    return Markup(f"{line}\n{char * max(len(line), 4)}")


def _marks(marks: tuple[str, ...]) -> Markup:
    """Limits as the seed prints them: " (Enterprise Edition Only) (only in v5.5 and
    earlier)"; empty when there are none."""
    return Markup("".join(f" ({rst_text(m)})" for m in marks))


def _strong(text: str) -> Markup:
    return Markup(f"**{rst_text(text)}**")


def _em(text: str) -> Markup:
    return Markup(f"*{rst_text(text)}*")


def _link(title: str, url: str) -> Markup:
    """An anonymous hyperlink; the URL is percent-encoded where it could end the link."""
    return Markup(f"`{rst_text(title)} <{safe_url(url)}>`__")


def _sentence(parts: tuple[Part, ...], url: str) -> Markup:
    """A guarantee whose mention of the privacy policy is the policy's link."""
    return docs_jinja.sentence(parts, url, rst_text, _link)


def _literal(text: str) -> Markup:
    return Markup(rst_literal(text))


def _text(text: str) -> Markup:
    """Spec text inside a line (its end spaces kept, no block-start escaping)."""
    return Markup(rst_text(text, part=True))


def _field_tail(f: FieldView) -> Markup:
    """What follows a listed field's parenthesis: the no-input-data statement and the
    field's notes, as sentences."""
    parts = (["No input data is used."] if not f.uses_input_data else []) + list(f.notes)
    if not parts:
        return Markup("")
    return Markup(". " + " ".join(rst_text(p) for p in parts))


FILTERS = {
    "heading": _heading,
    "marks": _marks,
    "strong": _strong,
    "em": _em,
    "link": _link,
    "sentence": _sentence,
    "literal": _literal,
    "text": _text,
    "field_tail": _field_tail,
}


def render(spec: Spec) -> dict[str, bytes]:
    """The reStructuredText page for a spec."""
    env = docs_jinja.environment(rst_text, FILTERS)
    return {PATH: docs_jinja.render(env, "telemetry.rst.j2", view=build_view(spec))}
