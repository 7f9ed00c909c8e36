"""Hostile comparison sides for ``gen diff`` / ``gen review`` / ``gen check --baseline``
(issue 25; issue 21, point 2): a catalogue or a revision comes from the change under
review, so it is untrusted.

A ``catalog.json`` side is validated against the catalogue's own JSON Schema before it
is compared; a revision is read from git's object database (no ``git archive``, so no
``.gitattributes`` can hide a file) with the loader's budgets and link rule.  Every
refusal is exit 2 with a message, never a traceback, never a silent "no changes".  Each
test runs on a hashed sandbox: nothing in it changes.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from _sandbox import changed_outside, snapshot
from click.testing import CliRunner

from generator.cli import main
from generator.diff import sources
from generator.diff.compare import diff_catalogs
from generator.diff.sources import SourceError, load_side

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "spec"
RULES_DIR = REPO / "tests" / "diff_rules"
CATALOG = json.loads((REPO / "generated" / "catalog.json").read_text("utf-8"))


def _run_hashed(root: Path, *args: str):
    before = snapshot(root)
    r = CliRunner().invoke(main, list(args))
    assert changed_outside(before, snapshot(root)) == {}
    assert "Traceback" not in r.output
    return r


def _catalog(tmp_path: Path, edit) -> Path:
    doc = json.loads(json.dumps(CATALOG))
    edit(doc)
    path = tmp_path / "side" / "catalog.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(doc))
    return path


def _field(doc):
    return doc["payloads"][0]["fields"][0]


WRONG_TYPES = {
    "wire_name-list": (lambda d: d["payloads"][0].__setitem__("wire_name", [1]), "payloads/0/wire_name"),
    "wire_key-list": (lambda d: _field(d).__setitem__("wire_key", [1]), "payloads/0/fields/0/wire_key"),
    "values-int": (lambda d: _field(d).__setitem__("values", 5), "payloads/0/fields/0/values"),
    "versions-str": (lambda d: _field(d).__setitem__("versions", "x"), "payloads/0/fields/0/versions"),
    "fields-dict": (lambda d: d["payloads"][0].__setitem__("fields", {"a": 1}), "payloads/0/fields"),
}


@pytest.mark.parametrize("command", ["diff", "review"])
@pytest.mark.parametrize("name", sorted(WRONG_TYPES))
def test_a_wrongly_typed_catalogue_is_exit_2_naming_the_place(tmp_path, name, command):
    edit, where = WRONG_TYPES[name]
    side = _catalog(tmp_path, edit)
    r = _run_hashed(tmp_path, command, str(side), str(SPEC))
    assert r.exit_code == 2, r.output
    assert "not a valid catalogue" in r.output and where in r.output, r.output
    assert "catalog.schema.json" in r.output


def test_a_catalogue_nested_past_a_thousand_levels_is_exit_2(tmp_path):
    deep = "[" * 5000 + "]" * 5000
    text = json.dumps(CATALOG)[:-1] + f', "x_extra": {deep}}}'
    side = tmp_path / "deep.json"
    side.write_text(text)
    for command in ("diff", "review"):
        r = _run_hashed(tmp_path, command, str(side), str(SPEC))
        assert r.exit_code == 2 and "nests more than" in r.output, r.output
    r = _run_hashed(tmp_path, "check", "--spec", str(SPEC), "--out", str(REPO / "generated"), "--baseline", str(side))
    assert r.exit_code == 2 and "nests more than" in r.output, r.output


def test_random_wrong_types_never_crash_the_comparison(tmp_path):
    """Seeded: 60 catalogues, each with one value swapped for one of another JSON type,
    are either refused (SourceError) or compared without an exception."""
    rng = random.Random(25)
    paths = []

    def walk(node, path):
        if isinstance(node, dict):
            for k, v in node.items():
                paths.append((*path, k))
                walk(v, (*path, k))
        elif isinstance(node, list):
            for i, v in enumerate(node[:3]):
                paths.append((*path, i))
                walk(v, (*path, i))

    walk(CATALOG, ())
    refused = 0
    for n in range(60):
        doc = json.loads(json.dumps(CATALOG))
        path = rng.choice(paths)
        node = doc
        for part in path[:-1]:
            node = node[part]
        old = node[path[-1]]
        choices = [v for v in ([1], 5, "x", {"k": 1}, None, True, 1.5) if type(v) is not type(old)]
        node[path[-1]] = rng.choice(choices)
        side = tmp_path / f"c{n}.json"
        side.write_text(json.dumps(doc))
        try:
            diff_catalogs(load_side(str(side), SPEC).catalog, CATALOG)
        except SourceError:
            refused += 1
    assert refused >= 50, refused  # the schema types nearly every value


# --- revisions: git's object database, the loader's budgets and link rule ------------


def _git(repo: Path, *args: str, **kw) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, **kw).stdout.strip()


def _commit(repo: Path, message: str) -> None:
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", message)


@pytest.fixture
def repo(tmp_path):
    if shutil.which("git") is None:  # pragma: no cover - git is on every CI machine
        pytest.fail("git is needed for this test")
    root = tmp_path / "repo"
    spec = root / "spec"
    shutil.copytree(RULES_DIR / "field-added" / "before", spec)
    _git(root, "init", "-q")
    _commit(root, "v1")
    return root


def test_export_ignore_cannot_hide_a_file_of_the_revision(repo):
    """Issue 21, point 2: a pull request adds a payload and marks its file export-ignore;
    the revision still has it, so the diff against the working spec (without it) shows
    the payload removed, not "no changes"."""
    spec = repo / "spec"
    added = (RULES_DIR / "payload-added" / "after" / "spec.yaml")
    if not added.exists():
        pytest.fail("tests/diff_rules/payload-added is needed")
    shutil.copy(RULES_DIR / "payload-added" / "before" / "spec.yaml", spec / "spec.yaml")
    _commit(repo, "base")
    base = _git(repo, "rev-parse", "HEAD")
    shutil.copy(added, spec / "spec.yaml")
    (repo / ".gitattributes").write_text("spec/spec.yaml export-ignore\nspec/** filter=hide\n")
    _git(repo, "config", "filter.hide.smudge", "cat /dev/null")
    _git(repo, "config", "filter.hide.clean", "cat")
    _commit(repo, "pr")
    r = _run_hashed(repo.parent, "diff", base, "HEAD", "--spec", str(spec), "--format", "json")
    assert r.exit_code == 0, r.output
    assert "payload-added" in {c["rule"] for c in json.loads(r.output)}, r.output


def test_a_link_in_the_revision_is_refused(repo):
    spec = repo / "spec"
    os.symlink("/etc/passwd", spec / "passwd.yaml")
    _commit(repo, "link")
    os.unlink(spec / "passwd.yaml")
    for command in ("diff", "review"):
        r = _run_hashed(repo.parent, command, "HEAD", "--spec", str(spec))
        assert r.exit_code == 2, r.output
        assert "spec/passwd.yaml' is a link" in r.output and "root:" not in r.output, r.output


def test_a_huge_blob_is_refused_from_its_size_unread(repo, monkeypatch):
    spec = repo / "spec"
    with open(spec / "huge.yaml", "wb") as fh:
        fh.truncate(400 * 1024 * 1024)  # 400 MB of zeros (sparse on disk, tiny in git)
    _commit(repo, "huge")
    os.unlink(spec / "huge.yaml")
    read = []
    monkeypatch.setattr(sources, "_blobs", lambda *a: read.append(a) or [])
    r = _run_hashed(repo.parent, "diff", "HEAD", "--spec", str(spec))
    assert r.exit_code == 2 and "huge.yaml' is 419,430,400 bytes; the limit is" in r.output, r.output
    assert "unread" in r.output and read == []


def test_a_revision_is_read_without_git_archive(repo, monkeypatch):
    """The listing and the blobs come from git's object database only."""
    seen = []
    real = subprocess.run

    def spy(cmd, *a, **kw):
        seen.append(cmd[3] if cmd[:1] == ["git"] and len(cmd) > 3 else "")
        return real(cmd, *a, **kw)

    monkeypatch.setattr(subprocess, "run", spy)
    load_side("HEAD", repo / "spec")
    assert "archive" not in seen and {"ls-tree", "cat-file"} <= set(seen), seen
