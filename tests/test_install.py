"""What a user installs is what CI tests: the sdist and wheel, a fresh venv, every command
(``collect`` included, on a free port) run from an empty folder outside this checkout, and the pre-commit hooks.

The editable install the rest of the suite uses reads package data straight from the
checkout, so a data folder missing from ``pyproject.toml`` (``generator/data/init/``,
once) passes every other test and breaks ``gen init`` for every user.  Here the package
is built from a copy of its sources (so nothing is written into the checkout), the
wheel's file list is compared with the package folder, the wheel is installed with its
dependencies into a new venv, and ``gen`` is run from a folder that holds nothing.

The build and the venv are made once per session (``installed``); the commands share
one folder in the order a user meets them (``smoke``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from _ci import skip_or_fail
from click.testing import CliRunner

from generator.cli import main

ROOT = Path(__file__).resolve().parents[1]
# What the package build reads; the hooks file is for pre-commit's clone of the repository.
SOURCES = ("pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml", "generator")
_JUNK = shutil.ignore_patterns("__pycache__", "*.pyc", ".gen-cache", "*.egg-info")
MODELINE = "# yaml-language-server: $schema="


def _run(args, *, cwd: Path, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _ok(r: subprocess.CompletedProcess) -> str:
    """The command's stdout and stderr, after asserting that it succeeded."""
    assert r.returncode == 0, f"{r.args}: exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r.stdout + r.stderr


def copy_sources(dest: Path) -> Path:
    """The files a package build reads, copied from this checkout into ``dest``."""
    dest.mkdir(parents=True)
    for name in SOURCES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=_JUNK)
        else:
            shutil.copy2(src, dest / name)
    return dest


def package_files(package: Path) -> set[str]:
    """Every file of the package folder, as the wheel names it (``generator/...``)."""
    return {
        p.relative_to(package.parent).as_posix()
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


@dataclass(frozen=True)
class Installed:
    sdist: Path
    wheel: Path
    venv: Path
    source: Path  # the copy the build read (a git repository, for pre-commit)

    @property
    def gen(self) -> Path:
        return self.venv / "bin" / "gen"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"


@pytest.fixture(scope="session")
def installed(tmp_path_factory) -> Installed:
    """``python -m build`` on a copy of the sources, then the wheel installed with its
    dependencies into a fresh venv (from the package index pip is configured with)."""
    try:
        import build  # noqa: F401
    except ImportError:
        skip_or_fail("the `build` package is missing: pip install -e '.[test]'")
    base = tmp_path_factory.mktemp("install")
    source = copy_sources(base / "source")
    dist = base / "dist"
    _ok(_run([sys.executable, "-m", "build", "--outdir", dist, source], cwd=base))
    (sdist,) = dist.glob("*.tar.gz")
    (wheel,) = dist.glob("*.whl")
    venv = base / "venv"
    _ok(_run([sys.executable, "-m", "venv", venv], cwd=base))
    _ok(_run([venv / "bin" / "python", "-m", "pip", "install", "-q", wheel], cwd=base))
    return Installed(sdist, wheel, venv, source)


# -- the distributions ---------------------------------------------------------------------
def test_the_wheel_holds_every_file_of_the_package(installed: Installed) -> None:
    """Every file under generator/ (code, templates, schemas, data, the starter spec) is
    in the wheel, and the wheel holds nothing else but its metadata."""
    with zipfile.ZipFile(installed.wheel) as whl:
        names = [n for n in whl.namelist() if not n.endswith("/")]
    in_wheel = {n for n in names if not n.split("/")[0].endswith(".dist-info")}
    expected = package_files(installed.source / "generator")
    assert expected - in_wheel == set(), f"missing from the wheel: {sorted(expected - in_wheel)}"
    assert in_wheel - expected == set(), f"in the wheel but not in generator/: {sorted(in_wheel - expected)}"
    assert "generator/data/init/spec.yaml" in in_wheel
    meta = [n for n in names if n.endswith(".dist-info/METADATA")]
    assert len(meta) == 1


def test_the_sdist_builds_the_same_package(installed: Installed) -> None:
    with tarfile.open(installed.sdist) as tar:
        names = {m.name.split("/", 1)[1] for m in tar.getmembers() if m.isfile() and "/" in m.name}
    expected = package_files(installed.source / "generator")
    assert expected - names == set(), f"missing from the sdist: {sorted(expected - names)}"
    assert {"pyproject.toml", "README.md", "LICENSE", "PKG-INFO"} <= names


def test_twine_check_passes_and_metadata_is_what_an_index_needs(installed: Installed) -> None:
    r = _run([sys.executable, "-m", "twine", "check", "--strict", installed.sdist, installed.wheel], cwd=installed.sdist.parent)
    out = _ok(r)
    assert out.count("PASSED") == 2, out
    with zipfile.ZipFile(installed.wheel) as whl:
        (meta_name,) = [n for n in whl.namelist() if n.endswith(".dist-info/METADATA")]
        meta = whl.read(meta_name).decode("utf-8")
    head = meta.split("\n\n", 1)[0]
    for field in ("Name: telemetry-spec-generator", "License-Expression: MIT", "License-File: LICENSE",
                  "Requires-Python: >=3.11", "Description-Content-Type: text/markdown"):
        assert field in head.splitlines(), f"METADATA lacks {field!r}"
    assert head.count("\nClassifier: ") >= 5
    urls = [line for line in head.splitlines() if line.startswith("Project-URL: ")]
    assert {u.split(",")[0].removeprefix("Project-URL: ") for u in urls} >= {"Homepage", "Source", "Issues"}
    assert "# telemetry-spec-generator" in meta.split("\n\n", 1)[1], "the README is the long description"


# -- every command, from an empty folder outside the checkout ----------------------------------
@pytest.fixture(scope="session")
def smoke(installed: Installed, tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """Run each command once, in a user's order, in an empty folder; the results by name."""
    work = tmp_path_factory.mktemp("user_project")
    assert not any(work.iterdir())
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{installed.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"

    def gen(*args: str, name: str | None = None) -> subprocess.CompletedProcess:
        r = _run([installed.gen, *args], cwd=work, env=env)
        r.work = work  # type: ignore[attr-defined]
        results[name or args[0]] = r
        return r

    results: dict[str, subprocess.CompletedProcess] = {}
    results["where"] = _run([installed.python, "-c", "import generator; print(generator.__file__)"], cwd=work, env=env)
    gen("--version")
    gen("init")
    gen("schema")
    gen("check", name="check-before-build")
    gen("build")
    gen("check")
    captures = work / "captures"
    captures.mkdir()
    valid = {"app_version": "5.6.0", "opened_files": 3, "theme": "dark"}
    (captures / "daily_usage.json").write_text(json.dumps(valid), encoding="utf-8")
    (captures / "traffic.ndjson").write_text(
        json.dumps({"type": "track", "event": "daily_usage", "properties": {**valid, "window_count": 2}}) + "\n",
        encoding="utf-8",
    )
    gen("validate", "captures")
    gen("infer", "captures", "--diff")
    results["collect"] = _collect(installed, work, env, valid)
    shutil.copytree(work / "spec", work / "base")
    spec = work / "spec" / "spec.yaml"
    spec.write_text(
        spec.read_text(encoding="utf-8")
        + "      - name: WindowCount\n        kind: count\n        description: How many windows were open.\n",
        encoding="utf-8",
    )
    gen("diff", "base", "--fail-on", "expanded")
    gen("review", "base")
    gen("rules")
    gen("targets")
    return results


def _collect(installed: Installed, work: Path, env: dict, properties: dict) -> subprocess.CompletedProcess:
    """``gen collect`` on a free port: one track message sent to it, then it stops idle."""
    import re
    import select
    import urllib.request

    proc = subprocess.Popen(
        [str(installed.gen), "collect", "--port", "0", "--until-idle", "2", "--capture", "capture.ndjson"],
        cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        ready, _, _ = select.select([proc.stderr], [], [], 60)
        assert ready, "gen collect printed nothing in 60 s"
        first = proc.stderr.readline()
        m = re.search(r"listening on (http://[\d.]+:\d+)", first)
        assert m, first
        body = json.dumps({"type": "track", "event": "daily_usage", "userId": "u", "properties": properties}).encode()
        req = urllib.request.Request(m.group(1) + "/v1/track", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            assert resp.status == 200
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, first + err)


def test_the_installed_package_is_the_one_run(installed: Installed, smoke) -> None:
    _ok(smoke["where"])
    where = Path(smoke["where"].stdout.strip())
    assert installed.venv in where.parents and ROOT not in where.parents, where


def test_version_init_and_schema(smoke) -> None:
    assert _ok(smoke["--version"]).strip().startswith("gen ")
    assert "wrote spec/spec.yaml and spec/spec.schema.json" in _ok(smoke["init"])
    _ok(smoke["schema"])
    schema = json.loads(smoke["schema"].stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_check_build_check(smoke) -> None:
    before = smoke["check-before-build"]
    assert before.returncode == 1 and "error[missing]" in before.stdout + before.stderr
    assert "written" in _ok(smoke["build"])
    assert "is up to date" in _ok(smoke["check"])


def test_validate_and_infer(smoke) -> None:
    v = smoke["validate"]
    # The bare file conforms; the track message carries an undeclared key.
    assert v.returncode == 1, v.stdout + v.stderr
    assert "window_count" in v.stdout + v.stderr
    i = smoke["infer"]
    # --diff exits 1 when it proposes an edit: here the new key as a field, for review.
    assert i.returncode == 1 and "+      - name: WindowCount" in i.stdout and "inferred:" in i.stdout, i.stdout + i.stderr


def test_collect(smoke) -> None:
    out = _ok(smoke["collect"])
    assert "1 message(s) checked" in out, out


def test_diff_review_rules_targets(smoke) -> None:
    d = smoke["diff"]
    assert d.returncode == 1 and "window_count" in d.stdout, d.stdout + d.stderr
    assert "window_count" in _ok(smoke["review"])
    assert "field-description" in _ok(smoke["rules"])
    assert "docs-html" in _ok(smoke["targets"])


def test_init_says_when_the_starter_is_missing(tmp_path: Path, monkeypatch) -> None:
    """A broken install (package data left out) is named as such, not as a write error,
    and leaves no empty folder behind."""
    from generator import spec_commands

    monkeypatch.setattr(spec_commands, "_STARTER", "data/init/no-such-file.yaml")
    r = CliRunner().invoke(main, ["init", str(tmp_path / "spec")])
    assert r.exit_code == 2
    assert "starter spec is missing from the installed package" in r.output and "reinstall" in r.output
    assert "cannot write" not in r.output
    assert not (tmp_path / "spec").exists()


# -- editor modelines ------------------------------------------------------------------
def test_init_and_bundled_spec_files_carry_a_modeline(smoke) -> None:
    """Every spec file gen init writes, and every file of the bundled specs, starts with
    a yaml-language-server modeline naming a schema file that exists."""
    files = sorted((ROOT / "spec").glob("*.yaml")) + sorted((ROOT / "examples").glob("*/spec/*.yaml"))
    assert len(files) >= 5
    for path in files:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith(MODELINE), f"{path.relative_to(ROOT)} has no modeline"
        target = (path.parent / first.removeprefix(MODELINE)).resolve()
        assert target.is_file() and json.loads(target.read_text("utf-8"))["$schema"], path
    written = sorted((smoke["init"].work / "spec").glob("*.yaml"))  # type: ignore[attr-defined]
    assert written
    for path in written:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == MODELINE + "spec.schema.json" and (path.parent / "spec.schema.json").is_file()


# -- pre-commit ------------------------------------------------------------------------
def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return _ok(_run(["git", "-C", repo, *args], cwd=repo, env=env))


@pytest.fixture(scope="session")
def hooks_repo(installed: Installed) -> Path:
    """The copied sources as a committed git repository, as pre-commit clones a hook repo."""
    if shutil.which("git") is None:
        skip_or_fail("git is not installed (apt-get install git)")
    repo = installed.source
    if not (repo / ".git").exists():
        _git(repo, "init", "-q", "-b", "main")
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", "hooks")
    return repo


def _try_repo(hooks: Path, user: Path, env: dict) -> tuple[subprocess.CompletedProcess, dict[str, str]]:
    """Both hooks of ``hooks`` on every file of ``user``; each hook's verdict by id.  (Each
    try-repo installs the hook environment afresh, about 15 s here, so the states a
    test needs are set up to be checked in as few runs as possible.)"""
    r = _run([sys.executable, "-m", "pre_commit", "try-repo", hooks, "--all-files", "--verbose"], cwd=user, env=env)
    verdicts: dict[str, str] = {}
    last = ""
    for line in r.stdout.splitlines():
        if line.startswith(("- hook id: ", "hook id: ")):
            verdicts[line.split(": ", 1)[1].strip()] = last
        elif line.rstrip().endswith(("Passed", "Failed", "Skipped")):
            last = line.rstrip().rsplit(".", 1)[-1]
    return r, verdicts


def test_pre_commit_hooks(installed: Installed, hooks_repo: Path, tmp_path: Path) -> None:
    """``pre-commit try-repo`` in a new git repository: on a clean spec both hooks pass;
    then, with a field added (and built) and a hand edit to generated/, gen-check fails
    on the hand edit and gen-diff on the privacy-expanding change since the merge base."""
    user = tmp_path / "user"
    user.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{installed.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["GEN_DIFF_BASE"] = "main"
    _ok(_run([installed.gen, "init"], cwd=user, env=env))
    _ok(_run([installed.gen, "build"], cwd=user, env=env))
    _git(user, "init", "-q", "-b", "main")
    _git(user, "add", "-A")
    _git(user, "commit", "-q", "-m", "spec")
    _git(user, "checkout", "-q", "-b", "feature")

    clean, verdicts = _try_repo(hooks_repo, user, env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert verdicts == {"gen-check": "Passed", "gen-diff": "Passed"}, clean.stdout

    spec = user / "spec" / "spec.yaml"
    spec.write_text(
        spec.read_text(encoding="utf-8")
        + "      - name: WindowCount\n        kind: count\n        description: How many windows were open.\n",
        encoding="utf-8",
    )
    _ok(_run([installed.gen, "build"], cwd=user, env=env))
    page = user / "generated" / "docs" / "telemetry.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nhand edit\n", encoding="utf-8")
    _git(user, "commit", "-q", "-am", "more")
    edited, verdicts = _try_repo(hooks_repo, user, env)
    assert edited.returncode == 1, edited.stdout + edited.stderr
    assert verdicts == {"gen-check": "Failed", "gen-diff": "Failed"}, edited.stdout
    hand_edit, expanded = edited.stdout.split("- hook id: gen-diff")
    assert "generated/docs/telemetry.md" in hand_edit and "-hand edit" in hand_edit
    assert "window_count" in expanded and "expanded" in expanded
