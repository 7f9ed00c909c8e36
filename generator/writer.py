"""The only module that writes generated files to disk.

A build hands over the complete in-memory tree (``{relative path: bytes}``), so a failed
target has already stopped the build before anything here runs.  Then:

* ``MANIFEST.json`` lists every generated file with its sha256.  Before any file is
  touched, a manifest covering the old *and* the new files is written, so a build killed
  half-way leaves a manifest that owns every file it may have created; the next build
  overwrites or removes them instead of mistaking them for someone else's files.
* each changed file is written to a temporary file in its own folder, flushed, fsynced
  and ``os.replace``-d over the old one, so a build killed at any moment leaves every
  file whole, old or new;
* files an earlier manifest listed that this build no longer produces are removed;
  files the generator never wrote are never touched, and refusing to overwrite one is an
  error (``ForeignFileError``) rather than a silent loss;
* ``compare`` does the same work in memory and reports what differs (``--check``).

Targets that skip unchanged work (``generator.targets.Previous``) leave small records
of what they produced under ``.gen-cache/`` in the output folder; that folder ignores
itself in git and is never reported as stray.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST = "MANIFEST.json"
MANIFEST_FORMAT = 1
CACHE_DIR = ".gen-cache"
RECORDS = f"{CACHE_DIR}/records.json"
_IGNORED_DIRS = frozenset({"__pycache__", ".pytest_cache", CACHE_DIR})


def sha256(data: bytes) -> str:
    """Hex sha256, as the manifest records it."""
    return hashlib.sha256(data).hexdigest()


def _manifest_doc(entries: dict[str, dict]) -> bytes:
    """``json.dumps(doc, indent=2, sort_keys=True)``, written out by hand: the same bytes
    (a test holds them equal) in a fraction of the time for hundreds of files."""
    rows = []
    for path, entry in sorted(entries.items()):
        fields = ",\n".join(f"      {json.dumps(k)}: {json.dumps(v)}" for k, v in sorted(entry.items()))
        rows.append(f"    {json.dumps(path)}: {{\n{fields}\n    }}" if entry else f"    {json.dumps(path)}: {{}}")
    files = "{\n" + ",\n".join(rows) + "\n  }" if rows else "{}"
    return f'{{\n  "files": {files},\n  "manifest_format": {MANIFEST_FORMAT}\n}}\n'.encode()


def _entry(data: bytes) -> dict:
    return {"sha256": sha256(data), "bytes": len(data)}


def manifest_bytes(files: dict[str, bytes]) -> bytes:
    """The manifest for a tree: sorted paths with sha256 and size; deterministic."""
    return _manifest_doc({p: _entry(b) for p, b in files.items()})


def read_manifest(out_dir: Path) -> dict[str, dict]:
    """Files the last build recorded (empty if there is no readable manifest)."""
    try:
        doc = json.loads((Path(out_dir) / MANIFEST).read_text("utf-8"))
        files = doc.get("files", {})
        return {p: v for p, v in files.items() if isinstance(v, dict) and _safe_rel(p)}
    except (OSError, ValueError, AttributeError):
        return {}


def read_records(out_dir: Path) -> dict[str, dict]:
    """What reuse-capable targets remembered in the last build (empty if none)."""
    try:
        doc = json.loads((Path(out_dir) / RECORDS).read_text("utf-8"))
        recs = doc.get("records", {})
        return {k: v for k, v in recs.items() if isinstance(v, dict)}
    except (OSError, ValueError, AttributeError):
        return {}


def previous_getter(out_dir: Path, manifest: dict[str, dict] | None = None):
    """``get(path)``: the bytes of a file the last build wrote, only while they still
    match the manifest's hash (a hand-edited file is never handed back as reusable)."""
    root = os.fspath(out_dir)
    manifest = read_manifest(out_dir) if manifest is None else manifest

    def get(path: str) -> bytes | None:
        entry = manifest.get(path)
        if entry is None:
            return None
        data = _read(os.path.join(root, path))
        if data is None or sha256(data) != entry.get("sha256"):
            return None
        return data

    return get


def _safe_rel(path: str) -> bool:
    """A plain relative POSIX path inside the folder: no ``..``, ``.``, empty or absolute
    parts, no backslashes (string checks; pathlib is slow for hundreds of paths)."""
    return (
        isinstance(path, str)
        and bool(path)
        and "\\" not in path
        and not os.path.isabs(path)
        and all(part not in ("", ".", "..") for part in path.split("/"))
    )


def _read(path: Path | str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
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
    base = os.fspath(out_dir)
    if not os.path.isdir(base):
        return out
    for root, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if d not in _IGNORED_DIRS)
        prefix = root[len(base):].lstrip(os.sep).replace(os.sep, "/")
        for name in files:
            rel = f"{prefix}/{name}" if prefix else name
            if rel not in known and not name.endswith(".pyc"):
                out.append(rel)
    return sorted(out)


