"""The only module that writes generated files to disk.

A build hands over the complete in-memory tree (``{relative path: bytes}``), so a failed
target has already stopped the build before anything here runs.  Then:

* each changed file is written to a temporary file in its own folder, flushed, fsynced
  and ``os.replace``-d over the old one, so a build killed at any moment leaves every
  file whole, old or new;
* ``MANIFEST.json`` (written last, atomically) lists every generated file with its
  sha256; files an earlier manifest listed that this build no longer produces are
  removed; files the generator never wrote are never touched;
* ``compare`` does the same work in memory and reports what differs (``--check``).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST = "MANIFEST.json"
MANIFEST_FORMAT = 1


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_bytes(files: dict[str, bytes]) -> bytes:
    """The manifest for a tree: sorted paths with sha256 and size; deterministic."""
    doc = {
        "manifest_format": MANIFEST_FORMAT,
        "files": {p: {"sha256": sha256(b), "bytes": len(b)} for p, b in sorted(files.items())},
    }
    return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode("utf-8")


def read_manifest(out_dir: Path) -> dict[str, dict]:
    """Files the last build recorded (empty if there is no readable manifest)."""
    try:
        doc = json.loads((out_dir / MANIFEST).read_text("utf-8"))
        files = doc.get("files", {})
        return {p: v for p, v in files.items() if isinstance(v, dict) and _safe_rel(p)}
    except (OSError, ValueError, AttributeError):
        return {}


def _safe_rel(path: str) -> bool:
    p = Path(path)
    return not p.is_absolute() and ".." not in p.parts and path == p.as_posix()


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


class ForeignFileError(Exception):
    """The build would overwrite files that no earlier build wrote."""

    def __init__(self, paths: list[str]):
        super().__init__(", ".join(paths))
        self.paths = paths


@dataclass
class Report:
    """What a write or a comparison found, by relative path."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # compare: differs on disk
    missing: list[str] = field(default_factory=list)  # compare: not on disk
    obsolete: list[str] = field(default_factory=list)  # compare: generated before, not now
    stray: list[str] = field(default_factory=list)  # on disk, never generated
    diffs: dict[str, str] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not (self.changed or self.missing or self.obsolete or self.stray)


def _strays(out_dir: Path, known: set[str]) -> list[str]:
    out = []
    if not out_dir.is_dir():
        return out
    for root, dirs, files in os.walk(out_dir):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and d != ".pytest_cache")
        for name in files:
            rel = (Path(root) / name).relative_to(out_dir).as_posix()
            if rel not in known and not name.endswith(".pyc"):
                out.append(rel)
    return sorted(out)


def _diff(path: str, old: bytes, new: bytes, limit: int = 200) -> str:
    try:
        a = old.decode("utf-8").splitlines(keepends=True)
        b = new.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return f"Binary files a/{path} and b/{path} differ\n"
    lines = list(difflib.unified_diff(a, b, f"a/{path}", f"b/{path}"))
    if len(lines) > limit:
        lines = lines[:limit] + [f"... ({len(lines) - limit} more diff lines)\n"]
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def with_manifest(files: dict[str, bytes]) -> dict[str, bytes]:
    tree = dict(files)
    tree[MANIFEST] = manifest_bytes(files)
    return tree


def compare(out_dir: Path, files: dict[str, bytes]) -> Report:
    """What ``write`` would change, without changing anything."""
    out_dir = Path(out_dir)
    tree = with_manifest(files)
    old = read_manifest(out_dir)
    rep = Report()
    for path, data in tree.items():
        disk = _read(out_dir / path)
        if disk is None:
            rep.missing.append(path)
        elif disk != data:
            rep.changed.append(path)
            rep.diffs[path] = _diff(path, disk, data)
        else:
            rep.unchanged.append(path)
    for path in sorted(old):
        if path not in tree and (out_dir / path).is_file():
            rep.obsolete.append(path)
    rep.stray = [p for p in _strays(out_dir, set(tree) | set(old)) if p not in tree]
    return rep


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write(out_dir: Path, files: dict[str, bytes]) -> Report:
    """Make ``out_dir`` hold exactly ``files`` (plus files the generator never wrote)."""
    out_dir = Path(out_dir)
    tree = with_manifest(files)
    old = read_manifest(out_dir)
    rep = Report()
    if old:
        foreign = [
            p for p in tree
            if p not in old and p != MANIFEST and (out_dir / p).is_file() and _read(out_dir / p) != tree[p]
        ]
        if foreign:
            raise ForeignFileError(foreign)
    out_dir.mkdir(parents=True, exist_ok=True)
    for path, data in tree.items():
        if path == MANIFEST:
            continue
        target = out_dir / path
        if _read(target) == data:
            rep.unchanged.append(path)
            continue
        _atomic_write(target, data)
        rep.written.append(path)
    for path in sorted(old):
        if path not in tree:
            target = out_dir / path
            if target.is_file():
                target.unlink()
                rep.removed.append(path)
                _prune_empty(target.parent, out_dir)
    if _read(out_dir / MANIFEST) != tree[MANIFEST]:
        _atomic_write(out_dir / MANIFEST, tree[MANIFEST])
        rep.written.append(MANIFEST)
    else:
        rep.unchanged.append(MANIFEST)
    rep.stray = [p for p in _strays(out_dir, set(tree)) if p not in tree]
    return rep


def _prune_empty(folder: Path, root: Path) -> None:
    """Remove folders a removed file left empty (never ``root`` itself)."""
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
