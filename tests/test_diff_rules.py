"""Every ``gen diff`` rule has a fixture pair under ``tests/diff_rules/<rule id>/``
(``before/`` and ``after/`` spec folders) and the exact records it must produce
(``expected.json``), as buf tests its breaking rules.  ``make_fixtures.py`` writes the
pairs from ``base.yaml``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.diff.compare import diff_catalogs
from generator.diff.rules import BY_ID, COMPAT_CLASSES, PRIVACY_CLASSES, RULES
from generator.diff.sources import catalog_of_spec

HERE = Path(__file__).parent / "diff_rules"


@pytest.mark.parametrize("rule", [r.id for r in RULES])
def test_rule_fixture(rule):
    folder = HERE / rule
    before = catalog_of_spec(folder / "before", "before")
    after = catalog_of_spec(folder / "after", "after")
    got = [c.as_dict() for c in diff_catalogs(before, after)]
    expected = json.loads((folder / "expected.json").read_text("utf-8"))
    assert got == expected, json.dumps(got, indent=2)
    assert rule in {c["rule"] for c in got}, "the fixture must exercise its own rule"


def test_every_rule_has_a_fixture_and_no_fixture_is_stray():
    folders = {p.name for p in HERE.iterdir() if p.is_dir() and not p.name.startswith("_")}
    folders.discard("__pycache__")
    assert folders == set(BY_ID)


def test_fixtures_are_what_make_fixtures_writes():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_fixtures", HERE / "make_fixtures.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for rule, (before, after) in mod.pairs().items():
        assert (HERE / rule / "before" / "spec.yaml").read_text("utf-8") == before, rule
        assert (HERE / rule / "after" / "spec.yaml").read_text("utf-8") == after, rule


def test_reverse_pairs_swap_both_axes_where_the_rules_say_so():
    """Sanity of the table: a rule and its reverse never share a privacy direction."""
    for r in RULES:
        assert r.privacy in PRIVACY_CLASSES and r.compatibility in COMPAT_CLASSES
        assert r.severity == ("error" if r.compatibility == "breaking" else "warning" if r.privacy == "expanded" else "info")
    pairs = [("field-added", "field-removed"), ("payload-added", "payload-removed"), ("kind-widened", "kind-narrowed"),
             ("values-added", "values-removed"), ("opt-out-removed", "opt-out-added"), ("input-data-used", "input-data-unused")]
    for a, b in pairs:
        assert {BY_ID[a].privacy, BY_ID[b].privacy} == {"expanded", "reduced"}


def test_docs_table_is_in_sync():
    from generator.diff.rules import rules_markdown

    doc = Path(__file__).parent.parent / "docs" / "diff-rules.md"
    assert doc.read_text("utf-8") == rules_markdown(), "run `python -m generator.diff.rules > docs/diff-rules.md`"
