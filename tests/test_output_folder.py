"""The output folder is untrusted input (a pull request controls ``generated/``).

One test per class of attack or accident, each asserting the exact finding and that
nothing outside the folder changed: the sandbox around the output folder is hashed
before and after.  Also: every output problem is a finding in ``--format json``, and the
writer fsyncs every file before the rename that puts it in place.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _build_helpers import MINIMAL, ROOT

from generator import build, outdir, writer
from generator.pipeline import check_spec

ENV = {**os.environ, "PYTHONPATH": str(ROOT), "GEN_NO_FORK": "1"}


def gen(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator.cli", *args], env=ENV, capture_output=True,
                          text=True, timeout=120, check=False)


def tree_hash(folder: Path) -> dict[str, str]:
    """Every entry below ``folder``, links not followed: path -> content hash, link
    target or "dir"."""
    out = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            p = Path(root) / name
            rel = p.relative_to(folder).as_posix()
            if p.is_symlink():
                out[rel] = "-> " + os.readlink(p)
            elif p.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture
def world(tmp_path):
    """A sandbox holding a victim's files, two spec folders (the second changes every
    schema) and an output folder built from the first."""
    sandbox = tmp_path / "sandbox"
    (sandbox / "home").mkdir(parents=True)
    (sandbox / "home" / ".bashrc").write_text("export PATH=/usr/bin\n")
    (sandbox / "cache").mkdir()
    (sandbox / "cache" / ".gitignore").write_text("precious\n")
    (sandbox / "docs").mkdir()
    specs = []
    for i, base in enumerate(("urn:one:", "urn:two:")):
        d = tmp_path / f"spec{i}"
        d.mkdir()
        text = (MINIMAL / "spec.yaml").read_text()
        (d / "spec.yaml").write_text(text.replace("  id: acme\n", f"  id: acme\n  schema_base_uri: {base!r}\n"))
        specs.append(d)
    out = sandbox / "out"
    r = gen("build", "--spec", str(specs[0]), "--out", str(out))
    assert r.returncode == 0, r.stderr
    return sandbox, specs, out


def _outside(sandbox: Path, out: Path) -> dict[str, str]:
    return {p: h for p, h in tree_hash(sandbox).items() if not (p == "out" or p.startswith("out/"))}


def _set_manifest(out: Path, mutate) -> None:
    doc = json.loads((out / "MANIFEST.json").read_text())
    mutate(doc)
    (out / "MANIFEST.json").write_text(json.dumps(doc, indent=2))


def _own_bashrc(sandbox: Path, out: Path) -> None:
    """A manifest entry ``evil/.bashrc`` with the real hash of the victim's file."""
    bashrc = (sandbox / "home" / ".bashrc").read_bytes()
    entry = {"bytes": len(bashrc), "sha256": hashlib.sha256(bashrc).hexdigest()}
    _set_manifest(out, lambda d: d["files"].update({"evil/.bashrc": entry}))


def _link_cache(sandbox: Path, out: Path) -> None:
    """Replace ``out/.gen-cache`` by a link to a folder of the sandbox."""
    shutil.rmtree(out / ".gen-cache")
    (out / ".gen-cache").symlink_to(sandbox / "cache")


def _codes(stderr: str) -> list[str]:
    return [line.split("[", 1)[1].split("]", 1)[0] for line in stderr.splitlines() if "error[" in line]


def test_hostile_tree_changes_nothing_outside_the_folder(world):
    """Symlinks below the folder, a poisoned manifest and a planted ``.gen-cache`` link:
    build and check refuse, naming each link, and the sandbox around is untouched."""
    sandbox, specs, out = world
    (out / "evil").symlink_to(sandbox / "home")
    _own_bashrc(sandbox, out)
    _link_cache(sandbox, out)
    before = tree_hash(sandbox)
    r = gen("build", "--spec", str(specs[1]), "--out", str(out))
    assert r.returncode == 1
    assert f"{out.as_posix()}/.gen-cache: error[unsafe-path]: is a symbolic link" in r.stderr, r.stderr
    assert tree_hash(sandbox) == before
    for args in (("check",), ("build", "--check")):
        r = gen(*args, "--spec", str(specs[0]), "--out", str(out))
        assert r.returncode == 1 and "up to date" not in r.stderr
        assert f"{out.as_posix()}/evil: error[unsafe-path]: is a symbolic link" in r.stderr, r.stderr
    assert tree_hash(sandbox) == before


