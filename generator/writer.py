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

``Staging`` lets a build write ahead: while the slowest target (the models) is still
being generated, the files already rendered are written, flushed and fsynced as
temporary files under ``.gen-cache/stage-<pid>-<random>/``, where nothing looks at them;
``commit`` then renames them into place following the rules above (``write`` is a
commit with nothing staged).  A failed build discards them, and the folders staging
created, so the output folder is left exactly as it was; a killed build's staging
folder is deleted by the next build.

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
        sha = entry.get("sha256")
        if entry.keys() == _ENTRY_KEYS and type(entry["bytes"]) is int and type(sha) is str and _HEX.match(sha):
            # The usual entry, formatted without json.dumps (same bytes).
            fields = f'      "bytes": {entry["bytes"]},\n      "sha256": "{sha}"'
        else:
            fields = ",\n".join(f"      {json.dumps(k)}: {json.dumps(v)}" for k, v in sorted(entry.items()))
        rows.append(f"    {json.dumps(path)}: {{\n{fields}\n    }}" if entry else f"    {json.dumps(path)}: {{}}")
    files = "{\n" + ",\n".join(rows) + "\n  }" if rows else "{}"
    return f'{{\n  "files": {files},\n  "manifest_format": {MANIFEST_FORMAT}\n}}\n'.encode()


_ENTRY_KEYS = {"bytes", "sha256"}
_HEX = re.compile(r"[0-9a-f]*\Z")


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


# A new file, never an existing one or a symlink's target; binary on Windows too.
_NEW_FILE = (
    os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
)
_TEMP = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]{8}\.tmp$")


def _remove_stale_temps(out_dir: Path, owned: set[str]) -> None:
    """Delete temporary files a killed build left next to files the generator owns
    (``.<name>.XXXXXXXX.tmp``, the names ``_atomic_write`` uses); nothing else."""
    folders: dict[str, set[str]] = {}
    for rel in owned:  # (plain strings: pathlib is slow for hundreds of paths)
        folder, _, name = rel.rpartition("/")
        folders.setdefault(folder, set()).add(name)
    root = os.fspath(out_dir)
    for folder, names in folders.items():
        try:
            entries = list(os.scandir(os.path.join(root, folder) if folder else root))
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
    folder, name = os.path.split(os.fspath(path))
    if made is None or folder not in made:
        os.makedirs(folder, exist_ok=True)
        if made is not None:
            made.add(folder)
    while True:  # what tempfile.mkstemp does, without importing it (a few ms per build)
        tmp = os.path.join(folder, f".{name}.{os.urandom(4).hex()}.tmp")
        try:
            fd = os.open(tmp, _NEW_FILE, 0o600)
            break
        except FileExistsError:
            continue
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


STAGE_PREFIX = "stage-"


def _remove_stale_stages(out_dir: Path, keep: str | None) -> None:
    """Delete staging folders that killed builds left under ``.gen-cache/`` (those of a
    build still running, found by its process id, are left to it)."""
    cache = os.path.join(os.fspath(out_dir), CACHE_DIR)
    try:
        entries = [e for e in os.scandir(cache) if e.name.startswith(STAGE_PREFIX)]
    except OSError:
        return
    for entry in entries:
        if entry.path == keep or not entry.is_dir(follow_symlinks=False):
            continue
        pid = entry.name[len(STAGE_PREFIX):].split("-")[0]
        if pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid), entry.path):
            continue
        _remove_flat_folder(entry.path)


def _alive(pid: int, folder: str) -> bool:
    """Whether the build that made a staging folder may still be running."""
    if os.name != "posix":  # no harmless signal 0 there: go by the folder's age
        import time

        try:
            return time.time() - os.stat(folder).st_mtime < 3600
        except OSError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _remove_flat_folder(folder: str) -> None:
    """Remove a staging folder (it holds plain files only)."""
    try:
        for entry in os.scandir(folder):
            try:
                os.unlink(entry.path)
            except OSError:
                pass
        os.rmdir(folder)
    except OSError:
        pass


