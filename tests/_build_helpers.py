"""Helpers shared by the schema/model/catalog/writer tests (not a test module).

* ``bundled_spec_dir()``/``bundled_spec()``: the real spec under ``spec/``; a test that
  needs it fails when it is absent or does not load (never a smaller stand-in, which
  would let every test of the bundled spec pass on a broken one).
* ``load_or_fail(spec_dir)``: the resolved spec of a folder, or a failure listing why.
* ``write_spec(doc, folder)``: a spec dict written as YAML, ready for ``check_spec``.
* ``import_models(files, root, package)``: the rendered ``models/`` package written to
  ``root/<package>/models`` and imported under a unique name, so many generated model
  packages can live in one test process.
* ``spec_docs()``: a hypothesis strategy of small, valid spec dicts with awkward names,
  keys and descriptions (Python keywords, pydantic attribute names, quotes, unicode).
"""

from __future__ import annotations

import importlib
import itertools
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import strategies as st

from generator.kinds import KINDS
from generator.naming import pascal_case
from generator.pipeline import check_spec

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = ROOT / "tests" / "cases" / "ok_minimal" / "spec"
_counter = itertools.count()


SPEC_DIR = ROOT / "spec"


def load_or_fail(spec_dir: Path):
    """The resolved spec of ``spec_dir``, or a test failure listing every finding."""
    spec, findings = check_spec(spec_dir)
    if spec is None:
        pytest.fail(f"{spec_dir} does not load:\n" + "\n".join(str(f) for f in findings), pytrace=False)
    return spec


def bundled_spec():
    """The resolved bundled spec ``spec/``; a test that needs it fails when it is absent
    or does not load (the project ships it, so that is a bug, not a missing input)."""
    if not SPEC_DIR.is_dir():
        pytest.fail(f"the bundled spec {SPEC_DIR} is absent", pytrace=False)
    return load_or_fail(SPEC_DIR)


def bundled_spec_dir() -> Path:
    """``spec/``, after checking as ``bundled_spec`` does that it loads."""
    bundled_spec()
    return SPEC_DIR


def write_spec(doc: dict, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spec.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "utf-8")
    return folder


def write_files(files: dict[str, bytes], root: Path) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def import_models(files: dict[str, bytes], root: Path, package: str | None = None):
    """Write the ``models/...`` files under ``root/<package>/`` and import the package."""
    package = package or f"gen_models_{next(_counter)}"
    pkg_dir = root / package
    pkg_dir.mkdir(parents=True, exist_ok=True)
    (pkg_dir / "__init__.py").write_text("", "utf-8")
    write_files({k: v for k, v in files.items() if k.startswith("models/")}, pkg_dir)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    return importlib.import_module(f"{package}.models")


# --- random specs ---------------------------------------------------------------------

# Names chosen to collide with what generated Python code uses.
AWKWARD_WIRE_NAMES = [
    "field", "literal", "config_dict", "base_model", "payload_base", "models", "annotated",
    "constr", "conint", "model", "root_model", "any", "enum", "self", "type", "list",
    "dict", "str", "int", "none", "true", "class", "import", "json", "schema", "a1", "a9",
    "a10", "x",
]
AWKWARD_KEYS = [
    "class", "from", "import", "def", "return", "lambda", "none", "true", "false", "not",
    "model_config", "model_fields", "model_dump", "model_validate", "model_extra",
    "model_post_init", "model_construct", "model_dump_count", "model_validate_x", "schema",
    "json", "dict", "copy", "construct", "validate", "fields", "parse_obj", "field",
    "literal", "self", "cls", "annotations", "a__b", "x_", "int", "str", "bool", "float",
    "list", "type", "id", "root", "register",
]
_ident = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
_text = st.lists(
    st.one_of(
        st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=8),
        st.sampled_from(['"', "'", "\\", '"""', "\n", "\\n", "{x}", "%s", "\u2028"]),
    ),
    min_size=1,
    max_size=6,
).map(lambda parts: "".join(parts).strip()).filter(bool)
_wire_names = st.one_of(st.sampled_from(AWKWARD_WIRE_NAMES), _ident)
_keys = st.one_of(st.sampled_from(AWKWARD_KEYS), _ident)


def _values(kind_id: str):
    jtype = KINDS[kind_id].json_schema["type"]
    if jtype == "boolean":
        return st.sampled_from([[True], [False], [True, False]])
    if jtype == "integer":
        ints = st.one_of(st.integers(-5, 5), st.sampled_from([2**63 - 1, -(2**63), 2**31]))
        return st.lists(ints, min_size=1, max_size=5, unique=True)
    return st.lists(st.one_of(_ident, _text), min_size=1, max_size=5, unique=True)


@st.composite
def _field(draw, key: str):
    kind_id = draw(st.sampled_from(sorted(KINDS)))
    kind = KINDS[kind_id]
    f = {"name": "F" + key.replace("_", "X"), "kind": kind_id, "wire_key": key}
    f["description"] = draw(_text)
    if kind.enumerable and draw(st.booleans()):
        values = draw(_values(kind_id))
        if kind_id == "count":
            values = [abs(v) for v in values]
        f["values"] = values
    if draw(st.booleans()):
        f["required"] = False
    if kind.free_text:
        f["personal_data_note"] = "Test data."
    return f


@st.composite
def spec_docs(draw, max_payloads: int = 4, max_fields: int = 6):
    """A valid spec dict with a record section and an event section."""
    names = draw(
        st.lists(_wire_names, min_size=1, max_size=max_payloads, unique_by=pascal_case)
    )
    payloads = []
    for name in names:
        keys = draw(st.lists(_keys, min_size=0, max_size=max_fields, unique=True))
        fields = [draw(_field(k)) for k in keys]
        if draw(st.booleans()):
            p = {"type": "record", "wire_name": name, "section": "rec", "fields": fields}
        else:
            p = {"type": "event", "wire_name": name, "section": "ev", "fields": fields}
        if draw(st.booleans()):
            p["description"] = draw(_text)
        payloads.append(p)
    base = draw(st.sampled_from([None, "https://schemas.example.test/t/", "urn:x:"]))
    product = {
        "id": "prod",
        "name": draw(_text),
        "summary": "Sends test data.",
        "privacy_policy": {"title": "Privacy", "url": "https://example.test/privacy"},
    }
    if base:
        product["schema_base_uri"] = base
    return {
        "spec_format": 2,
        "product": product,
        "settings": {"T.Enable": {"console_path": ["Admin", "Enable"], "default": True}},
        "features": {
            "usage": {
                "title": "Usage",
                "description": "Test.",
                "sender": "server",
                "destination": "Test Inc.",
                "opt_outs": [{"setting": "T.Enable", "cost": "None."}],
            }
        },
        "sections": {
            "rec": {"feature": "usage", "title": "Records", "schedule": "every 24h", "description": "R."},
            "ev": {"feature": "usage", "title": "Events", "schedule": "on event", "description": "E."},
        },
        "payloads": payloads,
    }
