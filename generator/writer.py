"""The only module that writes generated files to disk, and the policy it follows.

A build opens a ``Session`` (taking the folder's lock, ``.gen-cache/lock``, ``fcntl.flock``:
concurrent builds into one folder take turns, and the build's piece store is used under
it), renders, and commits the complete tree only when every target succeeded; leaving
without a commit removes what was staged.  ``write`` is the same in one call.  Every
access to the output folder goes through ``generator.outdir.Folder`` (never out of the
folder, never through a symbolic link).  A commit:

* reads ``MANIFEST.json`` (every file an earlier build wrote, with its sha256) and
  validates it as data: normalised relative paths and known fields only, else nothing
  is touched (``bad-manifest``);
* checks every path it will write or delete before writing anything: a symbolic link,
  or a file where a folder is needed, is refused (``unsafe-path``); an existing file the
  manifest does not own is never overwritten (``foreign-file``);
* has every changed file, and both manifests below, in ``.gen-cache/stage/``, all of
  them flushed to disk by one ``syncfs`` of the folder's file system (``SYNC_EACH``: an
  fsync per file instead, the benchmark's comparison row); a killed build's leftovers
  there are cleared by the next one.
  If any of that fails (a full disk), the staged files and the folders made for them
  are removed and the folder is exactly as it was; the finding names the file
  (``write-failed``);
* writes a journal (``.gen-cache/journal.json``, fsynced, renamed into place): every
  rename and deletion still to do.  From here on the build is *committed*: if it is
  killed (or a rename fails), the next ``Session`` (``gen build``) finishes it from the
  journal before doing anything else (``Report.recovered``), and ``compare`` (``gen
  check``) reports "an interrupted build" instead of a list of files;
* renames an interim manifest (old and new files) into place, so that even without the
  journal the folder's manifest owns every file the build may have created; renames
  every file into place (each file is whole at every moment, old or new); deletes the
  files the old manifest lists and this build no longer produces, only if their bytes
  still match the manifest (else they are kept and reported: ``Report.kept``); renames
  the final manifest in; deletes the journal.

The guarantee: at every moment the folder is either the old build, the new build, or a
committed build with its journal (which the next ``gen build`` finishes); nothing is
renamed before everything is staged and fsynced, so a failure before the journal
changes nothing.  ``.gen-cache/`` (it ignores itself in git, and is never reported as
stray) also holds the build's piece store (``generator.reuse``).

``compare`` does the same reading in memory and reports what differs (``gen check``).
Problems are raised as ``OutputError`` carrying ``Finding``s (codes in
``generator.build.CODES``).  This module must not render or decide what is generated.
"""

from __future__ import annotations

import errno
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from generator.diagnostics import ERROR, Finding
from generator.manifest import (  # noqa: F401  (the manifest format, used here and re-exported)
    CACHE_DIR,
    MANIFEST,
    MANIFEST_FORMAT,
    _entries,
    _manifest_doc,
    _safe_rel,
    manifest_bytes,
    parse_manifest,
    sha256,
    with_manifest,
)
from generator.model import Location
from generator.outdir import Folder, UnsafePath
from generator.reuse import PieceStore

if TYPE_CHECKING:
    from generator.parsed_cache import ParsedFiles

JOURNAL = f"{CACHE_DIR}/journal.json"
LOCK = "lock"
STAGE = f"{CACHE_DIR}/stage"
LOCK_PATH = f"{CACHE_DIR}/{LOCK}"
_IGNORED_DIRS = frozenset({"__pycache__", ".pytest_cache", CACHE_DIR})
#: An fsync per staged file and per folder renamed into, instead of one ``syncfs`` each
#: time (``GEN_SYNC_EACH=1``: only for ``benchmarks/bench_build.py``'s comparison row).
SYNC_EACH = bool(os.environ.get("GEN_SYNC_EACH"))


