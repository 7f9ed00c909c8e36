"""``gen validate --engine spark``: the driver side of the PySpark job.

It lists the inputs through Hadoop's file systems (so any path Spark reads works: local,
``hdfs://``, ``s3a://``, ``gs://``), in the order and with the labels and default
payload names the local engine gives them; reads NDJSON as lines (raw bytes, split on
``\\n`` only, as the engine does) and ``.json`` files whole; runs
``generator.spark.partition`` on every partition; and merges the per-split tallies in
input order, each shifted to its split's first line, into the one ``Tally`` the local
engine would have produced.  The report and exit codes are therefore the engine's.

With ``output``, it also writes two Parquet datasets under that folder (which must not
exist yet; on failure it is removed again, so nothing half-written stays):

* ``payloads/payload=<wire name>/``: the conforming documents of each payload, typed by
  the generated Spark schema (``generator.targets.warehouse_spark``), envelope first;
* ``errors/``: every other document, one row each: source, line, item, payload,
  problem codes and messages, and the document itself (null when too large).

PySpark is imported only inside functions: the package works without it.  Nothing here
decides whether a document conforms (the engine does, in the tasks) or writes Parquet
(``generator.spark.output`` does).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from generator.spark.executors import SparkUnavailable, check_executors, executor_python
from generator.spark.partition import (
    JSON_SUFFIXES,
    NDJSON_SUFFIXES,
    RESULT_SCHEMA,
    TOO_LARGE,
    UNREADABLE,
    Context,
    check_files,
    check_lines,
    default_name,
    engine,
    field_keys,
    file_key,
)

INSTALL_HINT = "pip install 'telemetry-spec-generator[spark]' (PySpark; Spark needs Java 17)"


@dataclass(frozen=True)
class Input:
    """One input file: its position among the inputs, its path as Spark reads it, the
    key the tasks know it by (``partition.file_key``), its label in reports, its format
    ("ndjson" or "json"), its size and the payload its bare objects default to."""

    seq: int
    path: str
    uri: str
    label: str
    format: str
    size: int
    default_name: str | None


def start_session(master: str | None):
    """The SparkSession: ``master`` if given; else what ``spark-submit`` set; else
    ``local[*]``.  Quiet (no UI, no progress bar, errors only) and in UTC.  Its Python
    workers run ``executor_python()`` (PySpark reads ``PYSPARK_PYTHON`` when the context
    starts; the ``spark.pyspark.python`` setting alone is read only by spark-submit)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkUnavailable(f"--engine spark needs PySpark: {INSTALL_HINT}") from None
    builder = SparkSession.builder.appName("gen validate")
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # started by spark-submit
    if master is not None or not submitted:
        builder = builder.master(master or "local[*]")
    python, _ = executor_python()
    if not submitted:  # the workers run this very interpreter (and its packages)
        builder = builder.config("spark.pyspark.python", python)
        builder = builder.config("spark.pyspark.driver.python", sys.executable)
        quiet = Path(__file__).with_name("log4j2.properties").as_uri()
        builder = builder.config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={quiet}")
    builder = (
        builder.config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
    )
    saved = os.environ.get("PYSPARK_PYTHON")
    os.environ["PYSPARK_PYTHON"] = python
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001 - e.g. no Java: said plainly, no traceback
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SparkUnavailable(f"Spark could not start ({first}); it needs Java 17 (JAVA_HOME)") from None
    finally:
        if saved is None:
            os.environ.pop("PYSPARK_PYTHON", None)
        else:
            os.environ["PYSPARK_PYTHON"] = saved
    spark.sparkContext.setLogLevel("ERROR")
    # PySpark logs a failed query's whole Java stack trace as JSON; the CLI says it in a line.
    logging.getLogger("DataFrameQueryContextLogger").setLevel(logging.CRITICAL)
    return spark


# --------------------------------------------------------------------------- inputs


