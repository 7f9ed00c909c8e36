"""The conformance target: its vectors, its determinism, and the generated suite run for
real, as a downstream project runs it.

The generated suite runs in a subprocess on a build in a temporary folder, with
``generator`` (and the optional speed-ups orjson and jsonschema_rs) made unimportable by
a small pytest plugin, so it is proven to need only pytest, jsonschema and pydantic.  It
must pass on the spec's own vectors and on a producer that keeps its opt-outs, and fail,
naming the key or the feature, on a captured payload with one undeclared key and on
producers that leak.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from _build_helpers import bundled_spec

from generator import validate as engine
from generator import writer
from generator.build import render
from generator.pipeline import check_spec
from generator.targets import conformance, json_schema

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "tests" / "conformance_examples"
FIXTURE_SPEC = EXAMPLES / "spec"

BLOCKER = '''"""Test plugin: the generator and the optional speed-ups cannot be imported."""
import sys

BLOCKED = ("generator", "orjson", "jsonschema_rs")


class _Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)
        return None


for _m in [m for m in sys.modules if m.split(".")[0] in BLOCKED]:
    del sys.modules[_m]
sys.meta_path.insert(0, _Block())


def pytest_report_header(config):
    return "import blocker active: " + ", ".join(BLOCKED)


def pytest_sessionfinish(session, exitstatus):
    leaked = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    if leaked:
        raise SystemExit("imported despite the blocker: " + ", ".join(leaked))
'''


def _spec(spec_dir: Path):
    spec, findings = check_spec(spec_dir)
    assert spec is not None, [str(f.location) + " " + f.message for f in findings]
    return spec


@pytest.fixture(scope="module")
def fixture_spec():
    return _spec(FIXTURE_SPEC)


@pytest.fixture(scope="module")
def built(tmp_path_factory, fixture_spec) -> Path:
    """The fixture spec built into a temporary generated/ folder, plus the blocker."""
    base = tmp_path_factory.mktemp("conformance")
    out = base / "generated"
    writer.write(out, render(fixture_spec).files)
    plugins = base / "plugins"
    plugins.mkdir()
    (plugins / "blocker.py").write_text(BLOCKER, "utf-8")
    return out


def run_suite(generated: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """``pytest conformance`` in ``generated``, in a clean environment: PYTHONPATH holds
    only the blocker plugin (never the project), no TELEMETRY_* variables leak in."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEMETRY_", "PYTEST_", "PYTHON"))}
    clean["PYTHONPATH"] = str(generated.parent / "plugins")
    clean["PYTHONDONTWRITEBYTECODE"] = "1"
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "pytest", "conformance", "-p", "blocker", "-rs", *args],
        check=False,
        cwd=generated,
        env=clean,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _out(proc: subprocess.CompletedProcess) -> str:
    return proc.stdout + proc.stderr


# --------------------------------------------------------------------------- vectors


def test_vectors_agree_with_the_schemas_and_name_their_problem(fixture_spec):
    for payload in fixture_spec.payloads:
        schema = json_schema.payload_schema(fixture_spec, payload)
        validator = jsonschema.Draft202012Validator(schema)
        checker = engine.Checker({payload.wire_name: schema})
        vec = conformance.vectors(payload)
        assert vec["valid"] and vec["invalid"]
        for case in vec["valid"]:
            assert validator.is_valid(case["properties"]), case["id"]
            assert checker.problems(payload.wire_name, case["properties"]) == [], case["id"]
        for case in vec["invalid"]:
            assert not validator.is_valid(case["properties"]), case["id"]
            found = {(p.kind, p.key) for p in checker.problems(payload.wire_name, case["properties"])}
            assert (case["expect"]["problem"], case["expect"]["key"]) in found, (case["id"], found)


def test_vectors_cover_every_kind_edge_value_and_every_failure_class(fixture_spec):
    vec = conformance.vectors(fixture_spec.payload("config_service"))
    ids = [c["id"] for c in vec["invalid"]]
    # One of each class the issue names, for the fields that have it.
    assert "undeclared_key" in ids
    assert "wrong_type:plugins" in ids and "null:last_restart" in ids
    assert "not_in_enum:connection_security" in ids and "not_in_enum:driver" in ids
    assert "not_in_enum:enable_commands" not in ids  # both booleans are listed
    assert "missing:plugins" in ids and "missing:last_restart" not in ids  # optional
    assert "below_minimum:plugins" in ids and "pattern:installation_id" in ids
    seen: dict[str, set] = {}
    for case in vec["valid"]:
        for key, value in case["properties"].items():
            seen.setdefault(key, set()).add(json.dumps(value))
    for f in fixture_spec.payload("config_service").fields:
        want = f.values or f.kind.valid_examples
        assert {json.dumps(v) for v in want} <= seen[f.wire_key], f.wire_key
    absent = next(c for c in vec["valid"] if c["id"] == "optional_absent")
    assert "last_restart" not in absent["properties"] and "plugins" in absent["properties"]
    for case in vec["invalid"]:
        assert case["reason"], case["id"]