class OutputError(Exception):
    """The output folder cannot be read or written as asked; nothing was changed.
    ``findings`` say where and how to fix it."""

    def __init__(self, findings: list[Finding]):
        super().__init__("; ".join(f"{f.location}: {f.message}" for f in findings))
        self.findings = findings


def _finding(out_dir: Path | str, rel: str, code: str, message: str, help: str) -> Finding:
    base = Path(out_dir).as_posix()
    return Finding(code, ERROR, message, Location(f"{base}/{rel}" if rel and rel != "." else base), help)


def _unsafe(out_dir: Path | str, exc: UnsafePath) -> Finding:
    return _finding(out_dir, exc.path, "unsafe-path", exc.why,
                    "replace it with a plain folder or file (or delete it), then build again")


def _manifest(folder: Folder, out_dir: Path | str) -> dict[str, dict]:
    """The validated manifest of ``folder`` ({} if there is none)."""
    try:
        data = folder.read(MANIFEST)
    except UnsafePath as exc:
        raise OutputError([_unsafe(out_dir, exc)]) from None
    if data is None:
        return {}
    try:
        return parse_manifest(data)
    except ValueError as exc:
        raise OutputError([_finding(
            out_dir, MANIFEST, "bad-manifest", f"is not a manifest this generator writes: {exc}",
            "restore it from version control, or delete it and move the generated files away, then build again",
        )]) from None


def _open(out_dir: Path | str) -> Folder:
    """The output folder, or ``OutputError`` when the path names a file."""
    try:
        return Folder(out_dir)
    except UnsafePath as exc:
        raise OutputError([_unsafe(out_dir, exc)]) from None
    except OSError as exc:
        raise OutputError([_finding(out_dir, "", "read-failed", f"cannot open: {exc.strerror or exc}",
                                    "check the folder's permissions")]) from None


def read_generated(out_dir: Path | str, rel: str) -> bytes | None:
    """The bytes of ``rel`` inside the output folder; None if it is missing, unsafe
    (a link on the way) or not a plain relative path."""
    if not _safe_rel(rel):
        return None
    try:
        with Folder(out_dir) as folder:
            return folder.read(rel)
    except (UnsafePath, OSError):
        return None


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
    kept: list[str] = field(default_factory=list)  # obsolete but edited since: not deleted
    diffs: dict[str, str] = field(default_factory=dict)
    recovered: str = ""  # write: "finished" when an interrupted build was finished first
    interrupted: bool = False  # compare: the folder holds an interrupted build (a journal)

    @property
    def clean(self) -> bool:
        return not (self.changed or self.missing or self.obsolete or self.stray)


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


def _check_paths(files: dict[str, bytes]) -> None:
    """Targets may write only plain relative paths, never the manifest or the cache."""
    bad = [p for p in files if not _safe_rel(p) or p == MANIFEST or p.split("/")[0] == CACHE_DIR]
    if bad:
        raise ValueError(f"targets may not write these paths: {', '.join(sorted(bad))}")


def compare(out_dir: Path, files: dict[str, bytes]) -> Report:
    """What ``write`` would change, without changing anything.  Raises ``OutputError``
    for an unsafe path or a malformed manifest."""
    _check_paths(files)
    tree = with_manifest(files)
    rep = Report()
    with _open(out_dir) as folder:
        lock = None
        problems: list[Finding] = []
        try:
            try:
                lock = folder.lock(CACHE_DIR, LOCK, exclusive=False, create=False) if folder.exists else None
            except UnsafePath as exc:
                problems.append(_unsafe(out_dir, exc))  # reported with the rest; compared unlocked
            if _read_journal(folder) is not None:
                rep.interrupted = True
                return rep
            old = _manifest(folder, out_dir)
            for path, data in tree.items():
                try:
                    disk = folder.read(path)
                except UnsafePath as exc:
                    problems.append(_unsafe(out_dir, exc))
                    continue
                if disk is None:
                    rep.missing.append(path)
                elif disk != data:
                    rep.changed.append(path)
                    # Only a file a build wrote (listed in the manifest) is shown: a diff
                    # never prints the content of a file the generator did not write.
                    rep.diffs[path] = (_diff(path, disk, data) if path in old or path == MANIFEST else
                                       f"--- a/{path}: not shown (no build wrote this file; it is not in {MANIFEST})\n")
                else:
                    rep.unchanged.append(path)
            for path in sorted(old):
                if path not in tree:
                    try:
                        if folder.entry_kind(path) is not None:
                            rep.obsolete.append(path)
                    except UnsafePath as exc:
                        problems.append(_unsafe(out_dir, exc))
            if problems:
                raise OutputError(sorted(set(problems), key=Finding.sort_key))
            known = set(tree) | set(old)
            rep.stray = [p for p in _strays(folder) if p not in known]
        except UnsafePath as exc:
            raise OutputError([_unsafe(out_dir, exc)]) from None
        except OSError as exc:
            raise OutputError([_finding(out_dir, _rel_name(folder, exc), "read-failed",
                                        f"cannot read: {exc.strerror or exc}", "check the folder's permissions")]) from None
        finally:
            if lock is not None:
                os.close(lock)
    return rep


