"""Captured traffic for ``gen infer``, read through the payload engine's input layer.

This is the only module of ``generator.infer`` that imports the payload engine (the
code behind ``gen validate``): sources (files, folders, NDJSON, ``-``), streaming
batches, the parser, the identification of envelopes, Segment ``track`` messages and
bare objects, and the tally that records bad lines.  Nothing here re-implements them;
it only turns each batch into identified documents for the statistics.

It also holds the spec side of ``gen infer --write``'s safety: ``snapshot`` reads the
spec's own YAML files once (the loader's list: no link followed, each opened with
``O_NOFOLLOW``, within its budgets) and ``scratch_copy`` writes exactly those bytes, plus
the template folders' files as the loaded model holds them, into a scratch folder that
the command analyses and checks its edit in; ``unchanged`` re-reads the files about to
be replaced and compares their sha256 with the bytes that were analysed, so an edit is
only ever applied to the exact bytes it was computed from.  Nothing is copied by
walking the spec folder, so a self-link, a link cycle or a fifo cannot grow or block
the copy.  It must not collect statistics or decide anything about the spec.
"""

from __future__ import annotations

import gc
import hashlib
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from generator import validate as engine  # the payload engine: the one place it is imported
from generator.validate.problems import NOT_OBJECT, TOO_LARGE

Tally = engine.Tally
Where = engine.Where
UsageError = engine.UsageError
INPUT_PROBLEMS = engine.INPUT_PROBLEMS
sources = engine.sources
json_type = engine.json_type

# One identified document: (payload name, its properties, 1-based line, item index).
Document = tuple


def batches(paths: Iterable[str], names: frozenset[str], payload: str | None = None) -> Iterator:
    """The engine's units of work for the inputs named on a command line (raises
    ``UsageError`` for a missing path).  Memory does not grow with the input's length."""
    return engine.batches(engine.sources(paths, names, payload))


def documents(batch: Any, problems: Tally) -> tuple[str, list[Document]]:
    """The identified documents of one batch, and its label.

    Every line that is no document of a payload (malformed JSON, not an object, too
    large, unreadable, a Segment message other than ``track``, a bare object with no
    payload name) is recorded in ``problems`` with its file and line, exactly as
    ``gen validate`` reports it, and the rest are still read.  Blank lines are skipped
    and a byte-order mark on the first line is ignored, as the engine does.
    """
    src, first, body = batch
    label, default = src.label, src.default_name
    out: list[Document] = []
    if isinstance(body, engine.Problem):
        problems.documents += 1
        problems.add_failure(Where(label, first), None, [body])
        return label, out
    if isinstance(body, bytes):
        _json_file(label, default, body, problems, out)
        return label, out
    parse = engine.parse
    identify = engine.identify
    gc_was_enabled = gc.isenabled()
    gc.disable()  # parsed JSON holds no cycles; the collector's passes cost time only
    try:
        lineno = first - 1
        for line in body:
            lineno += 1
            if line.__class__ is int:
                problems.documents += 1
                problems.add_failure(Where(label, lineno), None, [
                    engine.Problem(TOO_LARGE, None, f"{line} bytes; the limit is {engine.MAX_DOCUMENT_BYTES}")])
                continue
            doc, problem = parse(line)
            if problem is not None:
                if not line.strip():
                    continue  # a blank line is no document
                if lineno == 1 and line.startswith(b"\xef\xbb\xbf"):
                    doc, problem = parse(line[3:])
                if problem is not None:
                    problems.documents += 1
                    problems.add_failure(Where(label, lineno), None, [problem])
                    continue
            name, props, problem = identify(doc, default)
            if problem is None and props.__class__ is not dict:
                problem = engine.Problem(NOT_OBJECT, None, f"properties are {json_type(props)}")
            if problem is not None:
                problems.documents += 1
                problems.add_failure(Where(label, lineno), None, [problem])
            else:
                out.append((name, props, lineno, None))
    finally:
        if gc_was_enabled:
            gc.enable()
    return label, out


