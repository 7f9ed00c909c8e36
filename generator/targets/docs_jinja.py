"""The jinja2 environments the docs targets render with: escape by default, always.

For HTML that is jinja's own autoescape.  reStructuredText and Markdown have no
autoescape in jinja, so the environment's ``finalize`` hook escapes every printed value
with the format's escaper (``generator.targets.escape``), unless the value is already
``Markup`` (markup built by one of the format's filters from escaped pieces).  A
template therefore cannot forget to escape spec text: ``{{ field.description }}`` is safe
in every format, and only a filter written in Python can emit markup.

``render`` also normalises the text the way every docs file wants it: '\\n' line
endings, no trailing spaces, at most one blank line in a row, one final newline.

The one exception to "templates hold the layout": the line each field gets in the
reStructuredText and Markdown lists (``row_filters``), printed in Python because a large
spec has tens of thousands of them and a template loop or macro per field was most of
the pages' rendering time.  They print exactly what the template code printed
(tests/test_docs_rows.py keeps that code as their reference) in the spec's phrases.

Must not: decide what a page says (``docs_view`` does) or hold a format's document
structure beyond a field's line (the templates do).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import jinja2
from markupsafe import Markup
from markupsafe import escape as markupsafe_escape

from generator.phrases import fill, opt_out_sentence, plain

_BLANKS = re.compile(r"\n\n\n+")  # (as \n{3,}, but a literal prefix: 10x faster)
_SLOT = "\ue002"  # where a phrase's value goes (private use: in no phrase)


def bytecode_cache(tag: str) -> jinja2.BytecodeCache | None:
    """A per-user on-disk cache of compiled templates (jinja's own, in the temp folder).

    Compiling the templates is a large share of a cold build; the cache keys on each
    template's source checksum, so output never depends on it.  ``tag`` keeps
    environments with different settings (autoescape, finalize) apart, since compiled
    code depends on them.  Returns None where the cache folder cannot be used.
    """
    try:
        return jinja2.FileSystemBytecodeCache(pattern=f"__telemetry_gen_{tag}_%s.cache")
    except (OSError, RuntimeError):
        return None


def make_environment(folder: str, cache_tag: str, autoescape: bool = False, **extra: Any) -> jinja2.Environment:
    """The project's one jinja setup over ``generator/templates/<folder>``: strict
    undefined names, block whitespace trimmed, trailing newline kept, compiled templates
    cached (``cache_tag`` names the settings, see ``bytecode_cache``)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("generator", f"templates/{folder}"),
        autoescape=autoescape,
        bytecode_cache=bytecode_cache(cache_tag),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        **extra,
    )


def environment(
    escape: Callable[[Any], str] | None,
    filters: dict[str, Callable[..., Any]] | None = None,
    globals: dict[str, Any] | None = None,
) -> jinja2.Environment:
    """An environment over ``generator/templates/docs``.

    ``escape`` is the text escaper for a markup format (rst, Markdown); None means HTML,
    which uses jinja's autoescape.
    """
    if escape is None:
        env = make_environment("docs", "docs-html", autoescape=True)
    else:

        def finalize(value: Any) -> Any:
            if isinstance(value, Markup):
                return value
            return escape(value)

        env = make_environment("docs", "docs-text", finalize=finalize)
    env.filters.update(filters or {})
    env.globals.update(globals or {})
    env.globals["spaces"] = spaces
    env.filters["period"] = period
    return env


def period(text: str) -> Markup:
    """The full stop a sentence ending in ``text`` needs ("" if it already has one, as
    in "sent to Example Inc.")."""
    return Markup("" if str(text).rstrip()[-1:] in (".", "!", "?") else ".")


def spaces(n: int) -> Markup:
    """Indentation for nested markup (a value, so it must not be escaped away)."""
    return Markup(" " * n)


def render(
    env: jinja2.Environment, template: str, blank_lines: bool = True, **context: Any
) -> bytes:
    """Render a template to normalised UTF-8 bytes (see the module docstring).

    ``blank_lines=False`` keeps runs of blank lines (HTML, where they are harmless but
    collapsing them could touch a ``<pre>``; the catalogue has none, but the rule keeps
    the HTML target honest).
    """
    text = env.get_template(template).render(**context)
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    text = "\n".join(lines)
    if blank_lines:
        text = _BLANKS.sub("\n\n", text)
    return (text.strip("\n") + "\n").encode("utf-8")


def field_tail_parts(f: Any, ph: Mapping[str, str]) -> list[str]:
    """The sentences after a listed field, as plain text: the no-input-data statement,
    its notes, and what it says about personal data (why none, or its label, why it is
    collected and how it is reduced)."""
    if f.uses_input_data and not f.notes and f.personal_data == "none" and not f.personal_data_note:
        return []  # (most fields: nothing to add)
    parts = [ph["no_input_data"]] if not f.uses_input_data else []
    parts += list(f.notes)
    return _sentences(parts + personal_data_parts(f, ph))