def _rel_name(folder: Folder, exc: OSError) -> str:
    """The path an OSError names, relative to the folder when it is inside."""
    name = os.fsdecode(exc.filename) if exc.filename is not None else ""
    if name.startswith(folder.path + os.sep):
        return name[len(folder.path) + 1:]
    return name if name and not os.path.isabs(name) else ""


def _strays(folder: Folder) -> list[str]:
    """Files and links below the folder (links not followed), caches excluded."""
    if not folder.exists:
        return []
    return [p for p in folder.walk(_IGNORED_DIRS) if not p.endswith(".pyc")]


def write(out_dir: Path | str, files: dict[str, bytes]) -> Report:
    """Make ``out_dir`` hold exactly ``files`` plus their manifest (see the module doc;
    files the generator never wrote are left alone).  Raises ``OutputError``; then
    nothing in the folder has changed (but an interrupted earlier build was finished)."""
    _check_paths(files)
    with Session(out_dir) as session:
        return session.commit(files)


class Session:
    """One ``write`` begun before the tree is complete: it holds the folder's lock from
    the start (the build reads and stores its pieces under it, ``store()``), finishes an
    interrupted build it finds (``recovered``); ``stage(files)`` may write changed files
    to the staging folder early, ``commit(files)`` checks the whole tree and moves it
    into place exactly as ``write`` does.
    Leaving without a commit (a target failed) removes what was staged: nothing in the
    folder changes, and a first build leaves no folder behind."""

    def __init__(self, out_dir: Path | str):
        self.out_dir = out_dir
        self._folder = _open(out_dir)
        self._lock: int | None = None
        self._created_root = False
        self._current: dict[str, bytes | None] = {}
        self._staged: dict[str, str] = {}
        self._problems: list[Finding] = []
        self._failed: OutputError | None = None
        self._committed = False
        self.recovered = ""

    def __enter__(self) -> Session:  # noqa: PYI034
        folder = self._folder
        self._created_root = not folder.exists
        try:
            folder.create()
            self._lock = folder.lock(CACHE_DIR, LOCK, exclusive=True, create=True)
            self.recovered = _recover(folder)  # a committed build that was interrupted
            _clear_stage(folder)  # what a killed build left (we hold the lock: nobody else's)
            folder.dir_fd(STAGE, create=True)
        except UnsafePath as exc:
            self.__exit__()
            raise OutputError([_unsafe(self.out_dir, exc)]) from None
        except OSError as exc:
            self.__exit__()
            raise OutputError([_os_finding(self.out_dir, exc, "")]) from None
        return self

    def __exit__(self, *exc: object) -> None:
        folder = self._folder
        try:
            if not self._committed and _read_journal(folder) is None:  # (a journal needs the stage)
                try:
                    _clear_stage(folder)
                except (OSError, UnsafePath):
                    pass
                if self._created_root:  # a failed first build leaves no folder behind
                    _remove_cache(folder)
                    if self._lock is not None:
                        os.close(self._lock)
                        self._lock = None
                    for made in folder.made:  # the folder, then parents it made
                        try:
                            os.rmdir(made)
                        except OSError:
                            break
        finally:
            if self._lock is not None:
                os.close(self._lock)
                self._lock = None
            folder.close()

    def stage(self, files: dict[str, bytes]) -> None:
        """Read what is on disk at each path of ``files`` and stage the files that
        differ (problems are kept for ``commit`` to raise)."""
        _check_paths(files)
        folder = self._folder
        for path, data in files.items():
            if self._failed is not None:
                return
            try:
                current = self._current[path] = folder.read(path)
            except UnsafePath as exc:
                self._problems.append(_unsafe(self.out_dir, exc))
                continue
            except OSError as exc:
                self._failed = OutputError([_os_finding(self.out_dir, exc, _rel_name(folder, exc) or path)])
                return
            if current != data:
                try:
                    self._staged[path] = _stage(folder, len(self._staged), data)
                except OSError as exc:
                    self._failed = OutputError([_os_finding(self.out_dir, exc, path)])

    def store(self) -> PieceStore:
        """The folder's piece store (``generator.reuse``), used under this session's lock."""
        return PieceStore(self._folder)

    def save_parsed(self, parsed: ParsedFiles) -> None:
        """Store the spec files this build parsed (``generator.parsed_cache``), under
        this session's lock; call after ``commit``."""
        parsed.save(self._folder)

    def commit(self, files: dict[str, bytes]) -> Report:
        """Move the tree ``files`` into place (staging what ``stage`` has not seen).  Raises
        ``OutputError``; then nothing has changed, unless its finding says the build
        stopped half-way (the journal then finishes it)."""
        self.stage({p: b for p, b in files.items() if p not in self._current and p not in self._staged})
        if self._failed is not None:
            raise self._failed
        folder = self._folder
        try:
            rep = self._commit(files)
        except OSError as exc:
            raise OutputError([_os_finding(self.out_dir, exc, _rel_name(folder, exc))]) from None
        self._committed = True
        rep.recovered = self.recovered
        _write_gitignore(folder)
        rep.stray = [p for p in _strays(folder) if p not in files and p != MANIFEST]
        return rep

    def _commit(self, files: dict[str, bytes]) -> Report:
        folder, out_dir, current, staged = self._folder, self.out_dir, self._current, self._staged
        stale = set(staged) - set(files)  # staged for a path no longer in the tree
        if stale:
            raise ValueError(f"staged files that are not in the tree: {sorted(stale)}")
        entries = _entries(files)
        tree = {**files, MANIFEST: _manifest_doc(entries)}
        old = _manifest(folder, out_dir)
        rep = Report()
        problems = list(self._problems)
        gone: list[str] = []
        for path in sorted(old):
            if path in files:
                continue
            try:
                kind = folder.entry_kind(path)
            except UnsafePath as exc:
                problems.append(_unsafe(out_dir, exc))
                continue
            if kind == "file":
                data = folder.read(path)
                (gone if data is not None and sha256(data) == old[path]["sha256"] else rep.kept).append(path)
            elif kind is not None:
                problems.append(_unsafe(out_dir, UnsafePath(path, f"is a {'symbolic link' if kind == 'link' else 'folder'} "
                                                                   "where the manifest lists a file")))
        if problems:
            raise OutputError(sorted(set(problems), key=Finding.sort_key))
        foreign = [p for p, data in files.items() if p not in old and current[p] is not None and current[p] != data]
        if foreign:
            raise OutputError([_finding(
                out_dir, p, "foreign-file", "was not written by the generator; refusing to overwrite it",
                "move it out of the output folder, or delete it; nothing was written") for p in sorted(foreign)])
        todo = [p for p in files if p in staged]
        new_manifest = tree[MANIFEST]
        old_manifest = folder.read(MANIFEST)
        if not todo and not gone and old_manifest == new_manifest:
            rep.unchanged = sorted(tree)
            return rep
        # 1. Everything that takes space (folders, the manifests; the files are staged)
        #    is made first; on failure all of it is undone.
        created: list[str] = []
        writing = ""
        try:
            if todo or gone:
                pending = {p: old[p] for p in old if p not in files}
                pending.update(entries)
                interim_bytes = _manifest_doc(pending)
                if interim_bytes not in (old_manifest, new_manifest):
                    writing = MANIFEST
                    staged["interim"] = _stage(folder, len(staged), interim_bytes)
            for path in todo:
                writing = path
                folder.dir_fd(path.rpartition("/")[0], create=True, created=created)
            if old_manifest != new_manifest:
                writing = MANIFEST
                staged[MANIFEST] = _stage(folder, len(staged), new_manifest)
        except (OSError, UnsafePath) as exc:
            for made in reversed(created):
                folder.rmdir(made)
            if isinstance(exc, UnsafePath):
                raise OutputError([_unsafe(out_dir, exc)]) from None
            raise OutputError([_os_finding(out_dir, exc, writing)]) from None
        # 2. The journal: from here on the build is committed (see the module docstring).
        #    Everything staged is on disk before the journal that names it.
        if not SYNC_EACH:
            try:
                folder.sync_all()
            except OSError as exc:
                raise OutputError([_os_finding(out_dir, exc, STAGE)]) from None
        moves = ([[staged["interim"], MANIFEST]] if "interim" in staged else [])
        moves += [[staged[p], p] for p in files if p in staged]
        moves += [[staged[MANIFEST], MANIFEST]] if MANIFEST in staged else []
        deletes = [[p, old[p]["sha256"]] for p in gone]
        try:
            _write_journal(folder, moves, deletes)
        except (OSError, UnsafePath) as exc:
            raise OutputError([_os_finding(out_dir, exc, JOURNAL)]) from None
        # 3. Renames and deletions only (no space needed), as the journal lists them.
        try:
            _apply(folder, moves, deletes)
        except (OSError, UnsafePath) as exc:
            raise OutputError([_finding(
                out_dir, _rel_name(folder, exc) if isinstance(exc, OSError) else exc.path, "write-failed",
                f"cannot write: {getattr(exc, 'strerror', None) or exc}; the build stopped half-way",
                "fix the cause, then run `gen build` again: it finishes this build first (.gen-cache/journal.json)",
            )]) from None
        for path in files:
            (rep.written if path in staged else rep.unchanged).append(path)
        rep.removed = list(gone)
        (rep.written if MANIFEST in staged else rep.unchanged).append(MANIFEST)
        return rep


