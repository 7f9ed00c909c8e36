"""The docs' per-field lines and escapers, written in Python for speed, print exactly
what their plain definitions print.

* ``docs_jinja.row_filters`` (``field_items``, ``field_words``) and Markdown's
  ``field_table`` against the template code they replaced, kept here as the reference:
  rendered in the same environment, over fields with every combination of options and
  markup in every text slot, with the default wording and with wording full of markup.
* ``escape.rst_text`` / ``md_text`` / ``fold`` against character-by-character
  definitions, on many random strings of the characters that matter.
* The view's fast ``FieldView`` constructor sets every field, as ``FieldView(...)`` does.

Speed itself is measured by ``benchmarks/bench_docs.py``, never here.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
import re

import pytest
from docs_fixtures import EVIL, bundled_spec, load, write_evil_spec

from generator.phrases import DEFAULTS
from generator.targets import docs_jinja, docs_md, docs_rst, docs_view
from generator.targets.docs_view_parts import FieldView
from generator.targets.escape import fold, md_code, md_text, rst_literal, rst_text

# --- the template code the row filters replaced (the reference) ----------------------

_RST_ITEM = (
    '{% for f in fields %}\n{{ spaces(indent) }}- {% if f.description %}{{ f.description }} ({% else %}({% endif %}'
    '{{ f.name|literal }}, {{ say("wire_key", key=f.wire_key|literal) }}, {{ f.kind_noun|text }}'
    '{% if f.values %}: {{ f.values|join(", ")|text }}{% endif %}{% if f.optional %}, {{ say("optional") }}{% endif %})'
    "{{ f.marks|marks }}{{ f|field_tail }}\n{% endfor %}"
)
_MD_ITEM = (
    '{% for f in fields %}\n{{ spaces(indent) }}- {% if f.description %}{{ f.description }} ({% else %}({% endif %}'
    '{{ f.name|code }}, {{ say("wire_key", key=f.wire_key|code) }}, {{ f.kind_noun|text }}'
    '{% if f.values %}: {{ f.values|join(", ")|text }}{% endif %}{% if f.optional %}, {{ say("optional") }}{% endif %})'
    "{{ f.marks|marks }}{% if f|field_tail %}. {% endif %}{{ f|field_tail }}\n{% endfor %}"
)
_WORDS = (
    "{% for f in fields %}\n{{ spaces(indent) }}{{ f.kind_label|text }} {{ f.name|text }} "
    '({{ say("wire_key", key=f.wire_key) }}){% if f.values %} ({{ say("values", values=f.values|join(" / ")) }}){% endif %}'
    '{% if f.optional %} ({{ say("optional") }}){% endif %}{% if f|pd_sentences %} ({{ f|pd_sentences|text }}){% endif %}'
    '{{ f.marks|marks }}{{ ","|safe if not loop.last else "" }}\n{% endfor %}'
)
_MD_TABLE = (
    "{% for f in fields %}\n| {{ f.description }} | {{ f.name|code }} | {{ f.wire_key|code }} | {{ f.kind_noun|text }}"
    '{% if f.values %}: {{ f.values|join(", ")|text }}{% endif %}{% if f.optional %}, {{ say("optional") }}{% endif %} |'
    '{% if annotated %} {{ f.marks|join("; ")|text }}{% if f.marks and f|field_tail %}; {% endif %}{{ f|field_tail }} |{% endif %}'
    '{{ ""|safe }}\n{% endfor %}'
)

# Wording whose own text is markup in both formats, and puts its value mid-sentence.
_MARKUP_PHRASES = {
    **DEFAULTS,
    "wire_key": "*key*: {key} _x_",
    "optional": "`opt` | ional:",
    "values": "[values]: {values} <b>",
    "no_input_data": "No *input* data::",
    "pd_none_why": "Why: {note} |x|",
}


def _fields() -> list[FieldView]:
    """Fields with every combination of the options a line prints, and markup (``EVIL``)
    in every text slot."""
    out = []
    combos = itertools.product((True, False), ("none", "pseudonymous", "possible"), (0, 1, 2), (True, False))
    for n, (optional, pd, extra, uses_input) in enumerate(combos):
        t = [EVIL[(n + i) % len(EVIL)] for i in range(12)]
        out.append(
            FieldView(
                anchor=f"field-{n}",
                name=t[0] if n % 3 else f"Name{n}",
                qualified_name=f"Group.{t[1]}",
                wire_key=t[2] if n % 4 else f"wire_{n}",
                payload="p",
                kind_id="k",
                kind_label=t[3],
                kind_title=t[4],
                kind_noun=t[5] if n % 2 else "free-text string",
                description="" if n % 5 == 0 else t[6],
                values=tuple(t[7:7 + extra]) + (('"x"', "3") if extra == 2 else ()),
                notes=tuple(t[8:8 + extra]),
                personal_data_note=t[9] if pd == "none" and extra else "",
                uses_input_data=uses_input,
                marks=tuple(t[10:10 + extra]),
                edition="",
                versions="",
                optional=optional,
                personal_data=pd,
                personal_data_label=t[11] if pd != "none" else "",
                collected_because=t[1] if pd != "none" and extra else "",
                reduction=t[2] if pd == "possible" else "",
            )
        )
    return out


def _env(fmt: str, ph):
    """The page's environment, as ``docs_rst.render`` / ``docs_md.render`` build it."""
    escape, code = (rst_text, rst_literal) if fmt == "rst" else (md_text, md_code)
    say = docs_jinja.sayer(ph, escape)
    rows = docs_jinja.row_filters(escape, code, ph, say)
    if fmt == "md":
        rows["field_table"] = docs_md._table_rows(md_text, ph, rows["kind_words"])
    mod = docs_rst if fmt == "rst" else docs_md
    # a field group's line says what its field list item says about personal data
    pd = {"pd_sentences": lambda f: " ".join(docs_jinja.personal_data_parts(f, ph))[:-1]}
    return docs_jinja.environment(escape, {**mod.filters(ph), **rows, **pd}, {"say": say}), rows


