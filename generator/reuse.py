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

Only ``gen build`` reuses; ``gen check`` (the CI gate) always renders afresh, so records
committed beside hand-edited files cannot make it call them correct.

This module decides what may be reused and what to record; it must not render, write
files or keep state beyond one ``Reuse`` object per build.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable

FORMAT = 1
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")

Files = dict[str, bytes]


def digest(data: bytes) -> str:
    """Hex sha256."""
    return hashlib.sha256(data).hexdigest()


def spec_fingerprint(spec: object, code: bytes) -> bytes:
    """The fingerprint of a target that declares none: the whole resolved spec (the
    frozen model's repr covers every field, source locations included) and ``code``."""
    return hashlib.sha256(repr(spec).encode("utf-8")).digest() + code


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
    with string names and paths and 64-digit lower-case hex digests, nothing else."""
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
            and set(rec) == {"fingerprint", "files"}
            and isinstance(rec["fingerprint"], str)
            and _HEX64.match(rec["fingerprint"])
            and isinstance(rec["files"], dict)
            and all(isinstance(p, str) and isinstance(h, str) and _HEX64.match(h) for p, h in rec["files"].items())
        ):
            out[name] = rec
    return out


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

    def lookup(self, name: str, fingerprint: bytes) -> Files | None:
        """The files recorded for ``name`` under ``fingerprint``, if all are intact."""
        rec = self._previous.get(name)
        if rec is None or rec["fingerprint"] != digest(fingerprint):
            return None
        files: Files = {}
        for path, sha in rec["files"].items():
            data = self._read(path)
            if data is None or digest(data) != sha:
                return None
            files[path] = data
        self.records[name] = rec
        return files

    def record(self, name: str, fingerprint: bytes, files: Files) -> None:
        """Remember that ``files`` are what ``name`` produces for ``fingerprint``."""
        self.records[name] = {
            "fingerprint": digest(fingerprint),
            "files": {p: digest(b) for p, b in sorted(files.items())},
        }
