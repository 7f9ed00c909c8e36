"""catalog.json: the resolved spec in one document, valid against its shipped schema."""

from __future__ import annotations

import json

import jsonschema
import pytest
from _build_helpers import MINIMAL, bundled_spec, spec_docs, write_spec
from hypothesis import HealthCheck, given, settings

from generator.pipeline import check_spec
from generator.targets import catalog


@pytest.fixture(scope="module")
def validator():
    schema = catalog.catalog_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _doc(spec) -> dict:
    files = catalog.render(spec)
    assert list(files) == ["catalog.json"]
    return json.loads(files["catalog.json"])


def test_bundled_catalog_is_valid_and_complete(validator):
    spec = bundled_spec()
    doc = _doc(spec)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    assert [p["wire_name"] for p in doc["payloads"]] == [p.wire_name for p in spec.payloads]
    assert sum(len(p["fields"]) for p in doc["payloads"]) == len(spec.fields)
    assert [f["id"] for f in doc["features"]] == [f.id for f in spec.features]
    assert [s["id"] for s in doc["sections"]] == [s.id for s in spec.sections]
    # Field groups keep the spec's order of kinds (test_determinism checks every seed).
    groups = {s["id"]: [(g["title"], g["kinds"]) for g in s["field_groups"]] for s in doc["sections"]}
    assert groups == {s.id: [(g.title, list(g.kinds)) for g in s.field_groups] for s in spec.sections}
    assert [g[1] for g in groups["server_configuration"]] == [
        ["enumerated_integer", "boolean", "integer"], ["count"], ["setting_is_default"]]
    # Every reference resolves inside the document.
    features = {f["id"] for f in doc["features"]}
    sections = {s["id"]: s for s in doc["sections"]}
    settings_ = {s["id"] for s in doc["settings"]}
    editions = {e["id"] for e in doc["editions"]}
    kinds = {k["id"] for k in doc["kinds"] if k["used"]}
    for p in doc["payloads"]:
        assert p["feature"] in features and p["section"] in sections
        assert p["category"] is None or p["category"] in {c["id"] for c in sections[p["section"]]["categories"]}
        assert p["opt_out_setting"] is None or p["opt_out_setting"] in settings_
        assert p["edition"] is None or p["edition"] in editions
        for f in p["fields"]:
            assert f["kind"] in kinds and (f["edition"] is None or f["edition"] in editions)


def test_minimal_catalog_resolves_inheritance(validator):
    spec, _ = check_spec(MINIMAL)
    doc = _doc(spec)
    validator.validate(doc)
    event = next(p for p in doc["payloads"] if p["wire_name"] == "login_failed")
    assert event["type"] == "event" and event["category"] == "signin"
    assert event["edition"] == "pro"  # inherited from its category
    assert event["fields"][0]["edition"] == "pro"
    assert event["schedule"] == "on event" and event["opt_out_setting"] == "Telemetry.Enable"
    assert event["schema"] == "schemas/login_failed.schema.json"
    assert event["schema_id"] == "urn:telemetry:acme:schema:login_failed:1.0.0"
    assert event["version"] == "1.0.0"
    assert event["model_name"] == "LoginFailed"
    record = doc["payloads"][0]
    assert [f["wire_key"] for f in record["fields"]] == ["enable_thing", "mode", "isdefault_site_url", "replicas"]
    isdefault = record["fields"][2]
    assert isdefault["kind"] == "setting_is_default" and isdefault["uses_input_data"] is False
    assert record["fields"][1]["values"] == [0, 1, 2]
    assert doc["features"][0]["opt_out"] == {
        "setting": "Telemetry.Enable",
        "kind": "console_setting",
        "console_path": ["Admin", "Telemetry", "Enable"],
        "command": "",
        "flag": "",
        "key": "",
        "file": "",
        "off_value": False,
        "off_values": [False],
        "not_possible": "",
        "cost": "You will not get tailored tips.",
    }
    assert doc["features"][0]["opt_outs"] == [doc["features"][0]["opt_out"]]
    assert doc["sections"][0]["schedule"]["seconds"] == 86400


def test_sources_are_relative_file_names_only(tmp_path):
    spec, _ = check_spec(MINIMAL)
    text = catalog.render(spec)["catalog.json"].decode()
    doc = json.loads(text)
    sources = {p["source"] for p in doc["payloads"]} | {doc["product"]["source"]}
    assert sources == {"spec.yaml"}
    assert str(MINIMAL) not in text and "/tmp" not in text


def test_a_comment_in_the_spec_does_not_change_the_catalogue(tmp_path):
    spec_a, _ = check_spec(MINIMAL)
    (tmp_path / "spec.yaml").write_text("# a comment\n\n" + (MINIMAL / "spec.yaml").read_text())
    spec_b, _ = check_spec(tmp_path)
    assert catalog.render(spec_a) == catalog.render(spec_b)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(doc=spec_docs())
def test_random_spec_catalogues_are_valid(tmp_path_factory, validator, doc):
    spec, findings = check_spec(write_spec(doc, tmp_path_factory.mktemp("cat")))
    assert spec is not None, [str(f) for f in findings]
    validator.validate(_doc(spec))


def test_the_rendered_catalogue_is_the_unshared_document_serialized():
    """``render`` shares the versions and governance dicts between fields (speed); the
    bytes are those of the plain document, which ``gen diff`` and ``gen review`` read."""
    from _build_helpers import bundled_spec

    from generator.json_output import dumps
    from generator.targets import catalog as catalog_target

    spec = bundled_spec()
    doc = catalog_target.catalog(spec)
    assert catalog_target.render(spec)[catalog_target.PATH] == dumps(doc)
    fields = [f for p in doc["payloads"] for f in p["fields"]]
    assert len({id(f["governance"]) for f in fields}) == len(fields)  # readers get their own dicts
