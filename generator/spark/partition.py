"""What one Spark task runs: the project's payload engine over one partition of input.

Each function here is handed to ``DataFrame.mapInArrow`` and runs inside a PySpark
worker.  It feeds the lines (or whole ``.json`` files) of its partition to the payload
engine's ``check_batch`` -- the same fast path and the same diagnosis as
``gen validate`` on one machine -- and returns Arrow rows of ``RESULT_SCHEMA``:

* ``tally``: one per file split, the engine's ``Tally`` (pickled) and the number of
  lines the split holds.  Lines are numbered from 1 at the split's start; the driver
  shifts them once it knows every split's line count.  (Spark drops a byte order mark
  at the start of a file and nowhere else, as the engine does.)
* ``ok`` / ``error`` (only with ``rows=True``, for ``--output``): one per document, so
  every document lands in exactly one of the two tables.  An ``ok`` row carries the
  payload's properties as JSON, with integral floats of integer columns made integers;
  an integer beyond 64 bits (or a timestamp outside years 1 to 9999) conforms to the
  JSON Schema but fits no column, so it becomes an ``error`` row with the problem
  ``column-overflow``.

The engine is imported here and nowhere else in ``generator.spark`` (the other modules
take it, and the few names it does not export, from here).  Nothing here talks to the JVM, writes files or
decides what conforms: that is the engine's job.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import unquote

# The payload engine: generator.spark imports it here and nowhere else.
from generator import validate as engine
from generator.validate.inputs import JSON_SUFFIXES, NDJSON_SUFFIXES  # noqa: F401 - for job
from generator.validate.inputs import _default_name as default_name  # noqa: F401 - for job
from generator.validate.problems import TOO_LARGE, UNREADABLE  # noqa: F401 - for job

_COLUMNS = (
    ("rec", "string"), ("file", "string"), ("block", "long"), ("line", "long"), ("item", "long"),
    ("payload", "string"), ("data", "binary"), ("received", "long"), ("codes", "array<string>"),
    ("messages", "array<string>"),
)
RESULT_SCHEMA = ", ".join(f"{name} {ddl}" for name, ddl in _COLUMNS)
COLUMN_OVERFLOW = "column-overflow"
_INT64 = (-(2**63), 2**63 - 1)
_TIMESTAMP_MS = (-62135596800000, 253402300799999)  # years 1 to 9999, as BigQuery and Spark hold
_RANGES = {"long": (_INT64, "an integer beyond 64 bits"), "timestamp": (_TIMESTAMP_MS, "a time outside years 1-9999")}
_CHECKERS: dict[Any, engine.Checker] = {}  # one per worker process and schema set


def file_key(uri: str) -> str:
    """One spelling of a file's URI for the driver and the tasks alike (Hadoop writes
    ``file:///x`` where Spark's file metadata says ``file:/x``, and escapes spaces)."""
    key = unquote(uri)
    return "file:/" + key[8:] if key.startswith("file:///") else key


def checker_for(key: Any, schemas: dict) -> engine.Checker:
    """The worker's Checker for a schema set (built once per Python worker)."""
    checker = _CHECKERS.get(key)
    if checker is None:
        _CHECKERS.clear()
        checker = _CHECKERS[key] = engine.Checker(schemas)
    return checker


def field_keys(table: Mapping) -> dict[str, str]:
    """The wire key each field column of a generated Spark table (JSON form) is read from,
    by column name: its ``wire_key`` metadata; a schema vendored before that metadata
    existed named every field column by its key, and only the envelope's began with "_"."""
    out = {}
    for f in table["fields"]:
        key = (f.get("metadata") or {}).get("wire_key")
        if key is not None and not isinstance(key, str):  # (a vendored schema is untrusted)
            raise engine.UsageError(f"the Spark schema's column {f['name']!r} has a wire_key that is not a string "
                                    "(regenerate generated/warehouse/spark/ with gen build)")
        if key is not None or not f["name"].startswith("_"):
            out[f["name"]] = key if key is not None else f["name"]
    return out


class Context:
    """What every task needs, shipped once per job (a Spark broadcast's value):
    the payload schemas, each file's label and default payload name, the integer
    columns of each payload's table with their Spark type ("long" or "timestamp", for
    ``--output``), and whether to emit rows."""

    def __init__(self, key: str, schemas: dict, files: dict, int_columns: dict, rows: bool):
        self.key, self.schemas, self.files, self.int_columns, self.rows = key, schemas, files, int_columns, rows

    def source(self, file: str) -> engine.Source:
        label, default = self.files.get(file, (file, None))
        return engine.Source(None, label, "ndjson", default)


