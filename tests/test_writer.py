"""The writer: all-or-nothing builds, atomic files, obsolete and stray files, --check.

Includes the kill test: builds are killed with SIGKILL at random moments, and every
file left in the output folder must be whole (its old or its new content), and the
next build must repair everything.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _build_helpers import MINIMAL, ROOT

from generator import build, writer
from generator.pipeline import check_spec
from generator.targets import TARGETS, Target, models

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def gen(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the CLI in a fresh process (as a user or CI would)."""
    return subprocess.run(
        [sys.executable, "-m", "generator.cli", *args],
        cwd=cwd or ROOT,
        env=env or ENV,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (relative path -> sha256), caches excluded."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and "__pycache__" not in rel:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


# --- write / compare in-process -------------------------------------------------------------


def test_write_then_compare_is_clean_and_rewrite_touches_nothing(tmp_path):
    files = {"a.txt": b"a\n", "sub/b.txt": b"b\n"}
    rep = writer.write(tmp_path, files)
    assert sorted(rep.written) == ["MANIFEST.json", "a.txt", "sub/b.txt"]
    assert writer.compare(tmp_path, files).clean
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    time.sleep(0.01)
    rep = writer.write(tmp_path, files)
    assert rep.written == [] and sorted(rep.unchanged) == ["MANIFEST.json", "a.txt", "sub/b.txt"]
    assert before == {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    manifest = json.loads((tmp_path / "MANIFEST.json").read_text())
    assert manifest["files"]["a.txt"]["sha256"] == hashlib.sha256(b"a\n").hexdigest()


def test_obsolete_files_are_removed_and_empty_folders_pruned(tmp_path):
    writer.write(tmp_path, {"keep.txt": b"k", "old/gone.txt": b"g"})
    rep = writer.write(tmp_path, {"keep.txt": b"k"})
    assert rep.removed == ["old/gone.txt"]
    assert not (tmp_path / "old").exists()
    assert writer.compare(tmp_path, {"keep.txt": b"k"}).clean


def test_files_the_generator_did_not_write_are_left_alone_and_reported(tmp_path):
    writer.write(tmp_path, {"a.txt": b"a"})
    (tmp_path / "notes.md").write_text("mine")
    (tmp_path / "deep").mkdir()
    (tmp_path / "deep" / "x.bin").write_bytes(b"\0")
    rep = writer.write(tmp_path, {"b.txt": b"b"})
    assert (tmp_path / "notes.md").read_text() == "mine" and (tmp_path / "deep" / "x.bin").exists()
    assert rep.removed == ["a.txt"]
    assert rep.stray == ["deep/x.bin", "notes.md"]
    cmp = writer.compare(tmp_path, {"b.txt": b"b"})
    assert not cmp.clean and cmp.stray == ["deep/x.bin", "notes.md"]


def test_an_existing_file_at_a_generated_path_is_never_overwritten(tmp_path):
    (tmp_path / "a.txt").write_text("hand written")
    with pytest.raises(writer.OutputError) as exc:
        writer.write(tmp_path, {"a.txt": b"generated", "b.txt": b"b"})
    assert [(f.code, f.location.file) for f in exc.value.findings] == [("foreign-file", f"{tmp_path.as_posix()}/a.txt")]
    assert (tmp_path / "a.txt").read_text() == "hand written"
    assert not (tmp_path / "b.txt").exists() and not (tmp_path / "MANIFEST.json").exists()


def test_compare_reports_changed_missing_obsolete_with_a_diff(tmp_path):
    writer.write(tmp_path, {"a.txt": b"one\ntwo\n", "b.txt": b"b\n", "c.txt": b"c\n"})
    (tmp_path / "a.txt").write_text("one\nTWO\n")
    (tmp_path / "b.txt").unlink()
    rep = writer.compare(tmp_path, {"a.txt": b"one\ntwo\n", "b.txt": b"b\n"})
    assert rep.changed == ["a.txt", "MANIFEST.json"] or set(rep.changed) == {"a.txt", "MANIFEST.json"}
    assert rep.missing == ["b.txt"]
    assert rep.obsolete == ["c.txt"]
    assert "-TWO\n+two\n" in rep.diffs["a.txt"] and rep.diffs["a.txt"].startswith("--- a/a.txt\n+++ b/a.txt\n")


def test_targets_may_not_write_outside_or_over_the_manifest(tmp_path):
    for bad in ("../x", "/abs", "MANIFEST.json", ".gen-cache/x"):
        with pytest.raises(ValueError):
            writer.write(tmp_path, {bad: b"x"})
    assert list(tmp_path.iterdir()) == []


def test_a_failing_target_changes_nothing(tmp_path, monkeypatch, capsys):
    spec, _ = check_spec(MINIMAL)
    out = tmp_path / "out"
    assert build.build_output(spec, out).ok
    (out / "notes.md").write_text("mine")
    before = snapshot(out)
    failing = Target("boom", "fails on purpose", "tests_failing_target")
    module = type(sys)("tests_failing_target")

    def render(_spec):
        raise RuntimeError("this target is broken")

    module.render = render
    monkeypatch.setitem(sys.modules, "tests_failing_target", module)
    # A changed spec would rewrite files -- unless a target fails.
    # First, so that the models' generator is still running in its child when it fails.
    monkeypatch.setattr("generator.targets.TARGETS", (failing, *TARGETS))
    changed = dataclasses.replace(
        spec,
        product=dataclasses.replace(spec.product, schema_base_uri="urn:changed:"),
        payloads=(dataclasses.replace(spec.payloads[0], description="Changed."), *spec.payloads[1:]),
    )
    outcome = build.build_output(changed, out)
    assert not outcome.ok
    [finding] = outcome.findings
    assert finding.code == "target-failed"
    assert "target boom failed: this target is broken" in finding.message and "nothing was written" in finding.message
    assert snapshot(out) == before


def _all_paths(folder: Path) -> set[str]:
    """Every file and folder under ``folder`` (hidden ones included)."""
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def _changed_minimal():
    spec, _ = check_spec(MINIMAL)
    changed = dataclasses.replace(
        spec,
        product=dataclasses.replace(spec.product, schema_base_uri="urn:changed:"),
        payloads=(dataclasses.replace(spec.payloads[0], description="Changed."), *spec.payloads[1:]),
    )
    return spec, changed


def test_a_models_failure_changes_nothing(tmp_path, monkeypatch):
    spec, changed = _changed_minimal()
    out = tmp_path / "out"
    assert build.build_output(spec, out).ok
    (out / "notes.md").write_text("mine")
    before, paths_before = snapshot(out), _all_paths(out)

    def broken_generator(source):
        raise RuntimeError("the models' generator is broken")

    monkeypatch.setattr(models, "_generate", broken_generator)
    outcome = build.build_output(changed, out)
    assert [f.code for f in outcome.findings] == ["target-failed"]
    assert "target models failed: the models' generator is broken" in outcome.findings[0].message
    assert snapshot(out) == before
    assert _all_paths(out) == paths_before
    assert not [p for p in out.rglob("*.tmp")]


def test_a_failed_first_build_creates_no_folder(tmp_path, monkeypatch):
    spec, _ = check_spec(MINIMAL)
    out = tmp_path / "new" / "out"
    monkeypatch.setattr(models, "_generate", lambda source: 1 / 0)
    assert not build.build_output(spec, out).ok
    assert list(tmp_path.iterdir()) == []


def test_a_foreign_file_changes_nothing(tmp_path):
    spec, changed = _changed_minimal()
    out = tmp_path / "out"
    assert build.build_output(spec, out).ok
    # A generated path that the manifest does not own holds someone else's file.
    manifest = json.loads((out / "MANIFEST.json").read_text())
    victim = max(manifest["files"])
    del manifest["files"][victim]
    (out / "MANIFEST.json").write_text(json.dumps(manifest))
    (out / victim).write_text("hand written")
    before, paths_before = snapshot(out), _all_paths(out)
    outcome = build.build_output(changed, out)
    assert [(f.code, f.location.file) for f in outcome.findings] == [("foreign-file", f"{out.as_posix()}/{victim}")]
    assert "refusing to overwrite" in outcome.findings[0].message
    assert snapshot(out) == before and _all_paths(out) == paths_before


def test_a_killed_builds_staged_files_are_removed_by_the_next_build(tmp_path):
    writer.write(tmp_path, {"a.txt": b"a"})
    stage = tmp_path / writer.STAGE
    stage.mkdir()
    (stage / "0.tmp").write_bytes(b"partial")
    (tmp_path / ".a.txt.abcd1234.tmp").write_bytes(b"not ours: a name is not proof")
    writer.write(tmp_path, {"a.txt": b"b"})
    assert not stage.exists()
    assert (tmp_path / ".a.txt.abcd1234.tmp").exists()
    assert writer.compare(tmp_path, {"a.txt": b"b"}).stray == [".a.txt.abcd1234.tmp"]


# --- the CLI ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A spec folder and an output folder built from it, by the CLI."""
    root = tmp_path_factory.mktemp("cli")
    spec_dir = root / "spec"
    spec_dir.mkdir()
    (spec_dir / "spec.yaml").write_bytes((MINIMAL / "spec.yaml").read_bytes())
    out = root / "generated"
    r = gen("build", "--spec", str(spec_dir), "--out", str(out))
    assert r.returncode == 0, r.stderr
    return spec_dir, out


def fresh_copy(built, tmp_path) -> tuple[Path, Path]:
    spec_dir, out = built
    dest = tmp_path / "generated"
    for rel in snapshot(out):
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / rel).write_bytes((out / rel).read_bytes())
    return spec_dir, dest


def test_check_is_clean_after_build(built):
    spec_dir, out = built
    for args in (("check",), ("build", "--check")):
        r = gen(*args, "--spec", str(spec_dir), "--out", str(out))
        assert r.returncode == 0, r.stderr


def test_hand_edit_fails_check_with_a_unified_diff(built, tmp_path):
    spec_dir, out = fresh_copy(built, tmp_path)
    target = out / "schemas" / "login_failed.schema.json"
    target.write_text(target.read_text().replace('"additionalProperties": false', '"additionalProperties": true'))
    for args in (("check",), ("build", "--check")):
        r = gen(*args, "--spec", str(spec_dir), "--out", str(out))
        assert r.returncode == 1
        assert f"{out.as_posix()}/schemas/login_failed.schema.json: error[changed]:" in r.stderr
        assert "--- a/schemas/login_failed.schema.json" in r.stderr
        assert '-  "additionalProperties": true,' in r.stderr and '+  "additionalProperties": false,' in r.stderr


def test_hand_edit_to_a_reused_target_is_still_caught(built, tmp_path):
    """The models are reused when their input is unchanged; an edit to them (even with the
    manifest edited to match) must still fail the check and be repaired by a build."""
    spec_dir, out = fresh_copy(built, tmp_path)
    path = out / "models" / "payloads.py"
    edited = path.read_text() + "\nEXTRA = 1\n"
    path.write_text(edited)
    manifest = json.loads((out / "MANIFEST.json").read_text())
    manifest["files"]["models/payloads.py"]["sha256"] = hashlib.sha256(edited.encode()).hexdigest()
    (out / "MANIFEST.json").write_text(json.dumps(manifest))
    r = gen("check", "--spec", str(spec_dir), "--out", str(out))
    assert r.returncode == 1 and "models/payloads.py: error[changed]" in r.stderr and "-EXTRA = 1" in r.stderr
    assert gen("build", "--spec", str(spec_dir), "--out", str(out)).returncode == 0
    assert "EXTRA" not in path.read_text()
    assert gen("check", "--spec", str(spec_dir), "--out", str(out)).returncode == 0


def test_missing_obsolete_and_stray_files_are_listed(built, tmp_path):
    spec_dir, out = fresh_copy(built, tmp_path)
    (out / "catalog.json").unlink()
    (out / "stray.txt").write_text("x")
    manifest = json.loads((out / "MANIFEST.json").read_text())
    manifest["files"]["schemas/old_payload.schema.json"] = {"sha256": "0" * 64, "bytes": 1}
    (out / "MANIFEST.json").write_text(json.dumps(manifest))
    (out / "schemas" / "old_payload.schema.json").write_text("{}")
    for args in (("check",), ("build", "--check")):
        r = gen(*args, "--spec", str(spec_dir), "--out", str(out))
        assert r.returncode == 1
        assert f"{out.as_posix()}/catalog.json: error[missing]" in r.stderr
        assert f"{out.as_posix()}/schemas/old_payload.schema.json: error[obsolete]" in r.stderr
        assert f"{out.as_posix()}/stray.txt: error[stray]" in r.stderr
    r = gen("build", "--spec", str(spec_dir), "--out", str(out))
    assert r.returncode == 0 and "stray.txt: note[stray]: not written by the generator" in r.stderr
    # The obsolete file's bytes do not match its manifest entry: it is kept, and said so.
    assert "old_payload.schema.json: warning[modified-kept]" in r.stderr
    assert (out / "schemas" / "old_payload.schema.json").exists()
    (out / "schemas" / "old_payload.schema.json").unlink()
    assert (out / "stray.txt").read_text() == "x"
    r = gen("check", "--spec", str(spec_dir), "--out", str(out))
    assert r.returncode == 1 and f"{out.as_posix()}/stray.txt: error[stray]" in r.stderr
    (out / "stray.txt").unlink()
    assert gen("check", "--spec", str(spec_dir), "--out", str(out)).returncode == 0


# --- kill -9 ---------------------------------------------------------------------------------

_DRIVER = """
import json, sys
from generator import writer
tree = {k: v.encode() for k, v in json.load(open(sys.argv[2])).items()}
print("ready", flush=True)
writer.write(sys.argv[1], tree)
"""


def _variants(n_files: int = 120) -> list[dict[str, str]]:
    """Two trees that share some paths (with different content) and own some alone."""
    a = {f"d{i % 7}/f{i}.txt": f"A{i}\n" * (200 + i) for i in range(n_files)}
    b = {f"d{i % 7}/f{i}.txt": f"B{i}\n" * (300 + i) for i in range(n_files // 3, n_files + n_files // 3)}
    return [a, b]


def _allowed(trees: list[dict[str, bytes]]) -> dict[str, set[bytes]]:
    """For every path, each content a whole file may have (any version's)."""
    allowed: dict[str, set[bytes]] = {}
    for t in trees:
        for path, data in writer.with_manifest(t).items():
            allowed.setdefault(path, set()).add(data)
    return allowed


def _assert_whole(out: Path, allowed: dict[str, set[bytes]]) -> None:
    for path in out.rglob("*"):
        if not path.is_file():
            continue
        rel = path.relative_to(out).as_posix()
        if rel.startswith(writer.CACHE_DIR + "/"):
            if rel == writer.JOURNAL:
                json.loads(path.read_text())  # whole, though its content is not fixed
            continue
        data = path.read_bytes()
        if rel == writer.MANIFEST:
            # Old, new, or the interim one listing old and new paths (which may build
            # on an interim one of an earlier killed build): each entry is a real version.
            for p, entry in json.loads(data)["files"].items():
                assert entry["sha256"] in {writer.sha256(b) for b in allowed[p]}, f"manifest: {p}"
            continue
        assert data in allowed[rel], f"{rel} is torn"


def test_writes_killed_at_random_moments_leave_whole_files(tmp_path):
    """SIGKILL the writer in the middle of replacing ~120 files, 20 times."""
    rng = random.Random(20)
    trees = [{k: v.encode() for k, v in t.items()} for t in _variants()]
    payloads = []
    for i, t in enumerate(_variants()):
        p = tmp_path / f"tree{i}.json"
        p.write_text(json.dumps(t))
        payloads.append(p)
    allowed = _allowed(trees)
    out = tmp_path / "out"

    def start(i: int) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "-c", _DRIVER, str(out), str(payloads[i % 2])],
            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        assert proc.stdout.readline().startswith(b"ready")
        return proc

    durations = []
    for i in range(2):  # how long one write of all the files takes, from "ready" on
        proc = start(i)
        t0 = time.perf_counter()
        assert proc.wait() == 0
        durations.append(time.perf_counter() - t0)
    window = max(durations)
    kills = 0
    for i in range(20):
        proc = start(i + 1)
        time.sleep(rng.uniform(0, window))
        proc.send_signal(signal.SIGKILL)
        kills += proc.wait() == -signal.SIGKILL
        _assert_whole(out, allowed)
    assert kills >= 5, "the writes finished too fast to be interrupted"
    subprocess.run([sys.executable, "-c", _DRIVER, str(out), str(payloads[1])], env=ENV, check=True, capture_output=True)
    assert writer.compare(out, trees[1]).clean
    assert not [p for p in out.rglob("*.tmp")]


def test_gen_build_killed_at_random_moments_recovers(tmp_path):
    """SIGKILL real `gen build` processes; files stay whole; the next build repairs all."""
    rng = random.Random(7)
    spec_dirs = []
    for i, base in enumerate(("urn:one:", "https://schemas.example.test/two/")):
        d = tmp_path / f"spec{i}"
        d.mkdir()
        text = (MINIMAL / "spec.yaml").read_text()
        (d / "spec.yaml").write_text(text.replace("  id: acme\n", f"  id: acme\n  schema_base_uri: {json.dumps(base)}\n"))
        spec_dirs.append(d)
    trees = []
    for d in spec_dirs:
        spec, findings = check_spec(d)
        assert spec is not None, findings
        trees.append(build.render(spec).files)
    allowed = _allowed(trees)
    out = tmp_path / "generated"
    start = time.perf_counter()
    assert gen("build", "--spec", str(spec_dirs[0]), "--out", str(out)).returncode == 0
    full = time.perf_counter() - start
    for i in range(8):
        proc = subprocess.Popen(
            [sys.executable, "-m", "generator.cli", "build", "--spec", str(spec_dirs[(i + 1) % 2]), "--out", str(out)],
            env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.2 * full, 1.1 * full))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        _assert_whole(out, allowed)
    r = gen("build", "--spec", str(spec_dirs[0]), "--out", str(out))
    assert r.returncode == 0, r.stderr
    r = gen("check", "--spec", str(spec_dirs[0]), "--out", str(out))
    assert r.returncode == 0, r.stderr
    # Temporary files of killed builds are gone too.
    assert not list(out.rglob("*.tmp"))


@pytest.mark.parametrize(
    "files",
    [{}, {"a.txt": b"a"}, {"z/\u00e9 \"q\".txt": b"", "a.txt": b"a", "b/c.json": b"{}\n"}],
)
def test_manifest_bytes_are_plain_sorted_json(files):
    """The hand-written manifest serialisation is exactly json.dumps(indent=2, sort_keys)."""
    doc = {
        "manifest_format": writer.MANIFEST_FORMAT,
        "files": {p: {"sha256": hashlib.sha256(b).hexdigest(), "bytes": len(b)} for p, b in files.items()},
    }
    assert writer.manifest_bytes(files) == (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()


def test_manifest_entries_of_any_shape_serialise_as_json_does():
    """Entries carried over from a hand-edited old manifest take the slow, general path."""
    entries = {
        "a": {"sha256": "ab" * 32, "bytes": 3},
        "b": {"sha256": 7, "bytes": 3},
        "c": {"sha256": "NOT HEX", "bytes": True},
        "d": {"sha256": "ab", "bytes": "3", "extra": None},
        "e": {},
    }
    doc = {"manifest_format": writer.MANIFEST_FORMAT, "files": entries}
    assert writer._manifest_doc(entries) == (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()
