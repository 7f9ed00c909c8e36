"""``gen validate`` and the conformance suite on hostile ground (issue 9): schemas that
try to reach out, documents built to be slow, documents the fast path and the reference
could read differently, values JSON parsers disagree on, folders with links and
unreadable parts, and a hostile process environment.  One test (or more) per class.
"""

from __future__ import annotations

import http.server
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import typing
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import generator.validate as engine
from generator import writer
from generator.build import render
from generator.cli import main
from generator.pipeline import check_spec
from generator.targets import conformance
from generator.targets.json_schema import payload_schema
from generator.validate import fast, optional, parallel

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "tests" / "conformance_examples" / "spec"
CRASH = {"error_code": "E1", "modules": ["a"], "version": "5.6.0"}
SLOW_VERSION = "1" + ".1" * 32000 + "!"  # quadratic for a backtracking regex engine


def run(*args: str, input: bytes | None = None):
    result = CliRunner().invoke(main, ["validate", *args], input=input)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def spec():
    found, _ = check_spec(SPEC)
    assert found is not None
    return found


@pytest.fixture(scope="module")
def schemas(spec):
    return {p.wire_name: payload_schema(spec, p) for p in spec.payloads}


# --------------------------------------------------------------------------- schema folders


class _Counter(http.server.BaseHTTPRequestHandler):
    hits: typing.ClassVar[list] = []

    def do_GET(self):
        _Counter.hits.append(self.path)
        body = b'{"type": "integer"}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Counter.hits = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _schema_dir(tmp_path: Path, **schemas) -> Path:
    folder = tmp_path / "schemas"
    folder.mkdir(parents=True)
    for name, schema in schemas.items():
        text = schema if isinstance(schema, str) else json.dumps(schema)
        (folder / f"{name}.schema.json").write_text(text, "utf-8")
    return folder


def _with_ref(ref: str) -> dict:
    return {"type": "object", "additionalProperties": False, "properties": {"x": {"$ref": ref}}}


def test_refs_reach_nothing_outside_the_loaded_schemas(tmp_path, http_server):
    secret = tmp_path / "secret.json"
    secret.write_text('{"type": "string", "description": "TOP-SECRET-CONTENT"}', "utf-8")
    (tmp_path / "sibling.json").write_text('{"type": "integer"}', "utf-8")
    cases = {
        "network": f"{http_server}/x.json",
        "file": secret.as_uri(),
        "relative": "../sibling.json",
        "dangling": "#/$defs/nothing",
    }
    for label, ref in cases.items():
        folder = _schema_dir(tmp_path / label, p=_with_ref(ref))
        code, out = run("--schemas", str(folder), "-", input=b'{"payload": "p", "properties": {"x": 1}}\n')
        assert code == 2, (label, out)
        assert str(folder / "p.schema.json") in out and "does not point inside the loaded schemas" in out, out
        assert "TOP-SECRET-CONTENT" not in out and "internal error" not in out
    assert _Counter.hits == []


def test_refs_inside_the_loaded_schemas_resolve(tmp_path):
    shared = {"$id": "urn:example:shared", "$defs": {"count": {"type": "integer", "minimum": 0}}}
    user = {"$id": "urn:example:user", "type": "object", "additionalProperties": False,
            "$defs": {"name": {"type": "string"}},
            "properties": {"n": {"$ref": "urn:example:shared#/$defs/count"}, "s": {"$ref": "#/$defs/name"}}}
    folder = _schema_dir(tmp_path, shared=shared, user=user)
    good = json.dumps({"payload": "user", "properties": {"n": 1, "s": "x"}})
    bad = json.dumps({"payload": "user", "properties": {"n": -1, "s": 2}})
    code, out = run("--schemas", str(folder), "-", input=(good + "\n" + bad + "\n").encode())
    assert code == 1, out
    assert "<stdin>:2: user: invalid value 'n'" in out and "type mismatch 's'" in out
    assert "2 document(s) checked, 1 conform, 1 do not" in out