class _Out:
    """Columns of the Arrow batches a task returns."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.cols: dict[str, list] = {name: [] for name, _ in _COLUMNS}

    def add(self, rec: str, file: str, block: int, line: int | None = None, item: int | None = None,
            payload: str | None = None, data: bytes | None = None, received: int | None = None,
            codes: list | None = None, messages: list | None = None) -> None:
        for name, value in zip(self.cols, (rec, file, block, line, item, payload, data, received, codes, messages)):
            self.cols[name].append(value)

    def batch(self):
        import pyarrow as pa

        out = pa.RecordBatch.from_pydict(self.cols, schema=_arrow_schema())
        self.reset()
        return out

    def __len__(self) -> int:
        return len(self.cols["rec"])


_ARROW: list = []


def _arrow_schema():
    if not _ARROW:
        import pyarrow as pa

        types = {"string": pa.string(), "long": pa.int64(), "binary": pa.binary(),
                 "array<string>": pa.list_(pa.string())}
        _ARROW.append(pa.schema([(name, types[ddl]) for name, ddl in _COLUMNS]))
    return _ARROW[0]


def received_ms(doc: Any) -> int | None:
    """When a document was received, in epoch milliseconds, if its envelope says so:
    ``received_at`` (an envelope) or ``receivedAt`` (a Segment message), as epoch
    milliseconds or an ISO 8601 text; None otherwise."""
    if doc.__class__ is not dict:
        return None
    value = doc.get("received_at", doc.get("receivedAt"))
    if value.__class__ is int and _TIMESTAMP_MS[0] <= value <= _TIMESTAMP_MS[1]:
        return value
    if isinstance(value, str):
        try:
            stamp = datetime.fromisoformat(value)
        except ValueError:
            return None
        if stamp.tzinfo is None:
            return None  # a time without a zone is no instant
        return int(stamp.timestamp() * 1000)
    return None


def _column_values(props: dict, ints: dict) -> tuple[dict | None, Any]:
    """The properties as the table stores them, or (None, problem) for an integer its
    column cannot hold (beyond 64 bits; a timestamp outside years 1 to 9999)."""
    out = props
    for key in ints.keys() & props.keys():
        value = props[key]
        if value.__class__ is float:
            if out is props:
                out = dict(props)
            out[key] = value = int(value)
        (low, high), what = _RANGES[ints[key]]
        if value.__class__ is int and not low <= value <= high:
            return None, engine.Problem(COLUMN_OVERFLOW, key, f"{what} fits no {ints[key]} column")
    return out, None


def _dumps(value: Any) -> bytes:
    try:
        import orjson

        return orjson.dumps(value)
    except (ImportError, TypeError):  # a lone surrogate: the json module escapes it
        import json

        return json.dumps(value).encode("utf-8")


def _failure_row(out: _Out, file: str, block: int, where: engine.Where, name: str | None,
                 problems: list, document: bytes | None) -> None:
    out.add("error", file, block, where.line or None, where.item, name, document, None,
            [p.kind for p in problems], [p.text() for p in problems])


def _document_row(out: _Out, ctx: Context, file: str, block: int, where: engine.Where, doc: Any,
                  default: str | None, document: bytes) -> None:
    """The ``ok`` row of a document the engine found conforming (or an overflow error)."""
    name, props, _ = engine.identify(doc, default)
    values, problem = _column_values(props, ctx.int_columns.get(name, {}))
    if values is None:
        _failure_row(out, file, block, where, name, [problem], document)
        return
    received = received_ms(doc) if props is not doc else None
    out.add("ok", file, block, where.line or None, where.item, name, _dumps(values), received)


def _rows_of_lines(out: _Out, ctx: Context, file: str, block: int, first: int, lines: list, tally) -> None:
    """One row per document of a chunk whose tally lists every failure."""
    failed = {w.line: (w, name, probs) for w, name, probs in tally.failures}
    default = ctx.files.get(file, (file, None))[1]
    for offset, line in enumerate(lines):
        lineno = first + offset
        hit = failed.get(lineno)
        if hit is not None:
            _failure_row(out, file, block, *hit, None if line.__class__ is int else line)
        elif line.strip():
            doc, problem = engine.parse(line)
            assert problem is None, "the engine passed a line that does not parse"
            _document_row(out, ctx, file, block, engine.Where("", lineno), doc, default, line)


def check_lines(batches: Iterator, ctx: Context) -> Iterator:
    """``mapInArrow`` function over NDJSON lines (columns: value, file, block).

    Emits one ``tally`` row per split (and, with ``ctx.rows``, a row per document)."""
    checker = checker_for(ctx.key, ctx.schemas)
    cap = engine.MAX_DOCUMENT_BYTES
    chunk = engine.MAX_FAILURES if ctx.rows else 1 << 30  # a chunk's tally then lists every failure
    out = _Out()
    keys: dict[str, str] = {}
    current: tuple | None = None
    total = lineno = None

    def flush():
        if current is not None:
            out.add("tally", current[0], current[1], data=pickle.dumps((total, lineno - 1)))

    for batch in batches:
        values = batch.column(0).to_pylist()
        for start, end, uri, block in _runs(batch.column(1), batch.column(2)):
            file = keys.get(uri) or keys.setdefault(uri, file_key(uri))
            if (file, block) != current:
                flush()
                current, total, lineno = (file, block), engine.Tally(), 1
            src = ctx.source(file)
            lines = values[start:end]
            if lines and max(map(len, lines)) > cap:
                lines = [x if len(x) <= cap else len(x) for x in lines]
            for i in range(0, len(lines), chunk):
                part = lines[i:i + chunk]
                tally = engine.check_batch(checker, (src, lineno, part))
                if ctx.rows:
                    _rows_of_lines(out, ctx, file, block, lineno, part, tally)
                total.merge(tally)
                lineno += len(part)
        if len(out) >= 4096:
            yield out.batch()
    flush()
    if len(out):
        yield out.batch()


def _runs(files, blocks) -> list[tuple[int, int, str, int]]:
    """Stretches of rows of one (file, block) in an Arrow batch: (start, end, file, block)."""
    n = len(files)
    if n == 0:
        return []
    f = files.to_pylist()
    b = blocks.to_pylist()
    if f[0] == f[-1] and b[0] == b[-1]:
        return [(0, n, f[0], b[0])]  # nearly always: the batch lies inside one split
    runs = []
    start = 0
    for i in range(1, n + 1):
        if i == n or f[i] != f[start] or b[i] != b[start]:
            runs.append((start, i, f[start], b[start]))
            start = i
    return runs


def check_files(batches: Iterator, ctx: Context) -> Iterator:
    """``mapInArrow`` function over whole ``.json`` files (columns: path, content): a
    document or an array of documents each, checked by the engine as one unit."""
    checker = checker_for(ctx.key, ctx.schemas)
    out = _Out()
    for batch in batches:
        for uri, content in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist()):
            file = file_key(uri)
            src = ctx.source(file)
            tally = engine.check_batch(checker, (src, 1, content))
            out.add("tally", file, 0, data=pickle.dumps((tally, 0)))
            if ctx.rows:
                _rows_of_json_file(out, ctx, checker, file, src, content, tally)
        if len(out):
            yield out.batch()


def _rows_of_json_file(out: _Out, ctx: Context, checker, file: str, src, content: bytes, tally) -> None:
    """One row per document of a ``.json`` file: failures from the engine's tally (the
    engine's own verdict per item where the tally's list was capped)."""
    failed = {(w.line, w.item): (w, name, probs) for w, name, probs in tally.failures}
    data = content[3:] if content.startswith(b"\xef\xbb\xbf") else content
    doc, problem = engine.parse(data)
    if problem is not None:  # the whole file is one failing document
        for w, name, probs in tally.failures:
            _failure_row(out, file, 0, w, name, probs, content)
        return
    items = list(enumerate(doc)) if isinstance(doc, list) else [(None, doc)]
    for index, item in items:
        where = engine.Where(src.label, 1 if index is None else 0, index)
        raw = _dumps(item)
        hit = failed.get((where.line, where.item))
        if hit is None and tally.failures_dropped:
            name, probs = checker.check_document(item, src.default_name)
            hit = (where, name, probs) if probs else None
        if hit is not None:
            _failure_row(out, file, 0, *hit, raw if len(raw) <= engine.MAX_DOCUMENT_BYTES else None)
        else:
            _document_row(out, ctx, file, 0, where, item, src.default_name, raw)
