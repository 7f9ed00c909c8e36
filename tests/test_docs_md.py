"""The Markdown privacy docs: the same content as the reStructuredText page, as
GitHub-flavoured Markdown, with spec text that always renders as text.

Rendering checks use markdown-it-py (CommonMark plus GFM tables), a test dependency.
"""

from __future__ import annotations

import re

import pytest
from _ci import skip_or_fail
from docs_fixtures import (
    EVIL,
    HOSTILE_SPANS,
    MINIMAL_SPEC_DIR,
    POLICY_URL,
    bundled_spec,
    load,
    merged,
    seen_runs,
    visible,
    write_evil_spec,
)

from generator.targets import docs_md, docs_rst
from generator.targets.escape import fold, md_code, md_text

try:
    from markdown_it import MarkdownIt
except ImportError:  # pragma: no cover - exercised only without the test extra
    MarkdownIt = None


def markdown():
    if MarkdownIt is None:
        skip_or_fail("markdown-it-py is not installed (pip install -e '.[test]')")
    return MarkdownIt("commonmark").enable("table").enable("strikethrough")


def md_of(spec) -> str:
    files = docs_md.render(spec)
    assert list(files) == [docs_md.PATH]
    return files[docs_md.PATH].decode("utf-8")


def tokens(source: str):
    """Every markdown-it token, inline children included, in document order."""

    def walk(ts):
        for t in ts:
            yield t
            if t.children:
                yield from walk(t.children)

    return list(walk(markdown().parse(source)))


def plain_text(toks) -> str:
    """What a reader sees: text and code, breaks as spaces, whitespace folded."""
    out = []
    for t in toks:
        if t.type in ("text", "code_inline"):
            out.append(t.content)
        elif t.type in (
            "softbreak",
            "hardbreak",
            "paragraph_close",
            "heading_close",
            "td_close",
            "th_close",
        ):
            out.append(" ")
    return " ".join("".join(out).split())


def test_spec_text_is_never_markup(tmp_path):
    spec = load(write_evil_spec(tmp_path))
    toks = tokens(md_of(spec))
    types = {t.type for t in toks}
    # no raw HTML, images or ordered lists / quotes / code blocks made from spec text
    for bad in (
        "html_inline",
        "html_block",
        "image",
        "ordered_list_open",
        "blockquote_open",
        "code_block",
        "fence",
        "hr",
        "s_open",
    ):
        assert bad not in types, bad
    links = [t for t in toks if t.type == "link_open"]
    assert [t.attrs["href"] for t in links] == [POLICY_URL]
    # emphasis, strong and code spans only around whole texts the template marks up,
    # and code spans where spec text has them
    evil_spans = {s for t in EVIL for k, s in seen_runs(t, "md") if k == "code"}
    assert evil_spans <= {t.content for t in toks if t.type == "code_inline"}
    texts = {fold(t) for t in EVIL} | {"MainSettings", "Privacy *Policy*"}
    path = " > ".join(fold(t) for t in (EVIL[8], EVIL[9], EVIL[0]))
    for i, t in enumerate(toks):
        if t.type in ("em_open", "strong_open"):
            inner = toks[i + 1]
            assert inner.type == "text", t
            assert (
                inner.content in texts
                or inner.content == path
                or inner.content.removeprefix("NOTE: ") in texts
            )
        if t.type == "code_inline" and t.content not in evil_spans:
            # names, and the identifiers the docs show beside them: wire keys, wire
            # names, setting ids and their default values
            assert t.content in {f.wire_key for f in spec.fields} | {p.wire_name for p in spec.payloads} | {
                st.id for st in spec.settings
            } | {"true", "false"} | {
                "EnableThing",
                "Mode",
                "SiteURL",
                "Reason",
                "Comment",
                "Code",
                "MainSettings.EnableThing",
                "MainSettings.Mode",
                "MainSettings.SiteURL",
            }
    # headings: the page title, one per feature, per schedule, per section
    assert sum(t.type == "heading_open" for t in toks) == 1 + 1 + 3 + 3
    seen = plain_text(toks)
    for t in EVIL:
        assert visible(t, "md") in seen, t