def personal_data_parts(f: Any, ph: Mapping[str, str]) -> list[str]:
    """What a field says about personal data, as plain sentences: why none, or its
    level's label ("Not yet reviewed for personal data" for an unreviewed field), why it
    is collected and how it is reduced.  Every layout of every docs format prints these
    (a field group's compact line too)."""
    if f.personal_data == "none":
        return [plain(ph["pd_none_why"], note=f.personal_data_note)] if f.personal_data_note else []
    parts = [f.personal_data_label + "."]
    if f.collected_because:
        parts.append(plain(ph["pd_collected_because"], reason=f.collected_because))
    if f.reduction:
        parts.append(plain(ph["pd_reduced_by"], reductions=f.reduction))
    return _sentences(parts)


def _sentences(parts: list[str]) -> list[str]:
    return [p if p.rstrip()[-1:] in ".!?" else p.rstrip() + "." for p in parts if p.strip()]


def opt_out_words(say: Callable[..., Markup], code: Callable[[str], Any], strong: Callable[[str], Any]) -> Callable[[Any], Markup]:
    """The templates' ``opt_out_sentence(o)``: how to opt out one way (an ``OptOutView``),
    worded by ``phrases.opt_out_sentence`` from its data, so every docs format, the
    changelog and the review request say it alike."""

    def sentence(o: Any) -> Markup:
        return Markup(opt_out_sentence(o.way, say, code, strong))

    return sentence


def sayer(ph: Mapping[str, str], escape: Callable[..., Any]) -> Callable[..., Markup]:
    """The templates' ``say(key, name=value, ...)``: phrase ``key`` of the spec's wording
    with its own text escaped and each value escaped unless it is markup already."""

    def escape_part(value: Any) -> str:
        return str(escape(value, part=True))

    # The escaped phrase with its placeholders, by (key, value names): a page says the
    # same few phrases thousands of times.
    escaped: dict[tuple[str, tuple[str, ...]], str] = {}

    def say(key: str, /, **values: Any) -> Markup:
        # Escape the phrase as one piece of text (escaping depends on context, e.g. a
        # colon at the end), with each value held by a private-use placeholder, then put
        # the values in.
        names = tuple(values)
        text = escaped.get((key, names))
        if text is None:
            marked = fill(ph[key], lambda t: t, **{k: f"\ue000{i}\ue001" for i, k in enumerate(names)})
            text = escaped[key, names] = escape_part(marked)
        for i, k in enumerate(names):
            v = values[k]
            text = text.replace(f"\ue000{i}\ue001", str(v) if isinstance(v, Markup) else escape_part(v))
        return Markup(text)

    return say


def html_escape(value: Any, part: bool = False) -> Markup:
    """HTML escaping with the markup escapers' signature."""
    return markupsafe_escape(value)


def text_filters(
    escape: Callable[..., str], link: Callable[[str, str], str], ph: Mapping[str, str], tail_lead: str = ""
) -> dict[str, Callable[..., Markup]]:
    """The filters every text markup format (reStructuredText, Markdown) shares, defined
    once over the format's escaper, link syntax and the spec's wording ``ph``:

    * ``text``: spec text inside a line (its end spaces kept, no block-start escaping);
    * ``marks``: limits as " (Enterprise Edition Only) (only in v5.5 and earlier)";
    * ``strong`` / ``em``: ``**text**`` / ``*text*`` (the same in both formats);
    * ``link``: ``link(title, url)`` in the format's syntax;
    * ``sentence``: a guarantee whose mention of the privacy policy is its link;
    * ``field_tail``: a field's no-input-data statement, notes and personal-data
      statement as sentences, after ``tail_lead`` (the lead-in the format's list item
      needs; none if empty).
    """

    def text(value: Any) -> Markup:
        return Markup(escape(value, part=True))

    def marks(values: tuple[str, ...]) -> Markup:
        return Markup("".join(f" ({escape(m)})" for m in values))

    def strong(value: Any) -> Markup:
        return Markup(f"**{escape(value)}**")

    def em(value: Any) -> Markup:
        return Markup(f"*{escape(value)}*")

    def linked(title: str, url: str) -> Markup:
        return Markup(link(title, url))

    def sentence_(parts: tuple[Any, ...], url: str) -> Markup:
        return sentence(parts, url, escape, link)

    def field_tail(f: Any) -> Markup:
        tail = tail_text(f, ph, escape)
        return Markup(tail_lead + tail if tail else "")

    return {
        "text": text,
        "marks": marks,
        "strong": strong,
        "em": em,
        "link": linked,
        "sentence": sentence_,
        "field_tail": field_tail,
    }


