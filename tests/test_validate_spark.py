"""``gen validate --engine spark``: the same report as the local engine, and the Parquet
outputs of ``--output``, in Spark local mode.

One SparkSession (``local[2]``) serves the whole module; files are cut into
64 KiB splits so that a capture of a few thousand lines spans many tasks and the
per-split line numbering is exercised.  The capture is generated here and holds every
problem class the engine reports (except ``unreadable``, which needs an I/O error), in
every input shape: envelopes, Segment messages, bare objects named by file and by
folder, ``.json`` files with one document and with an array, a BOM, CRLF, invalid
UTF-8, an over-long line, blank lines and a last line without a newline.

The session is the module's: it is stopped, and its JVM shut down, when the module ends.
PySpark is the optional ``spark`` extra: outside CI these tests skip without it; under
CI they fail (``.ci/run`` installs it).  Java 17 must be installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from _ci import skip_or_fail
from click.testing import CliRunner

from generator.cli import main
from generator.pipeline import check_spec
from generator.targets.warehouse_spark import spark_schema

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "tests" / "conformance_examples" / "spec"
MASTER = "local[2]"
GOOD = {
    "enable_commands": True, "connection_security": 1, "isdefault_site_url": False,
    "enable_developer": False, "plugins": 3, "max_users": 250, "ratio": 0.75,
    "driver": "postgres", "server_version": "5.6.0", "installation_id": "abc",
}
CRASH = {"error_code": "E1", "modules": ["a", "b"], "version": "5.6.0"}
ALL_PROBLEMS = {
    "undeclared-key", "type-mismatch", "missing-key", "value-not-allowed", "invalid-value",
    "unknown-payload", "no-payload-name", "unsupported-message", "malformed-json",
    "not-an-object", "too-large", "too-deep", "unportable-value",
}


@pytest.fixture(scope="module")
def spark():
    """The module's one SparkSession; afterwards its JVM is shut down too, so that the
    test process has no py4j threads left (later tests fork, which needs one thread)."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        skip_or_fail("PySpark is not installed (pip install '.[spark]')")
    from pyspark import SparkContext

    from generator.spark.job import start_session

    session = start_session(MASTER)
    session.conf.set("spark.sql.files.maxPartitionBytes", str(64 << 10))  # many splits per file
    session.conf.set("spark.sql.files.openCostInBytes", str(4 << 10))
    yield session
    session.stop()
    gateway = SparkContext._gateway
    if gateway is not None:
        gateway.shutdown()
        proc = getattr(gateway, "proc", None)
        if proc is not None:
            proc.stdin.close()  # the JVM exits when its standard input closes
            proc.wait(timeout=120)
        SparkContext._gateway = SparkContext._jvm = None
    for thread in threading.enumerate():
        if thread is not threading.main_thread():
            thread.join(timeout=30)  # py4j's threads end once the gateway is shut down
    assert threading.active_count() == 1, [t.name for t in threading.enumerate()]


def run(*args: str):
    result = CliRunner().invoke(main, ["validate", "--spec", str(SPEC), *args])
    return result.exit_code, result.output


def _env(props, name="config_service", **extra) -> bytes:
    return json.dumps({"payload": name, "properties": props, **extra}).encode()