def _json_file(label: str, default: str | None, data: bytes, problems: Tally, out: list) -> None:
    """A whole ``.json`` file: one document or an array of documents."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    doc, problem = engine.parse(data)
    if problem is not None:
        problems.documents += 1
        problems.add_failure(Where(label, 1), None, [problem])
        return
    items = list(enumerate(doc)) if isinstance(doc, list) else [(None, doc)]
    for index, item in items:
        name, props, problem = engine.identify(item, default)
        if problem is None and props.__class__ is not dict:
            problem = engine.Problem(NOT_OBJECT, None, f"properties are {json_type(props)}")
        if problem is not None:
            problems.documents += 1
            problems.add_failure(Where(label, 1 if index is None else 0, index), None, [problem])
        else:
            out.append((name, props, 1 if index is None else 0, index))


# --------------------------------------------------------------------------- the spec


class SpecChanged(Exception):
    """A spec file is not what was read (it changed, or cannot be read as it was)."""


def _read_regular(path: Path, limit: int) -> bytes:
    """The bytes of ``path`` (never through a link; a regular file of at most
    ``limit`` bytes), or ``OSError``."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "not a regular file", str(path))
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise OSError(0, f"larger than {limit:,} bytes", str(path))
    return data


def snapshot(spec_dir: Path) -> dict[str, bytes]:
    """The spec's YAML files (the loader's list, so no link is followed and its
    budgets hold), by relative path, read once.  ``SpecChanged`` if one cannot be read."""
    from generator.load import MAX_FILE_BYTES, MAX_FILES, MAX_TOTAL_BYTES, spec_files

    files = spec_files(spec_dir)
    if len(files) > MAX_FILES:
        raise SpecChanged(f"the spec folder holds more than {MAX_FILES:,} YAML files")
    out: dict[str, bytes] = {}
    total = 0
    for path in files:
        rel = path.relative_to(spec_dir).as_posix()
        try:
            out[rel] = _read_regular(path, MAX_FILE_BYTES)
        except OSError as exc:
            raise SpecChanged(f"{rel}: cannot be read ({exc.strerror or exc})") from None
        total += len(out[rel])
        if total > MAX_TOTAL_BYTES:
            raise SpecChanged(f"the spec passes {MAX_TOTAL_BYTES:,} bytes in total")
    return out


def scratch_copy(files: dict[str, bytes], spec: Any, into: Path) -> Path:
    """A spec folder under ``into`` holding ``files`` (relative path -> bytes) and the
    template folders' files of ``spec`` (from the model, never from the disk)."""
    root = into / "spec"
    for target in spec.outputs.templates if spec is not None else ():
        for f in target.files:
            _put(root, f"{target.folder.strip('/')}/{f.path}", f.text.encode("utf-8"))
    for rel, data in files.items():
        _put(root, rel, data)
    root.mkdir(parents=True, exist_ok=True)
    return root


def _put(root: Path, rel: str, data: bytes) -> None:
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise SpecChanged(f"{rel}: not a path inside the spec folder")
    dest = root.joinpath(*parts)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)


def digest(data: bytes) -> str:
    """The sha256 the write checks files against."""
    return hashlib.sha256(data).hexdigest()


def unchanged(spec_dir: Path, analysed: dict[str, bytes], rels: Iterable[str]) -> None:
    """Raise ``SpecChanged`` unless each of ``rels`` still holds exactly the bytes that
    were analysed (sha256 compared; read without following a link)."""
    from generator.load import MAX_FILE_BYTES

    for rel in sorted(rels):
        try:
            now = _read_regular(spec_dir / rel, MAX_FILE_BYTES)
        except OSError as exc:
            raise SpecChanged(f"{rel} cannot be read any more ({exc.strerror or exc})") from None
        if digest(now) != digest(analysed[rel]):
            raise SpecChanged(f"{rel} changed while gen infer ran (sha256 {digest(analysed[rel])[:12]} "
                              f"when read, {digest(now)[:12]} now)")
