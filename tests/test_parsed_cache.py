"""``gen build`` reuses the output folder's parsed spec files (``generator.parsed_cache``):
only when an entry verifies and is one; never in ``gen check`` or ``gen build --check``;
written only by a build that succeeded; pruned to what the last build used.  (The build
fuzzer, ``tests/build_fuzz.py``, loads every incremental build through the cache and
compares it with a cold build that parses afresh.)"""

from __future__ import annotations

import hashlib
import marshal
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator import build
from generator.parsed_cache import _MAGIC, PARSED, ParsedFiles
from generator.pipeline import check_spec

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "cli-analytics" / "spec"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def gen(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator.cli", *args], capture_output=True, text=True, env=ENV,
                          timeout=300, check=False)


def _on_disk(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and not p.relative_to(out).as_posix().startswith(".gen-cache/")}


def _cold(spec_dir: Path) -> dict[str, bytes]:
    spec, _ = check_spec(spec_dir)
    assert spec is not None
    return build.files_of(spec)


def _build(spec_dir: Path, out: Path) -> build.Outcome:
    """What ``gen build`` does: load through the folder's cache, build, store."""
    parsed = ParsedFiles(out)
    try:
        spec, findings = check_spec(spec_dir, parsed=parsed)
        assert spec is not None, findings
        return build.build_output(spec, out, parsed=parsed)
    finally:
        parsed.close()


@pytest.fixture
def world(tmp_path):
    spec = tmp_path / "spec"
    shutil.copytree(EXAMPLE, spec)
    out = tmp_path / "out"
    r = gen("build", "--spec", str(spec), "--out", str(out))
    assert r.returncode == 0, r.stderr
    return spec, out


def _entries(out: Path) -> list[Path]:
    return sorted((out / PARSED).iterdir())


def _forge(out: Path, spec: Path, rel: str, change) -> None:
    """Rewrite the entry of ``rel`` so that it verifies but holds ``change(data)``."""
    parsed = ParsedFiles(out)
    data = (spec / rel).read_bytes()
    key = parsed._key(rel, data)
    parsed.close()
    body = (out / PARSED / key).read_bytes()[:-32]
    path, value, positions, nodes = marshal.loads(body[len(_MAGIC):])
    body = _MAGIC + marshal.dumps((path, change(value), positions, nodes))
    (out / PARSED / key).write_bytes(body + hashlib.sha256(key.encode() + body).digest())


def _a_description(spec: Path) -> tuple[str, str]:
    """A spec file and a description it holds."""
    for f in sorted(spec.glob("*.yaml")):
        for line in f.read_text("utf-8").splitlines():
            if line.strip().startswith("description: ") and len(line.split(": ", 1)[1]) > 20:
                return f.name, line.split(": ", 1)[1].strip().strip("'\"")
    raise AssertionError("no description in the example")


def _replace_text(node, old: str, new: str):
    if isinstance(node, dict):
        return {k: _replace_text(v, old, new) for k, v in node.items()}
    if isinstance(node, list):
        return [_replace_text(v, old, new) for v in node]
    return node.replace(old, new) if isinstance(node, str) else node


def test_one_entry_per_spec_file_and_a_rebuild_equals_a_cold_build(world):
    spec, out = world
    files = sorted(spec.rglob("*.yaml"))
    assert len(_entries(out)) == len(files)
    r = gen("build", "--spec", str(spec), "--out", str(out))
    assert r.returncode == 0 and "nothing rendered" in r.stderr, r.stderr
    assert _on_disk(out) == _cold(spec)