def test_index_maps_payloads_to_features_and_opt_outs(fixture_spec):
    idx = conformance.index(fixture_spec)
    assert idx["payloads"]["config_service"]["feature"] == "usage"
    assert idx["payloads"]["crash_report"]["schema"] == "schemas/crash_report.schema.json"
    assert idx["payloads"]["crash_report"]["model"] == "CrashReport"
    crash = idx["features"]["crash"]["opt_out"]
    assert (crash["setting"], crash["off_value"], crash["on_value"]) == ("Crash.Mode", "off", "full")
    usage = idx["features"]["usage"]["opt_out"]
    assert (usage["off_value"], usage["on_value"]) == (False, True)


def test_render_is_deterministic_and_ships_the_engine_verbatim(fixture_spec):
    first = conformance.render(fixture_spec)
    again = conformance.render(_spec(FIXTURE_SPEC))
    assert first == again
    package = ROOT / "generator" / "validate"
    vendored = {p[len("conformance/_payload_engine/"):]: data for p, data in first.items()
                if p.startswith("conformance/_payload_engine/")}
    assert vendored == {f.name: f.read_bytes() for f in package.glob("*.py")}
    assert "__init__.py" in vendored and "check.py" in vendored
    for path, data in first.items():
        assert b"\r\n" not in data and str(ROOT).encode() not in data, path
    assert sorted(first) == list(first)


