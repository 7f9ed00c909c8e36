"""Inputs and formats: which files a command line names, how they are read, and how a
document's bytes become a JSON value.

``sources`` turns paths (files, folders, ``-``) into ``Source``s; ``batches`` cuts them
into units of work, streaming NDJSON a block at a time (``line_blocks``) so memory does
not grow with the input; ``parse`` turns one document's bytes into a value or a
``Problem``.  ``gen infer`` reads captured traffic through these same functions.  This
module decides nothing about payloads or schemas and never checks a document.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from typing import Any, NamedTuple

from . import optional
from .problems import (
    MALFORMED,
    MAX_DEPTH,
    TOO_DEEP,
    TOO_LARGE,
    UNPORTABLE,
    UNREADABLE,
    Problem,
)

MAX_DOCUMENT_BYTES = 1 << 20  # one NDJSON line (or one .json item) larger than this is skipped
MAX_JSON_FILE_BYTES = 64 << 20  # a whole .json file is parsed at once, so it is capped too
BATCH_LINES = 4096  # lines per unit of work (a --jobs worker's task)
READ_BLOCK = 1 << 20  # bytes read at a time from an NDJSON input
BATCH_BYTES = 8 << 20  # a unit of work holds at most about this much input
NDJSON_SUFFIXES = (".ndjson", ".jsonl")
JSON_SUFFIXES = (".json",)
BOM = b"\xef\xbb\xbf"


class Source(NamedTuple):
    """One input: a file path (None for standard input), its label in reports (escaped:
    a file name cannot forge a report line), its format ("ndjson" or "json"), the
    payload name its bare objects default to, and the problem that stops it from being
    read at all (a folder that cannot be listed, a symlink not followed, a device)."""

    path: str | None
    label: str
    format: str
    default_name: str | None
    problem: Problem | None = None


class UsageError(Exception):
    """Inputs that cannot be checked at all (a missing path); the CLI exits 2."""


# --------------------------------------------------------------------------- parsing


# The values policy (docs/validate.md): a document is read as I-JSON (RFC 7493), the
# subset every JSON parser reads alike.  Valid JSON outside it is reported as an
# "unportable value" before any schema is applied, so the engine, the generated models
# and any double-based consumer agree: a number beyond a 64-bit float's range (1e400,
# 2**1024, any integer of 309 digits or more, which Python and pydantic would otherwise
# read as infinity or refuse), and a lone UTF-16 surrogate escape ("\ud800", which is
# not Unicode text).  Integers inside that range are read exactly.
MAX_FLOAT = 1.7976931348623157e308
_LONG_NUMBER = re.compile(r"[0-9]{20}").search  # for text; bytes go through _DIGITS
_DIGITS = bytes(0x39 if 0x30 <= i <= 0x39 else 0x20 for i in range(256))  # digits -> 9, else space
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]").search


class _Unportable(ValueError):
    """A valid JSON value outside I-JSON (see above)."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _Unportable(f"{text[:20]}{'...' if len(text) > 20 else ''} is beyond the range of a 64-bit float")
    return value


def _double_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > 309:
        raise _Unportable(f"an integer of {digits} digits is beyond the range of a 64-bit float")
    value = int(text)
    if abs(value) > MAX_FLOAT:
        raise _Unportable(f"an integer of {digits} digits is beyond the range of a 64-bit float")
    return value


def _lone_surrogate(value: Any) -> str | None:
    """The first string (key or value) holding a lone surrogate, if any."""
    stack = [value]
    while stack:
        obj = stack.pop()
        if isinstance(obj, str):
            try:
                obj.encode("utf-8")
            except UnicodeEncodeError:
                return obj
        elif isinstance(obj, dict):
            stack.extend(obj)
            stack.extend(obj.values())
        elif isinstance(obj, list):
            stack.extend(obj)
    return None