def test_a_verifying_entry_is_used_by_gen_build_but_never_by_gen_check(world):
    """Proof that the cache is read at all (a forged entry shows in the build), and that
    the CI gate does not trust it (it parses afresh and reports the difference)."""
    spec, out = world
    rel, text = _a_description(spec)
    _forge(out, spec, rel, lambda data: _replace_text(data, text, "FORGED " + text))
    r = gen("build", "--spec", str(spec), "--out", str(out), "--check")
    assert r.returncode == 0, r.stderr  # --check parses afresh: the folder is what the spec makes
    r = gen("build", "--spec", str(spec), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert any(b"FORGED" in data for data in _on_disk(out).values())
    r = gen("check", "--spec", str(spec), "--out", str(out))
    assert r.returncode == 1 and "error[changed]" in r.stderr, r.stderr


@pytest.mark.parametrize("how", ["flip", "edited", "truncate", "other-entry", "wrong-shape", "wrong-path", "not-marshal"])
def test_an_entry_that_does_not_verify_or_is_not_one_is_parsed_again(world, how):
    spec, out = world
    entries = _entries(out)
    victim = entries[0]
    data = victim.read_bytes()
    if how == "flip":
        i = len(_MAGIC) + 5
        data = data[:i] + bytes([data[i] ^ 1]) + data[i + 1:]
    elif how == "edited":  # well-formed data, but not what the checksum was made of
        path, value, positions, nodes = marshal.loads(data[len(_MAGIC):-32])
        data = _MAGIC + marshal.dumps((path, _replace_text(value, "e", "E"), positions, nodes)) + data[-32:]
    elif how == "truncate":
        data = data[: len(data) // 2]
    elif how == "other-entry":
        data = entries[1].read_bytes()
    else:
        body = _MAGIC + {"wrong-shape": marshal.dumps(["a", {}, {}, 1]),
                         "wrong-path": marshal.dumps(("elsewhere.yaml", {}, {}, 1)),
                         "not-marshal": b"\xff\x00garbage"}[how]
        data = body + hashlib.sha256(victim.name.encode() + body).digest()
    victim.write_bytes(data)
    out_before = _on_disk(out)
    outcome = _build(spec, out)
    assert outcome.ok, outcome.findings
    assert _on_disk(out) == out_before == _cold(spec)
    assert victim.read_bytes() != data  # rewritten with the good parse


def test_entries_follow_the_last_build_and_a_failed_build_stores_none(world):
    spec, out = world
    before = {p.name for p in _entries(out)}
    rel, text = _a_description(spec)
    f = spec / rel
    f.write_text(f.read_text("utf-8").replace(text, text + " (edited)", 1), "utf-8")
    assert _build(spec, out).ok
    after = {p.name for p in _entries(out)}
    assert len(after) == len(before) and len(after - before) == 1  # the edited file's entry replaced
    assert _on_disk(out) == _cold(spec)
    # A spec with errors builds nothing, and stores nothing.
    fresh = out.parent / "fresh"
    f.write_text(f.read_text("utf-8") + "\n\t bad: [\n", "utf-8")
    r = gen("build", "--spec", str(spec), "--out", str(fresh))
    assert r.returncode == 1 and not (fresh / PARSED).exists(), r.stderr


def test_a_link_in_place_of_the_cache_folder_is_never_followed(world, tmp_path):
    spec, out = world
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.rmtree(out / PARSED)
    (out / PARSED).symlink_to(elsewhere, target_is_directory=True)
    r = gen("build", "--spec", str(spec), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert list(elsewhere.iterdir()) == []
    assert _on_disk(out) == _cold(spec)


def test_a_file_in_place_of_the_cache_folder_is_no_error(world):
    spec, out = world
    shutil.rmtree(out / PARSED)
    (out / PARSED).write_text("not a folder")
    r = gen("build", "--spec", str(spec), "--out", str(out))
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert _on_disk(out) == _cold(spec)
    assert (out / PARSED).read_text() == "not a folder"


def _data_changed(spec: Path, out: Path) -> bool | None:
    parsed = ParsedFiles(out)
    try:
        assert check_spec(spec, parsed=parsed)[0] is not None
        return parsed.data_changed
    finally:
        parsed.close()


def test_data_changed_says_whether_the_spec_s_data_is_the_last_build_s(world, tmp_path, monkeypatch):
    """The hint that lets a build render its whole targets before computing keys: no
    for an unchanged spec or a comment, yes for an edit or a file added or removed;
    unknown without a cache, without entries from an earlier build, or when the entry
    to compare with does not verify.  (Whatever it says, the output is a cold build's:
    ``tests/build_fuzz.py``.)"""
    spec, out = world
    assert _data_changed(spec, out) is False
    rel, text = _a_description(spec)
    f = spec / rel
    original = f.read_text("utf-8")
    f.write_text("# a comment\n" + original, "utf-8")
    assert _data_changed(spec, out) is False
    f.write_text(original.replace(text, text + " (edited)", 1), "utf-8")
    assert _data_changed(spec, out) is True
    f.write_text(original, "utf-8")
    extra = spec / "zz_extra.yaml"
    extra.write_text("spec_format: 2\n", "utf-8")
    assert _data_changed(spec, out) is True
    extra.unlink()
    moved = spec / ("renamed_" + rel)
    f.rename(moved)  # the same data under another path: a file removed, one added
    assert _data_changed(spec, out) is True
    moved.rename(f)
    assert _data_changed(spec, tmp_path / "empty") is None
    f.write_text("# a comment\n" + original, "utf-8")
    for entry in _entries(out):
        entry.write_bytes(entry.read_bytes()[:-1])  # none verifies
    assert _data_changed(spec, out) is None
    f.write_text(original, "utf-8")
    monkeypatch.setenv("GEN_NO_PARSED_CACHE", "1")
    assert _data_changed(spec, out) is None


def test_after_a_data_change_the_whole_targets_render_before_the_keys_and_the_output_is_exact(world, monkeypatch):
    spec, out = world
    rel, text = _a_description(spec)
    f = spec / rel
    f.write_text(f.read_text("utf-8").replace(text, text + " (edited)", 1), "utf-8")
    order: list[str] = []
    real_of = build.Digests.of
    real_submit = build.Pool.submit
    monkeypatch.setattr(build.Digests, "of", classmethod(lambda cls, *a: (order.append("keys"), real_of(*a))[1]))
    monkeypatch.setattr(build.Pool, "submit", lambda self, fn, *a: (order.append(fn.__name__), real_submit(self, fn, *a))[1])
    outcome = _build(spec, out)
    assert outcome.ok
    assert order.index("keys") > order.index("_render_whole"), order
    assert _on_disk(out) == _cold(spec)


def test_a_comment_in_a_folder_built_without_the_cache_renders_nothing(tmp_path):
    """A folder an API build (or an older release) wrote has no parsed entries: the
    first comment-only edit must not take that for a change (found by the long fuzzer)."""
    spec = tmp_path / "spec"
    shutil.copytree(EXAMPLE, spec)
    out = tmp_path / "out"
    fresh, _ = check_spec(spec)
    assert fresh is not None and build.build_output(fresh, out).ok
    f = min(spec.glob("*.yaml"))
    f.write_text("# a comment\n" + f.read_text("utf-8"), "utf-8")
    outcome = _build(spec, out)
    assert outcome.ok and "nothing rendered" in outcome.summary, outcome.summary
