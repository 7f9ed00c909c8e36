"""The models as a downstream producer uses them: build an instance, write it, send it.

For every payload of every spec folder in ``SPEC_DIRS`` (the bundled spec, every example
product under ``examples/``, and the test fixtures with optional fields, renamed keys and
version limits), hypothesis builds valid model instances -- optional fields unset or
set -- and asserts that ``model_dump_json()`` and
``model_dump(mode="json")`` validate against the payload's JSON Schema and that
``model_validate_json`` of the output gives an equal model.  ``None`` for a field is
refused like a JSON null (no field admits it), with a message saying to leave it out.

``mypy --strict`` must pass on the generated models and on code that uses them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pydantic
import pytest
from _build_helpers import ROOT, import_models
from _ci import skip_or_fail
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_agreement import valid_value

from generator.pipeline import check_spec
from generator.targets import json_schema, models


def spec_dirs() -> list[Path]:
    """Every spec folder the round trip covers: ``spec/``, each ``examples/<product>/``
    (any folder there holding YAML with ``spec_format``, at any depth up to two), and
    the fixture specs under ``tests/`` with optional fields and version limits."""
    found = [ROOT / "spec"]
    examples = ROOT / "examples"
    if examples.is_dir():
        for folder in sorted({p.parent for p in examples.glob("*/*.y*ml")} | {p.parent for p in examples.glob("*/*/*.y*ml")}):
            if any("spec_format:" in p.read_text("utf-8", "replace") for p in folder.glob("*.y*ml")):
                found.append(folder)
    found += [ROOT / "tests" / "conformance_examples" / "spec", ROOT / "tests" / "downstream_spec"]
    return found


SPEC_DIRS = spec_dirs()
_BUILT: dict[Path, tuple] = {}


def built(spec_dir: Path, root: Path):
    """(spec, schemas by wire name, MODELS) for one spec folder, built once per run."""
    if spec_dir not in _BUILT:
        spec, findings = check_spec(spec_dir)
        assert spec is not None, findings
        package = import_models(models.render(spec), root)
        _BUILT[spec_dir] = (spec, json_schema.schemas_of(spec).copy(), package.MODELS)
    return _BUILT[spec_dir]


def _cases() -> list:
    out = []
    for spec_dir in SPEC_DIRS:
        spec, findings = check_spec(spec_dir)
        assert spec is not None, (spec_dir, findings)
        rel = spec_dir.relative_to(ROOT)
        out += [pytest.param(spec_dir, p.wire_name, id=f"{rel}:{p.wire_name}") for p in spec.payloads]
    return out


def test_spec_dirs_are_found():
    rels = [str(d.relative_to(ROOT)) for d in SPEC_DIRS]
    assert rels[0] == "spec" and "tests/downstream_spec" in rels
    assert all(d.is_dir() for d in SPEC_DIRS)


@pytest.fixture(scope="module")
def build_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("downstream_models")


@st.composite
def instance_data(draw, schema: dict, model: type[pydantic.BaseModel]):
    """Keyword arguments of a valid instance (by wire key, as the type checker reads the
    constructor): every required key, each optional key left out or set."""
    required = set(schema["required"])
    data = {}
    for key, prop in schema["properties"].items():
        if key in required or draw(st.booleans()):
            check = jsonschema.Draft202012Validator(prop).is_valid
            data[key] = draw(valid_value(prop).filter(check))  # (it also makes edge cases)
    return data


@pytest.mark.parametrize(("spec_dir", "wire_name"), _cases())
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_round_trip(build_root, spec_dir, wire_name, data):
    _, schemas, registry = built(spec_dir, build_root)
    schema, model = schemas[wire_name], registry[wire_name]
    kwargs = data.draw(instance_data(schema, model))
    instance = model(**kwargs)
    text = instance.model_dump_json()
    as_json = instance.model_dump(mode="json")
    assert json.loads(text) == as_json
    assert None not in as_json.values()
    errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(as_json)]
    assert errors == [], (text, errors)
    again = model.model_validate_json(text)
    assert again == instance
    assert model.model_validate(as_json) == instance
    assert again.model_dump_json() == text


def test_optional_fields_are_left_out_not_null(build_root):
    _, _, registry = built(ROOT / "tests" / "downstream_spec", build_root)
    install = registry["install"]
    x = install(package="wget", legacy_flag=True, schema="v1", **{"class": False})
    assert x.schema_ == "v1" and x.class_ is False  # renamed in Python, wire key on the wire
    assert json.loads(x.model_dump_json()) == {"package": "wget", "schema": "v1", "class": False, "legacy_flag": True}
    assert install.model_validate_json(x.model_dump_json()) == x
    # None for an optional field is refused like a JSON null, naming the key and the fix.
    with pytest.raises(pydantic.ValidationError, match="'options' is null; leave the key out"):
        install(package="wget", options=None)
    with pytest.raises(pydantic.ValidationError, match="is null"):
        install.model_validate_json('{"package": "wget", "options": null}')
    # JSON has no NaN: a model must not hold what it cannot write.
    with pytest.raises(pydantic.ValidationError, match="finite"):
        install(package="wget", json=float("nan"))


def test_version_limited_fields_are_optional_in_the_models(build_root):
    """A field limited to fewer versions than its payload is optional in the
    version-independent schema and so in the model: a 4.x payload without the
    3.6-only key validates."""
    spec, schemas, registry = built(ROOT / "tests" / "downstream_spec", build_root)
    install = spec.payload("install")
    assert [f.wire_key for f in install.fields if f.versions.limited] == ["legacy_flag", "new_flag"]
    assert schemas["install"]["required"] == ["package"]
    assert registry["install"].model_validate({"package": "x", "new_flag": True}).new_flag is True
    jsonschema.validate({"package": "x", "new_flag": True}, schemas["install"])
    # A payload-level limit: its fields are still required whenever it is sent.
    assert schemas["legacy_sync"]["required"] == ["server"]
    assert schemas["install"]["properties"]["legacy_flag"]["x-telemetry"]["required"] is True


def test_docs_show_field_and_payload_version_limits():
    """The privacy docs print each limit next to what it limits, in every format."""
    from generator.targets import docs_html, docs_md, docs_rst

    spec, findings = check_spec(ROOT / "tests" / "downstream_spec")
    assert spec is not None, findings
    md = docs_md.render(spec)["docs/telemetry.md"].decode()
    rst = docs_rst.render(spec)["docs/telemetry.rst"].decode()
    html = docs_html.render(spec)["docs/catalog.html"].decode()
    assert "(`LegacyFlag`, key `legacy_flag`, boolean) (only in v3.6 and earlier)" in md
    assert "(`NewFlag`, key `new_flag`, boolean) (only in v4.0 and later)" in md
    assert "Synced with the old server (`legacy_sync`) (only in v3.6 and earlier)" in md
    assert "(``LegacyFlag``, key ``legacy_flag``, boolean) (only in v3.6 and earlier)" in rst
    assert "Synced with the old server (``legacy_sync``) (only in v3.6 and earlier)" in rst
    assert html.count("only in v3.6 and earlier") >= 2 and "only in v4.0 and later" in html


def _mypy() -> list[str] | None:
    if shutil.which("mypy") or _module_available("mypy"):
        return [sys.executable, "-m", "mypy"]
    return None


def _module_available(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


USAGE = '''\
from __future__ import annotations

from {pkg}.models import MODELS, Install


def make() -> str:
    x = Install(package="wget", options=["-q"], legacy_flag=True, retries=2)
    y: Install = Install.model_validate_json(x.model_dump_json())
    assert MODELS["install"] is Install
    return y.package
'''


def test_mypy_strict_on_generated_models(tmp_path):
    """``mypy --strict`` on the models (and the package's ``__init__.py`` and
    ``conftest.py``) of the bundled spec and of the fixture spec with optional, renamed
    and list fields, and on code that constructs them."""
    mypy = _mypy()
    if mypy is None:
        skip_or_fail("mypy is not installed (it is in the test extra)")
    for n, spec_dir in enumerate([ROOT / "spec", ROOT / "tests" / "downstream_spec"]):
        spec, findings = check_spec(spec_dir)
        assert spec is not None, findings
        pkg = tmp_path / f"vendored{n}"
        from generator.targets import package

        for rel, data in {**models.render(spec), **package.render(spec)}.items():
            if not rel.endswith(".py"):
                continue
            (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
            (pkg / rel).write_bytes(data)
    (tmp_path / "usage.py").write_text(USAGE.format(pkg="vendored1"), "utf-8")
    result = subprocess.run(
        [*mypy, "--strict", "--no-incremental", "--cache-dir", os.devnull, "vendored0", "vendored1", "usage.py"],
        cwd=tmp_path,
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout
