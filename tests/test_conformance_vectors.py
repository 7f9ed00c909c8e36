"""Compact conformance vectors: the files describe long strings and vectors derived from
the payload's base instead of spelling them out, and the suite's ``expand_vectors``
gives back exactly the vectors ``conformance.vectors`` computes, for every payload."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json

import pytest
from _build_helpers import MINIMAL, ROOT, bundled_spec

from generator.json_output import dumps
from generator.pipeline import check_spec
from generator.targets import conformance


@pytest.fixture(scope="module")
def expand():
    path = ROOT / "generator" / "templates" / "conformance" / "conftest.py.tmpl"
    loader = importlib.machinery.SourceFileLoader("conformance_conftest_under_test", str(path))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module.expand_vectors


@pytest.mark.parametrize("which", ["bundled", "minimal"])
def test_every_vectors_file_expands_to_exactly_the_former_vectors(expand, which):
    spec = bundled_spec() if which == "bundled" else check_spec(MINIMAL)[0]
    files = conformance.render(spec)
    for p in spec.payloads:
        full = conformance.vectors(p)
        written = json.loads(files[f"conformance/vectors/{p.wire_name}.json"])
        expanded = expand(written)
        # Exactly the same JSON, key order and types (True is not 1) included.
        assert dumps(expanded) == dumps(full), p.wire_name


def test_a_described_string_expands_to_the_exact_value(expand):
    doc = {"payload": "p", "schema": "s", "model": "M", "base": {"a": {"repeat": "x", "times": 4097}, "b": 1},
           "valid": [{"id": "all_fields", "description": "d", "set": {}}],
           "invalid": [{"id": "wrong_type:b", "reason": "r", "set": {"b": True}, "drop": ["a"],
                        "expect": "type-mismatch"}]}
    out = expand(doc)
    assert out["valid"][0]["properties"] == {"a": "x" * 4097, "b": 1}
    assert out["invalid"][0]["properties"] == {"b": True} and out["invalid"][0]["properties"]["b"] is True
    assert out["invalid"][0]["expect"] == {"problem": "type-mismatch", "key": "b"}
    assert conformance._describe("x" * 4097) == {"repeat": "x", "times": 4097}
    assert conformance._describe("ab" * 40) == {"repeat": "ab", "times": 40}
    assert conformance._describe("short") == "short"


def test_a_reason_template_expands_to_the_exact_reason(expand):
    doc = {"payload": "p", "schema": "s", "model": "M", "base": {"b": 1},
           "texts": [["", " is null; ", " again"], ["no key here"]],
           "valid": [],
           "invalid": [{"id": "null:b", "reason": 0, "set": {"b": None}, "expect": "type-mismatch"},
                       {"id": "undeclared_key", "reason": 1, "set": {"x": 1},
                        "expect": {"problem": "undeclared-key", "key": "x"}}]}
    out = expand(doc)
    assert out["invalid"][0]["reason"] == "'b' is null; 'b' again"
    assert out["invalid"][1]["reason"] == "no key here"
    assert "texts" not in out and "base" not in out
    # Built the other way round: one template serves every key of one kind.
    spec = check_spec(MINIMAL)[0]
    written = json.loads(conformance.render(spec)[f"conformance/vectors/{spec.payloads[0].wire_name}.json"])
    reasons = [v["reason"] for v in written["invalid"]]
    assert all(isinstance(r, int) for r in reasons) and len(written["texts"]) < len(reasons)


def test_the_bundled_vectors_are_compact():
    spec = bundled_spec()
    files = conformance.render(spec)
    size = sum(len(b) for p, b in files.items() if p.startswith("conformance/vectors/"))
    spelled_out = sum(len(dumps(conformance.vectors(p))) for p in spec.payloads)
    assert size * 2 < spelled_out, (size, spelled_out)