def parse_slow(data: bytes | str) -> tuple[Any, Problem | None]:
    """The standard library parser, with its errors turned into problems and the
    values policy above applied."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return None, Problem(MALFORMED, None, f"not UTF-8 (byte {exc.start + 1})")
    else:
        text = data
    # Only a run of 20 digits can be an integer beyond 64 bits: the per-integer check
    # (a Python call each) is paid by the documents that have one.
    parse_int = _double_int if not orjson_safe(data) else None
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float, parse_int=parse_int)
    except RecursionError:
        return None, Problem(TOO_DEEP, None, f"more than {MAX_DEPTH} levels")
    except _Unportable as exc:
        return None, Problem(UNPORTABLE, None, f"{exc}; numbers must fit one (RFC 7493, I-JSON)")
    except json.JSONDecodeError as exc:
        return None, Problem(MALFORMED, None, f"{exc.msg} (column {exc.colno})")
    except (ValueError, UnicodeDecodeError) as exc:
        return None, Problem(MALFORMED, None, str(exc).split("\n")[0][:200])
    if _SURROGATE_ESCAPE(text) is not None:
        bad = _lone_surrogate(value)
        if bad is not None:
            return None, Problem(UNPORTABLE, None, f"{ascii(bad)[:60]} holds a lone UTF-16 surrogate, which is not "
                                 "Unicode text (RFC 7493, I-JSON)")
    return value, None


_KEY = re.compile(rb'"([^"]*)":')


def duplicate_key(data: bytes | str) -> str | None:
    """The first key that one object of the JSON text ``data`` holds twice (I-JSON
    forbids it: parsers that keep the first value and those that keep the last would
    disagree), or None.

    Most documents are settled in C: without a backslash (no escaped key, no escaped
    colon), the text's colons are its members' plus those inside strings, and msgspec's
    compact re-encoding of what it read has the same strings; so equal colon counts mean
    no member was lost to a repeated key.  (Without msgspec: every colon right after a
    quote, and the quoted runs before colons all different.)  Otherwise the standard
    library's parser hands each object's pairs over, and a dict of them that is shorter
    names the key."""
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    colons = raw.count(b":")
    if not colons:
        return None  # no object member at all
    if b"\\" not in raw:
        msgspec = optional.msgspec
        if msgspec is not None:
            try:
                if msgspec.json.encode(msgspec.json.decode(raw)).count(b":") == colons:
                    return None
            except (msgspec.DecodeError, msgspec.EncodeError, TypeError, ValueError, OverflowError, RecursionError):
                pass
        elif raw.count(b'":') == colons:
            keys = _KEY.findall(raw)
            # (each '":' ends one match, which starts at the quote before it: a key's own)
            if len(keys) == colons and len(keys) == len(set(keys)):
                return None
    found: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        d = dict(items)
        if len(d) != len(items) and not found:
            seen: set[str] = set()
            for k, _v in items:
                if k in seen:
                    found.append(k)
                    break
                seen.add(k)
        return d

    try:
        json.loads(raw, object_pairs_hook=pairs)
    except (ValueError, RecursionError):
        return None  # not JSON: the parser says why
    return found[0] if found else None


def duplicate_problem(key: str) -> Problem:
    """The ``unportable-value`` problem of a key held twice by one object."""
    return Problem(UNPORTABLE, None, f"the key {ascii(key)[1:-1][:60]!r} appears twice in one object; "
                   "keys must be unique (RFC 7493, I-JSON)")


def orjson_safe(data: bytes | str) -> bool:
    """Whether orjson reads ``data`` exactly as ``parse_slow`` does: not when it holds a
    run of 20 digits (orjson turns integers beyond 64 bits into floats).  For bytes a
    translation and a substring search in C (a regex costs ten times more)."""
    if isinstance(data, str):
        return _LONG_NUMBER(data) is None
    return b"99999999999999999999" not in data.translate(_DIGITS)


def parse(data: bytes | str) -> tuple[Any, Problem | None]:
    """Parse one JSON document: ``(value, None)`` or ``(None, problem)``; a key held
    twice by one object is an ``unportable-value`` (``duplicate_key``)."""
    value, problem = _parse(data)
    if problem is None:
        dup = duplicate_key(data)
        if dup is not None:
            return None, duplicate_problem(dup)
    return value, problem


def _parse(data: bytes | str) -> tuple[Any, Problem | None]:
    orjson = optional.orjson
    if orjson is not None and orjson_safe(data):
        try:
            return orjson.loads(data), None
        except orjson.JSONDecodeError as exc:
            if "depth" in exc.msg or "recursion" in exc.msg.lower():
                return None, Problem(TOO_DEEP, None, f"more than {MAX_DEPTH} levels")
            # orjson rejects a few documents the standard library reads (lone surrogates,
            # numbers beyond a double); parse_slow says why in the policy's words.
    return parse_slow(data)


# --------------------------------------------------------------------------- discovery


# A payload's wire name, as the spec format allows it.
_WIRE_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")


def _default_name(path: str, names: frozenset[str]) -> str | None:
    """The payload a file's bare objects belong to: the file's name (without its
    suffixes) or its folder's, when the spec has that payload.  A ``.json`` file is one
    payload's document(s), so a ``.json`` file named like a payload the spec does not
    have (``activity.json``) still names it, and its objects are ``unknown-payload
    'activity'``, as the same documents sent as track messages are.  An NDJSON stream
    is often named after where it was captured (``segment.ndjson``), so its name counts
    only when it is a payload of the spec."""
    base = os.path.basename(path)
    stem = base.split(".", 1)[0] if not base.startswith(".") else base
    if stem in names:
        return stem
    parent = os.path.basename(os.path.dirname(os.path.abspath(path)))
    if parent in names:
        return parent
    if base.lower().endswith(JSON_SUFFIXES) and _WIRE_NAME.fullmatch(stem):
        return stem
    return None


def format_of(path: str) -> str:
    """``"json"`` for a ``.json`` file, else ``"ndjson"``."""
    return "json" if path.lower().endswith(JSON_SUFFIXES) else "ndjson"


def label_of(path: str) -> str:
    """A path as reports print it: ``/`` separators, and every character that is not
    printable (a newline, an escape, an undecodable byte) written as an escape."""
    path = path.replace(os.sep, "/")
    if path.isprintable():
        return path
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in path)


def _kind_of(mode: int) -> str:
    for test, name in ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISFIFO, "a named pipe"),
                       (stat.S_ISLNK, "a symbolic link")):
        if test(mode):
            return name
    return "not a regular file"


def _problem_source(path: str, detail: str) -> Source:
    return Source(path, label_of(path), "ndjson", None, Problem(UNREADABLE, None, detail))


def _listing(folder: str) -> tuple[list[os.DirEntry[str]], Source | None]:
    try:
        with os.scandir(folder) as it:
            return sorted(it, key=lambda e: e.name), None
    except OSError as exc:
        return [], _problem_source(folder, f"cannot list the folder: {exc.strerror or exc}")


def _walk(folder: str, names: frozenset[str], payload: str | None) -> Iterator[Source]:
    """The JSON files below a folder: a folder's own files in name order, then each
    subfolder in name order (``os.walk``'s order, iteratively: any depth).  Hidden
    entries are skipped; a symbolic link is never followed, and it, a folder that cannot
    be listed, and anything that is not a regular file are reported as problems with
    their path."""
    stack = [folder]
    while stack:
        entries, problem = _listing(stack.pop())
        if problem is not None:
            yield problem
        subfolders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            full = entry.path
            try:
                if entry.is_symlink():
                    yield _problem_source(full, "a symbolic link; links inside a folder are not followed "
                                          "(name the target itself to check it)")
                elif entry.is_dir(follow_symlinks=False):
                    subfolders.append(full)
                elif entry.name.lower().endswith(JSON_SUFFIXES + NDJSON_SUFFIXES):
                    if entry.is_file(follow_symlinks=False):
                        yield Source(full, label_of(full), format_of(entry.name), payload or _default_name(full, names))
                    else:
                        mode = entry.stat(follow_symlinks=False).st_mode
                        yield _problem_source(full, f"{_kind_of(mode)}, not a file of documents")
            except OSError as exc:
                yield _problem_source(full, exc.strerror or str(exc))
        stack.extend(reversed(subfolders))


def sources(paths: Iterable[str], names: frozenset[str], payload: str | None = None) -> list[Source]:
    """The inputs named on a command line: files, folders (their ``.json``, ``.ndjson``
    and ``.jsonl`` files, recursively, in name order) and ``-`` for standard input.

    A path named here is followed if it is a link; it may be a regular file or a pipe.
    Anything that cannot be read (a folder that cannot be listed, a permission denied,
    a device, a link inside a folder) becomes a ``Source`` carrying its problem, so it
    is reported with its path.  Raises ``UsageError`` listing every path that does not
    exist.
    """
    out: list[Source] = []
    missing = []
    for arg in paths:
        if arg == "-":
            out.append(Source(None, "<stdin>", "ndjson", payload))
            continue
        try:
            mode = os.stat(arg).st_mode
        except FileNotFoundError:
            missing.append(label_of(arg))
            continue
        except OSError as exc:
            out.append(_problem_source(arg, exc.strerror or str(exc)))
            continue
        if stat.S_ISDIR(mode):
            out.extend(_walk(arg, names, payload))
        elif stat.S_ISREG(mode) or stat.S_ISFIFO(mode):
            out.append(Source(arg, label_of(arg), format_of(arg), payload or _default_name(arg, names)))
        else:
            out.append(_problem_source(arg, f"{_kind_of(mode)}, not a file of documents"))
    if missing:
        raise UsageError("no such file or folder: " + ", ".join(missing))
    return out


# --------------------------------------------------------------------------- reading


def line_blocks(fh: Any, cap: int = MAX_DOCUMENT_BYTES) -> Iterator[list[Any]]:
    """The lines of a binary stream, a block at a time, without their newlines.

    Reads fixed-size blocks and splits them in C, so the per-line cost is tiny.  A line
    longer than ``cap`` comes out as its length (an int) and is never held whole: once
    the unfinished tail of a block passes ``cap`` it is dropped and only counted until
    its newline arrives.
    """
    read = fh.read1 if hasattr(fh, "read1") else fh.read
    carry = b""
    skipping = -1  # >= 0: bytes of an oversized line seen so far, its end not yet read
    while True:
        block = read(READ_BLOCK)
        if not block:
            break
        if skipping >= 0:
            end = block.find(b"\n")
            if end < 0:
                skipping += len(block)
                continue
            out: list[Any] = [skipping + end]
            skipping = -1
            block = block[end + 1:]
        else:
            out = []
        parts = block.split(b"\n")
        if carry:
            parts[0] = carry + parts[0]
        carry = parts.pop()
        if len(carry) > cap:
            skipping, carry = len(carry), b""
        if parts and max(map(len, parts)) > cap:
            parts = [len(x) if len(x) > cap else x for x in parts]
        if out:
            out.extend(parts)
            parts = out
        if parts:
            yield parts
    if skipping >= 0:
        yield [skipping]
    elif carry:
        yield [carry]


# A unit of work: (source, first line number, body).  body is a list of lines (bytes, or
# an int for an oversized line) for NDJSON, the bytes of a whole .json file, or a
# Problem (the input could not be read).
Batch = tuple[Any, ...]


def line_batches(src: Source, fh: Any, first: int = 1, cap: int = MAX_DOCUMENT_BYTES,
                 at_start: bool = True) -> Iterator[Batch]:
    """The lines of one open NDJSON stream as batches of at most ``BATCH_LINES`` lines
    (or about ``BATCH_BYTES``), numbered from ``first``.  ``at_start``: the stream starts
    at the beginning of its file, so a UTF-8 byte order mark there is dropped (anywhere
    else it is part of a line, and makes it malformed)."""
    lineno = first
    lines: list[Any] = []
    size = 0
    for block in line_blocks(fh, cap):
        if at_start:
            at_start = False
            if block[0].__class__ is bytes and block[0].startswith(BOM):
                block[0] = block[0][len(BOM):]
        lines.extend(block)
        size += READ_BLOCK
        if len(lines) >= BATCH_LINES or size >= BATCH_BYTES:
            yield (src, lineno, lines)
            lineno += len(lines)
            lines, size = [], 0
    if lines:
        yield (src, lineno, lines)


def batches(srcs: Iterable[Source], cap: int = MAX_DOCUMENT_BYTES) -> Iterator[Batch]:
    """Cut the inputs into units of work of at most ``BATCH_LINES`` lines (or about
    ``BATCH_BYTES``), streaming each NDJSON input: memory does not grow with its length."""
    for src in srcs:
        lineno = 1
        if src.problem is not None:
            yield (src, 0, src.problem)
            continue
        if src.path is None and sys.stdin is None:
            yield (src, 0, Problem(UNREADABLE, None, "standard input is closed"))
            continue
        try:
            if src.format == "json":
                assert src.path is not None  # standard input is NDJSON
                with open(src.path, "rb") as fh:
                    data = fh.read(MAX_JSON_FILE_BYTES + 1)
                if len(data) > MAX_JSON_FILE_BYTES:
                    size = os.path.getsize(src.path)
                    yield (src, 0, Problem(TOO_LARGE, None, f"{size} bytes; a .json file may hold at most "
                                           f"{MAX_JSON_FILE_BYTES} (use NDJSON for large captures)"))
                else:
                    yield (src, 1, data)
                continue
            if src.path is None:
                stdin = sys.stdin
                assert stdin is not None  # a closed standard input was reported above
                opened: Any = nullcontext(stdin.buffer)
            else:
                opened = open(src.path, "rb")  # noqa: SIM115 - closed by the with below
            with opened as fh:
                for batch in line_batches(src, fh, 1, cap):
                    yield batch
                    lineno = batch[1] + len(batch[2])
        except OSError as exc:
            yield (src, lineno, Problem(UNREADABLE, None, exc.strerror or str(exc)))