@pytest.mark.parametrize(
    "text, message",
    [
        ("true", "expected a JSON object (a payload's JSON Schema), found boolean"),
        ("[]", "expected a JSON object (a payload's JSON Schema), found array"),
        ("[" * 100_000 + "]" * 100_000, "nested too deep"),
        ('{"not": ' * 300 + "{}" + "}" * 300, "nested more than 256 levels"),
        ('{"type": "object", "properties": {"x": {"type": "string", "pattern": "(?<"}}}', "is not a 'regex'"),
        ('{"type": 5}', "not a valid JSON Schema"),
        ("{oops", "not a readable JSON document"),
    ],
)
def test_schema_files_the_tool_does_not_expect_are_usage_errors(tmp_path, text, message):
    folder = _schema_dir(tmp_path, p=text)
    code, out = run("--schemas", str(folder), "-", input=b"")
    assert code == 2, out
    assert f"{folder / 'p.schema.json'}: " in out and message in out, out
    assert "internal error" not in out and "Traceback" not in out


# --------------------------------------------------------------------------- bounded time


def test_slow_regex_document_is_diagnosed_in_linear_time(tmp_path):
    f = tmp_path / "cap.ndjson"
    f.write_text(json.dumps({"payload": "crash_report", "properties": {**CRASH, "version": SLOW_VERSION}}) + "\n")
    start = time.perf_counter()
    code, out = run("--spec", str(SPEC), str(f))
    took = time.perf_counter() - start
    print(f"gen validate on the slow-regex document: {took:.2f} s")
    assert code == 1, out
    assert f"{f.as_posix()}:1: crash_report: invalid value 'version': 64002 characters, longer than the limit 64" in out
    assert took < 10, took


BLOCKER = """
import sys

class _Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("generator", "orjson", "jsonschema_rs", "msgspec"):
            raise ModuleNotFoundError(name)
        return None

sys.meta_path.insert(0, _Block())
"""


def test_slow_regex_document_in_the_vendored_engine_without_speedups(tmp_path, spec):
    """The conformance suite's copy of the engine, with none of the optional libraries
    (the Python checks and the reference validator do everything), is linear too."""
    out = tmp_path / "generated"
    writer.write(out, render(spec).files)
    capture = tmp_path / "cap.ndjson"
    capture.write_text(json.dumps({"payload": "crash_report", "properties": {**CRASH, "version": SLOW_VERSION}}) + "\n")
    child = BLOCKER + f"""
import importlib.util, json, time
from pathlib import Path
gen = Path({str(out)!r})
spec = importlib.util.spec_from_file_location("engine_copy", gen / "conformance/_payload_engine/__init__.py",
                                              submodule_search_locations=[str(gen / "conformance/_payload_engine")])
engine = importlib.util.module_from_spec(spec)
sys.modules["engine_copy"] = engine
spec.loader.exec_module(engine)
schemas = {{p.name[:-12]: json.loads(p.read_text()) for p in (gen / "schemas").glob("*.schema.json")}}
checker = engine.Checker(schemas)
start = time.perf_counter()
tally = engine.check_sources(checker, engine.sources([{str(capture)!r}], checker.names))
print(round(time.perf_counter() - start, 3))
print(engine.format_text(tally))
"""
    proc = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    took = float(proc.stdout.split("\n", 1)[0])
    print(f"vendored engine without speed-ups on the slow-regex document: {took:.2f} s")
    assert "invalid value 'version': 64002 characters, longer than the limit 64" in proc.stdout
    assert took < 10, took


# --------------------------------------------------------------------------- differential


ODD_VALUES = [1.0, 1.5, -0.0, 1e308, True, None, "5\n", "\u0663", "", "x" * 70, [], {}, "\ud800", "\U0001f600"]
BIG_NUMBERS = [2**63, 2**64 + 1, 2**70, 10**25, 2**1024, -(2**1024), 10**400, "__BIG__", "__HUGE_FLOAT__"]


def _vectors(spec) -> dict[str, list]:
    out = {}
    for p in spec.payloads:
        vec = conformance.vectors(p)
        out[p.wire_name] = ([c["properties"] for c in vec["valid"]], [c["properties"] for c in vec["invalid"]])
    return out


def _escape_key(text: str, key: str) -> str:
    """``"key"`` written with its first letter as a \\u escape."""
    return text.replace(f'"{key}"', f'"\\u{ord(key[0]):04x}{key[1:]}"', 1)


