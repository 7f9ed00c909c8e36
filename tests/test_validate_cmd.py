"""``gen validate``: exit codes, the report, every bad-input case with its exact
file:line, the accepted document shapes, ``--jobs``, and flat memory on a long stream.

Most tests run the command in-process (click's runner) against the fixture spec in
``tests/conformance_examples/spec``; the memory test runs it as a child process fed
through a pipe and compares the child's peak RSS for 10,000 and 200,000 lines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from _build_helpers import bundled_spec, load_or_fail
from _ci import skip_or_fail
from click.testing import CliRunner

from generator import validate as engine
from generator import writer
from generator.build import render
from generator.cli import main
from generator.pipeline import check_spec
from generator.validate import fast, optional, parallel

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "tests" / "conformance_examples" / "spec"

GOOD = {
    "enable_commands": True,
    "connection_security": 1,
    "isdefault_site_url": False,
    "enable_developer": False,
    "plugins": 3,
    "max_users": 250,
    "ratio": 0.75,
    "driver": "postgres",
    "server_version": "5.6.0",
    "installation_id": "abc",
}
CRASH = {"error_code": "E1", "modules": ["a", "b"], "version": "5.6.0"}


def env(props: dict, name: str = "config_service") -> str:
    return json.dumps({"payload": name, "properties": props})


def run(*args: str, input: bytes | None = None):
    result = CliRunner().invoke(main, ["validate", "--spec", str(SPEC), *args], input=input)
    return result.exit_code, result.output


def run_json(*args: str, input: bytes | None = None):
    code, out = run("--format", "json", *args, input=input)
    return code, json.loads(out)


def write_lines(path: Path, lines: list[str | bytes]) -> Path:
    with open(path, "wb") as fh:
        for line in lines:
            fh.write(line if isinstance(line, bytes) else line.encode("utf-8"))
            fh.write(b"\n")
    return path


# --------------------------------------------------------------------------- verdicts


def test_conforming_input_exits_0(tmp_path):
    f = write_lines(tmp_path / "cap.ndjson", [env(GOOD), env(CRASH, "crash_report"), env({k: v for k, v in GOOD.items()})])
    code, out = run(str(f))
    assert code == 0, out
    assert out.strip() == "gen validate: 3 document(s) checked, 3 conform."


def test_every_problem_class_is_reported_per_payload(tmp_path):
    f = write_lines(
        tmp_path / "cap.ndjson",
        [
            env({**GOOD, "site_hostname": "chat.example.com"}),  # 1 undeclared
            env({**GOOD, "plugins": "3"}),  # 2 type mismatch
            env({k: v for k, v in GOOD.items() if k != "driver"}),  # 3 missing
            env({**GOOD, "driver": "oracle"}),  # 4 outside the enumeration
            env({**GOOD, "plugins": -1}),  # 5 below the kind's minimum
            env({}, "config_bogus"),  # 6 unknown payload name
            env(GOOD),  # 7 fine
        ],
    )
    code, rep = run_json(str(f))
    assert code == 1
    assert (rep["documents"], rep["conforming"], rep["failing"]) == (7, 1, 6)
    rows = {(r["problem"], r["key"]): r for r in rep["payloads"]["config_service"]["problems"]}
    loc = f.as_posix()
    assert rows[("undeclared-key", "site_hostname")]["first"] == f"{loc}:1"
    assert rows[("type-mismatch", "plugins")]["detail"] == "expected integer, got string"
    assert rows[("type-mismatch", "plugins")]["first"] == f"{loc}:2"
    assert rows[("missing-key", "driver")]["first"] == f"{loc}:3"
    assert rows[("value-not-allowed", "driver")]["first"] == f"{loc}:4"
    assert rows[("invalid-value", "plugins")]["first"] == f"{loc}:5"
    assert rep["unknown_payloads"] == [{"name": "config_bogus", "count": 1, "first": f"{loc}:6"}]
    assert "config_bogus" not in rep["payloads"]
    code, text = run(str(f))
    assert f"{loc}:1: config_service: undeclared key 'site_hostname'" in text
    assert f"{loc}:6: unknown payload name 'config_bogus'" in text
    assert "6 do not" in text.splitlines()[-1]


# --------------------------------------------------------------------------- bad input


def test_bad_input_is_reported_with_file_and_line_and_the_rest_is_checked(tmp_path):
    enormous = b'{"payload": "config_service", "properties": {"x": "' + b"y" * (2 << 20) + b'"}}'
    f = write_lines(
        tmp_path / "cap.ndjson",
        [
            env(GOOD),  # 1
            "",  # 2 blank: skipped
            '{"payload": "config_service", "properties": {',  # 3 malformed
            "[1, 2, 3]",  # 4 not an object
            enormous,  # 5
            "[" * 200 + "]" * 200,  # 6 deeply nested (beyond the 64 cap, within the parser's)
            "[" * 5000 + "]" * 5000,  # 7 deeper than any parser's recursion limit
            b"\xff\xfe not utf-8",  # 8 undecodable
            env({**GOOD, "leak": 1}),  # 9
            env(GOOD),  # 10
        ],
    )
    code, out = run(str(f))
    assert code == 1
    loc = f.as_posix()
    lines = out.splitlines()
    assert any(s.startswith(f"{loc}:3: malformed JSON: ") for s in lines), out
    assert f"{loc}:4: not a JSON object: array" in lines
    assert f"{loc}:5: document too large: {len(enormous)} bytes; the limit is 1048576" in lines
    assert f"{loc}:6: nested too deep: more than 64 levels" in lines
    assert f"{loc}:7: nested too deep: more than 64 levels" in lines
    assert any(s.startswith(f"{loc}:8: malformed JSON") for s in lines), out
    assert f"{loc}:9: config_service: undeclared key 'leak'" in lines
    assert lines[-1] == "gen validate: 9 document(s) checked, 2 conform, 7 do not"


def test_lone_surrogates_and_non_ascii_keys_are_reported_not_crashed_on(tmp_path):
    """A lone surrogate is not Unicode text: the document is an unportable value (the
    values policy, docs/validate.md), reported escaped; non-ASCII keys are keys."""
    f = write_lines(tmp_path / "cap.ndjson", ['{"payload": "config_service", "properties": {"\\ud800": "\\udfff", "schlüssel": 1}}',
                                               env({**GOOD, "driver": "\ud800"}), env({**GOOD, "schlüssel": 1})])
    code, out = run(str(f))
    assert code == 1 and "Traceback" not in out
    loc = f.as_posix()
    assert f"{loc}:1: unportable value: " in out and "lone UTF-16 surrogate" in out
    assert f"{loc}:2: unportable value: '\\ud800' holds a lone UTF-16 surrogate" in out
    assert f"{loc}:3: config_service: undeclared key 'schlüssel'" in out
    code, rep = run_json(str(f))
    assert code == 1 and rep["failing"] == 3


def test_a_broken_vendored_schema_is_a_usage_error(tmp_path):
    (tmp_path / "x.schema.json").write_text('{"type": 5}')
    result = CliRunner().invoke(main, ["validate", "--schemas", str(tmp_path), "-"], input=b"")
    assert result.exit_code == 2 and "x.schema.json: not a valid JSON Schema" in result.output


def test_nested_object_inside_a_payload_is_capped_too(tmp_path):
    deep: dict = {}
    node = deep
    for _ in range(100):
        node["a"] = {}
        node = node["a"]
    f = write_lines(tmp_path / "cap.ndjson", [env({**GOOD, "max_users": deep}), env(GOOD)])
    code, out = run(str(f))
    assert code == 1
    assert f"{f.as_posix()}:1: nested too deep: more than 64 levels" in out.splitlines()


def test_crlf_bom_and_trailing_line_without_newline(tmp_path):
    f = tmp_path / "cap.ndjson"
    f.write_bytes(b"\xef\xbb\xbf" + env(GOOD).encode() + b"\r\n\r\n" + env(GOOD).encode())
    code, out = run(str(f))
    assert code == 0, out
    assert "2 document(s) checked, 2 conform" in out


def test_empty_input_fails_unless_allowed(tmp_path):
    """An empty capture proves nothing: exit 1 by default, as in the conformance suite;
    --allow-empty says the other."""
    f = write_lines(tmp_path / "cap.ndjson", [])
    code, out = run(str(f))
    assert code == 1
    assert out.strip() == "gen validate: no documents found; an empty capture proves nothing " \
                          "(pass --allow-empty if none were expected)"
    code, rep = run_json(str(f))
    assert code == 1 and rep["ok"] is False and rep["documents"] == 0
    code, out = run("--allow-empty", str(f))
    assert code == 0 and "0 document(s) checked, 0 conform (no documents found)." in out
    code, rep = run_json("--allow-empty", str(f))
    assert code == 0 and rep["ok"] is True


def test_a_json_file_holds_one_document_or_an_array(tmp_path):
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"payload": "config_service", "properties": {**GOOD, "k": 1}}, indent=2))
    many = tmp_path / "many.json"
    many.write_text(json.dumps([env(GOOD) and {"payload": "config_service", "properties": GOOD}, [1], {"event": "crash_report", "properties": CRASH}]))
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "payload": "config_service",\n  "properties": {,\n}\n')
    code, out = run(str(one), str(many), str(broken))
    assert code == 1
    lines = out.splitlines()
    assert f"{one.as_posix()}:1: config_service: undeclared key 'k'" in lines
    assert f"{many.as_posix()}[1]: not a JSON object: array" in lines
    assert any(s.startswith(f"{broken.as_posix()}:3: malformed JSON") for s in lines), out
    assert lines[-1] == "gen validate: 5 document(s) checked, 2 conform, 3 do not"


# --------------------------------------------------------------------------- shapes and sources


def test_segment_messages_and_folder_or_file_named_payloads(tmp_path):
    cap = tmp_path / "cap"
    (cap / "config_service").mkdir(parents=True)
    write_lines(cap / "config_service" / "day1.ndjson", [json.dumps(GOOD), json.dumps({**GOOD, "x": 1})])
    write_lines(cap / "crash_report.jsonl", [json.dumps(CRASH)])
    write_lines(
        cap / "segment.ndjson",
        [
            json.dumps({"type": "track", "event": "crash_report", "userId": "u", "properties": CRASH}),
            json.dumps({"type": "identify", "userId": "u", "traits": {}}),
            json.dumps(CRASH),  # bare, and neither file nor folder names a payload
        ],
    )
    (cap / "notes.txt").write_text("ignored: not a JSON file name")
    code, rep = run_json(str(cap))
    assert code == 1
    assert (rep["documents"], rep["conforming"]) == (6, 3)
    where = {f["location"]: [p["problem"] for p in f["problems"]] for f in rep["failures"]}
    base = cap.as_posix()
    assert where == {
        f"{base}/config_service/day1.ndjson:2": ["undeclared-key"],
        f"{base}/segment.ndjson:2": ["unsupported-message"],
        f"{base}/segment.ndjson:3": ["no-payload-name"],
    }


def test_standard_input_with_payload_option():
    data = (json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "ratio": "high"}) + "\n").encode()
    code, out = run("--payload", "config_service", "-", input=data)
    assert code == 1
    assert "<stdin>:2: config_service: type mismatch 'ratio': expected number, got string" in out


def test_vendored_schemas_folder_gives_the_same_report(tmp_path):
    spec, _ = check_spec(SPEC)
    writer.write(tmp_path / "generated", render(spec).files)
    f = write_lines(tmp_path / "cap.ndjson", [env(GOOD), env({**GOOD, "x": 1}), env({}, "nope")])
    a = run_json(str(f))
    b = CliRunner().invoke(main, ["validate", "--schemas", str(tmp_path / "generated" / "schemas"), "--format", "json", str(f)])
    assert a[0] == b.exit_code == 1
    assert a[1] == json.loads(b.output)


# --------------------------------------------------------------------------- usage


@pytest.mark.parametrize(
    "args, message",
    [
        ((), "name at least one file"),
        (("missing.ndjson",), "no such file or folder: missing.ndjson"),
        (("--payload", "nope", "-"), "--payload 'nope' is not a payload"),
        (("--schemas", "/no/such/dir", "-"), "does not exist"),
    ],
)
def test_usage_errors_exit_2(args, message):
    code, out = run(*args)
    assert code == 2
    assert message in out


def test_missing_spec_folder_exits_2(tmp_path):
    result = CliRunner().invoke(main, ["validate", "--spec", str(tmp_path / "nospec"), "-"])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_broken_spec_exits_1_without_traceback(tmp_path):
    (tmp_path / "spec.yaml").write_text("spec_format: 2\nproduct: {id: x}\nfeatures: [\n")
    result = CliRunner().invoke(main, ["validate", "--spec", str(tmp_path), "-"], input=b"")
    assert result.exit_code == 1
    assert "the spec has errors" in result.output and "Traceback" not in result.output


# --------------------------------------------------------------------------- jobs


def test_jobs_gives_the_same_report_in_input_order(tmp_path, monkeypatch):
    lines: list = []
    for i in range(12000):
        if i % 97 == 0:
            lines.append(env({**GOOD, f"leak_{i}": 1}))
        elif i % 1009 == 0:
            lines.append("{oops")
        elif i % 3001 == 0:
            lines.append("")
        else:
            lines.append(env(GOOD))
    lines[5000] = b'{"x": "' + b"y" * (engine.MAX_DOCUMENT_BYTES + 10) + b'"}'
    f = write_lines(tmp_path / "cap.ndjson", lines)
    with open(f, "ab") as fh:
        fh.write(env({**GOOD, "last": 1}).encode())  # a final line without a newline
    serial = run_json(str(f), str(f))
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)  # small input: no serial fallback
    batched = run_json("--jobs", "3", str(f), str(f))
    monkeypatch.setattr(parallel, "RANGE_BYTES", 100_000)  # workers read byte ranges
    ranged = run_json("--jobs", "3", str(f), str(f))
    assert serial[0] == batched[0] == ranged[0] == 1
    assert serial[1] == batched[1] == ranged[1]
    assert serial[1]["documents"] == 2 * (12001 - 3)
    where = [x["location"] for x in serial[1]["failures"] if x["file"] == f.as_posix()]
    assert where[:3] == [f"{f.as_posix()}:1", f"{f.as_posix()}:98", f"{f.as_posix()}:195"]
    assert f"{f.as_posix()}:5001" in where and f"{f.as_posix()}:12001" in where


def test_jobs_count_problems_beyond_the_table_as_a_serial_run_does(tmp_path, monkeypatch):
    """Distinct problems past the table's size are still counted, also when workers'
    tallies are merged (each range fills its own table first)."""
    monkeypatch.setattr(engine.report, "MAX_TABLE", 5)
    lines = [env({**GOOD, f"leak_{i}": 1}) if i % 10 == 0 else env(GOOD) for i in range(4000)]
    f = write_lines(tmp_path / "many.ndjson", lines)
    serial = run_json(str(f))[1]
    monkeypatch.setattr(parallel, "RANGE_BYTES", 50_000)  # several ranges, each with its own table
    ranged = run_json("--jobs", "3", str(f))[1]
    assert serial["problems_not_tabulated"] == 400 - 5
    assert ranged == serial


# --------------------------------------------------------------------------- memory


# The child reports its own peak RSS (VmHWM) on exit.  getrusage's ru_maxrss is no use
# here: Linux carries the parent's (pytest's) high-water mark into a child across
# fork+exec, so it would measure the test runner, not ``gen validate``.
_CHILD = """
import atexit, runpy, sys