class Staging:
    """Changed files written ahead of the commit, invisible until it (see module doc).

    ``add(files)`` may be called any number of times while a build renders; it compares
    each file with the disk and writes the changed ones to the staging folder.
    ``commit(tree, records)`` makes the output folder hold exactly ``tree`` (which must
    include everything added, with the same bytes) like ``write`` does, renaming staged
    files into place.  ``discard()`` deletes whatever is still staged and any folder
    staging created; it is safe to call at any time, also after a commit.  Staging is
    only a head start: if it cannot write (a read-only or full disk), it stops quietly and
    the commit writes everything itself, reporting any error there.
    """

    def __init__(self, out_dir: Path | str):
        self.out_dir = Path(out_dir)
        self._root = os.fspath(out_dir)
        self._checked: dict[str, tuple[bytes, bytes | None]] = {}  # path -> (data, on disk)
        self._staged: dict[str, tuple[str, bytes]] = {}  # path -> (temporary file, data)
        self._dir: str | None = None
        self._created: list[str] = []  # folders staging created, outermost first
        self._off = False
        self._count = 0

    def add(self, files: dict[str, bytes]) -> None:
        """Compare ``files`` with the disk and stage the ones that differ."""
        _check_paths(files)
        for path, data in files.items():
            current = _read(os.path.join(self._root, path))
            self._checked[path] = (data, current)
            if current != data and not self._off:
                try:
                    self._stage(path, data)
                except OSError:
                    self.discard()
                    self._off = True

    def _stage(self, path: str, data: bytes) -> None:
        if self._dir is None:
            folder = os.path.join(self._root, CACHE_DIR, f"{STAGE_PREFIX}{os.getpid()}-{os.urandom(4).hex()}")
            missing, parent = [], folder
            while not os.path.isdir(parent) and os.path.dirname(parent) != parent:
                missing.append(parent)
                parent = os.path.dirname(parent)
            self._created = missing[::-1]
            self._dir = folder
            os.makedirs(folder)
        self._count += 1
        tmp = os.path.join(self._dir, f"{self._count}.tmp")
        fd = os.open(tmp, _NEW_FILE, 0o644)
        self._staged[path] = (tmp, data)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fd)
        os.chmod(tmp, 0o644)  # as ``_atomic_write`` leaves files, whatever the umask

    def _current(self, path: str, data: bytes) -> bytes | None:
        checked = self._checked.get(path)
        if checked is not None and (checked[0] is data or checked[0] == data):
            return checked[1]
        return _read(os.path.join(self._root, path))

    def _put(self, path: str, data: bytes, made: set[str]) -> None:
        """Move the staged copy of ``path`` into place, or write it atomically."""
        target = os.path.join(self._root, path)
        staged = self._staged.pop(path, None)
        if staged is not None and staged[1] == data:
            folder = os.path.dirname(target)
            if folder not in made:
                os.makedirs(folder, exist_ok=True)
                made.add(folder)
            try:
                os.replace(staged[0], target)
                return
            except OSError as exc:
                import errno

                if exc.errno != errno.EXDEV:  # a subfolder on another file system
                    raise
        _atomic_write(target, data, made)

    def commit(self, files: dict[str, bytes], records: dict[str, dict] | None = None) -> Report:
        """Make the output folder hold exactly ``files`` plus their manifest (and leave
        alone any file the generator never wrote).  ``records`` (from
        ``Previous.updates``) are stored for the next build's reuse checks; None leaves
        the stored ones as they are.  Whatever happens, nothing stays staged."""
        try:
            return self._commit(files, records)
        finally:
            self.discard()

    def _commit(self, files: dict[str, bytes], records: dict[str, dict] | None) -> Report:
        out_dir = self.out_dir
        root = self._root
        _check_paths(files)
        tree = with_manifest(files)
        old = read_manifest(out_dir)
        rep = Report()
        current = {p: self._current(p, data) for p, data in files.items()}
        foreign = [
            p for p, data in files.items()
            if p not in old and current[p] != data and os.path.lexists(os.path.join(root, p))
        ]
        if foreign:
            raise ForeignFileError(sorted(foreign))
        _remove_stale_stages(out_dir, self._dir)
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
                self._put(path, data, made)
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

    def discard(self) -> None:
        """Delete every staged file and the folders staging created (those now holding
        other files, e.g. after a commit, stay)."""
        for tmp, _ in self._staged.values():
            try:
                os.unlink(tmp)
            except OSError:
                pass
        self._staged.clear()
        if self._dir is not None:
            _remove_flat_folder(self._dir)
            for folder in reversed(self._created):
                if folder == self._dir:
                    continue
                try:
                    os.rmdir(folder)
                except OSError:
                    break  # not empty: neither are its parents
            self._dir = None
            self._created = []


def write(out_dir: Path, files: dict[str, bytes], records: dict[str, dict] | None = None) -> Report:
    """Make ``out_dir`` hold exactly ``files`` plus their manifest (and leave alone any
    file the generator never wrote).  ``records`` (from ``Previous.updates``) are stored
    for the next build's reuse checks; None leaves the stored ones as they are."""
    return Staging(out_dir).commit(files, records)


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
