"""The skip-locally/fail-in-CI rule itself: which ``CI`` values count as CI, that
``skip_or_fail`` fails under CI, and that ``conftest.py`` turns a stray skip (a
``skipif`` mark, a module-level skip) into a failure under CI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from _ci import in_ci, update_golden

TESTS = Path(__file__).resolve().parent


@pytest.mark.parametrize("value", ["true", "1", "TRUE", "yes", "True", "on", "github", " true "])
def test_any_value_but_empty_false_or_0_is_ci(value):
    assert in_ci({"CI": value}) is True


@pytest.mark.parametrize("value", [None, "", "false", "0", "FALSE", "False", " 0 ", "  "])
def test_empty_false_and_0_are_not_ci(value):
    env = {} if value is None else {"CI": value}
    assert in_ci(env) is False


def test_in_ci_reads_the_environment(monkeypatch):
    monkeypatch.setenv("CI", "1")
    assert in_ci() is True
    monkeypatch.setenv("CI", "0")
    assert in_ci() is False
    monkeypatch.delenv("CI")
    assert in_ci() is False


PROBE = '''
import pytest
from _ci import skip_or_fail

def test_helper_skip():
    skip_or_fail("probe input is absent")

@pytest.mark.skipif(True, reason="a plain skipif")
def test_plain_skipif():
    pass

def test_plain_skip():
    pytest.skip("a plain skip")

def test_passes():
    pass
'''
MODULE_PROBE = '''
from _ci import skip_or_fail
skip_or_fail("probe tool is absent", module=True)

def test_never_runs():
    pass
'''


def _run_probe(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess:
    """Run a probe test folder with this suite's conftest and helper, under ``CI=ci``."""
    for name in ("conftest.py", "_ci.py"):
        (tmp_path / name).write_text((TESTS / name).read_text("utf-8"), "utf-8")
    (tmp_path / "test_probe.py").write_text(PROBE, "utf-8")
    (tmp_path / "test_module_probe.py").write_text(MODULE_PROBE, "utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS")}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA", "--continue-on-collection-errors", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


@pytest.mark.parametrize("ci", ["1", "yes"])
def test_under_ci_every_kind_of_skip_fails(tmp_path, ci):
    r = _run_probe(tmp_path, ci)
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    # A skip at collection or setup (module-level, skipif) becomes an error, one in the
    # test body a failure: none passes and none is skipped.
    outcomes = sorted(line.split(" - ")[0] for line in out.splitlines()
                      if line.startswith(("PASSED ", "FAILED ", "ERROR ", "SKIPPED ")))
    assert outcomes == [
        "ERROR test_module_probe.py",
        "ERROR test_probe.py::test_plain_skipif",
        "FAILED test_probe.py::test_helper_skip",
        "FAILED test_probe.py::test_plain_skip",
        "PASSED test_probe.py::test_passes",
    ], out
    assert "probe input is absent (CI=" in out and "this test must run under CI" in out
    assert "a plain skipif" in out and "a plain skip" in out and "probe tool is absent" in out
    assert "skipped" not in out.splitlines()[-1]


def test_outside_ci_they_skip(tmp_path):
    r = _run_probe(tmp_path, "false")
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert out.splitlines()[-1].startswith("1 passed, 4 skipped"), out


@pytest.mark.parametrize("module", ["test_seed_completeness.py", "test_docs_rst.py"])
def test_seed_tests_pass_under_ci_where_there_is_no_seed_page(tmp_path, module):
    """The tests that hold the spec and docs to the seed page read its committed facts
    (``tests/data/seed_facts.json``), so a copy of the suite placed where there is no
    page (a fork's CI) runs and passes them under CI=1; only the comparison of the
    committed facts with the page is left out there, and it is not a skip."""
    import shutil

    checkout = tmp_path / "checkout"
    copy = checkout / "tests"
    (copy / "data").mkdir(parents=True)
    for name in ("conftest.py", "_ci.py", "docs_fixtures.py", "_build_helpers.py", "seed_facts.py", module):
        (copy / name).write_text((TESTS / name).read_text("utf-8"), "utf-8")
    (copy / "data" / "seed_facts.json").write_text((TESTS / "data" / "seed_facts.json").read_text("utf-8"), "utf-8")
    shutil.copytree(TESTS.parent / "spec", checkout / "spec")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "SEED_PAGE")}
    env["CI"] = "1"
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfEs", "-k", "seed or facts", str(copy / module)],
        cwd=copy, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    summary = out.splitlines()[-1]
    assert "passed" in summary and "skipped" not in summary and "failed" not in summary, out
    assert "test_committed_facts_are_the_pages" not in out


def _stale_seed_facts_fail_where_the_page_is(tmp_path):
    """Where the page is present, committed facts that differ from it fail the suite
    (here: the page with one setting renamed, named by SEED_PAGE)."""
    import seed_facts

    page = tmp_path / "page.txt"
    text = seed_facts.PAGE.read_text("utf-8")
    assert "bool EnableCommands," in text
    page.write_text(text.replace("bool EnableCommands,", "bool EnableCommandz,"), "utf-8")
    copy = tmp_path / "checkout" / "tests"
    (copy / "data").mkdir(parents=True)
    for name in ("conftest.py", "_ci.py", "_build_helpers.py", "seed_facts.py", "test_seed_completeness.py"):
        (copy / name).write_text((TESTS / name).read_text("utf-8"), "utf-8")
    (copy / "data" / "seed_facts.json").write_text((TESTS / "data" / "seed_facts.json").read_text("utf-8"), "utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    env["SEED_PAGE"] = str(page)
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "facts_are_the_pages",
         str(copy / "test_seed_completeness.py")],
        cwd=copy, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    out = r.stdout + r.stderr
    assert r.returncode == 1 and "1 failed" in out.splitlines()[-1], out
    assert "seed_facts.json is stale" in out


def _seed_page_present() -> bool:
    import seed_facts

    return seed_facts.PAGE.is_file()


if _seed_page_present():  # collected only where the page is, like the comparison itself
    test_stale_seed_facts_fail_where_the_page_is = _stale_seed_facts_fail_where_the_page_is


def test_every_skip_goes_through_the_helper():
    """No test module skips or reads ``CI`` or ``UPDATE_GOLDEN`` on its own: one rule,
    in ``_ci.py``."""
    own = re.compile(r"pytest\.skip\(|\.skipif\(|importorskip\(|[\"'](CI|UPDATE_GOLDEN)[\"']")
    offenders = []
    for path in sorted(TESTS.glob("*.py")):
        if path.name in ("_ci.py", "test_ci_rule.py", "mutation_audit.py"):
            continue
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if own.search(line):
                offenders.append(f"{path.name}:{n}: {line.strip()}")
    assert offenders == [], "use _ci.skip_or_fail / in_ci / update_golden instead:\n" + "\n".join(offenders)


@pytest.mark.parametrize(("ci", "update", "expected"), [
    (None, None, False), (None, "1", True), ("false", "1", True), ("1", None, False), ("yes", "0", False),
])
def test_update_golden_outside_ci_only(monkeypatch, ci, update, expected):
    for name, value in (("CI", ci), ("UPDATE_GOLDEN", update)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert update_golden() is expected


def test_update_golden_under_ci_fails(monkeypatch):
    monkeypatch.setenv("CI", "1")
    monkeypatch.setenv("UPDATE_GOLDEN", "1")
    with pytest.raises(pytest.fail.Exception, match="UPDATE_GOLDEN=1 under CI"):
        update_golden()
