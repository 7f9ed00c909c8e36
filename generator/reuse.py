"""What a build may reuse: canonical digests of the resolved spec, and the piece store.

A *piece* is what one step of a build renders: a whole target's files, a units target's
shared files, or one payload's files of every units target (``generator.build``).  Its
*key* is a digest of exactly its inputs in canonical form:

* the resolved data it reads, encoded by ``canonical`` (plain JSON of every field of
  the frozen model, in declaration order, with no source positions: a ``Location`` is
  its file alone, which is all a target may print of it), so a comment line or a moved
  block changes no key whose data did not change;
* the generator's code and tools (``code_identity``: every file of the package, the
  Python version and the installed distributions), so any edit of any module changes
  every key.

Pieces are stored in the output folder's ``.gen-cache/pieces/``, one file named by its
key (``PieceStore``), holding the piece's files and the sha256 of its key and content.
A piece is used only when that digest verifies and every path in it is a plain relative
path; anything else (a truncated, edited or foreign file) is simply not used, and the
piece is rendered again.  Nothing here trusts a record of the last build: there is no
record, only pieces that prove their own content.

Only ``gen build`` reuses; ``gen check`` (the CI gate) always renders afresh.

This module owns digests and the store's format; it must not render, decide the build's
order, or touch the disk except through the ``generator.outdir.Folder`` it is handed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from operator import attrgetter
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from generator.manifest import _safe_rel
from generator.model import Location

if TYPE_CHECKING:
    from generator.model import Spec
    from generator.outdir import Folder

Files = dict[str, bytes]
PIECES = ".gen-cache/pieces"
_MAGIC = b"gen-piece 1\n"


# --- canonical digests ------------------------------------------------------------------


def _encode(obj: Any) -> Any:
    """``json``'s hook for what it cannot encode itself (its C encoder does the rest:
    strings, numbers, lists, tuples as lists, dicts in their order): a dataclass as
    ``[class name, [every field but _-prefixed caches, in declaration order]]``, a
    ``Location`` as its file only, another mapping as ``{"{}": its items}``, a set
    sorted.  Raises ``TypeError`` for anything else, so a new kind of value in the
    model fails loudly instead of being digested by identity."""
    t = type(obj)
    if t is Location:
        return ["@", obj.file]
    get = _GETTERS.get(t)
    if get is None:
        if t is MappingProxyType:
            return {"{}": list(obj.items())}
        if isinstance(obj, Mapping):
            return {"{}": list(obj.items())}
        if t is frozenset or t is set:
            return {"set": sorted(canonical(x).decode("utf-8") for x in obj)}
        if not dataclasses.is_dataclass(t):
            raise TypeError(f"no canonical form for {t.__name__}")
        names = [f.name for f in dataclasses.fields(t) if not f.name.startswith("_")]
        get = _GETTERS[t] = (lambda o, g=attrgetter(*names): (g(o),)) if len(names) == 1 else attrgetter(*names)
    return [t.__name__, get(obj)]


#: Each dataclass type's field getter (a table of types, not of values).
_GETTERS: dict[type, Any] = {}
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False, default=_encode)


def canonical(obj: Any) -> bytes:
    """The canonical bytes of a piece of the resolved model (see ``_encode``)."""
    return _ENCODER.encode(obj).encode("utf-8")


@dataclass(frozen=True)
class Digests:
    """The digests of one resolved spec that keys are made of: ``rest`` (everything but
    the payloads), ``payloads`` (each payload's, by wire name, in spec order) and
    ``whole`` (both, with the payloads' order), each combined with the code."""

    rest: bytes
    payloads: dict[str, bytes]
    whole: bytes

    @classmethod
    def of(cls, spec: Spec, code: bytes) -> Digests:
        """The digests of ``spec`` with ``code`` (``code_identity()``)."""
        rest = [(f.name, getattr(spec, f.name)) for f in dataclasses.fields(spec)
                if f.name != "payloads" and not f.name.startswith("_")]
        rest_d = _h(code, b"rest", canonical(rest))
        payloads = {p.wire_name: _h(rest_d, b"payload", canonical(p)) for p in spec.payloads}
        whole = _h(rest_d, b"whole", *(w.encode("utf-8") + b"\0" + d for w, d in payloads.items()))
        return cls(rest_d, payloads, whole)

    def whole_key(self, target: str) -> str:
        """The key of a whole target's files (or a units target's shared ones)."""
        return _h(self.whole, b"target", target.encode("utf-8")).hex()

    def unit_key(self, wire_name: str) -> str:
        """The key of one payload's files of every units target."""
        return _h(self.payloads[wire_name], b"units").hex()


def _h(*parts: bytes) -> bytes:
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.digest()


def code_identity() -> bytes:
    """What any target's code can depend on: the content of every file of the generator
    package (modules, templates, schemas), the Python version and the installed
    distributions (the names of the ``*.dist-info`` folders in site-packages, which
    carry their versions).  Computed once per build (a few milliseconds)."""
    import sysconfig

    h = hashlib.sha256(sys.version.encode())
    root = os.path.dirname(os.path.abspath(__file__))
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if not name.endswith(".pyc"):
                with open(os.path.join(folder, name), "rb") as fh:
                    h.update(f"{folder[len(root):]}/{name}\0".encode() + hashlib.sha256(fh.read()).digest())
    for entry in sorted({sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}):
        try:
            names = sorted(n for n in os.listdir(entry) if n.endswith((".dist-info", ".egg-info")))
        except OSError:
            continue
        h.update("\0".join(names).encode())
    return h.digest()


# --- the piece store --------------------------------------------------------------------


def piece_bytes(key: str, files: Files) -> bytes:
    """A piece's file: a magic line, each file as ``path NUL size LF bytes``, then the
    sha256 of the key and everything before it (what ``parse_piece`` verifies)."""
    body = [_MAGIC]
    for path, data in sorted(files.items()):
        body.append(f"{path}\0{len(data)}\n".encode())
        body.append(data)
    raw = b"".join(body)
    return raw + hashlib.sha256(key.encode() + raw).digest()


def parse_piece(key: str, data: bytes) -> Files | None:
    """The files of a piece stored under ``key``, or None when it does not verify."""
    raw, digest = data[:-32], data[-32:]
    if not raw.startswith(_MAGIC) or hashlib.sha256(key.encode() + raw).digest() != digest:
        return None
    files: Files = {}
    pos = len(_MAGIC)
    try:
        while pos < len(raw):
            head_end = raw.index(b"\n", pos)
            path_b, _, size_b = raw[pos:head_end].partition(b"\0")
            path, size = path_b.decode("utf-8"), int(size_b)
            start = head_end + 1
            if not _safe_rel(path) or path in files or size < 0 or start + size > len(raw):
                return None
            files[path] = raw[start:start + size]
            pos = start + size
    except (ValueError, UnicodeDecodeError):
        return None
    return files


class PieceStore:
    """The pieces under ``.gen-cache/pieces/`` of one output folder, read and written
    through its ``Folder`` (never out of it, never through a link).  ``get`` returns a
    verified piece or None; ``put`` stores one; ``keep_only`` deletes every piece this
    build did not use or store, so the folder holds one build's worth."""

    def __init__(self, folder: Folder | None):
        self._folder = folder
        self.used: set[str] = set()

    def get(self, key: str) -> Files | None:
        """The piece stored under ``key``, if it is there and verifies."""
        if self._folder is None:
            return None
        try:
            data = self._folder.read(f"{PIECES}/{key}")
        except Exception:  # noqa: BLE001 (a link, a folder, a permission: not usable)
            return None
        files = parse_piece(key, data) if data is not None else None
        if files is not None:
            self.used.add(key)
        return files

    def put(self, key: str, files: Files) -> None:
        """Store a piece (a cache: a failure to store it is not an error)."""
        self.used.add(key)
        if self._folder is None:
            return
        try:
            self._folder.put_cached(f"{PIECES}/{key}", piece_bytes(key, files))
        except Exception:  # noqa: BLE001, S110 (no room, no permission: just not cached)
            pass

    def keep_only(self) -> None:
        """Delete every stored piece not used or stored by this build."""
        if self._folder is None:
            return
        try:
            self._folder.keep_only(PIECES, self.used)
        except Exception:  # noqa: BLE001, S110 (a cache: left as it is)
            pass
