"""The mutation audit's list (``tests/mutation_audit.py``) and its table in
``docs/testing.md`` name the same breakages, each with the same first catching test, and
every catching test named exists (the audit itself is run by hand: it is slow)."""

from __future__ import annotations

import re

import mutation_audit
from _build_helpers import ROOT

DOC = ROOT / "docs" / "testing.md"


def _table() -> dict[str, str]:
    rows = {}
    for line in DOC.read_text("utf-8").splitlines():
        m = re.match(r"^\| (?!Breakage |---)(.+?) \| `([^`]+)` \|", line)
        if m:
            rows[m.group(1)] = m.group(2)
    return rows


def test_the_doc_lists_exactly_the_audited_breakages():
    assert _table() == {b.name: b.tests[0] for b in mutation_audit.BREAKAGES}
    assert len(mutation_audit.BREAKAGES) == 29


def test_every_catching_test_exists():
    for b in mutation_audit.BREAKAGES:
        assert (ROOT / b.file).is_file(), b.name
        for node in b.tests:
            path, _, name = node.partition("::")
            assert (ROOT / path).is_file(), (b.name, node)
            if name:
                assert re.search(rf"^def {re.escape(name)}\(", (ROOT / path).read_text("utf-8"), re.MULTILINE), (b.name, node)