@pytest.mark.parametrize("ph", [DEFAULTS, _MARKUP_PHRASES], ids=["default-wording", "markup-wording"])
@pytest.mark.parametrize("fmt", ["rst", "md"])
def test_row_filters_print_what_the_template_printed(fmt, ph):
    env, rows = _env(fmt, ph)
    fields = tuple(_fields())
    for indent in (0, 2, 6):
        expected = env.from_string(_RST_ITEM if fmt == "rst" else _MD_ITEM).render(fields=fields, indent=indent)
        assert rows["field_items"](fields, indent) == expected
        expected = env.from_string(_WORDS).render(fields=fields, indent=indent)
        assert rows["field_words"](fields, indent) + "\n" == expected  # its line's end is the template's
    for f in fields:  # one at a time too: the first and last lines differ
        assert rows["field_items"]((f,), 2) == env.from_string(_RST_ITEM if fmt == "rst" else _MD_ITEM).render(fields=(f,), indent=2)
        assert rows["field_words"]((f,), 4) + "\n" == env.from_string(_WORDS).render(fields=(f,), indent=4)
    if fmt == "md":
        for annotated in (True, False):
            expected = env.from_string(_MD_TABLE).render(fields=fields, annotated=annotated)
            assert rows["field_table"](fields, annotated) == expected


def test_reference_templates_print_markup_escaped():
    """The comparison above is not vacuous: the lines hold the escaped markup."""
    _env_rst, rows = _env("rst", _MARKUP_PHRASES)
    text = rows["field_items"](tuple(_fields()), 2)
    assert r"\*key\*" in text and r"\`opt\` \| ional:" in text and "\\*star\\*" in text
    _env_md, rows = _env("md", DEFAULTS)
    assert "\\<script>" in rows["field_table"](tuple(_fields()), True)


# --- the escapers against their character-by-character definitions ------------------


def _rst_reference(text, part=False) -> str:
    s = " ".join(str(text).split()) if not part else re.sub(r"\s+", " ", str(text))
    out = []
    for i, ch in enumerate(s):
        if ch in "\\*`|_@":
            out.append("\\" + ch)
        elif ch == ":" and (i == 0 or s[i - 1] in " :" or (i + 1 < len(s) and s[i + 1] != " ")):
            out.append("\\:")
        else:
            out.append(ch)
    escaped = "".join(out)
    if part or not s or escaped.startswith("\\"):
        return escaped
    m = re.match(r"^(?:(?:[A-Za-z0-9]+|#)[.)]|\([A-Za-z0-9]+\))(?=\s|$)", s)
    if m:
        return escaped[: m.end() - 1] + "\\" + escaped[m.end() - 1 :]
    if not s[0].isalnum() and not s[0].isspace() and s[0].isascii():
        return "\\" + escaped
    return escaped


def _md_reference(text, part=False) -> str:
    s = " ".join(str(text).split()) if not part else re.sub(r"\s+", " ", str(text))
    escaped = "".join("\\" + ch if ch in "\\`*_[]<&|~#" else ch for ch in s)
    m = None if part else re.match(r"^(?:[-+=>]|\d{1,9}[.)](?:\s|$))", s)
    if m:
        cut = len(m.group(0).rstrip()) - 1
        escaped = escaped[:cut] + "\\" + escaped[cut:]
    return escaped


def _random_texts(n: int):
    alphabet = list("ab1 :\\*`|_@.-+=>#()[]<&~!\t\n") + ["\u00a0", "é", "\u2028", "  ", "A.", "12)"]
    rnd = random.Random(15)
    yield from ("", " ", ":", "::", "a:", ":a", "a: b", "http://x", " x ", *EVIL)
    for _ in range(n):
        yield "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 14)))


def test_escapers_match_their_character_rules():
    for text in _random_texts(30000):
        for part in (False, True):
            assert rst_text(text, part) == _rst_reference(text, part), (text, part)
            assert md_text(text, part) == _md_reference(text, part), (text, part)
            assert fold(text, part) == (re.sub(r"\s+", " ", text) if part else " ".join(text.split())), (text, part)


# --- the view's fast FieldView constructor -------------------------------------------


def test_every_field_view_has_every_field(tmp_path):
    names = {f.name for f in dataclasses.fields(FieldView)}
    for spec in (bundled_spec(), load(write_evil_spec(tmp_path))):
        view = docs_view._build_view(spec)
        fields = [
            fv
            for feat in view.features
            for sched in feat.schedules
            for sec in sched.sections
            for fv in [
                *(f for fg in sec.field_groups for b in fg.blocks for f in b.fields),
                *(f for b in sec.payload_blocks for f in b.fields),
                *(f for c in sec.categories for g in c.event_groups for e in g.events for f in e.fields),
            ]
        ]
        assert len(fields) == view.field_count
        for fv in fields:
            assert type(fv) is FieldView and set(vars(fv)) == names
            assert FieldView(**vars(fv)) == fv
            with pytest.raises(dataclasses.FrozenInstanceError):
                fv.name = "x"  # type: ignore[misc]