def test_no_delete_through_a_linked_folder(world):
    """The issue's example: ``out/evil -> ../home`` plus a manifest entry ``evil/.bashrc``."""
    sandbox, specs, out = world
    (out / "evil").symlink_to(Path("..") / "home")
    _own_bashrc(sandbox, out)
    before = _outside(sandbox, out)
    inside = tree_hash(out)
    r = gen("build", "--spec", str(specs[0]), "--out", str(out))
    assert r.returncode == 1 and _codes(r.stderr) == ["unsafe-path"], r.stderr
    assert f"{out.as_posix()}/evil: error[unsafe-path]" in r.stderr
    assert _outside(sandbox, out) == before and tree_hash(out) == inside


def test_no_write_through_a_linked_subfolder_and_check_is_not_fooled(world):
    sandbox, specs, out = world
    for p in (out / "docs").iterdir():
        (sandbox / "docs" / p.name).write_bytes(p.read_bytes())
        p.unlink()
    (out / "docs").rmdir()
    (out / "docs").symlink_to(sandbox / "docs")
    before = tree_hash(sandbox)
    r = gen("check", "--spec", str(specs[0]), "--out", str(out))
    assert r.returncode == 1 and f"{out.as_posix()}/docs: error[unsafe-path]" in r.stderr, r.stderr
    r = gen("build", "--spec", str(specs[1]), "--out", str(out))
    assert r.returncode == 1 and f"{out.as_posix()}/docs: error[unsafe-path]" in r.stderr, r.stderr
    assert tree_hash(sandbox) == before


def test_a_linked_cache_folder_is_neither_read_nor_written(world):
    sandbox, specs, out = world
    _link_cache(sandbox, out)
    before = tree_hash(sandbox)
    r = gen("build", "--spec", str(specs[1]), "--out", str(out))
    assert r.returncode == 1 and f"{out.as_posix()}/.gen-cache: error[unsafe-path]" in r.stderr, r.stderr
    assert tree_hash(sandbox) == before


@pytest.mark.parametrize(
    "poison",
    [
        lambda d: d.update({"extra": 1}),
        lambda d: d.update({"manifest_format": 2}),
        lambda d: d["files"].update({"schemas/../../x": {"bytes": 1, "sha256": "0" * 64}}),
        lambda d: d["files"].update({"./catalog.json": {"bytes": 1, "sha256": "0" * 64}}),
        lambda d: d["files"].update({"/etc/passwd": {"bytes": 1, "sha256": "0" * 64}}),
        lambda d: d["files"]["catalog.json"].update({"mode": "0777"}),
        lambda d: d["files"]["catalog.json"].update({"sha256": "not hex"}),
        lambda d: d.update({"files": []}),
    ],
    ids=["top-level-key", "format", "dotdot", "dot", "absolute", "entry-key", "sha", "files-list"],
)
def test_a_poisoned_manifest_is_refused_before_anything_changes(world, poison):
    sandbox, specs, out = world
    _set_manifest(out, poison)
    before = tree_hash(sandbox)
    for args in (("build",), ("check",)):
        r = gen(*args, "--spec", str(specs[1]), "--out", str(out))
        assert r.returncode == 1
        assert f"{out.as_posix()}/MANIFEST.json: error[bad-manifest]: is not a manifest this generator writes" in r.stderr
        assert tree_hash(sandbox) == before