def _os_finding(out_dir: Path | str, exc: OSError, rel: str) -> Finding:
    what = exc.strerror or str(exc)
    help = "free some space and build again" if exc.errno == errno.ENOSPC else "check the folder's permissions"
    return _finding(out_dir, rel, "write-failed", f"cannot write: {what}; nothing in the output folder changed", help)


def _stage(folder: Folder, n: int, data: bytes) -> str:
    """Write ``data`` to a new file in the staging folder; its path.  (It reaches the
    disk by the commit's one ``sync_all``, or here with ``SYNC_EACH``.)"""
    rel = f"{STAGE}/{n}.tmp"
    folder.write_new(rel, data, sync=SYNC_EACH)
    return rel


def _clear_stage(folder: Folder) -> None:
    """Delete the staging folder's files (plain files only: nothing else is ours)."""
    for entry in folder.names(STAGE):
        if entry.is_file(follow_symlinks=False) or entry.is_symlink():
            folder.unlink(f"{STAGE}/{entry.name}", missing_ok=True)
    folder.rmdir(STAGE)


def _prune_empty(folder: Folder, rel_dir: str) -> None:
    """Remove folders a removed file left empty (never the root itself)."""
    while rel_dir and folder.rmdir(rel_dir):
        rel_dir = rel_dir.rpartition("/")[0]