def make_capture(root: Path) -> tuple[list[str], set[tuple[str, int | None, int | None]]]:
    """The capture's paths (as given on the command line) and the position (label,
    line, item) of every document in it."""
    cap = root / "cap"
    (cap / "crash_report").mkdir(parents=True)
    main_lines: list[bytes] = []
    for i in range(3000):
        if i % 211 == 0:
            line = _env({**GOOD, f"leak_{i}": 1})  # undeclared
        elif i % 223 == 0:
            line = _env({**GOOD, "plugins": "3"})  # type mismatch
        elif i % 227 == 0:
            line = _env({k: v for k, v in GOOD.items() if k != "driver"})  # missing
        elif i % 229 == 0:
            line = _env({**GOOD, "driver": "oracle"})  # not allowed
        elif i % 233 == 0:
            line = _env({**GOOD, "plugins": -1})  # invalid
        elif i % 239 == 0:
            line = _env({}, "config_bogus")  # unknown payload
        elif i % 241 == 0:
            line = b'{"payload": "config_service", "properties": {'  # malformed
        elif i % 251 == 0:
            line = b"[1, 2, 3]"  # not an object
        elif i % 257 == 0:
            line = b"[" * 200 + b"]" * 200  # too deep
        elif i % 263 == 0:
            line = b""  # blank: no document
        elif i % 269 == 0:
            line = b"\xff\xfe not utf-8"
        elif i % 271 == 0:
            line = _env({**GOOD, "ratio": 1}) + b"\r"  # CRLF
        elif i % 7 == 0:
            line = json.dumps({"type": "track", "event": "crash_report", "properties": CRASH,
                               "receivedAt": "2026-11-30T12:00:00.123Z"}).encode()
        else:
            line = _env({**GOOD, "max_users": i, "last_restart": 1543622400000 + i}, received_at=1543622400000 + i)
        main_lines.append(line)
    main_lines[0] = b"\xef\xbb\xbf" + _env(GOOD)  # a BOM before the first line
    main_lines[1500] = _env({**GOOD, "x": "y" * (1 << 20)})  # too large
    main_lines[2000] = _env({**GOOD, "max_users": 2**70})  # conforms, but fits no column
    main_lines[2002] = _env({**GOOD, "last_restart": 2**63 - 1})  # conforms; no timestamp column holds it
    main_lines[2004] = b'{"payload": "config_service", "properties": {"max_users": 1, "max_users": "x"}}'  # a key twice (I-JSON)
    (cap / "a_main.ndjson").write_bytes(b"\n".join(main_lines))  # no final newline
    bare = [json.dumps(GOOD), json.dumps({**GOOD, "plugins": 2.5}), "", json.dumps(GOOD)]
    (cap / "config_service.ndjson").write_text("\n".join(bare) + "\n")
    (cap / "crash_report" / "day1.jsonl").write_text(json.dumps(CRASH) + "\n" + json.dumps({**CRASH, "x": 1}) + "\n")
    (cap / "items.json").write_text(json.dumps(
        [{"payload": "crash_report", "properties": CRASH}, {"payload": "crash_report", "properties": {}}, 7]
    ))
    (cap / "one.json").write_text(json.dumps({"payload": "config_service", "properties": GOOD}))
    other = [json.dumps({"no": "name"}), json.dumps({"type": "identify", "userId": "u1", "traits": {}})]
    (cap / "other.ndjson").write_text("\n".join(other) + "\n")
    (cap / ".hidden.ndjson").write_text("{oops\n")  # hidden files are skipped by both engines
    extra = root / "extra.ndjson"
    extra.write_bytes(_env(CRASH, "crash_report") + b"\n")

    base = cap.as_posix()
    docs: set = set()
    for n, line in enumerate(main_lines, 1):
        if line.strip():
            docs.add((f"{base}/a_main.ndjson", n, None))
    docs |= {(f"{base}/config_service.ndjson", n, None) for n in (1, 2, 4)}
    docs |= {(f"{base}/crash_report/day1.jsonl", n, None) for n in (1, 2)}
    docs |= {(f"{base}/items.json", None, i) for i in range(3)}
    docs.add((f"{base}/one.json", 1, None))
    docs |= {(f"{base}/other.ndjson", n, None) for n in (1, 2)}
    docs.add((extra.as_posix(), 1, None))
    return [str(cap), str(extra)], docs


@pytest.fixture(scope="module")
def capture(tmp_path_factory):
    return make_capture(tmp_path_factory.mktemp("spark"))


