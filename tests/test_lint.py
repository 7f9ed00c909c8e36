"""Lint rules (generator.lint): rules are data, each has a fixture asserting its exact
findings (tests/cases/lint_<rule>/expected.txt, run by test_cases.py), suppressions work
on the element and on every kind of ancestor, unused and unknown suppressions are
reported, and docs/lint-rules.md is generated from the rules.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_cases import case_as_of

from generator.cli import main
from generator.diagnostics import ERROR, WARNING
from generator.lint import RULES, UNUSED, _ancestors, lint, rules_markdown
from generator.model import GovernancePolicy
from generator.pipeline import check_spec, load_resolved
from generator.schemas.build_spec_schema import RULE

CASES = Path(__file__).parent / "cases"
REPO = Path(__file__).resolve().parents[1]


def _fixture(rule_id: str) -> Path:
    return CASES / ("lint_" + rule_id.replace("-", "_"))


def _expected(case: Path) -> list[str]:
    return (case / "expected.txt").read_text(encoding="utf-8").splitlines()


def _code(line: str) -> str:
    return re.search(r"\[([a-z0-9-]+)\]", line).group(1)


def test_rules_are_well_formed_data() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    for r in RULES:
        assert re.fullmatch(RULE[1:-1], r.id), r.id  # usable in lint_ignore
        if r.policy:  # the product's `governance:` sets it
            assert r.severity == "policy" and r.policy in GovernancePolicy.__dataclass_fields__
        else:
            assert r.severity in (ERROR, WARNING)
        assert r.purpose.endswith(".") and len(r.purpose) > 20
        assert callable(r.check)
    assert UNUSED not in ids and "unknown-rule" not in ids


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_has_a_fixture_that_fires_only_it(rule) -> None:
    case = _fixture(rule.id)
    assert (case / "spec").is_dir(), f"add tests/cases/{case.name}/spec/ for rule {rule.id}"
    lines = _expected(case)
    assert lines, f"{case.name} must trigger {rule.id}"
    assert {_code(line) for line in lines} == {rule.id}
    resolved, _ = load_resolved(case / "spec")
    severity = rule.severity_for(resolved.spec)
    assert all(f"{severity}[{rule.id}]" in line for line in lines)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_each_fixture_is_clean_when_its_rule_is_suppressed_at_the_product(rule, tmp_path: Path) -> None:
    spec = tmp_path / "spec"
    shutil.copytree(_fixture(rule.id) / "spec", spec)
    product = spec / "product.yaml"
    text = product.read_text()
    assert "\n  name: " in text
    product.write_text(text.replace("\n  name: ", f"\n  lint_ignore: [{rule.id}]\n  name: ", 1))
    _, findings = check_spec(spec, case_as_of(_fixture(rule.id)))
    assert findings == []


def test_a_clean_spec_has_no_findings() -> None:
    _, findings = check_spec(CASES / "ok_base" / "spec")
    assert findings == []


def _strip_lint_ignore(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst)
    for p in dst.rglob("*.yaml"):
        text = p.read_text()
        text = re.sub(r"\n *lint_ignore: \[[^\]]*\]", "", text)  # block form
        text = re.sub(r", lint_ignore: \[[^\]]*\]", "", text)  # flow form
        p.write_text(text)


@pytest.mark.parametrize(
    ("case", "kept", "suppressed"),
    [("lint_suppress_on_ancestor", 0, 4), ("lint_suppress_on_element", 1, 1), ("lint_suppress_on_section", 1, 1),
     ("lint_suppress_governance", 0, 4)],
)
def test_suppressions_suppress_something(case: str, kept: int, suppressed: int, tmp_path: Path) -> None:
    """Without its lint_ignore entries each suppression fixture has exactly the findings
    it suppressed more, all of them lint findings."""
    with_ignore = _expected(CASES / case)
    _strip_lint_ignore(CASES / case / "spec", tmp_path / "spec")
    _, findings = check_spec(tmp_path / "spec", case_as_of(CASES / case))
    assert (len(with_ignore), len(findings)) == (kept, kept + suppressed)
    assert all(f.code in {r.id for r in RULES} for f in findings)


def test_suppression_on_each_kind_of_ancestor(tmp_path: Path) -> None:
    """lint_suppress_on_ancestor suppresses field findings from a payload, an event
    category and a feature, and a product finding from the product."""
    _strip_lint_ignore(CASES / "lint_suppress_on_ancestor" / "spec", tmp_path / "spec")
    _, findings = check_spec(tmp_path / "spec")
    got = sorted((f.code, f.message) for f in findings)
    assert got == [
        ("field-description", "field 'MainSettings.Mode' has no description"),  # payload-level
        ("field-description", "field 'QuietSettings.Q' has no description"),  # feature-level
        ("field-description", "field 'Reason' has no description"),  # category-level
        ("privacy-policy", "the product has no privacy policy link"),  # product-level
    ]


def test_unused_and_unknown_suppressions() -> None:
    unused = _expected(CASES / "lint_unused_suppression")
    assert {_code(line) for line in unused} == {UNUSED}
    assert any("payloads.yaml:" in line for line in unused) and any("product.yaml:" in line for line in unused)
    unknown = _expected(CASES / "lint_unknown_rule")
    assert {_code(line) for line in unknown} == {"unknown-rule"}
    assert all(line.split(": ")[1].startswith("error") for line in unknown)


def test_ancestor_chain_of_a_field_in_an_event_category() -> None:
    resolved, _ = load_resolved(CASES / "ok_base" / "spec")
    spec = resolved.spec
    assert _ancestors(spec, ("field", "login_failed", "reason")) == [
        ("field", "login_failed", "reason"),
        ("payload", "login_failed"),
        ("category", "events", "signin"),
        ("section", "events"),
        ("feature", "usage"),
        ("product",),
    ]
    assert _ancestors(spec, ("product",)) == [("product",)]


def test_lint_is_pure() -> None:
    resolved, _ = load_resolved(CASES / "lint_free_text_personal_data" / "spec")
    assert lint(resolved) == lint(resolved)


def test_lint_rules_doc_is_in_sync() -> None:
    doc = REPO / "docs" / "lint-rules.md"
    assert doc.read_text(encoding="utf-8") == rules_markdown(), (
        "docs/lint-rules.md is stale: run `python -m generator.lint > docs/lint-rules.md`"
    )
    for r in RULES:
        assert f"`{r.id}`" in rules_markdown()


def test_gen_rules_lists_every_rule() -> None:
    result = CliRunner().invoke(main, ["rules"])
    assert result.exit_code == 0
    for r in RULES:
        assert re.search(rf"^{re.escape(r.id)}\s+{r.severity}\s+", result.output, re.MULTILINE), r.id


def test_governance_suppressions_cover_each_rule_on_its_element(tmp_path: Path) -> None:
    """lint_suppress_governance suppresses expired on a section, expiring and
    never-reason on fields, missing-owner on a payload (as of the case's date/version)."""
    _strip_lint_ignore(CASES / "lint_suppress_governance" / "spec", tmp_path / "spec")
    _, findings = check_spec(tmp_path / "spec", case_as_of(CASES / "lint_suppress_governance"))
    assert sorted((f.code, f.message.split(":")[0]) for f in findings) == [
        ("expired", "field 'MainSettings.EnableThing' expired"),
        ("expiring", "field 'LegacySettings.Old' expires soon"),
        ("missing-owner", "field 'OrphanSettings.Flag' has no owner"),
        ("never-reason", "field 'cfg_legacy.kept' never expires but does not say why"),
    ]