def test_engine_copy_imports_nothing_from_the_generator():
    """Every module of the vendored engine imports only the standard library, jsonschema,
    the optional speed-ups and its siblings (relative imports)."""
    import ast

    allowed = set(sys.stdlib_module_names) | {"jsonschema", "referencing", "orjson", "msgspec", "jsonschema_rs"}
    for path in sorted((ROOT / "generator" / "validate").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                roots = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots = [(node.module or "").split(".")[0]]
            else:
                continue
            assert set(roots) <= allowed, (path.name, roots)


# --------------------------------------------------------------------------- the suite, run


def test_generated_suite_passes_on_vectors_and_a_good_producer(built, tmp_path):
    capture = tmp_path / "capture.ndjson"
    good = {"payload": "crash_report", "properties": {"error_code": "E1", "modules": [], "version": "5.6"}}
    capture.write_text(json.dumps(good) + "\n", "utf-8")
    proc = run_suite(
        built,
        env={
            "TELEMETRY_PRODUCER": f"{EXAMPLES / 'good_producer.py'}:payloads",
            "TELEMETRY_CAPTURE": str(capture),
        },
    )
    out = _out(proc)
    assert "import blocker active: generator, orjson, jsonschema_rs" in out
    assert proc.returncode == 0, out
    # Every test ran: vectors (schema, model, checker) x 2 payloads, capture, 3 opt-out.
    assert "10 passed" in out and "skipped" not in out, out


def test_generated_suite_fails_naming_an_undeclared_captured_key(built, tmp_path):
    ok = {"error_code": "E1", "modules": ["a"], "version": "5.6.0"}
    capture = tmp_path / "capture.ndjson"
    capture.write_text(
        json.dumps({"payload": "crash_report", "properties": ok}) + "\n"
        + json.dumps({"type": "track", "event": "crash_report", "properties": {**ok, "user_email": "a@b.c"}}) + "\n",
        "utf-8",
    )
    proc = run_suite(built, "--telemetry-capture", str(capture), "-k", "captured")
    out = _out(proc)
    assert proc.returncode == 1, out
    assert "test_captured_traffic_conforms" in out and "1 failed" in out
    assert f"{capture.as_posix()}:2: crash_report: undeclared key 'user_email'" in out
    assert "undeclared key 'user_email': 1 document(s)" in out


def test_generated_suite_fails_a_producer_that_ignores_an_opt_out(built):
    proc = run_suite(built, "-k", "opt_out", env={
        "TELEMETRY_PRODUCER": f"{EXAMPLES / 'leaky_producer.py'}:ignores_opt_out"})
    out = _out(proc)
    assert proc.returncode == 1, out
    assert "test_opt_out_silences_feature[crash] - " in out or "test_opt_out_silences_feature[crash]" in out
    assert "with Crash.Mode = 'off' ('Crash Reports' switched off) the producer still sends: crash_report" in out
    assert "1 failed, 2 passed" in out


def test_generated_suite_fails_a_producer_that_adds_an_undeclared_key(built):
    proc = run_suite(built, "-k", "opt_out", "--telemetry-producer",
                     f"{EXAMPLES / 'leaky_producer.py'}:adds_undeclared_key")
    out = _out(proc)
    assert proc.returncode == 1, out
    assert "payload #1 (config_service): undeclared key 'site_hostname'" in out
    assert "1 failed, 2 passed" in out


def test_generated_suite_reports_a_producer_it_cannot_load(built):
    proc = run_suite(built, "-k", "opt_out", env={"TELEMETRY_PRODUCER": "no_such_module_xyz:payloads"})
    out = _out(proc)
    assert proc.returncode == 1
    assert "cannot import no_such_module_xyz" in out and "Traceback" not in out


@pytest.fixture(scope="module")
def bundled_built(tmp_path_factory):
    """The bundled spec built into a temporary generated/ folder, plus the blocker."""
    spec = bundled_spec()  # fails, never skips, when spec/ is absent or broken
    base = tmp_path_factory.mktemp("bundled")
    out = base / "generated"
    writer.write(out, render(spec).files)
    (base / "plugins").mkdir()
    (base / "plugins" / "blocker.py").write_text(BLOCKER, "utf-8")
    return spec, out


def test_generated_suite_passes_on_the_bundled_spec(bundled_built):
    spec, out = bundled_built
    proc = run_suite(out, "-k", "vectors")
    assert proc.returncode == 0, _out(proc)[-5000:]
    assert f"{3 * len(spec.payloads)} passed" in _out(proc)


def test_generated_suite_fails_an_empty_capture_unless_allowed(built, tmp_path):
    """The suite and ``gen validate`` agree: an empty capture fails, unless allowed."""
    empty = tmp_path / "empty.ndjson"
    empty.write_text("", "utf-8")
    proc = run_suite(built, "-k", "captured", env={"TELEMETRY_CAPTURE": str(empty)})
    out = _out(proc)
    assert proc.returncode == 1, out
    assert "no documents found; an empty capture proves nothing (set TELEMETRY_ALLOW_EMPTY=1 if none were expected)" in out
    proc = run_suite(built, "-k", "captured", env={"TELEMETRY_CAPTURE": str(empty), "TELEMETRY_ALLOW_EMPTY": "1"})
    assert proc.returncode == 0 and "1 passed" in _out(proc), _out(proc)


def test_generated_suite_checks_version_limits(bundled_built, tmp_path):
    """TELEMETRY_PRODUCT_VERSION applies the spec's version limits to the captures."""
    spec, out = bundled_built
    payload = next(p for p in spec.payloads if p.versions.max)
    props = conformance.vectors(payload)["valid"][0]["properties"]
    capture = tmp_path / "capture.ndjson"
    capture.write_text(json.dumps({"payload": payload.wire_name, "properties": props}) + "\n", "utf-8")
    env = {"TELEMETRY_CAPTURE": str(capture), "TELEMETRY_PRODUCT_VERSION": payload.versions.max}
    proc = run_suite(out, "-k", "captured", env=env)
    assert proc.returncode == 0 and "1 passed" in _out(proc), _out(proc)[-3000:]
    proc = run_suite(out, "-k", "captured", env={**env, "TELEMETRY_PRODUCT_VERSION": "99.0"})
    assert proc.returncode == 1, _out(proc)[-3000:]
    assert f"{capture.as_posix()}:1: {payload.wire_name}: not in this version: the payload is sent " \
           f"{payload.versions.text()}, not by v99.0" in _out(proc)
    proc = run_suite(out, "-k", "captured", env={**env, "TELEMETRY_PRODUCT_VERSION": "banana"})
    assert proc.returncode == 1 and "TELEMETRY_PRODUCT_VERSION: product version 'banana' is not a version" in _out(proc)


def test_generated_suite_passes_ruff(built):
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", str(built / "conformance")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
