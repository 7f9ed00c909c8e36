"""The build's one reuse mechanism: a target's last output, while its fingerprint holds.

Every target has a fingerprint: the one it declares (``fingerprint(spec)``, see
``generator.targets``; the models declare their generator input and tools), else the
whole resolved spec and the generator's code (``spec_fingerprint``).  A target gets its
files from the last build instead of rendering again when both hold:

* the fingerprint is the one the last build recorded for that target, and
* every file the record lists is on disk with exactly the recorded sha256 (read through
  ``generator.writer.read_generated``, which never leaves the output folder), so a hand
  edit, a lost file or an edited manifest means "render again" and ``gen check`` still
  sees every difference.

Records live in the output folder (``.gen-cache/fingerprints.json``, ignored by git,
written only by ``generator.writer``), because they describe the files there.  That
folder is untrusted input, so a record is validated as data and anything unexpected in
it means no reuse, never an error.  A fresh clone (CI) has no records and renders
everything: a fingerprint covers the installed tools, which must not enter the
committed, deterministic output.

A target whose files are mostly one or more per payload (the schemas, the warehouse
tables, the conformance vectors) declares the ``units`` hook instead: each payload's
files are a unit whose fingerprint is that payload and the rest of the spec
(``unit_fingerprints``), recorded with the files of each unit; a rebuild takes every
unit whose fingerprint holds and whose files are intact from the folder
(``previous_units``) and renders the others and the target's shared files.

A target may also reuse *part* of its last output: with the optional ``parts`` hook it
declares a fingerprint per part (the models: one per payload), stored in its record
beside the files; when the target's fingerprint changed, ``previous(name)`` still hands
it the last record's part fingerprints and its intact files, so it regenerates only the
parts whose fingerprint changed (``generator.targets.models``).  The target must give
the same bytes as a cold build (tested for edits of one payload, a shared section and a
product-wide property).

Only ``gen build`` reuses; ``gen check`` (the CI gate) always renders afresh, so records
committed beside hand-edited files cannot make it call them correct.

This module decides what may be reused and what to record; it must not render, write
files or keep state beyond one ``Reuse`` object per build.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from generator.manifest import known_digest

if TYPE_CHECKING:
    from generator.model import Spec

FORMAT = 1
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")

Files = dict[str, bytes]


def digest(data: bytes) -> str:
    """Hex sha256."""
    return hashlib.sha256(data).hexdigest()


def spec_digests(spec: Spec) -> tuple[bytes, dict[str, bytes]]:
    """(a digest of everything in the resolved spec but its payloads, {wire name: a
    digest of that payload}), computed once per spec (``Spec.memo``).  Each is the
    sha256 of the frozen model's pickle (protocol 5), which holds every field, source
    locations included (kinds, constants, by id): equal bytes mean equal values, and
    pickling is twice as fast as ``repr`` (0.08 s for 20,000 fields)."""
    import pickle

    def compute() -> tuple[bytes, dict[str, bytes]]:
        rest = [getattr(spec, f.name) for f in dataclasses.fields(spec) if f.repr and f.name != "payloads"]
        return (hashlib.sha256(pickle.dumps(rest, protocol=5)).digest(),
                {p.wire_name: hashlib.sha256(pickle.dumps(p, protocol=5)).digest() for p in spec.payloads})

    return spec.memo("reuse_digests", compute)


def spec_fingerprint(spec: Spec, code: bytes) -> bytes:
    """The fingerprint of a target that declares none: the whole resolved spec (its
    digests, in spec order) and ``code``."""
    rest, payloads = spec_digests(spec)
    h = hashlib.sha256(rest)
    for wire_name, d in payloads.items():
        h.update(wire_name.encode("utf-8") + b"\0" + d)
    return h.digest() + code


def unit_fingerprints(spec: Spec, code: bytes) -> dict[str, bytes]:
    """The fingerprint of each payload's unit (see ``Reuse.previous_units``): the
    payload, everything in the spec but the payloads, and ``code``."""
    rest, payloads = spec_digests(spec)
    return {w: hashlib.sha256(code + rest + d).digest() for w, d in payloads.items()}


def code_identity() -> bytes:
    """What a target's code can depend on: the content of every file of the generator
    package (modules, templates, schemas), the Python version and the installed
    distributions (the names of the ``*.dist-info`` folders in site-packages, which
    carry their versions; not the rest of ``sys.path``, which depends on how ``gen`` was
    started).  Computed by the build once (a few milliseconds)."""
    import os
    import sys

    h = hashlib.sha256(sys.version.encode())
    root = os.path.dirname(os.path.abspath(__file__))
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if not name.endswith(".pyc"):
                with open(os.path.join(folder, name), "rb") as fh:
                    h.update(f"{folder[len(root):]}/{name}\0".encode() + hashlib.sha256(fh.read()).digest())
    import sysconfig

    for entry in sorted({sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}):
        try:
            names = sorted(n for n in os.listdir(entry) if n.endswith((".dist-info", ".egg-info")))
        except OSError:
            continue
        h.update("\0".join(names).encode())
    return h.digest()


def parse_records(data: bytes | None) -> dict[str, dict]:
    """The records in a ``fingerprints.json`` document; {} for anything malformed.

    Kept: ``{"format": 1, "targets": {name: {"fingerprint": hex, "files": {path: hex}}}}``
    (optionally ``"parts": {part: hex}`` beside ``files``) with string names, paths and
    parts and 64-digit lower-case hex digests, nothing else."""
    if data is None:
        return {}
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return {}
    if not isinstance(doc, dict) or set(doc) != {"format", "targets"} or doc["format"] != FORMAT:
        return {}
    targets = doc["targets"]
    if not isinstance(targets, dict):
        return {}
    out = {}
    for name, rec in targets.items():
        if (
            isinstance(rec, dict)
            and set(rec) in _RECORD_KEYS
            and isinstance(rec["fingerprint"], str)
            and _HEX64.match(rec["fingerprint"])
            and _digests(rec["files"])
            and _digests(rec.get("parts", {}))
            and _units(rec.get("units", {}), rec["files"], rec.get("parts", {}))
            and _digests(rec.get("keys", {}))
            and set(rec.get("keys", {})) <= set(rec.get("parts", {}))
        ):
            out[name] = rec
    return out


_RECORD_KEYS = ({"fingerprint", "files"}, {"fingerprint", "files", "parts"}, {"fingerprint", "files", "parts", "units"},
                {"fingerprint", "files", "parts", "keys"})


def _units(value: object, files: dict, parts: dict) -> bool:
    """Whether ``value`` maps parts to lists of recorded files."""
    return isinstance(value, dict) and all(
        k in parts and isinstance(paths, list) and all(isinstance(p, str) and p in files for p in paths)
        for k, paths in value.items()
    )


def _digests(value: object) -> bool:
    """Whether ``value`` is a ``{str: 64-digit hex}`` mapping."""
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(h, str) and _HEX64.match(h) for k, h in value.items()
    )


def records_bytes(records: dict[str, dict]) -> bytes:
    """The ``fingerprints.json`` document for ``records`` (deterministic)."""
    doc = {"format": FORMAT, "targets": records}
    return (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode("utf-8")


class Reuse:
    """One build's view of the last build's records.

    ``lookup(name, fingerprint)`` returns the last output of target ``name`` if it may be
    reused; ``record(name, fingerprint, files)`` notes what this build produced.
    ``records`` is what this build leaves for the next one (the writer stores it)."""

    def __init__(self, previous: dict[str, dict], read: Callable[[str], bytes | None]):
        self._previous = previous
        self._read = read
        self.records: dict[str, dict] = {}
        #: Every file read back and checked: path -> (its bytes, their sha256), so that
        #: neither the records nor the manifest hash those bytes again.
        self.verified: dict[str, tuple[bytes, str]] = {}

    def lookup(self, name: str, fingerprint: bytes) -> Files | None:
        """The files recorded for ``name`` under ``fingerprint``, if all are intact."""
        rec = self._previous.get(name)
        if rec is None or rec["fingerprint"] != digest(fingerprint):
            return None
        files = self._intact(rec)
        if files is not None:
            self.records[name] = rec
        return files

    def previous(self, name: str, parts: dict[str, str] | None) -> Previous | None:
        """The last output of ``name`` and which of ``parts`` (this build's part
        digests) differ from its record, whatever the target's fingerprint was, if it
        recorded parts and all its files are intact (for a partial rebuild)."""
        rec = self._previous.get(name)
        if rec is None or not rec.get("parts") or not parts:
            return None
        files = self._intact(rec)
        if files is None:
            return None
        old = rec["parts"]
        return Previous(frozenset(k for k, d in parts.items() if old.get(k) != d), files)

    def known_parts(self, name: str, keys: dict[str, bytes]) -> dict[str, str]:
        """The recorded digest of each part of ``name`` whose key is the recorded one:
        ``keys`` maps a part to what it was computed from (the models: the payload's
        unit fingerprint), so the target need not compute those parts again."""
        rec = self._previous.get(name)
        if rec is None or "keys" not in rec:
            return {}
        old = rec["keys"]
        return {k: rec["parts"][k] for k, fp in keys.items() if k in old and old[k] == digest(fp)}

    def previous_units(self, name: str, units: dict[str, bytes]) -> dict[str, Files]:
        """The last output of each unit of ``name`` (a target with the ``units`` hook:
        the files of one payload) whose fingerprint in ``units`` is the recorded one and
        whose files are intact, whatever the target's fingerprint was."""
        rec = self._previous.get(name)
        if rec is None or "units" not in rec:
            return {}
        out: dict[str, Files] = {}
        for unit, paths in rec["units"].items():
            fp = units.get(unit)
            if fp is None or rec["parts"][unit] != digest(fp):
                continue
            files = self._intact({"files": {p: rec["files"][p] for p in paths}})
            if files is not None:
                out[unit] = files
        return out

    def _intact(self, rec: dict) -> Files | None:
        """The files ``rec`` lists, read back, or None if any is missing or differs."""
        files: Files = {}
        for path, sha in rec["files"].items():
            data = self._read(path)
            if data is None or digest(data) != sha:
                return None
            files[path] = data
            self.verified[path] = (data, sha)
        return files

    def record(self, name: str, fingerprint: bytes, files: Files, parts: dict[str, str] | None = None,
               units: dict[str, list[str]] | None = None, keys: dict[str, bytes] | None = None) -> None:
        """Remember that ``files`` are what ``name`` produces for ``fingerprint`` (and,
        for a target with parts, the digest of each part; with units, the files of each;
        with keys, what each part was computed from, see ``known_parts``)."""
        rec: dict = {
            "fingerprint": digest(fingerprint),
            "files": {p: known_digest(self.verified, p, b) for p, b in sorted(files.items())},
        }
        if parts:
            rec["parts"] = dict(sorted(parts.items()))
        if parts and units is not None:
            rec["units"] = {k: sorted(units[k]) for k in sorted(units)}
        elif parts and keys is not None:
            rec["keys"] = {k: digest(keys[k]) for k in sorted(keys) if k in parts}
        self.records[name] = rec


@dataclass(frozen=True)
class Previous:
    """A target's last output (``files``, intact) and the parts whose fingerprint is
    not the one recorded with it (``changed``: new parts included)."""

    changed: frozenset[str]
    files: Files