@st.composite
def capture_lines(draw, vectors: dict) -> list[bytes]:
    """One NDJSON line (sometimes after a track message): a payload in one of the shapes, its properties valid (half the
    time) or not, then rewritten the ways a hostile or sloppy client might."""
    names = sorted(vectors)
    name = draw(st.sampled_from(names))
    valid, invalid = vectors[name]
    props = draw(st.sampled_from(invalid if draw(st.integers(0, 3)) == 0 else valid))
    if isinstance(props, dict) and props and draw(st.booleans()):
        props = dict(props)
        odd = draw(st.sampled_from(BIG_NUMBERS) if draw(st.booleans()) else st.sampled_from(ODD_VALUES))
        props[draw(st.sampled_from(sorted(props)))] = odd
    shape = draw(st.sampled_from(["envelope", "envelope", "track", "track", "track+payload", "bare", "other"]))
    if shape == "envelope":
        doc = {"payload": name, "properties": props}
    elif shape == "track":
        doc = {"type": "track", "event": name, "properties": props}
    elif shape == "track+payload":
        doc = {"event": name, "payload": draw(st.sampled_from(names)), "properties": props}
    elif shape == "bare":
        doc = props
    else:
        doc = draw(st.sampled_from([[1], "x", {"type": "identify", "userId": "u"}, {"payload": 5, "properties": {}}]))
    if isinstance(doc, dict) and shape != "bare" and draw(st.booleans()):
        doc["context"] = {"ip": "0.0.0.0"}  # a key the envelope and track decoders skip
    text = json.dumps(doc, ensure_ascii=draw(st.booleans()))
    text = text.replace('"__BIG__"', "1" + "0" * 5000).replace('"__HUGE_FLOAT__"', "1e400")
    for key in ("payload", "event", "properties", "type", "error_code", "enable_commands"):
        if f'"{key}"' in text and draw(st.integers(0, 2)) == 0:
            text = _escape_key(text, key)
    if draw(st.integers(0, 5)) == 0:  # a duplicate tag
        text = text.replace("{", '{"payload": "' + draw(st.sampled_from(names)) + '", ', 1)
    data = text.encode("utf-8", "surrogatepass")
    mutation = draw(st.integers(0, 7))
    if mutation <= 1 and b'"context"' in data:
        data = data.replace(b'"context"', b'"con\xfftext"', 1)  # invalid UTF-8 in a skipped key
    elif mutation == 2:
        data = data[: draw(st.integers(0, len(data)))]
    elif mutation == 3:
        data = b"\xef\xbb\xbf" + data
    elif mutation == 4:
        data += b"\r"
    elif mutation == 5:
        data = b""
    # The fast path tries first the decoder of the shape it identified last: put a
    # failing track message or envelope before most lines, so that each decoder meets
    # every shape.
    lead = draw(st.sampled_from([None, "track", "envelope", "envelope"]))
    if lead == "track":
        return [json.dumps({"type": "track", "event": draw(st.sampled_from(names)), "properties": {}}).encode(), data]
    if lead == "envelope":
        return [json.dumps({"payload": draw(st.sampled_from(names)), "properties": {}}).encode(), data]
    return [data]


def _report(checker_schemas, path: str, jobs: int = 1) -> dict:
    checker = engine.Checker(checker_schemas)
    return engine.check_sources(checker, engine.sources([path], checker.names), jobs=jobs).as_dict()


@pytest.fixture(scope="module")
def differential_inputs(spec, schemas):
    return spec, schemas, _vectors(spec)


