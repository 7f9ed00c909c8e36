"""The output folder's manifest format: ``MANIFEST.json`` lists every file a build
wrote, with its size and sha256, so that the next build knows what it owns.

Owns writing the document (deterministic bytes, the layout of ``json.dumps(doc,
indent=2, sort_keys=True)``) and reading it back as untrusted data.  It must not touch
the disk: ``generator.writer`` reads and writes the file.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re

MANIFEST = "MANIFEST.json"
MANIFEST_FORMAT = 1
CACHE_DIR = ".gen-cache"


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




def manifest_bytes(files: dict[str, bytes]) -> bytes:
    """The manifest for a tree: sorted paths with sha256 and size; deterministic."""
    return _manifest_doc(_entries(files))


def _entries(files: dict[str, bytes]) -> dict[str, dict]:
    """Each file's manifest entry."""
    return {p: {"sha256": sha256(b), "bytes": len(b)} for p, b in files.items()}


_HEX64 = re.compile(r"[0-9a-f]{64}\Z")


def _safe_rel(path: object) -> bool:
    """A normalised relative POSIX path inside the folder: no ``..``, ``.``, empty or
    absolute parts, no backslashes or NUL (string checks; pathlib is slow for hundreds
    of paths)."""
    return (
        isinstance(path, str)
        and bool(path)
        and "\\" not in path
        and "\0" not in path
        and not path.startswith("/")
        and all(part not in ("", ".", "..") for part in path.split("/"))
    )


def parse_manifest(data: bytes) -> dict[str, dict]:
    """The ``files`` of a manifest document, validated as data; ``ValueError`` naming
    the first problem otherwise.  Only what ``manifest_bytes`` writes is accepted:
    ``{"files": {path: {"bytes": int, "sha256": hex}}, "manifest_format": 1}`` with
    normalised relative paths outside ``.gen-cache/``."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"not JSON ({exc})") from None
    if not isinstance(doc, dict) or set(doc) != {"files", "manifest_format"}:
        raise ValueError('expected exactly the keys "files" and "manifest_format"')
    if doc["manifest_format"] != MANIFEST_FORMAT or type(doc["manifest_format"]) is not int:
        raise ValueError(f"manifest_format is {doc['manifest_format']!r}, not {MANIFEST_FORMAT}")
    files = doc["files"]
    if not isinstance(files, dict):
        raise ValueError('"files" is not an object')  # noqa: TRY004 (a data error, reported as one)
    for path, entry in files.items():
        if not _safe_rel(path) or posixpath.normpath(path) != path or path == MANIFEST or path.split("/")[0] == CACHE_DIR:
            raise ValueError(f"entry {json.dumps(path)} is not a plain relative path inside the folder")
        if (
            not isinstance(entry, dict)
            or entry.keys() != _ENTRY_KEYS
            or type(entry["bytes"]) is not int
            or entry["bytes"] < 0
            or not isinstance(entry["sha256"], str)
            or not _HEX64.match(entry["sha256"])
        ):
            raise ValueError(f'entry {json.dumps(path)} is not {{"bytes": <size>, "sha256": <64 hex digits>}}')
    return files


def with_manifest(files: dict[str, bytes]) -> dict[str, bytes]:
    """The tree plus its ``MANIFEST.json``."""
    tree = dict(files)
    tree[MANIFEST] = manifest_bytes(files)
    return tree
