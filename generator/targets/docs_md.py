"""Target: the privacy docs as GitHub-flavoured Markdown (``docs/telemetry.md``).

The same content, in the same order, as the reStructuredText page (both come from
``docs_view.build_view``), spelled for code hosts: headings, lists, and tables for
fields listed with their descriptions.  Every piece of spec text goes through
``escape.md_text`` (the template environment escapes by default), so a description
cannot open a link, an image, raw HTML, a table cell or emphasis.

Must not: decide content or order (``docs_view`` does) or print unescaped spec text.
"""

from __future__ import annotations

from markupsafe import Markup

from generator.model import Spec
from generator.phrases import DEFAULTS
from generator.targets import docs_jinja
from generator.targets.docs_view import DocView, build_view
from generator.targets.escape import md_code, md_text, md_url

PATH = "docs/telemetry.md"


def _code(text: str) -> Markup:
    return Markup(md_code(text))


def _link(title: str, url: str) -> str:
    return f"[{md_text(title)}]({md_url(url)})"




def _table_rows(escape, ph, kind_words):
    """The filter ``field_table(fields, annotated)``: a payload's fields as table rows,
    one line each, each ending in a newline: "| Description | `name` | `key` | kind:
    values, optional |" and, when ``annotated``, " marks; tail sentences |".  Python
    rather than a template loop because a page has one per field (see
    ``docs_jinja.row_filters``)."""

    def field_table(fields, annotated: bool) -> Markup:
        lines = []
        for f in fields:
            line = f"| {escape(f.description)} | {md_code(f.name)} | {md_code(f.wire_key)} | {kind_words(f)} |"
            if annotated:
                tail = docs_jinja.tail_text(f, ph, escape)
                marks = escape("; ".join(f.marks), part=True) if f.marks else ""
                line += f" {marks}{'; ' if f.marks and tail else ''}{tail} |"
            lines.append(line + "\n")
        return Markup("".join(lines))

    return field_table


def filters(ph) -> dict:
    """The template filters for a spec's wording ``ph``."""
    return {**docs_jinja.text_filters(md_text, _link, ph), "code": _code}


# The filters with the generator's default wording (for template targets, which render
# outside one spec's docs); the docs page itself uses ``filters(spec phrases)``.
FILTERS = filters(DEFAULTS)


def render(spec: Spec, view: DocView | None = None) -> dict[str, bytes]:
    """The Markdown page for a spec."""
    view = view if view is not None else build_view(spec)
    ph = view.phrases
    say = docs_jinja.sayer(ph, md_text)
    rows = docs_jinja.row_filters(md_text, md_code, ph, say)
    rows["field_table"] = _table_rows(md_text, ph, rows["kind_words"])
    fs = filters(ph)
    words = docs_jinja.opt_out_words(say, fs["code"], fs["strong"])
    env = docs_jinja.environment(md_text, {**fs, **rows}, {"say": say, "opt_out_sentence": words})
    return {PATH: docs_jinja.render(env, "telemetry.md.j2", view=view)}