def tail_text(f: Any, ph: Mapping[str, str], escape: Callable[..., str]) -> str:
    """A field's tail sentences (``field_tail_parts``) escaped and joined ("" if none)."""
    return " ".join(escape(p, part=True) for p in field_tail_parts(f, ph))


def row_filters(
    escape: Callable[..., str], code: Callable[[str], str], ph: Mapping[str, str], say: Callable[..., Markup]
) -> dict[str, Callable[..., Markup]]:
    """The per-field lines of the reStructuredText and Markdown pages, as filters over a
    tuple of ``FieldView`` (``code`` is the format's inline literal, ``say`` the page's).

    A page prints one such line per field, and a jinja macro or loop per field was most
    of a large page's rendering time; these functions print exactly what that template
    code printed.  The wording is the spec's phrases (``say``), as in the templates.

    * ``field_items(fields, indent)``: one list item per field, each line ending in a
      newline: "- Description (``name``, key ``wire``, kind: "a", "b", optional)
      (marks). Tail sentences."
    * ``field_words(fields, indent)``: the compact lines of a field group, one per field,
      comma-ended but the last, no final newline: "label Name (key wire) (values: a /
      b) (optional) (personal data) (marks)".
    * ``kind_words(field)``: its "kind: values, optional" (the Markdown table's too).
    """

    def marks(values: tuple[str, ...]) -> str:
        return "".join([f" ({escape(m)})" for m in values]) if values else ""

    # Each phrase escaped once, with _SLOT where its value goes: a page says "key
    # ``wire``" once per field.
    phrases: dict[tuple[str, str], str] = {}

    def said(key: str, name: str = "", value: str = "") -> str:
        """Phrase ``key`` with ``value`` (escaped already) as its value ``name``, as
        ``say`` puts it, as plain str ("text" + Markup would HTML-escape the text)."""
        text = phrases.get((key, name))
        if text is None:
            text = phrases[key, name] = str(say(key, **({name: Markup(_SLOT)} if name else {})))
        return text.replace(_SLOT, value) if name else text

    # "kind: values, optional" by (kind, values, optional): few distinct ones per page.
    kinds: dict[tuple[str, tuple[str, ...], bool], Markup] = {}

    def kind_words(f: Any) -> Markup:
        key = (f.kind_noun, f.values, f.optional)
        text = kinds.get(key)
        if text is None:
            text = kinds[key] = Markup(field_kind_words(f, escape, said))
        return text

    def field_items(fields: tuple[Any, ...], indent: int) -> Markup:
        lines = []
        for f in fields:
            tail = tail_text(f, ph, escape)
            lines.append(
                f"{' ' * indent}- {escape(f.description) + ' (' if f.description else '('}"
                f"{code(f.name)}, {said('wire_key', 'key', code(f.wire_key))}, {kind_words(f)})"
                f"{marks(f.marks)}{'. ' + tail if tail else ''}\n"
            )
        return Markup("".join(lines))

    def field_words(fields: tuple[Any, ...], indent: int) -> Markup:
        lines = []
        for f in fields:
            line = f"{' ' * indent}{escape(f.kind_label, part=True)} {escape(f.name, part=True)} ({said('wire_key', 'key', escape(f.wire_key, part=True))})"
            if f.values:
                line += f" ({said('values', 'values', escape(' / '.join(f.values), part=True))})"
            if f.optional:
                line += f" ({said('optional')})"
            pd = personal_data_parts(f, ph)
            if pd:  # (a field group's line: its level with the reasons and reductions)
                line += f" ({escape(' '.join(pd)[:-1], part=True)})"
            lines.append(line + marks(f.marks))
        return Markup(",\n".join(lines))

    return {"field_items": field_items, "field_words": field_words, "kind_words": kind_words}


def field_kind_words(f: Any, escape: Callable[..., str], said: Callable[[str], str]) -> str:
    """ "kind: values, optional" as a field's list item and Markdown table row say it
    (plain str of escaped pieces; ``said(key)`` is a phrase without values)."""
    out = escape(f.kind_noun, part=True)
    if f.values:
        out += ": " + escape(", ".join(f.values), part=True)
    if f.optional:
        out += ", " + said("optional")
    return out


def sentence(
    parts: tuple[Any, ...], url: str, text: Callable[..., str], link: Callable[[str, str], str]
) -> Markup:
    """A guarantee whose mention of the privacy policy is the policy's link, in one
    markup format: ``text(value, part=...)`` escapes, ``link(title, url)`` links.
    ``parts`` are ``docs_view.Part`` values (``text``, ``is_link``)."""
    out = []
    for i, p in enumerate(parts):
        if p.is_link:
            out.append(link(p.text, url))
        elif i == 0:
            body = text(p.text)
            out.append(body + (" " if p.text[-1:].isspace() and body else ""))
        else:
            out.append(text(p.text, part=True))
    return Markup("".join(out))
