"""The reStructuredText privacy docs: they say everything the seed page says, they build
with docutils without a warning, and spec text in them is always text."""

from __future__ import annotations

import io
import re
from collections import Counter

import pytest
from docs_fixtures import (
    EVIL,
    MINIMAL_SPEC_DIR,
    POLICY_URL,
    bundled_spec,
    load,
    seed_facts,
    write_evil_spec,
)
from docutils import nodes
from docutils.core import publish_doctree

from generator.targets import docs_rst
from generator.targets.escape import fold, rst_text


def rst_of(spec) -> str:
    files = docs_rst.render(spec)
    assert list(files) == [docs_rst.PATH]
    return files[docs_rst.PATH].decode("utf-8")


def doctree(source: str):
    """Parse with docutils; returns (doctree, warnings text).  Messages of level 2
    (warning) and up are reported; nothing halts, so every problem is seen."""
    stream = io.StringIO()
    tree = publish_doctree(
        source,
        settings_overrides={"report_level": 2, "halt_level": 5, "warning_stream": stream},
    )
    return tree, stream.getvalue()


def problems(tree) -> list[str]:
    return [m.astext() for m in tree.findall(nodes.system_message) if m["level"] >= 2]


# --- the seed's settings blocks ------------------------------------------------------

# "**ServiceSettings**: enum A, bool B; **WebrtcSettings** (only in v5.5 and earlier): ..."
# The seed has stray ";" between items, double spaces, and a group without a colon.
_GROUP = re.compile(r"\*\*([A-Za-z][A-Za-z0-9_.]*)\*\*((?:\s*\([^()]*\))*)\s*:?")
_ITEM = re.compile(r"^(enum|bool|int)\s+([A-Za-z][A-Za-z0-9_.]*)((?:\s*\([^()]*\))*)$")
# The bold lead of a settings list: "**Type values ...**", "**Counts (integer)**",
# "**True/false (boolean)** value whether ..."; the list is named by its words before "(".
_LIST = re.compile(r"^\*\*((?:Type values|Counts|True/false)[^*]*)\*\*")


def settings_blocks(text: str) -> set[tuple[str, str, str, str, str]]:
    """Every setting of the "**Group**: kind Name, ..." blocks, as (list, group, name,
    kind label, group marks).  Tolerant of the seed's stray ";" and double spaces, and
    of items spread over several lines; strict about items it cannot read, so a block
    the parser misunderstands fails loudly instead of being skipped."""
    found: set[tuple[str, str, str, str, str]] = set()
    current = None
    for para in re.split(r"\n[ \t]*\n", text):
        flat = " ".join(para.split())
        flat = re.sub(r"^- ", "", flat)
        lead = _LIST.match(flat)
        if lead:
            current = lead.group(1).split("(")[0].strip().lower()
            continue
        if current is None:
            continue
        if not flat.startswith("**") or _LIST.match(flat):
            continue
        groups = list(_GROUP.finditer(flat))
        if not groups or groups[0].start() != 0:
            continue
        for i, g in enumerate(groups):
            end = groups[i + 1].start() if i + 1 < len(groups) else len(flat)
            body = flat[g.end() : end]
            for item in re.split(r"[,;]|\s-\s", body):
                item = item.strip(" -")
                if not item:
                    continue
                m = _ITEM.match(item)
                assert m, f"cannot read {item!r} in group {g.group(1)}"
                found.add(
                    (current, g.group(1), m.group(2), m.group(1), " ".join(g.group(2).split()))
                )
    return found


def seed_settings() -> set[tuple[str, str, str, str, str]]:
    """The seed page's settings (its committed facts) as ``settings_blocks`` names them."""
    facts = seed_facts()
    leads = {lst: lead.split("(")[0].strip().lower() for lst, lead in facts["settings_lists"].items()}
    limit = next(iter(facts["version_limits"]))
    return {
        (leads[lst], group, name, typ, f"({limit})" if limited else "")
        for lst, items in facts["settings"].items()
        for group, typ, name, limited in items
    }


def test_settings_match_the_seed_page():
    """Every configuration setting of the seed is in the generated page, in the same
    list, group and kind, with the same version marks, and nothing else is."""
    seed = seed_settings()
    generated = settings_blocks(rst_of(bundled_spec()))
    lists = Counter(s[0] for s in seed)
    # The seed page's exact numbers; a parser that misreads the page changes them.
    assert lists == {"type values": 189, "true/false": 80, "counts": 3}, lists
    missing, extra = sorted(seed - generated), sorted(generated - seed)
    assert not missing and not extra, (
        f"missing from generated: {missing[:20]}\nnot in seed: {extra[:20]}"
    )