def list_inputs(spark, paths: Iterable[str], names: frozenset[str], payload: str | None = None) -> list[Input]:
    """The input files, as ``engine.sources`` would list them: files as named, folders
    walked in name order (their ``.json``, ``.ndjson`` and ``.jsonl`` files, hidden
    ones skipped).  Raises ``engine.UsageError`` for missing paths or standard input."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    out: list[Input] = []
    missing = []
    suffixes = JSON_SUFFIXES + NDJSON_SUFFIXES

    def add(status, label: str) -> None:
        fmt = "json" if label.lower().endswith(JSON_SUFFIXES) else "ndjson"
        default = payload or default_name(label, names)
        path = status.getPath()
        out.append(Input(len(out), path.toString(), file_key(path.toUri().toString()), label.replace(os.sep, "/"), fmt, status.getLen(), default))

    def walk(fs, status, label: str) -> None:
        children = sorted(fs.listStatus(status.getPath()), key=lambda s: s.getPath().getName())
        for child in children:
            name = child.getPath().getName()
            if child.isFile() and not name.startswith(".") and name.lower().endswith(suffixes):
                add(child, os.path.join(label, name))
        for child in children:
            name = child.getPath().getName()
            if child.isDirectory() and not name.startswith("."):
                walk(fs, child, os.path.join(label, name))

    for arg in paths:
        if arg == "-":
            raise engine.UsageError("--engine spark reads files and folders, not standard input (-)")
        path = jvm.org.apache.hadoop.fs.Path(arg)
        fs = path.getFileSystem(conf)
        if not fs.exists(path):
            missing.append(arg)
            continue
        status = fs.getFileStatus(path)
        if status.isDirectory():
            walk(fs, status, arg)
        else:
            add(status, arg)
    if missing:
        raise engine.UsageError("no such file or folder: " + ", ".join(missing))
    return out


# --------------------------------------------------------------------------- the job


def _context(schemas: Mapping, inputs: list[Input], tables: Mapping | None, rows: bool) -> Context:
    files = {i.uri: (i.label, i.default_name) for i in inputs}
    int_columns = {}
    for name, table in (tables or {}).items():
        keys = field_keys(table)  # (the checks read a document by its wire keys)
        int_columns[name] = {
            keys[f["name"]]: f["type"] for f in table["fields"]
            if f["type"] in ("long", "timestamp") and f["name"] in keys
        }
    key = hashlib.sha256(json.dumps(schemas, sort_keys=True, default=str).encode()).hexdigest()
    return Context(key, dict(schemas), files, int_columns, rows)


def _results(spark, inputs: list[Input], ctx_broadcast):
    """The DataFrame of partition results (``partition.RESULT_SCHEMA``) over all inputs."""
    from pyspark.sql import functions as F

    def lines(batches):
        return check_lines(batches, ctx_broadcast.value)

    def files(batches):
        return check_files(batches, ctx_broadcast.value)

    parts = []
    readable = [i for i in inputs if not _spark_skips(i)]
    ndjson = list(dict.fromkeys(i.path for i in readable if i.format == "ndjson"))
    small_json = list(dict.fromkeys(
        i.path for i in readable if i.format == "json" and i.size <= engine.MAX_JSON_FILE_BYTES
    ))
    if ndjson:
        text = spark.read.option("lineSep", "\n").text(ndjson).select(
            F.col("value").cast("binary"), F.col("_metadata.file_path"), F.col("_metadata.file_block_start")
        )
        parts.append(text.mapInArrow(lines, RESULT_SCHEMA))
    if small_json:
        whole = spark.read.format("binaryFile").load(small_json).select("path", "content")
        parts.append(whole.mapInArrow(files, RESULT_SCHEMA))
    if not parts:
        return None
    out = parts[0]
    for more in parts[1:]:
        out = out.unionByName(more)
    return out


def _too_large_json(inp: Input) -> engine.Tally:
    """The tally of a ``.json`` file too large to parse whole (never read)."""
    tally = engine.Tally()
    tally.documents = 1
    tally.add_failure(engine.Where(inp.label, 0), None, [engine.Problem(
        TOO_LARGE, None,
        f"{inp.size} bytes; a .json file may hold at most {engine.MAX_JSON_FILE_BYTES} (use NDJSON for large captures)",
    )])
    return tally


def _spark_skips(inp: Input) -> bool:
    """Spark's file sources never read a file whose name starts with "_" (its
    metadata convention), even when named explicitly."""
    return inp.uri.rstrip("/").rsplit("/", 1)[-1].startswith("_")


def _unread(inp: Input) -> engine.Tally:
    tally = engine.Tally()
    tally.documents = 1
    tally.add_failure(engine.Where(inp.label, 0), None, [engine.Problem(
        UNREADABLE, None, "Spark does not read files whose names start with '_'; rename it",
    )])
    return tally


def merge_tallies(inputs: list[Input], rows: Iterable) -> tuple[engine.Tally, dict]:
    """The whole run's tally from per-split ``(uri, block, pickled (tally, lines))``
    rows: splits in input order, each shifted by the lines of the splits before it.
    Also returns each split's shift ``{(uri, block): lines to add}`` for the outputs."""
    splits: dict[str, list] = {}
    for uri, block, data in rows:
        splits.setdefault(uri, []).append((block, data))
    shifts: dict[tuple[str, int], int] = {}
    per_file: dict[str, list[engine.Tally]] = {}
    for uri, found in splits.items():
        before = 0
        tallies = []
        for block, data in sorted(found, key=lambda x: x[0]):
            tally, lines = pickle.loads(data)
            shift = before
            tally.shift_lines(shift)
            shifts[(uri, block)] = shift
            before += lines
            tallies.append(tally)
        per_file[uri] = tallies
    total = engine.Tally()
    seen: set[str] = set()
    for inp in inputs:
        if _spark_skips(inp):
            total.merge(_unread(inp))
            continue
        if inp.format == "json" and inp.size > engine.MAX_JSON_FILE_BYTES:
            total.merge(_too_large_json(inp))
            continue
        for tally in per_file.get(inp.uri, ()):
            # A file named twice is read once and counted twice, as the engine does.
            total.merge(pickle.loads(pickle.dumps(tally)) if inp.uri in seen else tally)
        seen.add(inp.uri)
    return total, shifts