FIXED_SEED = {"derandomize": True, "deadline": None,
              "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}


def _reference_report(schemas, path: str) -> dict:
    """The report with no optional library and no specialised check: the standard
    library parser and the reference validator decide everything."""
    saved = (optional.msgspec, optional.orjson, optional.jsonschema_rs, fast.python_check)
    optional.msgspec = optional.orjson = optional.jsonschema_rs = None
    fast.python_check = lambda schema: None
    try:
        return _report(schemas, path)
    finally:
        optional.msgspec, optional.orjson, optional.jsonschema_rs, fast.python_check = saved


def _capture(folder: Path, counter, groups, bom_first: bool) -> tuple[Path, bytes]:
    f = folder / f"cap{next(counter)}.ndjson"
    body = b"\n".join(line for group in groups for line in group)
    f.write_bytes((b"\xef\xbb\xbf" if bom_first else b"") + body)
    return f, body


def test_fast_path_and_reference_never_disagree(differential_inputs, tmp_path_factory):
    """Generated captures (valid, mutated, escaped keys, invalid bytes, BOMs, duplicate
    tags, unportable values) give one report from the fast path (msgspec, orjson,
    jsonschema_rs) and from the reference alone."""
    _spec, schemas, vectors = differential_inputs
    folder = tmp_path_factory.mktemp("differential")
    counter = iter(range(10**6))

    @settings(max_examples=400, **FIXED_SEED)
    @given(st.lists(capture_lines(vectors), min_size=1, max_size=30), st.booleans())
    def check(groups, bom_first):
        f, _body = _capture(folder, counter, groups, bom_first)
        assert _report(schemas, str(f)) == _reference_report(schemas, str(f))

    check()


def test_jobs_give_exactly_the_serial_report(differential_inputs, tmp_path_factory):
    """The same captures, cut into byte ranges checked by two worker processes, give the
    serial report: line numbers, BOMs (dropped only at the start of the file) and all."""
    _spec, schemas, vectors = differential_inputs
    folder = tmp_path_factory.mktemp("jobs")
    counter = iter(range(10**6))

    @settings(max_examples=30, **FIXED_SEED)
    @given(st.lists(capture_lines(vectors), min_size=5, max_size=40), st.booleans())
    def check(groups, bom_first):
        f, body = _capture(folder, counter, groups, bom_first)
        serial = _report(schemas, str(f))
        saved_sizes = (parallel.RANGE_BYTES, parallel.PARALLEL_MIN_BYTES, parallel.PARALLEL_MIN_FILE_BYTES)
        parallel.RANGE_BYTES = max(64, len(body) // 12)
        parallel.PARALLEL_MIN_BYTES = parallel.PARALLEL_MIN_FILE_BYTES = 0
        try:
            assert _report(schemas, str(f), jobs=2) == serial
        finally:
            parallel.RANGE_BYTES, parallel.PARALLEL_MIN_BYTES, parallel.PARALLEL_MIN_FILE_BYTES = saved_sizes

    check()


def test_line_decoders_leave_big_integers_to_the_values_policy(schemas):
    """msgspec reads an integer of any length exactly (and as a rounded float for a
    number field): integers beyond 64 bits must leave the one-call shortcut, so that the
    parser's values policy and exact comparisons decide them."""
    assert optional.msgspec is not None  # a hard dependency: never skipped
    lines = fast.LineDecoders(schemas)
    good = conformance.vectors(next(p for p in check_spec(SPEC)[0].payloads if p.wire_name == "config_service"))
    props = good["valid"][0]["properties"]
    assert lines.envelope(json.dumps({"payload": "config_service", "properties": props}).encode())
    for key in ("max_users", "plugins", "ratio"):
        for big in (2**64, 2**1024, -(2**70)):
            line = json.dumps({"payload": "config_service", "properties": {**props, key: big}}).encode()
            with pytest.raises(optional.msgspec.ValidationError):
                lines.envelope(line)


def test_jobs_fall_back_to_serial_where_workers_cannot_pay(tmp_path):
    """Many small files are checked serially whatever --jobs says (measured: workers
    cost more than they save there, see parallel_jobs); a stream or large files get
    workers, never more than the CPUs available."""
    small = tmp_path / "small"
    small.mkdir()
    for i in range(300):
        (small / f"c{i}.ndjson").write_text(json.dumps({"payload": "crash_report", "properties": CRASH}) + "\n")
    names = frozenset({"crash_report"})
    assert parallel.parallel_jobs(4, engine.sources([str(small)], names)) == 1
    cpus = len(os.sched_getaffinity(0))
    assert parallel.parallel_jobs(4, engine.sources(["-"], names)) == min(4, cpus)
    big = tmp_path / "big"
    big.mkdir()
    for i in range(4):
        with open(big / f"c{i}.ndjson", "wb") as fh:
            fh.truncate(16 << 20)  # sparse: sizes are all that is read
    assert parallel.parallel_jobs(8, engine.sources([str(big)], names)) == min(8, cpus)


# --------------------------------------------------------------------------- values policy


UNPORTABLE = [
    ("ratio", "1e400"),  # beyond a double: Python reads inf
    ("ratio", str(2**1024)),  # an integer beyond a double
    ("max_users", "1" + "0" * 5000),  # more digits than Python's int conversion reads
    ("driver", '"\\ud800"'),  # a lone surrogate
]


@pytest.mark.parametrize("key, literal", UNPORTABLE)
def test_unportable_values_are_refused_alike_by_engine_and_models(tmp_path, spec, key, literal):
    """The values policy (docs/validate.md): the engine reports the document as an
    unportable value, never a Python message, and the generated models refuse it too."""
    from _build_helpers import import_models

    good = {"enable_commands": True, "connection_security": 1, "isdefault_site_url": False,
            "enable_developer": False, "plugins": 3, "max_users": 250, "ratio": 0.75,
            "driver": "postgres", "server_version": "5.6.0", "installation_id": "abc"}
    props = json.dumps({**good, key: "__X__"}).replace('"__X__"', literal)
    f = tmp_path / "cap.ndjson"
    f.write_text('{"payload": "config_service", "properties": ' + props + "}\n")
    code, out = run("--spec", str(SPEC), "--format", "json", str(f))
    assert code == 1, out
    failure = json.loads(out)["failures"][0]
    assert [p["problem"] for p in failure["problems"]] == ["unportable-value"], failure
    assert "I-JSON" in failure["problems"][0]["detail"] and "sys.set_int_max_str_digits" not in out
    models = import_models(render(spec).files, tmp_path, f"policy_models_{abs(hash(literal)) % 10**8}")
    model = dict(models.MODELS)["config_service"]
    with pytest.raises(Exception):  # noqa: B017 - pydantic's ValidationError or ValueError
        model.model_validate_json(props)


# --------------------------------------------------------------------------- folders


def _gen(args: list[str], **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    return subprocess.run([sys.executable, "-m", "generator.cli", "validate", *args],
                          env=env, cwd="/", timeout=120, check=False, **kw)


def test_links_devices_and_pipes_in_folders_are_reported_with_their_path(tmp_path):
    cap = tmp_path / "cap"
    (cap / "crash_report").mkdir(parents=True)
    (cap / "crash_report" / "a.ndjson").write_text(json.dumps(CRASH) + "\n")
    (cap / "linked").symlink_to(cap / "crash_report")
    (cap / "zero.ndjson").symlink_to("/dev/zero")
    os.mkfifo(cap / "pipe.ndjson")
    weird = cap / "bad\nname\x1b[31m.ndjson"
    weird.write_text(json.dumps({"payload": "nope", "properties": {}}) + "\n")
    code, out = run("--spec", str(SPEC), str(cap), "/dev/zero")
    assert code == 1, out
    base = cap.as_posix()
    lines = out.splitlines()
    assert f"{base}/linked: unreadable: a symbolic link; links inside a folder are not followed " \
           "(name the target itself to check it)" in lines
    assert any(s.startswith(f"{base}/zero.ndjson: unreadable: a symbolic link") for s in lines), out
    assert f"{base}/pipe.ndjson: unreadable: a named pipe, not a file of documents" in lines
    assert "/dev/zero: unreadable: a character device, not a file of documents" in lines
    assert f"{base}/bad\\nname\\x1b[31m.ndjson:1: unknown payload name 'nope'" in lines
    assert "\x1b" not in out and not any(s.startswith("name") for s in lines)
    assert "6 document(s) checked, 1 conform, 5 do not" in lines[-1]


def test_unreadable_folders_and_files_are_findings_not_silence(tmp_path, monkeypatch):
    """A folder that cannot be listed, a file that cannot be opened and a named file
    whose folder cannot be searched are findings with their path, not silence or "no
    such file".  Permission is denied by the operating system where the tests do not
    run as root, else by replacing the calls that would meet it (root reads anything)."""
    from generator.validate import inputs

    cap = tmp_path / "cap"
    (cap / "open").mkdir(parents=True)
    (cap / "open" / "crash_report.ndjson").write_text(json.dumps(CRASH) + "\n")
    (cap / "closed").mkdir()
    hidden = cap / "closed" / "crash_report.ndjson"
    hidden.write_text(json.dumps(CRASH) + "\n")
    secret = cap / "secret.ndjson"
    secret.write_text(json.dumps({"payload": "crash_report", "properties": CRASH}) + "\n")
    denied = PermissionError(13, "Permission denied")
    if os.geteuid() != 0:
        os.chmod(cap / "closed", 0)
        os.chmod(secret, 0)
    else:
        real_scandir, real_stat, real_open = os.scandir, os.stat, open

        def scandir(path):
            if str(path) == str(cap / "closed"):
                raise denied
            return real_scandir(path)

        def stat_(path, *a, **k):
            if str(path).startswith(str(cap / "closed") + os.sep):
                raise denied
            return real_stat(path, *a, **k)

        def open_(path, *a, **k):
            if str(path) == str(secret):
                raise denied
            return real_open(path, *a, **k)

        monkeypatch.setattr(inputs.os, "scandir", scandir)
        monkeypatch.setattr(inputs.os, "stat", stat_)
        monkeypatch.setattr(inputs, "open", open_, raising=False)
    try:
        code, out = run("--spec", str(SPEC), str(cap), str(hidden))
    finally:
        os.chmod(cap / "closed", 0o755)
        os.chmod(secret, 0o644)
    assert code == 1, out
    lines = out.splitlines()
    assert f"{cap.as_posix()}/closed: unreadable: cannot list the folder: Permission denied" in lines, out
    assert f"{secret.as_posix()}:1: unreadable: Permission denied" in lines, out
    assert f"{hidden.as_posix()}: unreadable: Permission denied" in lines, out
    assert "no such file" not in out
    assert "4 document(s) checked, 1 conform, 3 do not" in lines[-1], out


# --------------------------------------------------------------------------- process edges


def test_closed_standard_input_is_a_finding():
    proc = _gen(["--spec", str(SPEC), "--allow-empty", "-"], stdin=subprocess.DEVNULL)
    assert proc.returncode == 0  # an empty stream: no documents (see below for a closed one)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    closed = subprocess.run(
        f"exec {sys.executable} -m generator.cli validate --spec {SPEC} - <&-", shell=True,
        capture_output=True, env=env, timeout=120, check=False,
    )
    out = closed.stdout.decode() + closed.stderr.decode()
    assert closed.returncode == 1, out
    assert "<stdin>: unreadable: standard input is closed" in out and "Traceback" not in out


def test_output_to_a_full_device_is_reported_without_a_traceback(tmp_path):
    f = tmp_path / "cap.ndjson"
    f.write_text(json.dumps({"payload": "crash_report", "properties": CRASH}) + "\n")
    for fmt in ("text", "json"):
        with open("/dev/full", "wb") as full:
            proc = _gen(["--spec", str(SPEC), "--format", fmt, str(f)], stdout=full, stderr=subprocess.PIPE)
        err = proc.stderr.decode()
        assert proc.returncode == 2, err
        assert "gen validate: cannot write the report to standard output: No space left on device" in err
        assert "Traceback" not in err and "internal error" not in err and "Exception ignored" not in err


def test_interrupt_at_any_moment_prints_no_traceback():
    """Ctrl-C while the modules load ends the process quietly (the entry point keeps
    SIGINT at its default action until the command starts); later, while it reads a
    stream that never ends, it is reported as "interrupted" (exit 130), with --jobs
    workers too (the signal goes to the whole process group, as from a terminal)."""
    child = (
        "import os, signal, sys\n"
        "from generator.console import main\n"
        "signal.signal(signal.SIGALRM, lambda *a: os.killpg(0, signal.SIGINT))\n"  # as a terminal's Ctrl-C
        "signal.setitimer(signal.ITIMER_REAL, float(sys.argv[1]))\n"
        "sys.argv = ['gen'] + sys.argv[2:]\n"
        "main()\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    line = (json.dumps({"payload": "crash_report", "properties": CRASH}) + "\n").encode()
    seen = set()
    for delay in (0.001, 0.01, 0.03, 0.1, 2.0):
        for jobs in ("1", "2"):
            with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
                proc = subprocess.Popen([sys.executable, "-c", child, str(delay), "validate", "--spec", str(SPEC),
                                         "--jobs", jobs, "-"], stdin=subprocess.PIPE, stdout=out, stderr=err, env=env,
                                        start_new_session=True)
                try:
                    proc.stdin.write(line * 1000)  # then the stream stays open: the run cannot end by itself
                    proc.stdin.flush()
                except BrokenPipeError:  # interrupted before it read anything
                    pass
                code = proc.wait(timeout=120)
                proc.stdin.close()
                err.seek(0)
                text = err.read().decode()
            assert "Traceback" not in text and "KeyboardInterrupt" not in text, (delay, jobs, text[-2000:])
            assert code in (-signal.SIGINT, 130), (delay, jobs, code, text[-2000:])
            seen.add(code)
    assert seen == {-signal.SIGINT, 130}  # both moments were hit


# --------------------------------------------------------------------------- helpers


def test_label_of_escapes_what_could_forge_a_line():
    from generator.validate.inputs import label_of

    assert label_of("a\nb\x1b.ndjson") == "a\\nb\\x1b.ndjson"
    assert label_of("plain/ok.ndjson") == "plain/ok.ndjson"