def test_settings_parser_reads_what_it_should():
    """The parser itself: stray separators, missing colon, marks, multi-line items."""
    text = (
        "  **Type values (x)**\n\n"
        "    **A**: enum One, bool  Two; int Three, **B** (only in v1 and earlier): bool Four;"
        " **C** bool Five\n\n"
        "  **Counts (integer)**\n\n"
        "  - **D**:\n    int Six,\n    int Seven\n"
    )
    assert settings_blocks(text) == {
        ("type values", "A", "One", "enum", ""),
        ("type values", "A", "Two", "bool", ""),
        ("type values", "A", "Three", "int", ""),
        ("type values", "B", "Four", "bool", "(only in v1 and earlier)"),
        ("type values", "C", "Five", "bool", ""),
        ("counts", "D", "Six", "int", ""),
        ("counts", "D", "Seven", "int", ""),
    }
    with pytest.raises(AssertionError):
        settings_blocks("**Counts (integer)**\n\n**A**: enum One, nonsense here\n")


# --- the rest of the seed's content ---------------------------------------------------


def _plain(text: str) -> str:
    """Text without emphasis markers, escapes and repeated spaces, for comparison."""
    text = re.sub(r"\\(.)", r"\1", text)
    return " ".join(text.replace("*", "").split())


def test_everything_else_the_seed_says_is_there():
    """Features, opt-out paths, purposes, the privacy policy, the sections with their
    edition marks, the schedules, every event category with its marks, the version
    limits and the "no input data" note."""
    facts = seed_facts()
    page = rst_of(bundled_spec())
    plain = _plain(page)
    lines = page.splitlines()

    # feature headings: "Security Update Check Feature" -> a heading of that title
    headings = {lines[i] for i in range(len(lines) - 1) if re.fullmatch(r"-{3,}", lines[i + 1])}
    seed_features = [f["title"] for f in facts["features"]]
    assert seed_features == ["Security Update Check", "Error and Diagnostics Reporting"]
    for title in seed_features:
        assert title in headings, f"feature {title!r} has no heading"

    # opt-out paths, in bold, exactly
    paths = [f["opt_out_path"] for f in facts["features"]]
    assert len(paths) == 2
    for path in paths:
        assert f"**{path}**" in page, f"opt-out path {path!r} missing"

    assert f"<{facts['privacy_policy_url']}>`__" in page, "privacy-policy link missing"

    assert len(facts["purposes"]) == 4
    for purpose in facts["purposes"]:
        assert _plain(purpose) in plain, f"purpose {purpose!r} missing"

    # schedules: "The following data is sent once every 24 hours:", "... is sent when ..."
    whens = facts["schedules"]
    assert whens == ["once every 24 hours", "when the specified event occurs"]
    for when in whens:
        assert f"The following data is sent {when}:" in lines, f"schedule {when!r} missing"

    # sections, with their "(Enterprise Edition Only)" marks
    terms = [s["title"] + (" (Enterprise Edition Only)" if s["enterprise"] else "") for s in facts["sections"]]
    assert len(terms) == 7 and "Commercial License Information (Enterprise Edition Only)" in terms
    for term in terms:
        assert term in lines, f"section {term!r} missing (or its edition mark differs)"

    # event categories: "- *Title* (marks)"
    seed_cats = [
        c["title"] + (" (Enterprise Edition Only)" if c["enterprise"] else "")
        for cats in facts["categories"].values() for c in cats
    ]
    page_cats = [
        _plain(t + marks)
        for t, marks in re.findall(r"^\s*- \*([^*]+)\*((?: \([^)]*\))*)", page, re.MULTILINE)
    ]
    assert len(seed_cats) == 12
    for cat in seed_cats:
        assert cat in page_cats, f"event category {cat!r} missing (or its marks differ)"

    # version limits and the is-default note
    limits = facts["version_limits"]
    assert limits == {"only in v5.5 and earlier": 3}
    for limit, count in limits.items():  # each mark of the page, at least, and its note
        assert plain.count(f"({limit})") >= count, f"version limit {limit!r} not marked"
    assert f"NOTE: {facts['settings_note']}" in plain