def _diff(path: str, old: bytes, new: bytes, limit: int = 200) -> str:
    import difflib

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
    """The tree plus its ``MANIFEST.json``."""
    tree = dict(files)
    tree[MANIFEST] = manifest_bytes(files)
    return tree


def _check_paths(files: dict[str, bytes]) -> None:
    bad = [p for p in files if not _safe_rel(p) or p == MANIFEST or p.split("/")[0] == CACHE_DIR]
    if bad:
        raise ValueError(f"targets may not write these paths: {', '.join(sorted(bad))}")


def compare(out_dir: Path, files: dict[str, bytes]) -> Report:
    """What ``write`` would change, without changing anything."""
    out_dir = Path(out_dir)
    _check_paths(files)
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


_TEMP = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]{8}\.tmp$")


def _remove_stale_temps(out_dir: Path, owned: set[str]) -> None:
    """Delete temporary files a killed build left next to files the generator owns
    (``.<name>.XXXXXXXX.tmp``, the names ``_atomic_write`` uses); nothing else."""
    folders: dict[Path, set[str]] = {}
    for rel in owned:
        path = out_dir / rel
        folders.setdefault(path.parent, set()).add(path.name)
    for folder, names in folders.items():
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            m = _TEMP.match(entry.name)
            if m and m.group("name") in names and entry.is_file(follow_symlinks=False):
                try:
                    os.unlink(entry.path)
                except FileNotFoundError:
                    pass


def _atomic_write(path: Path | str, data: bytes, made: set[str] | None = None) -> None:
    """Write ``data`` to a temporary file beside ``path``, flush, fsync, and rename it
    over ``path`` (atomic on POSIX and Windows).  ``made`` remembers folders already
    created in this build (plain strings, no pathlib: a build writes hundreds of files)."""
    import tempfile  # only a build that changes something pays for importing it

    folder, name = os.path.split(os.fspath(path))
    if made is None or folder not in made:
        os.makedirs(folder, exist_ok=True)
        if made is not None:
            made.add(folder)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
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


def write(out_dir: Path, files: dict[str, bytes], records: dict[str, dict] | None = None) -> Report:
    """Make ``out_dir`` hold exactly ``files`` plus their manifest (and leave alone any
    file the generator never wrote).  ``records`` (from ``Previous.updates``) are stored
    for the next build's reuse checks; None leaves the stored ones as they are."""
    out_dir = Path(out_dir)
    root = os.fspath(out_dir)
    _check_paths(files)
    tree = with_manifest(files)
    old = read_manifest(out_dir)
    rep = Report()
    current = {p: _read(os.path.join(root, p)) for p in files}
    foreign = [
        p for p, data in files.items()
        if p not in old and current[p] != data and os.path.lexists(os.path.join(root, p))
    ]
    if foreign:
        raise ForeignFileError(sorted(foreign))
    todo = {p for p, data in files.items() if current[p] != data}
    gone = [p for p in sorted(old) if p not in files and (out_dir / p).is_file()]
    made: set[str] = set()
    manifest_written = False
    if todo or gone:
        # Own every path this build may create before creating any (see module doc).
        if gone:
            pending = {p: old[p] for p in old if p not in files}
            pending.update({p: _entry(b) for p, b in files.items()})
            pending_bytes = _manifest_doc(pending)
        else:
            pending_bytes = tree[MANIFEST]
        if _read(out_dir / MANIFEST) != pending_bytes:
            _atomic_write(out_dir / MANIFEST, pending_bytes, made)
            manifest_written = True
    for path, data in files.items():
        if path in todo:
            _atomic_write(os.path.join(root, path), data, made)
            rep.written.append(path)
        else:
            rep.unchanged.append(path)
    for path in gone:
        target = out_dir / path
        target.unlink()
        rep.removed.append(path)
        _prune_empty(target.parent, out_dir)
    if _read(out_dir / MANIFEST) != tree[MANIFEST]:
        _atomic_write(out_dir / MANIFEST, tree[MANIFEST])
        manifest_written = True
    (rep.written if manifest_written else rep.unchanged).append(MANIFEST)
    if records is not None:
        _write_records(out_dir, records)
    _remove_stale_temps(out_dir, set(tree) | set(old) | {RECORDS})
    rep.stray = [p for p in _strays(out_dir, set(tree)) if p not in tree]
    return rep


def _write_records(out_dir: Path, records: dict[str, dict]) -> None:
    data = (json.dumps({"records": records}, indent=1, sort_keys=True) + "\n").encode("utf-8")
    if _read(out_dir / RECORDS) != data:
        _atomic_write(out_dir / RECORDS, data)
    ignore = out_dir / CACHE_DIR / ".gitignore"
    if _read(ignore) != b"*\n":
        _atomic_write(ignore, b"*\n")


def _prune_empty(folder: Path, root: Path) -> None:
    """Remove folders a removed file left empty (never ``root`` itself)."""
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