def test_an_obsolete_file_edited_since_is_kept_and_reported(world):
    _sandbox, specs, out = world
    extra = {"bytes": 3, "sha256": hashlib.sha256(b"old").hexdigest()}
    _set_manifest(out, lambda d: d["files"].update({"schemas/gone.schema.json": extra, "schemas/edited.schema.json": extra}))
    (out / "schemas" / "gone.schema.json").write_bytes(b"old")
    (out / "schemas" / "edited.schema.json").write_bytes(b"old, then edited by hand")
    r = gen("build", "--spec", str(specs[0]), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert not (out / "schemas" / "gone.schema.json").exists()
    assert (out / "schemas" / "edited.schema.json").read_bytes() == b"old, then edited by hand"
    assert f"{out.as_posix()}/schemas/edited.schema.json: warning[modified-kept]" in r.stderr


def test_concurrent_builds_take_turns(world):
    """A build waits for the folder's lock; once it gets it, it sees the folder as the
    other build left it, and the folder ends as exactly one spec produces."""
    _sandbox, specs, out = world
    before = tree_hash(out)
    fd = os.open(out / writer.LOCK_PATH, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        proc = subprocess.Popen([sys.executable, "-m", "generator.cli", "build", "--spec", str(specs[1]), "--out", str(out)],
                                env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        assert proc.poll() is None, "the build did not wait for the lock"
        assert tree_hash(out) == before
    finally:
        os.close(fd)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert gen("check", "--spec", str(specs[1]), "--out", str(out)).returncode == 0


def _disk_of(capacity: int, monkeypatch) -> list[int]:
    """Make the next flush to disk (``os.fsync`` of a file, or the writer's one
    ``Folder.sync_all``) report ENOSPC once more than ``capacity`` bytes of files were
    written in this process (how a full disk shows on file systems that allocate late)."""
    import stat

    used = [0]
    real_write, real_fsync, real_sync_all = os.write, os.fsync, outdir.Folder.sync_all

    def write(fd, data):
        n = real_write(fd, data)
        if stat.S_ISREG(os.fstat(fd).st_mode):
            used[0] += n
        return n

    def full() -> None:
        if used[0] > capacity:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def fsync(fd):
        if stat.S_ISREG(os.fstat(fd).st_mode):
            full()
        return real_fsync(fd)

    def sync_all(self):
        full()
        return real_sync_all(self)

    monkeypatch.setattr(os, "write", write)
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(outdir.Folder, "sync_all", sync_all)
    return used


def test_a_full_disk_leaves_the_folder_as_it_was_and_a_smaller_build_succeeds(world, monkeypatch):
    _sandbox, specs, out = world
    small, _ = check_spec(specs[0])
    big, _ = check_spec(specs[1])
    # An obsolete file too, so that the build also needs an interim manifest.
    (out / "schemas" / "gone.schema.json").write_bytes(b"old")
    _set_manifest(out, lambda d: d["files"].update(
        {"schemas/gone.schema.json": {"bytes": 3, "sha256": hashlib.sha256(b"old").hexdigest()}}))
    before = tree_hash(out)
    rendered = build.render(big).files
    changed = sum(len(data) for path, data in rendered.items() if (out / path).read_bytes() != data)
    assert changed > 5_000
    used = _disk_of(changed, monkeypatch)  # the changed files fit, their two manifests do not
    outcome = build.build_output(big, out)
    assert [f.code for f in outcome.findings] == ["write-failed"]
    [f] = outcome.findings
    assert f.location.file.startswith(f"{out.as_posix()}/") and f.location.file != out.as_posix()
    assert "No space left on device" in f.message
    assert tree_hash(out) == before
    # A later build that needs less space (here: the files of the first spec) succeeds.
    used[0] = 0
    writer.write(out, {**build.render(small).files, "docs/catalog.html": b"smaller"})
    assert writer.compare(out, {**build.render(small).files, "docs/catalog.html": b"smaller"}).clean


def test_a_file_where_a_folder_is_needed_is_found_before_anything_is_written(world):
    sandbox, specs, out = world
    for p in (out / "schemas").iterdir():
        p.unlink()
    (out / "schemas").rmdir()
    (out / "schemas").write_text("not a folder")
    before = tree_hash(sandbox)
    r = gen("build", "--spec", str(specs[1]), "--out", str(out))
    assert r.returncode == 1
    assert f"{out.as_posix()}/schemas: error[unsafe-path]: is a file where the build needs a folder" in r.stderr, r.stderr
    assert tree_hash(sandbox) == before


def test_committed_pieces_cannot_vouch_for_a_hand_edit(world):
    """Pieces that verify, committed beside an edited schema (and an edited manifest),
    each rewritten to hold the edit: ``gen check`` renders afresh and still reports it."""
    from generator.reuse import PIECES, parse_piece, piece_bytes

    _sandbox, specs, out = world
    rel = "schemas/login_failed.schema.json"
    path = out / rel
    edited = path.read_bytes().replace(b'"additionalProperties": false', b'"additionalProperties": true')
    path.write_bytes(edited)
    forged = 0
    for piece in (out / PIECES).iterdir():
        files = parse_piece(piece.name, piece.read_bytes())
        assert files is not None
        for name in files:
            if name.endswith("/" + rel):
                files[name] = edited
                piece.write_bytes(piece_bytes(piece.name, files))
                forged += 1
    assert forged == 1
    _set_manifest(out, lambda d: d["files"][rel].update(
        {"sha256": hashlib.sha256(edited).hexdigest(), "bytes": len(edited)}))
    r = gen("check", "--spec", str(specs[0]), "--out", str(out))
    assert r.returncode == 1 and "login_failed.schema.json: error[changed]" in r.stderr, r.stderr


def test_every_output_problem_is_a_json_finding(world):
    _sandbox, specs, out = world
    (out / "catalog.json").write_text("{}")
    (out / "stray.txt").write_text("x")
    r = gen("check", "--spec", str(specs[0]), "--out", str(out), "--format", "json")
    assert r.returncode == 1
    records = json.loads(r.stdout)
    assert {(x["code"], x["file"]) for x in records} == {
        ("changed", f"{out.as_posix()}/catalog.json"),
        ("stray", f"{out.as_posix()}/stray.txt"),
    }
    r = gen("check", "--spec", str(specs[0]), "--out", str(out), "--format", "github")
    assert r.returncode == 1
    assert f"::error file={out.as_posix()}/catalog.json,title=changed::" in r.stdout


def test_every_output_code_is_listed():
    import re

    codes = set()
    for mod in ("build", "writer"):
        source = (ROOT / "generator" / f"{mod}.py").read_text()
        codes |= set(re.findall(r'\b(?:_finding|Finding|_at)\((?:[^()"]|\([^()]*\))*?"([a-z][a-z-]*)"', source))
    assert codes == set(build.CODES), codes ^ set(build.CODES)


@pytest.mark.parametrize("each", [False, True], ids=["one-syncfs", "fsync-each"])
def test_every_file_is_on_disk_before_the_rename_that_puts_it_in_place(tmp_path, monkeypatch, each):
    """A kill test cannot see a missing flush (the page cache survives a killed process);
    this spy sees the order: each file's content reaches the disk (its own fsync, or the
    commit's one syncfs after it was written) before it is renamed over its destination,
    and the folder's renames are flushed after (its fsync, or a syncfs)."""
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    real_write_new, real_sync_all = outdir.Folder.write_new, outdir.Folder.sync_all

    def where(fd):
        return os.readlink(f"/proc/self/fd/{fd}")

    def fsync(fd):
        events.append(("fsync", where(fd)))
        return real_fsync(fd)

    def replace(src, dst, *, src_dir_fd=None, dst_dir_fd=None):
        s = os.path.join(where(src_dir_fd), src) if src_dir_fd is not None else os.path.abspath(src)
        d = os.path.join(where(dst_dir_fd), dst) if dst_dir_fd is not None else os.path.abspath(dst)
        events.append(("replace", s, d))
        return real_replace(src, dst, src_dir_fd=src_dir_fd, dst_dir_fd=dst_dir_fd)

    def write_new(self, rel, data, sync=True):
        events.append(("write", os.path.join(self.path, rel)))
        return real_write_new(self, rel, data, sync)

    def sync_all(self):
        events.append(("syncfs",))
        return real_sync_all(self)

    monkeypatch.setattr(writer, "SYNC_EACH", each)
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(outdir.Folder, "write_new", write_new)
    monkeypatch.setattr(outdir.Folder, "sync_all", sync_all)
    out = tmp_path / "out"
    writer.write(out, {"a.txt": b"a", "sub/b.txt": b"b"})
    writer.write(out, {"a.txt": b"A", "sub/b.txt": b"b", "c.txt": b"c"})
    renames = [e for e in events if e[0] == "replace"]
    placed = {Path(d).relative_to(out.resolve()).as_posix() for _, _, d in renames}
    assert {"a.txt", "sub/b.txt", "c.txt", "MANIFEST.json"} <= placed
    for i, event in enumerate(events):
        if event[0] == "replace":
            written = max(j for j, e in enumerate(events[:i]) if e == ("write", event[1]))
            flushed = ("fsync", event[1]) in events[written:i] or ("syncfs",) in events[written:i]
            assert flushed, f"{event[1]} renamed to {event[2]} before it reached the disk"
    last_rename = max(i for i, e in enumerate(events) if e[0] == "replace" and "/.gen-cache/" not in e[2])
    after = events[last_rename:]
    assert ("fsync", str(out.resolve())) in after or ("syncfs",) in after, "the renames are not flushed"
    assert (("syncfs",) in events) != each, "the mode under test was not the one used"


def test_an_output_path_that_is_a_file_is_a_finding(tmp_path):
    """(The CLI refuses it as a usage error first; the writer itself refuses it too.)"""
    (tmp_path / "out").write_text("a file")
    for call in (lambda: writer.write(tmp_path / "out", {"a.txt": b"a"}), lambda: writer.compare(tmp_path / "out", {})):
        with pytest.raises(writer.OutputError) as exc:
            call()
        assert [(f.code, f.message) for f in exc.value.findings] == [("unsafe-path", "is a file, not a folder")]
    assert (tmp_path / "out").read_text() == "a file"