def run(spark, schemas: Mapping, inputs: list[Input], tables: Mapping | None = None,
        output: str | None = None) -> engine.Tally:
    """Check every input on Spark; with ``output`` (and the payloads' Spark schemas in
    ``tables``) also write the Parquet datasets.  Returns the engine's tally."""
    rows = output is not None
    ctx = spark.sparkContext.broadcast(_context(schemas, inputs, tables, rows))
    try:
        results = _results(spark, inputs, ctx)
        if results is None:
            return merge_tallies(inputs, [])[0]
        if rows:
            from pyspark import StorageLevel

            results = results.persist(StorageLevel.MEMORY_AND_DISK)
        tallies = results.where("rec = 'tally'").select("file", "block", "data").collect()
        total, shifts = merge_tallies(inputs, [(r[0], r[1], bytes(r[2])) for r in tallies])
        if rows:
            from generator.spark.output import write_outputs

            write_outputs(spark, results, inputs, shifts, tables or {}, sorted(total.conforming), output)
            results.unpersist()
        return total
    finally:
        ctx.destroy()


def validate(schemas: Mapping, paths: Iterable[str], payload: str | None = None, master: str | None = None,
             output: str | None = None, tables: Mapping | None = None) -> engine.Tally:
    """``gen validate --engine spark`` without the CLI: start (or reuse) the session,
    list the inputs, run.  Raises ``SparkUnavailable`` or ``engine.UsageError``."""
    spark = start_session(master)
    if not spark.sparkContext.master.startswith("local"):
        check_executors(spark)
    inputs = list_inputs(spark, paths, frozenset(schemas), payload)
    if output is not None:
        from generator.spark.output import check_output_free

        check_output_free(spark, output)
        missing = sorted(set(schemas) - set(tables or {}))
        if missing:
            raise engine.UsageError(
                f"--output needs the generated Spark schema of every payload; missing: {', '.join(missing[:5])}"
            )
    return run(spark, schemas, inputs, tables, output)