def _write_gitignore(folder: Folder) -> None:
    """``.gen-cache/.gitignore`` (the cache ignores itself in git; best effort)."""
    rel = f"{CACHE_DIR}/.gitignore"
    try:
        if folder.read(rel) != b"*\n":
            folder.unlink(rel, missing_ok=True)
            folder.write_new(rel, b"*\n")
    except (OSError, UnsafePath):
        pass


_STAGED = re.compile(r"\.gen-cache/stage/\d+\.tmp\Z")


def _write_journal(folder: Folder, moves: list[list[str]], deletes: list[list[str]]) -> None:
    """Store the journal (fsynced, then renamed into place and the folder fsynced)."""
    data = json.dumps({"journal": 1, "moves": moves, "deletes": deletes}).encode("utf-8")
    tmp = f"{STAGE}/journal.tmp"
    folder.unlink(tmp, missing_ok=True)
    folder.write_new(tmp, data)
    folder.replace(tmp, JOURNAL)
    folder.sync_dir(CACHE_DIR)


def _read_journal(folder: Folder) -> tuple[list[list[str]], list[list[str]]] | None:
    """The journal's moves and deletions, or None when there is none.  The folder is
    untrusted: a journal that is not exactly what ``_write_journal`` writes (staged
    files to plain paths, deletions with a sha256) is ignored as if absent."""
    try:
        data = folder.read(JOURNAL)
    except (OSError, UnsafePath):
        return None
    if data is None:
        return None
    try:
        doc = json.loads(data)
        moves, deletes = doc["moves"], doc["deletes"]
        ok = (set(doc) == {"journal", "moves", "deletes"} and doc["journal"] == 1
              and all(len(m) == 2 and _STAGED.match(m[0]) and _safe_rel(m[1]) and m[1].split("/")[0] != CACHE_DIR
                      for m in moves)
              and all(len(d) == 2 and _safe_rel(d[0]) and d[0] != MANIFEST and d[0].split("/")[0] != CACHE_DIR
                      and isinstance(d[1], str) for d in deletes))
    except (ValueError, UnicodeDecodeError, KeyError, TypeError):
        return None
    return (moves, deletes) if ok else None


