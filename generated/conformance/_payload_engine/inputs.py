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
import sys
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from typing import Any, NamedTuple

from . import optional
from .problems import MALFORMED, MAX_DEPTH, TOO_DEEP, TOO_LARGE, UNREADABLE, Problem

MAX_DOCUMENT_BYTES = 1 << 20  # one NDJSON line (or one .json item) larger than this is skipped
MAX_JSON_FILE_BYTES = 64 << 20  # a whole .json file is parsed at once, so it is capped too
BATCH_LINES = 4096  # lines per unit of work (a --jobs worker's task)
READ_BLOCK = 1 << 20  # bytes read at a time from an NDJSON input
BATCH_BYTES = 8 << 20  # a unit of work holds at most about this much input
NDJSON_SUFFIXES = (".ndjson", ".jsonl")
JSON_SUFFIXES = (".json",)
BOM = b"\xef\xbb\xbf"


class Source(NamedTuple):
    """One input: a file path (None for standard input), its label in reports, its
    format ("ndjson" or "json") and the payload name its bare objects default to."""

    path: str | None
    label: str
    format: str
    default_name: str | None


class UsageError(Exception):
    """Inputs that cannot be checked at all (a missing path); the CLI exits 2."""


# --------------------------------------------------------------------------- parsing


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_slow(data: bytes | str) -> tuple[Any, Problem | None]:
    """The standard library parser, with its errors turned into problems."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return None, Problem(MALFORMED, None, f"not UTF-8 (byte {exc.start + 1})")
    try:
        return json.loads(data, parse_constant=_reject_constant), None
    except RecursionError:
        return None, Problem(TOO_DEEP, None, f"more than {MAX_DEPTH} levels")
    except json.JSONDecodeError as exc:
        return None, Problem(MALFORMED, None, f"{exc.msg} (column {exc.colno})")
    except (ValueError, UnicodeDecodeError) as exc:
        return None, Problem(MALFORMED, None, str(exc).split("\n")[0][:200])


def parse(data: bytes | str) -> tuple[Any, Problem | None]:
    """Parse one JSON document: ``(value, None)`` or ``(None, problem)``."""
    orjson = optional.orjson
    if orjson is not None:
        try:
            return orjson.loads(data), None
        except orjson.JSONDecodeError as exc:
            if "depth" in exc.msg or "recursion" in exc.msg.lower():
                return None, Problem(TOO_DEEP, None, f"more than {MAX_DEPTH} levels")
            # orjson rejects a few documents the standard library reads (integers beyond
            # 64 bits); let it decide, and report its wording otherwise.
    return parse_slow(data)


# --------------------------------------------------------------------------- discovery


def _default_name(path: str, names: frozenset[str]) -> str | None:
    base = os.path.basename(path)
    stem = base.split(".", 1)[0] if not base.startswith(".") else base
    if stem in names:
        return stem
    parent = os.path.basename(os.path.dirname(os.path.abspath(path)))
    return parent if parent in names else None


def format_of(path: str) -> str:
    """``"json"`` for a ``.json`` file, else ``"ndjson"``."""
    return "json" if path.lower().endswith(JSON_SUFFIXES) else "ndjson"


def sources(paths: Iterable[str], names: frozenset[str], payload: str | None = None) -> list[Source]:
    """The inputs named on a command line: files, folders (their ``.json``, ``.ndjson``
    and ``.jsonl`` files, recursively, in name order) and ``-`` for standard input.

    Raises ``UsageError`` listing every path that does not exist.
    """
    out: list[Source] = []
    missing = []
    for arg in paths:
        if arg == "-":
            out.append(Source(None, "<stdin>", "ndjson", payload))
        elif os.path.isdir(arg):
            for root, dirs, files in os.walk(arg):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for fname in sorted(files):
                    if fname.startswith(".") or not fname.lower().endswith(JSON_SUFFIXES + NDJSON_SUFFIXES):
                        continue
                    full = os.path.join(root, fname)
                    label = full.replace(os.sep, "/")
                    out.append(Source(full, label, format_of(fname), payload or _default_name(full, names)))
        elif os.path.exists(arg):
            out.append(Source(arg, arg.replace(os.sep, "/"), format_of(arg), payload or _default_name(arg, names)))
        else:
            missing.append(arg)
    if missing:
        raise UsageError("no such file or folder: " + ", ".join(missing))
    return out


# --------------------------------------------------------------------------- reading


def line_blocks(fh, cap: int = MAX_DOCUMENT_BYTES) -> Iterator[list]:
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
            out: list = [skipping + end]
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
Batch = tuple


def line_batches(src: Source, fh, first: int = 1, cap: int = MAX_DOCUMENT_BYTES,
                 at_start: bool = True) -> Iterator[Batch]:
    """The lines of one open NDJSON stream as batches of at most ``BATCH_LINES`` lines
    (or about ``BATCH_BYTES``), numbered from ``first``.  ``at_start``: the stream starts
    at the beginning of its file, so a UTF-8 byte order mark there is dropped (anywhere
    else it is part of a line, and makes it malformed)."""
    lineno = first
    lines: list = []
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
        try:
            if src.format == "json":
                with open(src.path, "rb") as fh:
                    data = fh.read(MAX_JSON_FILE_BYTES + 1)
                if len(data) > MAX_JSON_FILE_BYTES:
                    size = os.path.getsize(src.path)
                    yield (src, 0, Problem(TOO_LARGE, None, f"{size} bytes; a .json file may hold at most "
                                           f"{MAX_JSON_FILE_BYTES} (use NDJSON for large captures)"))
                else:
                    yield (src, 1, data)
                continue
            with nullcontext(sys.stdin.buffer) if src.path is None else open(src.path, "rb") as fh:
                for batch in line_batches(src, fh, 1, cap):
                    yield batch
                    lineno = batch[1] + len(batch[2])
        except OSError as exc:
            yield (src, lineno, Problem(UNREADABLE, None, exc.strerror or str(exc)))
