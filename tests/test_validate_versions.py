"""Version-aware validation (issue 11): ``gen validate --product-version V`` checks that a
payload outside its version range is not sent, that a field outside its range is absent
and that a required field inside its range is present, from the schemas' ``x-telemetry``
annotations; the conformance suite does the same with ``TELEMETRY_PRODUCT_VERSION``
(tests/test_conformance.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _build_helpers import bundled_spec
from click.testing import CliRunner

from generator.cli import main
from generator.targets import conformance
from generator.validate.versions import describe, in_range, parse_version

ROOT = Path(__file__).resolve().parents[1]


def _prop(kind: str = "boolean", versions: dict | None = None, required: bool = True) -> dict:
    return {"type": kind, "x-telemetry": {"versions": versions or {}, "required": required}}


SCHEMAS = {
    # A field-limited payload, as the version-independent schema writes it: fields whose
    # range is narrower than the payload's are optional there, required in x-telemetry.
    "cfg": {
        "type": "object", "additionalProperties": False, "required": ["always"],
        "properties": {
            "always": _prop(),
            "legacy": _prop(versions={"max": "5.5"}),
            "new": _prop(versions={"min": "6.0"}),
            "new_optional": _prop(versions={"min": "6.0"}, required=False),
        },
        "x-telemetry": {"versions": {}},
    },
    # A payload limited to old versions.
    "old": {
        "type": "object", "additionalProperties": False, "required": ["a"],
        "properties": {"a": _prop(versions={"max": "5.5"})},
        "x-telemetry": {"versions": {"max": "5.5"}},
    },
    # An older layout: a limited field still listed in the schema's own required.
    "listed": {
        "type": "object", "additionalProperties": False, "required": ["a", "legacy"],
        "properties": {"a": _prop(), "legacy": _prop(versions={"max": "5.5"})},
    },
}


@pytest.fixture(scope="module")
def schemas_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("schemas")
    for name, schema in SCHEMAS.items():
        (folder / f"{name}.schema.json").write_text(json.dumps(schema), "utf-8")
    return folder


def check(schemas_dir: Path, docs: list[tuple[str, dict]], *args: str) -> tuple[int, dict]:
    data = "".join(json.dumps({"payload": n, "properties": p}) + "\n" for n, p in docs).encode()
    result = CliRunner().invoke(main, ["validate", "--schemas", str(schemas_dir), "--format", "json", *args, "-"],
                                input=data)
    return result.exit_code, json.loads(result.output) if result.output.startswith("{") else result.output


def problems(report: dict) -> list[tuple[int, str, str | None]]:
    return [(f["line"], p["problem"], p["key"]) for f in report["failures"] for p in f["problems"]]


def test_version_comparison_on_the_bounds_precision():
    assert parse_version("5.6.0-rc1") == (5, 6, 0) and parse_version("v7") == (7,) and parse_version("x") is None
    assert in_range((5, 5, 3), {"max": "5.5"}) and not in_range((5, 6), {"max": "5.5"})
    assert in_range((6,), {"min": "6.0"}) and not in_range((5, 9, 9), {"min": "6.0"})
    assert in_range((5,), {}) and in_range((5,), None)
    assert describe({"max": "5.5"}) == "only in v5.5 and earlier"


def test_an_old_version_must_send_its_fields_and_not_the_new_ones(schemas_dir):
    docs = [
        ("cfg", {"always": True, "legacy": True}),  # 1 fine for 5.4
        ("cfg", {"always": True}),  # 2 legacy is required in 5.4
        ("cfg", {"always": True, "legacy": True, "new": True, "new_optional": False}),  # 3 too new
        ("old", {"a": True}),  # 4 fine
        ("listed", {"a": True, "legacy": True}),  # 5 fine
    ]
    code, rep = check(schemas_dir, docs, "--product-version", "5.4")
    assert code == 1
    assert problems(rep) == [
        (2, "missing-key", "legacy"),
        (3, "not-in-version", "new"), (3, "not-in-version", "new_optional"),
    ]
    detail = rep["failures"][1]["problems"][0]["detail"]
    assert detail == "only in v6.0 and later; v5.4 does not send it"
    assert rep["failures"][0]["problems"][0]["detail"] == "required in v5.4"
    # 5.5.3 is still "5.5 and earlier".
    code, rep = check(schemas_dir, docs[:1] + docs[3:], "--product-version", "5.5.3")
    assert code == 0, rep


def test_a_new_version_must_not_send_old_payloads_or_fields(schemas_dir):
    docs = [
        ("cfg", {"always": True, "new": True}),  # 1 fine for 6.1 (new_optional may be absent)
        ("cfg", {"always": True, "legacy": True, "new": True}),  # 2 legacy is gone
        ("cfg", {"always": True}),  # 3 new is required
        ("old", {"a": True}),  # 4 the payload is not sent by 6.1
        ("listed", {"a": True}),  # 5 the schema lists legacy, but 6.1 does not send it
        ("listed", {"a": True, "legacy": True}),  # 6 ... and must not
    ]
    code, rep = check(schemas_dir, docs, "--product-version", "6.1", "--jobs", "2")
    assert code == 1
    assert problems(rep) == [
        (2, "not-in-version", "legacy"), (3, "missing-key", "new"), (4, "not-in-version", None),
        (6, "not-in-version", "legacy"),
    ]
    assert rep["failures"][2]["problems"][0]["detail"] == "the payload is sent only in v5.5 and earlier, not by v6.1"
    # Without a product version only the version-independent schema applies.
    code, rep = check(schemas_dir, docs)
    assert code == 1 and problems(rep) == [(5, "missing-key", "legacy")]


def test_text_report_and_bad_version(schemas_dir):
    result = CliRunner().invoke(main, ["validate", "--schemas", str(schemas_dir), "--product-version", "6.1", "-"],
                                input=b'{"payload": "old", "properties": {"a": true}}\n')
    assert result.exit_code == 1
    assert "<stdin>:1: old: not in this version: the payload is sent only in v5.5 and earlier, not by v6.1" \
        in result.output
    result = CliRunner().invoke(main, ["validate", "--schemas", str(schemas_dir), "--product-version", "banana", "-"],
                                input=b"")
    assert result.exit_code == 2 and "--product-version: product version 'banana' is not a version" in result.output


def test_the_bundled_spec_payload_limit_applies():
    spec = bundled_spec()  # fails, never skips, when spec/ does not load
    limited = [p for p in spec.payloads if p.versions.max]
    assert limited, "the bundled spec has a version-limited payload (WebrtcSettings: 5.5 and earlier)"
    payload = limited[0]
    props = conformance.vectors(payload)["valid"][0]["properties"]
    line = (json.dumps({"payload": payload.wire_name, "properties": props}) + "\n").encode()
    old = CliRunner().invoke(main, ["validate", "--spec", str(ROOT / "spec"), "--product-version", payload.versions.max,
                                    "-"], input=line)
    assert old.exit_code == 0, old.output
    new = CliRunner().invoke(main, ["validate", "--spec", str(ROOT / "spec"), "--product-version", "99", "-"],
                             input=line)
    assert new.exit_code == 1 and f"{payload.wire_name}: not in this version" in new.output