def _report():
    with open("/proc/self/status") as fh:
        hwm = next(line.split()[1] for line in fh if line.startswith("VmHWM:"))
    sys.stderr.write(f"VmHWM {hwm}\\n")

atexit.register(_report)
sys.argv = ["gen"] + sys.argv[1:]
runpy.run_module("generator.cli", run_name="__main__")
"""


def _peak_rss_kib(lines: int) -> tuple[int, dict]:
    """Feed ``lines`` NDJSON lines (~1 KiB each, 1% failing with distinct undeclared
    keys, a malformed line per 1000) to ``gen validate -`` through a pipe; the child's
    peak RSS in KiB and its JSON report."""
    ok = (env({**CRASH, "modules": [f"module_{i:04d}" for i in range(70)]}, "crash_report") + "\n").encode()
    cmd = [sys.executable, "-c", _CHILD, "validate", "--spec", str(SPEC), "--format", "json", "-"]
    child_env = dict(os.environ, PYTHONPATH=str(ROOT))
    with subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=child_env) as proc:
        out: dict[str, bytes] = {}
        readers = [
            threading.Thread(target=lambda: out.__setitem__("stdout", proc.stdout.read())),
            threading.Thread(target=lambda: out.__setitem__("stderr", proc.stderr.read())),
        ]
        for t in readers:
            t.start()
        for block in range(lines // 1000):
            chunk = [ok] * 1000
            for j in range(0, 1000, 100):
                chunk[j] = (env({**CRASH, f"leak_{block}_{j}": 1}, "crash_report") + "\n").encode()
            chunk[550] = b"{malformed\n"
            proc.stdin.write(b"".join(chunk))
        proc.stdin.close()
        for t in readers:
            t.join()
    assert proc.returncode == 1, out["stderr"][-2000:]
    hwm = [line for line in out["stderr"].decode().splitlines() if line.startswith("VmHWM ")]
    assert hwm, out["stderr"][-2000:]
    return int(hwm[-1].split()[1]), json.loads(out["stdout"])


def test_memory_stays_flat_for_a_long_stream():
    if not Path("/proc/self/status").exists():
        skip_or_fail("needs Linux /proc for peak RSS")
    small, rep_small = _peak_rss_kib(10_000)
    big, rep_big = _peak_rss_kib(200_000)  # ~210 MB of NDJSON
    assert rep_big["documents"] == 200_000 and rep_small["documents"] == 10_000
    assert rep_big["failing"] == 200 * 11
    assert len(rep_big["failures"]) == engine.MAX_FAILURES
    assert rep_big["failures_not_listed"] == 200 * 11 - engine.MAX_FAILURES
    # 20x the input may not cost more than a few MiB (allocator noise), nor approach
    # the size of the input itself.
    print(f"peak RSS: {small} KiB for 10k lines, {big} KiB for 200k lines")
    assert big < small * 1.25, (small, big)
    assert big < 150 * 1024, big


# --------------------------------------------------------------------------- fast paths


def _specs():
    """The fixture spec and the bundled spec; a test fails if either does not load."""
    return [load_or_fail(SPEC), bundled_spec()]


def test_whole_line_decoders_never_accept_what_the_schema_rejects():
    """The msgspec decoders accept a line only when the reference validator accepts its
    properties, and accept every valid vector (so the fast path is really used).

    msgspec is a hard dependency, so its absence fails here; every payload of both specs
    must get a decoder; and only msgspec's own decode error counts as a rejection (a
    missing decoder raising TypeError must not pass for one)."""
    import jsonschema
    import msgspec

    assert optional.msgspec is msgspec

    from generator.targets import conformance
    from generator.targets.json_schema import payload_schema

    for spec in _specs():
        schemas = {p.wire_name: payload_schema(spec, p) for p in spec.payloads}
        lines = fast.LineDecoders(schemas)
        assert sorted(lines.props) == sorted(schemas)
        assert lines.envelope is not None and lines.track is not None
        for p in spec.payloads:
            ref = jsonschema.Draft202012Validator(schemas[p.wire_name])
            vec = conformance.vectors(p)
            extra = [
                {"id": "int as float", "properties": {f.wire_key: 1.0 for f in p.fields}},
                {"id": "bools as ints", "properties": {f.wire_key: 1 for f in p.fields}},
                {"id": "unicode digits", "properties": {f.wire_key: "\u0663" for f in p.fields}},
                {"id": "trailing newline", "properties": {f.wire_key: "5\n" for f in p.fields}},
            ]
            for case in vec["valid"] + vec["invalid"] + extra:
                props = case["properties"]
                valid = ref.is_valid(props)
                shapes = [
                    (lines.envelope, json.dumps({"payload": p.wire_name, "properties": props})),
                    (lines.track, json.dumps({"type": "track", "event": p.wire_name, "properties": props,
                                              "context": {"ip": "0.0.0.0"}})),
                ]
                # No payload here has an envelope-like key, so each has a bare decoder.
                shapes.append((lines.bare(p.wire_name), json.dumps(props)))
                for decode, line in shapes:
                    try:
                        decode(line.encode())
                        accepted = True
                    except msgspec.DecodeError:  # ValidationError is a DecodeError
                        accepted = False
                    assert not accepted or valid, (p.wire_name, case["id"], line[:200])
                    if case in vec["valid"]:
                        assert accepted, (p.wire_name, case["id"])


def test_specialised_python_checks_equal_the_reference_validator():
    """Without jsonschema_rs, payloads are checked by Python functions compiled from
    their schemas; on every vector and a few JSON edge cases they agree exactly with
    the reference validator."""
    import jsonschema

    from generator.targets import conformance
    from generator.targets.json_schema import payload_schema

    for spec in _specs():
        for p in spec.payloads:
            schema = payload_schema(spec, p)
            check = fast.python_check(schema)
            assert check is not None, p.wire_name  # every kind is handled
            ref = jsonschema.Draft202012Validator(schema)
            vec = conformance.vectors(p)
            cases = [c["properties"] for c in vec["valid"] + vec["invalid"]]
            for odd in (1.0, 1.5, 1, True, None, "5\n", "\u0663", [], {}, -1, 2**70, float(2**70)):
                cases.append({f.wire_key: odd for f in p.fields})
                cases.extend({**cases[0], f.wire_key: odd} for f in p.fields)
            for props in cases:
                assert check(props) == ref.is_valid(props), (p.wire_name, props)


def test_valid_lines_take_the_whole_line_fast_path(tmp_path, monkeypatch):
    """A valid envelope, track message or bare object is parsed and checked by msgspec
    alone: the JSON parser of the careful path is never called for it."""
    import orjson

    parsed = []

    class SpyJson:
        JSONDecodeError = orjson.JSONDecodeError
        dumps = staticmethod(orjson.dumps)

        @staticmethod
        def loads(data):
            parsed.append(data)
            return orjson.loads(data)

    monkeypatch.setattr(optional, "orjson", SpyJson)
    track = json.dumps({"type": "track", "event": "crash_report", "properties": CRASH})
    # One file per shape: the decoder tried first is the one that fitted the last line.
    for name, line, slow in (("envelopes.ndjson", env(GOOD), 0), ("config_service.ndjson", json.dumps(GOOD), 0),
                             ("tracks.ndjson", track, 1)):  # the first track line finds the shape
        parsed.clear()
        code, rep = run_json(str(write_lines(tmp_path / name, [line] * 20)))
        assert code == 0, rep
        assert (rep["documents"], rep["conforming"]) == (20, 20)
        assert len(parsed) <= slow, (name, len(parsed))
    # The spy does see a line that the fast path passes on (an undeclared key).
    parsed.clear()
    code, rep = run_json(str(write_lines(tmp_path / "x.ndjson", [env({**GOOD, "x": 1})])))
    assert code == 1 and len(parsed) == 1


def test_every_engine_path_gives_the_same_report(tmp_path, monkeypatch):
    """msgspec, orjson + jsonschema_rs, specialised Python checks and plain jsonschema:
    one report."""
    lines = [env(GOOD), env({**GOOD, "x": 1}), json.dumps({"type": "track", "event": "crash_report", "properties": CRASH}),
             json.dumps({"event": "crash_report", "payload": "config_service", "properties": CRASH}),
             env({**GOOD, "plugins": 1.0}), env({**GOOD, "plugins": True}), "{bad", env(CRASH, "nope"),
             env({**GOOD, "installation_id": "abc\n"}), env({**GOOD, "max_users": 2**70})]
    f = write_lines(tmp_path / "config_service.ndjson", lines + [json.dumps(GOOD), json.dumps({**GOOD, "y": 2})])
    reports = []
    for off in ((), ("msgspec",), ("msgspec", "orjson"), ("msgspec", "orjson", "jsonschema_rs"),
                ("msgspec", "orjson", "jsonschema_rs", "python_check")):
        with monkeypatch.context() as m:
            for attr in off:
                if attr == "python_check":
                    m.setattr(fast, attr, lambda schema: None)
                else:
                    m.setattr(optional, attr, None)
            reports.append(run_json(str(f))[1])
    assert reports[0]["conforming"] == 5, reports[0]
    for rep in reports[1:]:
        assert rep == reports[0]


def test_problems_beyond_the_table_are_counted_as_occurrences_and_said_so(tmp_path, monkeypatch):
    """The text names what the number counts: occurrences (one repeated problem counts
    each time), beyond a table of the first MAX_TABLE distinct problems."""
    monkeypatch.setattr(engine.report, "MAX_TABLE", 2)
    lines = [env({**GOOD, f"leak_{i % 3}": 1}) for i in range(9)]  # 3 distinct, 3 times each
    f = write_lines(tmp_path / "repeat.ndjson", lines)
    assert run_json(str(f))[1]["problems_not_tabulated"] == 3  # the third problem, 3 times
    _, text = run(str(f))
    assert "(3 further problem occurrence(s) not tabulated: the table holds the first 2 distinct problems)" in text