@pytest.fixture(scope="module")
def spark_run(spark, capture, tmp_path_factory):
    """One Spark run over the capture (a file named twice), with --output."""
    paths, _ = capture
    out = tmp_path_factory.mktemp("spark_out") / "out"
    code, text = run("--format", "json", "--engine", "spark", "--master", MASTER, "--output", str(out),
                     *paths, paths[1])
    return code, text, out


def test_spark_report_equals_the_local_engines(spark_run, capture):
    """With and without --output, the report is the local engine's, byte for byte."""
    paths, docs = capture
    code, text, _ = spark_run
    local = run("--format", "json", *paths, paths[1])  # a file named twice is counted twice
    assert local[0] == code == 1, text[-2000:]
    rep_local, rep_spark = json.loads(local[1]), json.loads(text)
    found = {r["problem"] for p in rep_local["payloads"].values() for r in p["problems"]}
    found |= {r["problem"] for r in rep_local["unreadable"]} | ({"unknown-payload"} if rep_local["unknown_payloads"] else set())
    assert found == ALL_PROBLEMS  # the capture exercises every problem class
    assert rep_spark == rep_local  # counts per payload and per problem, first locations, failures
    assert rep_spark["documents"] == len(docs) + 1
    # Without --output the tasks return tallies only (another code path): same report.
    plain = run("--format", "json", "--engine", "spark", "--master", MASTER, *paths, paths[1])
    assert plain[0] == 1
    assert json.loads(plain[1]) == rep_local


def test_output_holds_every_document_once_typed_by_the_generated_schemas(spark, spark_run, capture):
    import pyarrow.parquet as pq
    from pyspark.sql.types import StructType

    _, docs = capture
    _, text, out = spark_run
    report = json.loads(text)
    spec, _ = check_spec(SPEC)
    seen: list = []
    for payload in spec.payloads:
        folder = out / "payloads" / f"payload={payload.wire_name}"
        generated = StructType.fromJson(spark_schema(payload))
        table = spark.read.schema(generated).parquet(str(folder))
        rows = table.collect()
        stored = spark.read.parquet(str(folder)).schema  # (Spark reads every column as nullable)
        assert [(f.name, f.dataType.simpleString()) for f in stored.fields] == [
            (f.name, f.dataType.simpleString()) for f in generated.fields
        ]
        arrow = pq.read_table(folder).schema  # the files themselves keep required columns required
        assert [arrow.field(f.name).nullable for f in generated.fields] == [f.nullable for f in generated.fields]
        counts = report["payloads"][payload.wire_name]
        overflow = 2 if payload.wire_name == "config_service" else 0
        twice = 1 if payload.wire_name == "crash_report" else 0  # the file named twice is stored once
        assert len(rows) == counts["documents"] - counts["failing"] - overflow - twice
        assert {r["_payload"] for r in rows} == {payload.wire_name}
        seen += [(r["_source_file"], r["_source_line"], r["_source_item"]) for r in rows]
        if payload.wire_name == "config_service":
            by_line = {r["_source_line"]: r for r in rows if r["_source_file"].endswith("a_main.ndjson")}
            row = by_line[3]  # i = 2: an envelope with received_at and a timestamp field
            assert row["max_users"] == 2
            assert row["last_restart"].timestamp() * 1000 == 1543622400000 + 2
            assert row["_received_at"].timestamp() * 1000 == 1543622400000 + 2
            assert by_line[272]["ratio"] == 1.0  # the CRLF line
        else:
            segment = next(r for r in rows if r["_source_file"].endswith("a_main.ndjson"))
            assert segment["_received_at"].isoformat() == "2026-11-30T12:00:00.123000"
            assert segment["modules"] == ["a", "b"]
    errors = spark.read.parquet(str(out / "errors")).collect()
    seen += [(r["source"], r["line"], r["item"]) for r in errors]
    assert len(seen) == len(set(seen)) == len(docs)
    assert set(seen) == docs
    codes = {c for r in errors for c in r["problem_codes"]}
    assert codes == ALL_PROBLEMS | {"column-overflow"}
    assert len(errors) == report["failing"] + 2
    by_where = {(r["source"].rsplit("/", 1)[-1], r["line"]): r for r in errors}
    assert by_where[("a_main.ndjson", 1501)]["document"] is None  # too large: not kept
    assert by_where[("a_main.ndjson", 2001)]["problem_codes"] == ["column-overflow"]
    assert by_where[("a_main.ndjson", 2003)]["problem_messages"] == [
        "column-overflow 'last_restart': a time outside years 1-9999 fits no timestamp column"
    ]
    assert bytes(by_where[("a_main.ndjson", 242)]["document"]) == b'{"payload": "config_service", "properties": {'
    assert by_where[("a_main.ndjson", 242)]["problem_messages"][0].startswith("malformed JSON")


