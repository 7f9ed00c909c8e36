"""docs/spec-reference.md cannot drift from the format: every key of the spec schema
has a row (with the right "required" mark) under its element's heading, every kind a
row matching generator/kinds.py, every error code a row matching diagnostics.CODES; and
the shipped spec.schema.json is exactly what build_spec_schema.py produces.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from generator.diagnostics import CODES
from generator.kinds import KINDS
from generator.lint import UNUSED
from generator.schemas import build_spec_schema
from generator.spec_format import spec_schema

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "spec-reference.md"


def _objects(node: dict, name: str = ""):
    """(element name, properties, required) for every object schema, named as the
    reference's headings name them: `sections.<id>.categories.<id>`, `payloads[]`, ..."""
    if "properties" in node:
        yield name, node["properties"], set(node.get("required", ()))
        for key, sub in node["properties"].items():
            yield from _objects(sub, f"{name}.{key}" if name else key)
    if isinstance(node.get("items"), dict):
        yield from _objects(node["items"], name + "[]")
    if isinstance(node.get("additionalProperties"), dict):
        yield from _objects(node["additionalProperties"], name + ".<id>")


def _heading_name(name: str) -> str:
    if not name:
        return "Top level"
    if name.endswith(".product_versions"):
        return "`product_versions`"  # one shared section for every `product_versions`
    if name.endswith(".governance"):
        return "`governance`"  # one shared section for every level's governance block
    return f"`{name}`"


def _section(doc: str, heading: str) -> str:
    m = re.search(rf"^#+ {re.escape(heading)}\n(.*?)(?=^#|\Z)", doc, re.MULTILINE | re.DOTALL)
    assert m, f"docs/spec-reference.md has no heading {heading!r}"
    return m.group(1)


def _rows(text: str) -> dict[str, list[str]]:
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^\| `([^`]+)` \|(.*)\|$", line)
        if m:
            rows[m.group(1)] = [c.strip() for c in m.group(2).split("|")]
    return rows


DOC_TEXT = DOC.read_text(encoding="utf-8")
OBJECTS = list(_objects(spec_schema()))


@pytest.mark.parametrize(("name", "props", "required"), OBJECTS, ids=[o[0] or "top" for o in OBJECTS])
def test_every_key_has_a_row_under_its_element(name: str, props: dict, required: set) -> None:
    rows = _rows(_section(DOC_TEXT, _heading_name(name)))
    assert set(rows) == set(props), f"{_heading_name(name)}: rows {sorted(rows)} != schema keys {sorted(props)}"
    for key, cells in rows.items():
        assert (cells[0] == "yes") == (key in required), f"{name}.{key}: required column"
        assert cells[1], f"{name}.{key}: no meaning given"


def test_kinds_table_matches_kinds_py() -> None:
    rows = _rows(_section(DOC_TEXT, "Kinds"))
    assert list(rows) == list(KINDS), "one row per kind, in table order"
    yes_no = {True: "yes", False: "no"}
    for kid, kind in KINDS.items():
        title, label, jtype, values, free, reads = rows[kid]
        assert (title, label, jtype) == (kind.title, kind.label, kind.json_schema["type"]), kid
        assert (values, free, reads) == (yes_no[kind.enumerable], yes_no[kind.free_text], yes_no[kind.uses_input_data]), kid


def _emitted_codes() -> set[str]:
    codes = set()
    gen = REPO / "generator"
    paths = [gen / f"{mod}.py" for mod in ("load", "spec_format", "pipeline", "lint")]
    for path in [*paths, *sorted((gen / "resolve").glob("*.py")), *sorted((gen / "migrate").glob("*.py"))]:
        source = path.read_text(encoding="utf-8")
        codes |= set(re.findall(r'\b(?:error|self\.err|_Bad|Finding)\(\s*"([a-z0-9-]+)"', source))
    return codes | {UNUSED}


def test_every_emitted_code_is_documented() -> None:
    emitted = _emitted_codes()
    assert emitted == set(CODES), f"undocumented: {sorted(emitted - set(CODES))}; stale: {sorted(set(CODES) - emitted)}"
    rows = _rows(_section(DOC_TEXT, "Error codes"))
    assert rows == {code: [meaning] for code, meaning in CODES.items()}


def test_golden_cases_use_only_known_codes() -> None:
    from generator.lint import RULES

    known = set(CODES) | {r.id for r in RULES}
    for expected in (REPO / "tests" / "cases").glob("*/expected.txt"):
        for line in expected.read_text().splitlines():
            assert re.search(r"\[([a-z0-9-]+)\]", line).group(1) in known, line


def test_reference_explains_editor_setup_and_links_lint_rules() -> None:
    assert "# yaml-language-server: $schema=" in DOC_TEXT
    assert "yaml.schemas" in DOC_TEXT
    assert "(lint-rules.md)" in DOC_TEXT and (REPO / "docs" / "lint-rules.md").exists()


def test_shipped_schema_is_what_the_builder_produces() -> None:
    shipped = (REPO / "generator" / "schemas" / "spec.schema.json").read_text(encoding="utf-8")
    assert shipped == build_spec_schema.render(), "run `python -m generator.schemas.build_spec_schema`"
    jsonschema.Draft202012Validator.check_schema(json.loads(shipped))


def test_every_schema_property_has_a_description_for_editors() -> None:
    """A YAML language server shows these on hover; every key gets one."""

    def walk(node, path):
        for key, sub in node.get("properties", {}).items():
            if key == "spec_format" or "$ref" in sub:
                continue
            assert sub.get("description") or (sub.get("items") or {}).get("description"), f"{path}.{key}"
            yield from walk(sub, f"{path}.{key}")
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                yield from walk(node[key], f"{path}.{key}")
        yield path

    assert list(walk(spec_schema(), "spec"))