def _apply(folder: Folder, moves: list[list[str]], deletes: list[list[str]]) -> None:
    """Do what a journal lists, skipping what is done already (a staged file no longer
    there was moved; a file whose bytes no longer match was deleted or replaced), then
    delete the journal.  Each step is a rename or a deletion: no space is needed."""
    touched = {""}
    for src, dst in moves:
        if folder.entry_kind(src) == "file":
            folder.dir_fd(dst.rpartition("/")[0], create=True)
            folder.replace(src, dst)
            touched.add(dst.rpartition("/")[0])
    for path, sha in deletes:
        if folder.entry_kind(path) == "file":
            data = folder.read(path)
            if data is not None and sha256(data) == sha:
                folder.unlink(path)
        _prune_empty(folder, path.rpartition("/")[0])
    if SYNC_EACH:
        for made in sorted(touched):
            folder.sync_dir(made)  # the renames survive a power loss
    else:
        folder.sync_all()  # the renames and deletions survive a power loss
    folder.unlink(JOURNAL, missing_ok=True)
    folder.sync_dir(CACHE_DIR)
    folder.rmdir(STAGE)


def _recover(folder: Folder) -> str:
    """Finish a committed build that was interrupted (see ``_apply``); "finished" when
    there was one, else ""."""
    journal = _read_journal(folder)
    if journal is None:
        return ""
    _apply(folder, *journal)
    return "finished"


def _remove_cache(folder: Folder) -> None:
    """Remove what ``write`` put in ``.gen-cache/`` of a folder it created."""
    _clear_stage(folder)
    for rel in (f"{CACHE_DIR}/{LOCK}", f"{CACHE_DIR}/.gitignore", JOURNAL):
        try:
            folder.unlink(rel, missing_ok=True)
        except (OSError, UnsafePath):
            pass
    folder.rmdir(CACHE_DIR)
