"""Parsed spec files that ``gen build`` may reuse: the output folder's ``.gen-cache/parsed/``.

Parsing the YAML is the largest fixed cost of a rebuild (about 0.3 s of a 20,000-field
spec's 1.3 s no-change rebuild), and an edit touches one file.  ``ParsedFiles`` keeps, for
each spec file, what ``generator.load`` made of it (``RawFile``: data, positions, node
count), keyed by a digest of the file's path and bytes and of the generator's code and
tools (``reuse.code_identity``), so any change to the file or to the loader is a miss.
An entry is ``marshal`` data (values only: the format Python's own bytecode cache uses;
loading it runs nothing) followed by the sha256 of the key and the data; an entry that
does not verify, or holds anything but the expected shape, is not used, and the file is
parsed again.  Only files that parsed without a finding are kept.

Like the pieces (``generator.reuse``), an entry is a cache, not a trust anchor: whoever
controls the output folder can forge one that verifies.  Only ``gen build`` reads it;
``gen check`` always parses afresh.  Entries are written only by a build that succeeded
(``save``, under the build's lock), and ``save`` deletes the ones that build did not use.

An entry's name starts with an id of the file's path, so a file parsed afresh is compared
with the last build's parse of the same path: ``data_changed`` says whether the spec's
data (not its comments or layout) differs from the last build's.  The build uses that
only to order its work (``generator.build.render``); what it writes never depends on it.

This module owns that folder's format.  It must not parse YAML, resolve or render, and
touches the disk only through ``generator.outdir.Folder``.  ``GEN_NO_PARSED_CACHE=1``
turns it off (``benchmarks/bench_build.py``'s comparison row).
"""

from __future__ import annotations

import hashlib
import marshal
import os
from pathlib import Path

from generator.load import RawFile
from generator.outdir import Folder

PARSED = ".gen-cache/parsed"
_MAGIC = b"gen-parsed 1\n"


class ParsedFiles:
    """The parsed spec files of one output folder (see the module docstring).  ``get``
    and ``put`` are what ``generator.load.load_dir`` asks; ``save`` stores what this run
    parsed and drops the entries it did not use."""

    def __init__(self, out_dir: Path | str | None):
        from generator.reuse import code_identity

        self._code = code_identity()
        self._used: set[str] = set()
        self._new: dict[str, bytes] = {}
        self._seen: set[str] = set()  # the files asked for, by path id
        self._changed = False  # a file parsed to other data than the last build's
        self._unknown = False  # a file parsed afresh with no verifying entry to compare with
        self._old: dict[str, list[str]] | None = None  # the stored entries, by path id
        self._folder: Folder | None = None
        if out_dir is not None and not os.environ.get("GEN_NO_PARSED_CACHE"):
            try:
                self._folder = Folder(out_dir)
            except Exception:  # noqa: BLE001 (a file where the folder should be: no cache)
                self._folder = None

    def close(self) -> None:
        if self._folder is not None:
            self._folder.close()
            self._folder = None

    def _key(self, rel: str, data: bytes) -> str:
        """An entry's name: the path's id, then the digest of path, bytes and code."""
        h = hashlib.sha256(_MAGIC + self._code)
        h.update(rel.encode("utf-8") + b"\0")
        h.update(data)
        return f"{_path_id(rel)}-{h.hexdigest()}"

    def _stored(self) -> dict[str, list[str]]:
        """The entries in the folder when this run began, by path id."""
        if self._old is None:
            self._old = {}
            try:
                names = [e.name for e in self._folder.names(PARSED)] if self._folder is not None else []
            except Exception:  # noqa: BLE001 (not usable: as if empty)
                names = []
            for name in names:
                self._old.setdefault(name.partition("-")[0], []).append(name)
        return self._old

    @property
    def data_changed(self) -> bool | None:
        """Whether the spec's data differs from what the last build that stored entries
        parsed: True for a file added or removed, or a file whose new parse holds other
        data; False when every file's data is the last build's (a comment or a layout
        change is not a change); None when that cannot be known (no cache, no entries
        from an earlier build, or an entry that does not verify).  A hint for the order
        of the build's work, never for what it writes."""
        if self._folder is None or not self._stored():
            return None
        if self._changed or set(self._stored()) - self._seen:
            return True
        return None if self._unknown else False

    def get(self, rel: str, data: bytes) -> RawFile | None:
        """The parse of the file ``rel`` holding ``data``, if an entry verifies."""
        if self._folder is None:
            return None
        key = self._key(rel, data)
        self._seen.add(_path_id(rel))
        try:
            blob = self._folder.read(f"{PARSED}/{key}")
        except Exception:  # noqa: BLE001 (a link, a folder, a permission: not usable)
            return None
        raw = _parse(key, rel, blob) if blob is not None else None
        if raw is not None:
            self._used.add(key)
        return raw

    def put(self, rel: str, data: bytes, raw: RawFile) -> None:
        """Remember the parse of a file that loaded without a finding (encoded now:
        the loaded data may be shared with what is built from it)."""
        if self._folder is None:
            return
        key = self._key(rel, data)
        try:
            body = _MAGIC + marshal.dumps((raw.path, raw.data, raw.positions, raw.nodes))
        except ValueError:  # (a value marshal cannot hold: not cached)
            return
        self._new[key] = body + hashlib.sha256(key.encode() + body).digest()
        self._used.add(key)
        if self._changed:
            return
        # Parsed afresh: is its data the last build's?  (No entry for the path while
        # others exist: a file added.)
        names = self._stored().get(_path_id(rel), ())
        olds = [old for old in (self._old_parse(name, rel) for name in names) if old is not None]
        if olds:
            self._changed = all(old.data != raw.data for old in olds)
        elif names:
            self._unknown = True
        else:
            self._changed = True

    def _old_parse(self, name: str, rel: str) -> RawFile | None:
        try:
            blob = self._folder.read(f"{PARSED}/{name}") if self._folder is not None else None
        except Exception:  # noqa: BLE001 (not usable)
            return None
        return _parse(name, rel, blob) if blob is not None else None

    def save(self, folder: Folder) -> None:
        """Store the new entries in ``folder`` (the build's, under its lock) and delete
        the entries this run did not use (a cache: failures are ignored)."""
        if self._folder is None:
            return
        try:
            for key, blob in self._new.items():
                folder.put_cached(f"{PARSED}/{key}", blob)
            folder.keep_only(PARSED, self._used)
        except Exception:  # noqa: BLE001, S110 (no room, no permission: just not cached)
            pass


def _path_id(rel: str) -> str:
    return hashlib.sha256(rel.encode("utf-8")).hexdigest()[:16]


def _parse(key: str, rel: str, blob: bytes) -> RawFile | None:
    """The ``RawFile`` of an entry, or None when it does not verify or is not one."""
    body, digest = blob[:-32], blob[-32:]
    if not body.startswith(_MAGIC) or hashlib.sha256(key.encode() + body).digest() != digest:
        return None
    try:
        value = marshal.loads(body[len(_MAGIC):])
    except (ValueError, EOFError, TypeError):
        return None
    if not (isinstance(value, tuple) and len(value) == 4):
        return None
    path, data, positions, nodes = value
    if path != rel or not isinstance(data, dict) or not isinstance(positions, dict) or type(nodes) is not int:
        return None
    return RawFile(path, data, positions, nodes)
