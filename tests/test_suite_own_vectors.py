"""The generated conformance suite passes on its own vectors for every spec that builds
(issue 21, point 6).

A field with its own version limit is optional in the schema (``json_schema.
always_present``), so the suite must not expect a payload without it to be rejected:
the vectors read the same rule.  Checked two ways: in process, every vector of every
payload against its schema (jsonschema) and the suite's engine, for the golden ``ok_*``
cases, both bundled specs and seeded random specs (field- and payload-level version
limits, optional fields, every kind); and by running the generated suite itself on the
golden cases, the example and a random spec.
"""

from __future__ import annotations

import random
from pathlib import Path

import jsonschema
import pytest
import yaml
from test_conformance import BLOCKER, _out, run_suite
from test_privacy_facts import _random_doc

from generator import validate as engine
from generator import writer
from generator.build import render
from generator.kinds import KINDS
from generator.pipeline import check_spec
from generator.targets import conformance, json_schema

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = sorted(p / "spec" for p in (ROOT / "tests" / "cases").glob("ok_*"))
BUNDLED = [ROOT / "spec", ROOT / "examples" / "cli-analytics" / "spec"]


def _every_kind_doc(rng: random.Random) -> dict:
    """A random spec plus one payload holding a field of every kind, some limited to
    fewer versions than their payload, some optional."""
    doc = _random_doc(rng)
    fields = []
    for i, kind in enumerate(sorted(KINDS)):
        f = {"name": f"K{i}", "wire_key": f"k{i}", "kind": kind, "description": "K.", "personal_data": "none"}
        if KINDS[kind].enumerable and i % 2:
            f["values"] = [True] if KINDS[kind].json_schema["type"] == "boolean" else ([3, 4] if KINDS[kind].json_schema["type"] == "integer" else ["p", "q"])
        if i % 3 == 0:
            f["versions"] = {"max": "3.6"}
        if i % 4 == 1:
            f["required"] = False
        fields.append(f)
    doc["payloads"].append({"wire_name": "every_kind", "section": "rec", "versions": {"min": "1.0"}, "fields": fields})
    return doc


def _random_specs(tmp: Path, n: int) -> list[Path]:
    rng = random.Random(6)
    out = []
    for i in range(n):
        folder = tmp / f"r{i}" / "spec"
        folder.mkdir(parents=True)
        (folder / "spec.yaml").write_text(yaml.safe_dump(_every_kind_doc(rng), sort_keys=False), "utf-8")
        out.append(folder)
    return out


def _load(spec_dir: Path):
    spec, findings = check_spec(spec_dir)
    assert spec is not None, [str(f) for f in findings]
    return spec


def _check_vectors(spec) -> int:
    n = 0
    for payload in spec.payloads:
        schema = json_schema.payload_schema(spec, payload)
        validator = jsonschema.Draft202012Validator(schema)
        checker = engine.Checker({payload.wire_name: schema})
        vec = conformance.vectors(payload)
        for case in vec["valid"]:
            assert validator.is_valid(case["properties"]), (payload.wire_name, case["id"])
            assert checker.problems(payload.wire_name, case["properties"]) == [], (payload.wire_name, case["id"])
        for case in vec["invalid"]:
            assert not validator.is_valid(case["properties"]), (payload.wire_name, case["id"])
            found = {(p.kind, p.key) for p in checker.problems(payload.wire_name, case["properties"])}
            assert (case["expect"]["problem"], case["expect"]["key"]) in found, (payload.wire_name, case["id"], found)
        n += len(vec["valid"]) + len(vec["invalid"])
    return n


@pytest.mark.parametrize("spec_dir", GOLDEN + BUNDLED, ids=lambda p: p.parent.name)
def test_every_vector_of_a_known_spec_agrees_with_its_schema(spec_dir: Path) -> None:
    assert _check_vectors(_load(spec_dir))


def test_every_vector_of_random_specs_agrees_with_its_schema(tmp_path: Path) -> None:
    for spec_dir in _random_specs(tmp_path, 12):
        spec = _load(spec_dir)
        narrower = [f for p in spec.payloads for f in p.fields if f.required and not json_schema.always_present(p, f)]
        assert narrower, "each random spec has a required field limited to fewer versions than its payload"
        _check_vectors(spec)


def _built(spec_dir: Path, base: Path) -> Path:
    out = base / "generated"
    writer.write(out, render(_load(spec_dir)).files)
    plugins = base / "plugins"
    plugins.mkdir(exist_ok=True)
    (plugins / "blocker.py").write_text(BLOCKER, "utf-8")
    return out


def test_generated_suites_pass_on_their_own_vectors(tmp_path: Path) -> None:
    """The suite itself, run as a downstream project runs it (no producer, no capture:
    its vector tests), on the golden cases, the example and a random spec."""
    specs = [*GOLDEN, BUNDLED[1], *_random_specs(tmp_path / "random", 1)]
    for i, spec_dir in enumerate(specs):
        generated = _built(spec_dir, tmp_path / f"b{i}")
        proc = run_suite(generated, "conformance/test_vectors.py", "-q")
        assert proc.returncode == 0, (spec_dir, _out(proc)[-3000:])
        assert " passed" in _out(proc) and "failed" not in _out(proc), (spec_dir, _out(proc)[-2000:])
