"""Target: the privacy docs as GitHub-flavoured Markdown (``docs/telemetry.md``).

The same content, in the same order, as the reStructuredText page (both come from
``docs_view.build_view``), spelled for code hosts: headings, lists, and tables for
fields listed with their descriptions.  Every piece of spec text goes through
``escape.md_text`` (the template environment escapes by default), so a description
cannot open a link, an image, raw HTML, a table cell or emphasis.
"""

from __future__ import annotations

from markupsafe import Markup

from generator.model import Spec
from generator.targets import docs_jinja
from generator.targets.docs_view import FieldView, Part, build_view
from generator.targets.escape import md_code, md_text, md_url

PATH = "docs/telemetry.md"


def _text(text: str) -> Markup:
    """Spec text inside a line (its end spaces kept, no block-start escaping)."""
    return Markup(md_text(text, part=True))


def _marks(marks: tuple[str, ...]) -> Markup:
    """Limits: " (Enterprise Edition Only) (only in v5.5 and earlier)"."""
    return Markup("".join(f" ({md_text(m)})" for m in marks))


def _strong(text: str) -> Markup:
    return Markup(f"**{md_text(text)}**")


def _em(text: str) -> Markup:
    return Markup(f"*{md_text(text)}*")


def _code(text: str) -> Markup:
    return Markup(md_code(text))


def _link(title: str, url: str) -> Markup:
    return Markup(f"[{md_text(title)}]({md_url(url)})")


def _sentence(parts: tuple[Part, ...], url: str) -> Markup:
    """A guarantee whose mention of the privacy policy is the policy's link."""
    return docs_jinja.sentence(parts, url, md_text, _link)


def _field_tail(f: FieldView) -> Markup:
    """The no-input-data statement and the field's notes, as sentences."""
    parts = (["No input data is used."] if not f.uses_input_data else []) + list(f.notes)
    return Markup(" ".join(md_text(p) for p in parts))


FILTERS = {
    "text": _text,
    "marks": _marks,
    "strong": _strong,
    "em": _em,
    "code": _code,
    "link": _link,
    "sentence": _sentence,
    "field_tail": _field_tail,
}


def render(spec: Spec) -> dict[str, bytes]:
    """The Markdown page for a spec."""
    env = docs_jinja.environment(md_text, FILTERS)
    return {PATH: docs_jinja.render(env, "telemetry.md.j2", view=build_view(spec))}
