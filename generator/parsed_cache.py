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

        self._out_dir = out_dir
        self._code = code_identity()
        self._used: set[str] = set()
        self._new: dict[str, bytes] = {}
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
        h = hashlib.sha256(_MAGIC + self._code)
        h.update(rel.encode("utf-8") + b"\0")
        h.update(data)
        return h.hexdigest()

    def get(self, rel: str, data: bytes) -> RawFile | None:
        """The parse of the file ``rel`` holding ``data``, if an entry verifies."""
        if self._folder is None:
            return None
        key = self._key(rel, data)
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

    def save(self, folder: Folder) -> None:
        """Store the new entries in ``folder`` (the build's, under its lock) and delete
        the entries this run did not use (a cache: failures are ignored)."""
        if self._folder is None:
            return
        try:
            folder.dir_fd(PARSED, create=True)
            for key, blob in self._new.items():
                tmp = f"{PARSED}/{key}.tmp"
                folder.unlink(tmp, missing_ok=True)
                folder.write_new(tmp, blob, sync=False)
                folder.replace(tmp, f"{PARSED}/{key}")
            for entry in folder.names(PARSED):
                if entry.name not in self._used:
                    folder.unlink(f"{PARSED}/{entry.name}", missing_ok=True)
        except Exception:  # noqa: BLE001, S110 (no room, no permission: just not cached)
            pass


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
