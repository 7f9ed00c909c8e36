"""The documented Python API (``generator.api``, re-exported by the package root): each
public function does what its docstring says, through the same code as ``gen``."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import generator
from generator import api

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "tests" / "downstream_spec"
BAD = ROOT / "tests" / "cases" / "err_unknown_kind" / "spec"


def test_package_root_documents_and_exports_the_api():
    assert generator.__doc__ and "generator.api" in generator.__doc__
    assert api.__doc__
    assert sorted(generator.__all__) == sorted(api.__all__)
    for name in api.__all__:
        obj = getattr(generator, name)
        assert obj is getattr(api, name)
        assert inspect.getdoc(obj), f"{name} has no docstring"
        assert name in generator.__doc__ or inspect.isclass(obj)
    with pytest.raises(AttributeError):
        generator.not_public  # noqa: B018


def test_check_spec_and_load_spec():
    spec, findings = generator.check_spec(SPEC)
    assert spec is not None and spec.product.id == "gadget"
    assert all(f.severity != "error" for f in findings)
    assert generator.load_spec(str(SPEC)) == spec
    spec, findings = generator.check_spec(BAD)
    assert spec is None and any(f.severity == "error" for f in findings)
    with pytest.raises(generator.SpecError) as exc:
        generator.load_spec(BAD)
    assert exc.value.findings == findings
    assert "error(s): " in str(exc.value) and str(findings[0].location.file) in str(exc.value)


def test_build_in_memory_is_what_gen_build_wrote():
    """The bundled spec's committed output (``gen check`` keeps it exact) is byte for
    byte what ``build`` returns, manifest included."""
    files = generator.build_files(generator.load_spec(ROOT / "spec"))
    assert "MANIFEST.json" in files and "models/__init__.py" in files
    on_disk = {
        p.relative_to(ROOT / "generated").as_posix()
        for p in (ROOT / "generated").rglob("*")
        if p.is_file() and ".telemetry-gen" not in p.parts and "__pycache__" not in p.parts
    }
    assert set(files) <= on_disk
    for path, data in files.items():
        assert (ROOT / "generated" / path).read_bytes() == data, path


def test_build_into_and_check_output(tmp_path):
    spec = generator.load_spec(SPEC)
    report = generator.build_into(spec, tmp_path / "out")
    assert "schemas/install.schema.json" in report.written
    assert generator.check_output(spec, tmp_path / "out").clean
    again = generator.build_into(spec, tmp_path / "out")
    assert again.written == [] and again.unchanged
    (tmp_path / "out" / "schemas" / "install.schema.json").write_text("{}\n")
    drift = generator.check_output(spec, tmp_path / "out")
    assert not drift.clean and drift.changed == ["schemas/install.schema.json"]
    assert "schemas/install.schema.json" in drift.diffs


def test_validate_payloads():
    spec = generator.load_spec(SPEC)
    results = generator.validate_payloads(
        spec,
        [
            {"payload": "install", "properties": {"package": "wget"}},
            {"payload": "install", "properties": {"package": "wget", "email": "a@b.c"}},
            {"type": "track", "event": "nope", "properties": {}},
            {"commands": 2, "isdefault_is_default_theme": True},
        ],
        payload="daily",
    )
    assert [r.payload for r in results] == ["install", "install", "nope", "daily"]
    assert [r.ok for r in results] == [True, False, False, True]
    assert "email" in results[1].problems[0].text()
