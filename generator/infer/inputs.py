"""Captured traffic for ``gen infer``, read through the payload engine's input layer.

This is the only module of ``generator.infer`` that imports the payload engine (the
code behind ``gen validate``): sources (files, folders, NDJSON, ``-``), streaming
batches, the parser, the identification of envelopes, Segment ``track`` messages and
bare objects, and the tally that records bad lines.  Nothing here re-implements them;
it only turns each batch into identified documents for the statistics.  It must not
collect statistics or decide anything about the spec.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
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
