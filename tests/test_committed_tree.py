"""The committed ``generated/`` is exactly what the bundled spec produces, and the bundled
spec is clean: what ``gen check`` verifies in CI, verified here too, so a hand edit (a
schema loosened to ``additionalProperties: true``, a line appended to the docs), a stale
build or a stray file fails the suite itself, not only ``.ci/run``.

Everything is rendered afresh in memory (no reuse of an earlier build's files), then
compared with the committed tree file by file, the manifest included.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from _build_helpers import ROOT, SPEC_DIR, bundled_spec
from click.testing import CliRunner

from generator import writer
from generator.build import render
from generator.cli import main
from generator.pipeline import check_spec

GENERATED = ROOT / "generated"


@pytest.fixture(scope="module")
def fresh() -> dict[str, bytes]:
    return render(bundled_spec()).files


def test_bundled_spec_has_no_findings():
    _, findings = check_spec(SPEC_DIR)
    assert [str(f) for f in findings] == []


def test_committed_generated_is_what_the_spec_produces(fresh):
    rep = writer.compare(GENERATED, fresh)
    problems = (
        [f"changed: {p}\n{rep.diffs[p]}" for p in rep.changed]
        + [f"missing: {p}" for p in rep.missing]
        + [f"obsolete: {p}" for p in rep.obsolete]
        + [f"stray: {p}" for p in rep.stray]
    )
    assert problems == [], "generated/ is stale or hand-edited; run `gen build` and commit:\n" + "\n".join(problems)
    assert sorted(rep.unchanged) == sorted(writer.with_manifest(fresh))


def test_every_committed_schema_forbids_undeclared_keys():
    """The privacy guarantee, read from the committed files themselves."""
    schemas = sorted((GENERATED / "schemas").glob("*.schema.json"))
    spec = bundled_spec()
    assert len(schemas) == len(spec.payloads)
    for path in schemas:
        doc = json.loads(path.read_text("utf-8"))
        assert doc["additionalProperties"] is False, path.name


def test_gen_check_passes_on_the_committed_tree(monkeypatch, fresh):
    """``gen check`` with its defaults, from the repository root, as CI runs it."""
    monkeypatch.chdir(ROOT)
    r = CliRunner().invoke(main, ["check"])
    assert r.exit_code == 0, r.output
    assert r.stderr.endswith(f"gen: generated is up to date ({len(writer.with_manifest(fresh))} files)\n"), r.stderr
    assert "0 errors, 0 warnings" in r.stderr


# -- .ci/run: gen check on the committed tree, after the install, before the tests --------
STUB = """#!{python}
import os, subprocess, sys
name = os.path.basename(sys.argv[0])
with open(os.environ["CI_LOG"], "a") as log:
    log.write(" ".join([name, *sys.argv[1:]]) + "\\n")
if name == "python3" and sys.argv[1:3] == ["-m", "venv"]:
    bin_dir = os.path.join(sys.argv[3], "bin")
    os.makedirs(bin_dir)
    with open(os.path.join(bin_dir, "activate"), "w") as fh:
        fh.write(f'PATH="{{os.path.abspath(bin_dir)}}:$PATH"\\n')
    for tool in ("pip", "gen", "python"):
        os.symlink(os.path.abspath(sys.argv[0]), os.path.join(bin_dir, tool))
elif name == "gen":  # the real command, on the copy's spec/ and generated/
    sys.exit(subprocess.run([{python!r}, "-m", "generator.cli", *sys.argv[1:]]).returncode)
"""


def _run_ci(tmp_path, edit=None) -> tuple[subprocess.CompletedProcess, list[str]]:
    """``.ci/run`` in a copy of the repository's spec/ and generated/, with python3, pip,
    gen and python replaced by stubs that log their calls (gen runs the real check), and
    stubs for the tools .ci/run would otherwise install (chromium, java, go, npm, tsc): a call
    to any of them would show in the log."""
    import shutil

    repo = tmp_path / "repo"
    (repo / ".ci").mkdir(parents=True)
    shutil.copy2(ROOT / ".ci" / "run", repo / ".ci" / "run")
    shutil.copytree(SPEC_DIR, repo / "spec")
    shutil.copytree(GENERATED, repo / "generated", ignore=shutil.ignore_patterns(".gen-cache", "__pycache__"))
    if edit is not None:
        edit(repo / "generated")
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    (stubs / "python3").write_text(STUB.format(python=sys.executable), "utf-8")
    (stubs / "python3").chmod(0o755)
    for tool in ("chromium", "java", "go", "npm"):  # found: .ci/run installs nothing
        (stubs / tool).symlink_to(stubs / "python3")
    tsc = repo / "node_modules" / ".bin" / "tsc"
    tsc.parent.mkdir(parents=True)
    tsc.symlink_to(stubs / "python3")
    # every other npm package .ci/run looks for is "installed" too (an empty folder)
    for name in re.findall(r"node_modules/([@\w./-]+)", (ROOT / ".ci" / "run").read_text("utf-8")):
        if not name.startswith(".bin"):
            (repo / "node_modules" / name).mkdir(parents=True, exist_ok=True)
    log = tmp_path / "calls.log"
    log.write_text("", "utf-8")
    env = {
        "PATH": f"{stubs}:/usr/bin:/bin",
        "CI_LOG": str(log),
        "PYTHONPATH": str(ROOT),
        "HOME": str(tmp_path),
    }
    r = subprocess.run(["bash", str(repo / ".ci" / "run")], env=env, capture_output=True, text=True,
                       timeout=300, check=False)
    return r, log.read_text("utf-8").splitlines()


def test_ci_runs_gen_check_after_the_install_and_before_the_tests(tmp_path):
    r, calls = _run_ci(tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert calls == ["python3 -m venv .venv", "pip install -q -e .[test,spark]", "gen check", "python -m pytest"]
    assert "generated is up to date" in r.stderr


def _loosen_a_schema(out) -> None:
    path = out / "schemas" / "config_service.schema.json"
    path.write_text(path.read_text("utf-8").replace('"additionalProperties": false', '"additionalProperties": true'), "utf-8")


def _append_to_the_docs(out) -> None:
    with open(out / "docs" / "telemetry.rst", "a", encoding="utf-8") as fh:
        fh.write("An appended line.\n")


@pytest.mark.parametrize(("edit", "path"), [
    (_loosen_a_schema, "schemas/config_service.schema.json"), (_append_to_the_docs, "docs/telemetry.rst"),
])
def test_ci_fails_on_a_hand_edited_tree_before_the_tests(tmp_path, edit, path):
    r, calls = _run_ci(tmp_path, edit)
    assert r.returncode == 1, r.stdout + r.stderr
    assert calls == ["python3 -m venv .venv", "pip install -q -e .[test,spark]", "gen check"]
    assert f"generated/{path}: error[changed]: differs from what the spec produces" in r.stderr, r.stderr