def test_every_field_and_event_is_on_the_page():
    spec = bundled_spec()
    plain = _plain(rst_of(spec))
    for p in spec.payloads:
        if p.type == "event":
            assert _plain(rst_text(p.title)) in plain, p.wire_name
        for f in p.fields:
            assert f.name in plain, f.qualified_name
            if f.description:
                assert " ".join(f.description.split()) in plain, f.qualified_name


# --- docutils -------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["bundled", "minimal", "evil"])
def test_builds_with_docutils_without_warnings(which, tmp_path):
    spec = {
        "bundled": bundled_spec,
        "minimal": lambda: load(MINIMAL_SPEC_DIR),
        "evil": lambda: load(write_evil_spec(tmp_path)),
    }[which]()
    tree, warnings = doctree(rst_of(spec))
    assert warnings == ""
    assert problems(tree) == []
    assert tree.next_node(nodes.section) is not None


# --- escaping -------------------------------------------------------------------------


def test_spec_text_is_never_markup(tmp_path):
    spec = load(write_evil_spec(tmp_path))
    tree, warnings = doctree(rst_of(spec))
    assert warnings == "" and problems(tree) == []

    # nothing the spec wrote became a directive, a raw block, a substitution, a target,
    # a footnote, a role, a literal block, an enumerated list or a block quote
    forbidden = (
        nodes.raw,
        nodes.substitution_reference,
        nodes.substitution_definition,
        nodes.footnote_reference,
        nodes.citation_reference,
        nodes.footnote,
        nodes.citation,
        nodes.literal_block,
        nodes.doctest_block,
        nodes.line_block,
        nodes.enumerated_list,
        nodes.block_quote,
        nodes.field_list,
        nodes.option_list,
        nodes.comment,
        nodes.problematic,
        nodes.image,
        nodes.title_reference,
        nodes.classifier,
        nodes.transition,
    )
    for cls in forbidden:
        assert not list(tree.findall(cls)), f"spec text produced {cls.__name__}"
    targets = [t for t in tree.findall(nodes.target) if t.get("refuri")]
    assert targets == []
    refs = list(tree.findall(nodes.reference))
    assert {r["refuri"] for r in refs} == {POLICY_URL}
    assert all(r.astext() == "Privacy *Policy*" for r in refs)

    # emphasis and strong only where the template puts them, around whole spec texts
    texts = {fold(t) for t in EVIL} | {"MainSettings", "Privacy *Policy*"}
    path = " > ".join(fold(t) for t in (EVIL[8], EVIL[9], EVIL[0]))
    for node in list(tree.findall(nodes.emphasis)) + list(tree.findall(nodes.strong)):
        text = node.astext()
        assert text in texts or text == path or text.removeprefix("NOTE: ") in texts, text

    # and every text reads back exactly as written (whitespace folded)
    page_text = " ".join(tree.astext().split())
    for t in EVIL:
        assert fold(t) in page_text, t


@pytest.mark.parametrize(
    "text",
    [
        *EVIL,
        "A) x",
        "(iv) roman",
        "#. auto",
        "iv. roman",
        "-x option",
        "--long option",
        "+ plus",
        "* star bullet",
        ".. _target: http://x",
        "__ anonymous",
        "::",
        "a :: b",
        "mailto:x@y.z",
        "a_",
        "`a`_",
        "[#]_",
        "|x|_",
        "x\\",
        "\\",
        ":",
        "a : b : c",
    ],
)
def test_rst_text_reads_back_verbatim(text):
    """Each escaped text, alone in a paragraph, in a list item and in a definition term,
    parses to exactly one text node that equals the input (whitespace folded)."""
    esc = rst_text(text)
    for source, container in (
        (esc, nodes.paragraph),
        (f"- {esc}", nodes.paragraph),
        (f"{esc}\n  definition", nodes.term),
    ):
        tree, warnings = doctree(source)
        assert warnings == "", (text, source, warnings)
        node = next(
            (n for n in tree.findall(container) if not isinstance(n.parent, nodes.system_message)),
            None,
        )
        assert node is not None, (text, source, tree.pformat())
        assert [type(c) for c in node.children] == [nodes.Text], (text, source, tree.pformat())
        assert node.astext() == fold(text), (text, source)


def test_output_is_deterministic_and_clean():
    spec = bundled_spec()
    a, b = rst_of(spec), rst_of(spec)
    assert a == b
    assert a.endswith("\n") and not a.endswith("\n\n")
    assert "\r" not in a and "\t" not in a
    assert not [line for line in a.splitlines() if line != line.rstrip()]