@pytest.mark.parametrize(
    "text",
    [
        *EVIL,
        "1) one",
        "2. two",
        "+ plus",
        "* star",
        "= setext",
        "--- rule",
        "***",
        "~~~ fence",
        "    indented code",
        "<http://auto.link>",
        "&copy; entity",
        "a\\",
        "\\",
        "x | y",
        "[ref]: http://evil",
        "![alt](x.png)",
        "__bold__",
        "~~strike~~",
        "<!-- c -->",
        *HOSTILE_SPANS,
        "`x` first",
        "- `x`",
        "1. `x`",
        "`a|b` in a cell",
    ],
)
def test_md_text_reads_back_verbatim(text):
    """Alone, in a list item and in a table cell, escaped text is runs of text around
    one code span per span in the text, holding exactly its text (``seen_runs``)."""
    esc = md_text(text)
    for source in (esc, f"- {esc}", f"| h |\n| --- |\n| {esc} |"):
        toks = tokens(source)
        inline = [t for t in toks if t.type == "inline"]
        kinds = {c.type for t in inline for c in t.children}
        assert kinds <= {"text", "code_inline"}, (text, source, kinds)
        runs = [("code" if c.type == "code_inline" else "text", c.content) for c in inline[-1].children]
        assert merged(runs) == seen_runs(text, "md"), (text, source, runs)
        assert not {
            "html_block",
            "code_block",
            "fence",
            "hr",
            "ordered_list_open",
            "blockquote_open",
        } & {t.type for t in toks}, (text, source)
        assert plain_text(toks).endswith(visible(text, "md")), (text, source, plain_text(toks))


@pytest.mark.parametrize("name", ["EnableCommands", "a`b", "``x", "a|b", "a\\b"])
def test_code_spans_hold_any_name(name):
    toks = tokens(f"| h |\n| --- |\n| {md_code(name)} |")
    assert plain_text(toks).endswith(name)


def test_same_content_as_the_rst_page():
    """Every heading, section, setting block, category and event of the rst page is in
    the Markdown page (both come from one view; this catches a template that forgets
    something)."""
    spec = bundled_spec()
    md = md_of(spec)
    rst = docs_rst.render(spec)[docs_rst.PATH].decode("utf-8")
    seen = plain_text(tokens(md))
    for f in spec.features:
        assert f"## {f.title}" in md
        if f.opt_out:
            assert f"**{md_text(f.opt_out.console_path_text)}**" in md
            if f.opt_out.cost:
                assert fold(f.opt_out.cost) in seen
    for s in spec.sections:
        assert fold(s.title) in seen
        for c in s.categories:
            assert f"*{md_text(c.title)}*" in md
        for g in s.field_groups:
            assert f"**{md_text(g.title)}**" in md
    for p in spec.payloads:
        if p.type == "event":
            assert fold(p.title) in seen
        for f in p.fields:
            assert f.name in seen
            if f.description:
                assert fold(f.description) in seen
    # the settings blocks read the same in both
    block = re.compile(
        r"^\s*- \*\*(\w+)\*\*((?: \([^)]*\))*):\n((?:\s+\w+ [\w.]+(?: \([^)]*\))*,?\n)+)",
        re.MULTILINE,
    )
    rst_blocks = [(g, m, " ".join(b.split())) for g, m, b in block.findall(rst)]
    md_blocks = [(g, m, " ".join(b.split())) for g, m, b in block.findall(md)]
    # One block per settings group and field group it has fields of (51 in the bundled spec).
    expected = sum(
        1
        for s in spec.sections
        for g in s.field_groups
        for p in spec.payloads_of(s.id)
        if any(f.kind.id in g.kinds for f in p.fields)
    )
    assert len(rst_blocks) == expected == 51
    assert rst_blocks == md_blocks


@pytest.mark.parametrize("which", ["bundled", "minimal"])
def test_renders_cleanly(which):
    spec = bundled_spec() if which == "bundled" else load(MINIMAL_SPEC_DIR)
    md = md_of(spec)
    assert md == md_of(spec)
    assert md.startswith("# ") and md.endswith("\n") and not md.endswith("\n\n")
    assert not [line for line in md.splitlines() if line != line.rstrip()]
    toks = tokens(md)
    assert not {"html_inline", "html_block"} & {t.type for t in toks}
    # tables have as many cells in every row as in their header
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    for line in rows:
        cells = re.split(r"(?<!\\)\|", line)[1:-1]
        assert len(cells) in (4, 5), line  # data, name, wire key, kind (+ notes)