def test_usage_errors_exit_2(spark, capture, tmp_path):
    paths, _ = capture
    code, text = run("--engine", "spark", "--master", MASTER, "--output", str(tmp_path), *paths)
    assert code == 2 and "already exists" in text
    code, text = run("--master", MASTER, *paths)
    assert code == 2 and "--engine spark" in text
    code, text = run("--engine", "spark", "--master", MASTER, "-")
    assert code == 2 and "standard input" in text
    local = run(str(tmp_path / "nope.ndjson"))
    remote = run("--engine", "spark", "--master", MASTER, str(tmp_path / "nope.ndjson"))
    assert remote[0] == local[0] == 2
    assert remote[1].splitlines()[-1] == local[1].splitlines()[-1]
    assert "no such file or folder" in remote[1]


def test_a_failed_write_exits_3_with_the_reason_and_keeps_nothing(spark, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    f = tmp_path / "cap.ndjson"
    f.write_bytes(_env(GOOD) + b"\n")
    result = CliRunner().invoke(main, ["validate", "--spec", str(SPEC), "--engine", "spark", "--master", MASTER,
                                       "--output", str(blocker / "out"), str(f)])
    assert result.exit_code == 3
    assert "the Spark job failed: " in result.output and "not a directory" in result.output
    assert "Traceback" not in result.output
    assert blocker.read_text() == "not a folder"


def test_vendored_schemas_folder_with_output_uses_the_vendored_spark_schemas(spark, tmp_path):
    """--schemas generated/schemas --output: the Spark schemas come from the vendored
    generated/warehouse/spark/ beside it; without them, a usage error before any job."""
    from generator.targets import json_schema, warehouse_spark

    spec, _ = check_spec(SPEC)
    vendored = tmp_path / "generated"
    for rel, data in {**json_schema.render(spec), **warehouse_spark.render(spec)}.items():
        (vendored / rel).parent.mkdir(parents=True, exist_ok=True)
        (vendored / rel).write_bytes(data)
    f = tmp_path / "cap.ndjson"
    f.write_bytes(_env(GOOD) + b"\n" + _env({**GOOD, "leak": 1}) + b"\n")
    args = ["--engine", "spark", "--master", MASTER, "--schemas", str(vendored / "schemas")]
    code, text = run(*args, "--output", str(tmp_path / "out"), str(f))
    assert code == 1, text
    rows = spark.read.parquet(str(tmp_path / "out" / "payloads" / "payload=config_service")).collect()
    assert [(r["_source_line"], r["max_users"]) for r in rows] == [(1, 250)]
    table = vendored / "warehouse" / "spark" / "config_service.json"
    forged = json.loads(table.read_bytes())
    forged["fields"][-1]["metadata"]["wire_key"] = ["not", "a", "key"]
    table.write_text(json.dumps(forged))
    code, text = run(*args, "--output", str(tmp_path / "out-forged"), str(f))
    assert code == 2 and "has a wire_key that is not a string" in text, text
    assert not (tmp_path / "out-forged").exists()
    for path in (vendored / "warehouse" / "spark").iterdir():
        path.unlink()
    code, text = run(*args, "--output", str(tmp_path / "out2"), str(f))
    assert code == 2 and "needs the generated Spark schema" in text
    assert not (tmp_path / "out2").exists()


def test_without_pyspark_the_spark_engine_is_a_usage_error_saying_how_to_install(monkeypatch, tmp_path):
    for name in ("pyspark", "pyspark.sql"):
        monkeypatch.setitem(sys.modules, name, None)  # import pyspark now fails
    f = tmp_path / "cap.ndjson"
    f.write_bytes(_env(GOOD) + b"\n")
    code, text = run("--engine", "spark", str(f))
    assert code == 2
    assert "pip install 'telemetry-spec-generator[spark]'" in text
    assert "Traceback" not in text


def test_spark_submit_runs_the_shipped_module(spark, tmp_path):
    """The module spark-submit runs, as a real spark-submit child (its own JVM)."""
    submit = Path(sys.executable).with_name("spark-submit")
    if not submit.exists():
        skip_or_fail("spark-submit is not installed next to this Python")
    module = subprocess.run([sys.executable, "-m", "generator.spark.submit", "--path"],
                            capture_output=True, text=True, check=True).stdout.strip()
    assert module.endswith("generator/spark/submit.py")
    f = tmp_path / "cap.ndjson"
    f.write_bytes(_env(GOOD) + b"\n" + _env({**GOOD, "leak": 1}) + b"\n")
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    proc = subprocess.run(
        [str(submit), "--master", "local[1]", "--conf", "spark.ui.enabled=false", module,
         "--spec", str(SPEC), "--format", "json", str(f)],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert json.loads(proc.stdout) == json.loads(run("--format", "json", str(f))[1])


def test_output_of_keys_that_are_no_column_name(spark, tmp_path):
    """Real wire keys that no warehouse takes as a column name (a dot, a space, a leading
    digit, a leading underscore, an envelope column's own name): each lands in its
    escaped column (``generator.columns``), read from its key, and an integer too large
    for its column is still found by its key (``column-overflow``)."""
    import shutil

    from generator.columns import column_name

    spec_dir = tmp_path / "spec"
    shutil.copytree(ROOT / "tests" / "cases" / "lint_wire_key_convention" / "spec", spec_dir)
    odd = {"os.name": ("boolean", True), "Colour Scheme": ("boolean", False), "1st": ("integer", 5),
           "_id": ("integer", 7), "_payload": ("integer", 9), "when.ms": ("timestamp_ms", 1543622400000)}
    fields = "".join(
        f"      - {{name: Field{i}, kind: {kind}, wire_key: {json.dumps(key)}, description: Field {i}., "
        "lint_ignore: [wire-key-convention]}\n" for i, (key, (kind, _)) in enumerate(odd.items()))
    (spec_dir / "payloads.yaml").write_text(
        "spec_format: 2\npayloads:\n  - type: record\n    group: MainSettings\n    section: config\n    fields:\n"
        + fields + "  - type: event\n    wire_name: signed_in\n    section: events\n    category: signin\n"
        "    fields: []\n")
    props = {key: value for key, (_, value) in odd.items()}
    capture = tmp_path / "cap.ndjson"
    capture.write_bytes(_env(props, "cfg_main") + b"\n" + _env({**props, "1st": 2**70}, "cfg_main") + b"\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["validate", "--spec", str(spec_dir), "--engine", "spark", "--master", MASTER,
                                       "--output", str(out), str(capture)])
    assert result.exit_code == 0, result.output
    [row] = spark.read.parquet(str(out / "payloads" / "payload=cfg_main")).collect()
    assert row["_payload"] == "cfg_main"
    for key, value in props.items():
        got = row[column_name(key)]
        assert (got.timestamp() * 1000 if key == "when.ms" else got) == value, key
    [error] = spark.read.parquet(str(out / "errors")).collect()
    assert error["problem_codes"] == ["column-overflow"] and "'1st'" in error["problem_messages"][0]
