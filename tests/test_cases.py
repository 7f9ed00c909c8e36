"""Golden end-to-end cases: every folder under tests/cases/ runs through ``check_spec``.

A case is ``tests/cases/<name>/spec/`` plus, for a spec that must fail (or lint with
findings), ``expected.txt``: the exact findings, one per line, as the first line of
each text-format finding (``file:line:column: severity[code]: message``, no help line).
A case named ``ok_*`` must load with no findings at all and has no ``expected.txt``;
``err_*`` cases must fail; ``lint_*`` cases are lint fixtures (an empty ``expected.txt``
asserts that suppressions leave no finding).

A case may hold ``check-args.txt``: the ``gen check`` options expiry is judged against
(``--as-of DATE``, ``--product-version V``), since lint never reads the clock.

Refresh the goldens after an intended change with ``UPDATE_GOLDEN=1 python -m pytest
tests/test_cases.py`` and review the diff of ``tests/cases/`` before committing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _ci import update_golden

from generator.governance import NOW_UNKNOWN, AsOf, parse_as_of
from generator.lint import BUILDS_ANYWAY
from generator.load import load_dir
from generator.pipeline import check_spec
from generator.spec_format import validate_file

CASES = Path(__file__).parent / "cases"
UPDATE = update_golden()
# file:line:column: severity[code]: message
LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>[1-9][0-9]*):(?P<column>[1-9][0-9]*): (?P<severity>error|warning|note)\[(?P<code>[a-z0-9-]+)\]: .+$")


def _cases() -> list[Path]:
    return sorted(p for p in CASES.iterdir() if (p / "spec").is_dir())


def case_as_of(case: Path) -> AsOf:
    """The ``--as-of``/``--product-version`` of a case (``check-args.txt``), if any."""
    args_file = case / "check-args.txt"
    if not args_file.exists():
        return NOW_UNKNOWN
    args = dict(zip(*[iter(args_file.read_text(encoding="utf-8").split())] * 2))
    assert set(args) <= {"--as-of", "--product-version"}, args
    return parse_as_of(args.get("--as-of"), args.get("--product-version"))


def _first_lines(findings) -> list[str]:
    return [f"{f.location}: {f.severity}[{f.code}]: {f.message}" for f in findings]


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.name)
def test_case(case: Path) -> None:
    spec, findings = check_spec(case / "spec", case_as_of(case))
    got = _first_lines(findings)
    expected_file = case / "expected.txt"
    if case.name.startswith("ok_"):
        assert not expected_file.exists(), "ok_* cases load cleanly and have no expected.txt"
        assert got == []
        assert spec is not None
        return
    if UPDATE:
        expected_file.write_text("".join(line + "\n" for line in got), encoding="utf-8")
    assert expected_file.exists(), f"{case.name}: no expected.txt (run with UPDATE_GOLDEN=1 to create it)"
    expected = expected_file.read_text(encoding="utf-8").splitlines()
    assert got == expected
    if case.name.startswith("err_"):
        assert expected, "a failing case must expect at least one finding"
    # Each expected finding carries file, line, column and code.
    for line in expected:
        assert LINE.match(line), line
    errors = [f for f in findings if f.severity == "error" and f.code not in BUILDS_ANYWAY]
    assert (spec is None) == bool(errors), "a spec with errors (but an unreviewed field's) is never returned; one without always is"


def test_every_case_is_named_for_what_it_expects() -> None:
    names = [c.name for c in _cases()]
    folders = sorted(p.name for p in CASES.iterdir() if p.is_dir())
    assert names == folders, "every folder under tests/cases/ is a case with a spec/ folder"
    for name in names:
        assert name.split("_")[0] in ("ok", "err", "lint"), f"{name}: name cases ok_*, err_* or lint_*"


@pytest.mark.parametrize("case", [c for c in _cases() if c.name.startswith("err_")], ids=lambda p: p.name)
def test_err_cases_fail(case: Path) -> None:
    spec, findings = check_spec(case / "spec")
    assert spec is None
    assert any(f.severity == "error" for f in findings)


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.name)
def test_validation_without_accelerator_gives_the_same_findings(case: Path) -> None:
    """The optional jsonschema_rs fast path only answers "valid?"; the findings must be
    the same with and without it."""
    files, _ = load_dir(case / "spec")
    for raw in files:
        assert validate_file(raw, accelerate=False) == validate_file(raw, accelerate=True), raw.path


def test_findings_are_sorted_and_unique() -> None:
    for case in _cases():
        _, findings = check_spec(case / "spec")
        keys = [f.sort_key() for f in findings]
        assert keys == sorted(keys), case.name
        assert len(set(findings)) == len(findings), case.name


def test_check_spec_is_deterministic() -> None:
    for case in _cases():
        assert check_spec(case / "spec")[1] == check_spec(case / "spec")[1], case.name


def test_fast_validator_disagreement_is_reported_not_ignored(monkeypatch) -> None:
    """Should the optional fast engine call a file invalid while jsonschema finds nothing,
    the file is still reported (never silently accepted)."""
    from types import SimpleNamespace

    from generator import spec_format as validate

    class Fake:
        def is_valid(self, data):
            return False

        def iter_errors(self, data):
            yield SimpleNamespace(instance_path=["product", "id"], message="fast engine says no")

    monkeypatch.setattr(validate, "_fast_validator", lambda: Fake())
    files, _ = load_dir(CASES / "ok_base" / "spec")
    product = next(f for f in files if f.path == "product.yaml")
    findings = validate_file(product)
    assert [(f.code, f.message, f.location.line) for f in findings] == [("invalid-value", "product/id: fast engine says no", 3)]
