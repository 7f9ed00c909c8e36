"""``gen validate --schemas DIR`` with ``$ref`` cycles (issue 25): a schema folder may
come from anyone, so a reference that leads back to itself is refused when the folder
is loaded (exit 2, naming the file), in the engine and in the copy the conformance
suite vendors (``conformance/_payload_engine``).  Before: a cycle recursed until
``RecursionError`` on a failing document, and ``$ref: "#"`` passed every document.
Each case runs on a hashed sandbox (nothing in it changes).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from _sandbox import changed_outside, snapshot
from click.testing import CliRunner

from generator.cli import main

ROOT = Path(__file__).resolve().parents[1]

CYCLES = {
    "root-self": {"$ref": "#"},
    "property-to-root": {"type": "object", "properties": {"x": {"$ref": "#"}}},
    "two-defs": {"type": "object", "$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"anyOf": [{"$ref": "#/$defs/a"}]}},
                 "properties": {"x": {"$ref": "#/$defs/a"}}},
    "anchor": {"type": "object", "$defs": {"a": {"$anchor": "here", "items": {"$ref": "#here"}}},
               "properties": {"x": {"$ref": "#here"}}},
    "across-files": {"$id": "urn:x:p", "type": "object", "properties": {"x": {"$ref": "urn:x:q#/$defs/y"}}},
}
OTHER = {"$id": "urn:x:q", "$defs": {"y": {"$ref": "urn:x:p#/properties/x"}}}


def _folder(tmp: Path, name: str) -> Path:
    folder = tmp / name / "schemas"
    folder.mkdir(parents=True)
    (folder / "p.schema.json").write_text(json.dumps(CYCLES[name]))
    if name == "across-files":
        (folder / "q.schema.json").write_text(json.dumps(OTHER))
    return folder


@pytest.mark.parametrize("name", sorted(CYCLES))
def test_a_ref_cycle_is_refused_when_the_folder_loads(tmp_path, name):
    folder = _folder(tmp_path, name)
    before = snapshot(tmp_path)
    r = CliRunner().invoke(main, ["validate", "--schemas", str(folder), "-"],
                           input=b'{"payload": "p", "properties": {"x": [[[1]]]}}\n')
    assert changed_outside(before, snapshot(tmp_path)) == {}
    assert r.exit_code == 2, r.output
    assert "schema.json" in r.output and "leads back to itself" in r.output, r.output
    assert "RecursionError" not in r.output and "Traceback" not in r.output


def test_refs_without_a_cycle_still_validate(tmp_path):
    folder = tmp_path / "schemas"
    folder.mkdir()
    schema = {"type": "object", "additionalProperties": False, "$defs": {"n": {"type": "integer"}, "m": {"$ref": "#/$defs/n"}},
              "properties": {"x": {"$ref": "#/$defs/m"}, "y": {"$ref": "#/$defs/n"}}}
    (folder / "p.schema.json").write_text(json.dumps(schema))
    r = CliRunner().invoke(main, ["validate", "--schemas", str(folder), "-"],
                           input=b'{"payload": "p", "properties": {"x": 1, "y": 2}}\n{"payload": "p", "properties": {"x": "a"}}\n')
    assert r.exit_code == 1, r.output
    assert "2 document(s) checked, 1 conform, 1 do not" in r.output


def test_the_vendored_engine_refuses_cycles_too(tmp_path):
    vendored = ROOT / "generated" / "conformance" / "_payload_engine"
    spec = importlib.util.spec_from_file_location("engine_copy_refs", vendored / "__init__.py",
                                                  submodule_search_locations=[str(vendored)])
    engine = importlib.util.module_from_spec(spec)
    sys.modules["engine_copy_refs"] = engine
    try:
        spec.loader.exec_module(engine)
        from engine_copy_refs.schemas import load_schema_dir  # type: ignore[import-not-found]

        for name in sorted(CYCLES):
            with pytest.raises(engine.UsageError, match="leads back to itself"):
                load_schema_dir(str(_folder(tmp_path, name)))
    finally:
        for mod in [m for m in sys.modules if m.startswith("engine_copy_refs")]:
            del sys.modules[mod]
