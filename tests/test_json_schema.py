"""The payload JSON Schemas: valid draft 2020-12, complete, annotated, stable."""

from __future__ import annotations

import json

import jsonschema
import pytest
from _build_helpers import MINIMAL, bundled_spec, write_spec

from generator.kinds import KINDS
from generator.pipeline import check_spec
from generator.targets import json_schema


@pytest.fixture(scope="module")
def minimal():
    spec, findings = check_spec(MINIMAL)
    assert spec is not None, findings
    return spec


def test_every_bundled_schema_passes_the_metaschema():
    spec = bundled_spec()
    files = json_schema.render(spec)
    assert sorted(files) == sorted(f"schemas/{p.wire_name}.schema.json" for p in spec.payloads)
    ids = set()
    for p in spec.payloads:
        schema = json.loads(files[json_schema.schema_path(p)])
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert list(schema["properties"]) == [f.wire_key for f in p.fields]
        # Version limits narrower than the payload's make a field optional (always_present).
        assert schema["required"] == [f.wire_key for f in p.fields if f.required and f.versions == p.versions]
        assert schema["additionalProperties"] is False
        assert schema["title"] and schema["description"]
        ids.add(schema["$id"])
    assert len(ids) == len(spec.payloads)


def test_record_schema_in_full(minimal):
    p = minimal.payload("cfg_main")
    schema = json_schema.payload_schema(minimal, p)
    assert schema["$id"] == "urn:telemetry:acme:schema:cfg_main:1.0.0"
    assert schema["title"] == "MainSettings"
    assert schema["type"] == "object"
    assert schema["properties"]["mode"] == {
        "type": "integer",
        "enum": [0, 1, 2],
        "description": "MainSettings.Mode (enumerated integer).",
        "x-telemetry": {
            "kind": "enumerated_integer",
            "name": "MainSettings.Mode",
            "edition": None,
            "versions": {},
            "required": True,
            "uses_input_data": True,
            "personal_data": "none",
            "governance": {"owners": [], "reviews": [], "tickets": [], "expires": None},
        },
    }
    isdefault = schema["properties"]["isdefault_site_url"]
    assert isdefault["type"] == "boolean" and isdefault["x-telemetry"]["uses_input_data"] is False
    assert schema["properties"]["replicas"]["minimum"] == 0
    assert schema["x-telemetry"] == {
        "payload_type": "record",
        "group": "MainSettings",
        "feature": {"id": "usage", "title": "Usage Reporting"},
        "section": {"id": "config", "title": "Configuration"},
        "category": None,
        "schedule": {"trigger": "every", "interval": "24h", "seconds": 86400, "text": "once every 24 hours"},
        "sender": "server",
        "destination": "Acme Inc.",
        "opt_out": {
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
        },
        "opt_outs": [schema["x-telemetry"]["opt_out"]],
        "edition": None,
        "versions": {},
    }
    assert list(schema) == [
        "$schema", "$id", "title", "description", "type", "properties", "required",
        "additionalProperties", "x-telemetry",
    ]


def test_event_schema_inherits_category_edition(minimal):
    p = minimal.payload("login_failed")
    schema = json_schema.payload_schema(minimal, p)
    meta = schema["x-telemetry"]
    assert meta["payload_type"] == "event"
    assert meta["category"] == {"id": "signin", "title": "Sign-in"}
    assert meta["edition"] == {"id": "pro", "title": "Pro Edition"}
    assert meta["schedule"]["trigger"] == "event"
    reason = schema["properties"]["reason"]
    assert reason["description"] == "Error code text"
    assert reason["maxLength"] == KINDS["string"].json_schema["maxLength"]
    assert reason["x-telemetry"]["edition"] == {"id": "pro", "title": "Pro Edition"}
    assert reason["x-telemetry"]["personal_data_note"].startswith("A fixed error code")


def test_http_base_uri_gets_a_file_name(tmp_path):
    text = (MINIMAL / "spec.yaml").read_text().replace(
        "  id: acme\n", "  id: acme\n  schema_base_uri: https://schemas.acme.example/v1/\n"
    )
    (tmp_path / "spec.yaml").write_text(text)
    spec, findings = check_spec(tmp_path)
    assert spec is not None, findings
    schema = json_schema.payload_schema(spec, spec.payload("cfg_main"))
    assert schema["$id"] == "https://schemas.acme.example/v1/cfg_main/1.0.0.schema.json"


def test_every_kind_fragment_is_used_verbatim_except_portable_patterns(tmp_path):
    fields = [{"name": f"F{i}", "kind": k, "description": "d", "personal_data_note": "n"} for i, k in enumerate(KINDS)]
    doc = {
        "spec_format": 2,
        "product": {"id": "k", "name": "K", "summary": "S.", "privacy_policy": {"title": "P", "url": "https://k.test/p"}},
        "features": {"f": {"title": "F", "description": "D.", "sender": "s", "destination": "d", "lint_ignore": ["feature-opt-out"]}},
        "sections": {"s": {"feature": "f", "title": "S", "schedule": "every 5m", "description": "D."}},
        "payloads": [{"type": "record", "wire_name": "all_kinds", "section": "s", "fields": fields}],
    }
    spec, findings = check_spec(write_spec(doc, tmp_path))
    assert spec is not None, [str(f) for f in findings]
    schema = json_schema.payload_schema(spec, spec.payloads[0])
    jsonschema.Draft202012Validator.check_schema(schema)
    for f in spec.payloads[0].fields:
        prop = {k: v for k, v in schema["properties"][f.wire_key].items() if k not in ("description", "x-telemetry")}
        expected = json.loads(json.dumps(dict(f.kind.json_schema)))
        if "pattern" in expected:
            expected["pattern"] = json_schema.portable_pattern(expected["pattern"])
        assert prop == expected, f.kind.id
        validator = jsonschema.Draft202012Validator({**schema["properties"][f.wire_key]})
        for good in f.kind.valid_examples:
            assert validator.is_valid(good), (f.kind.id, good)
        assert not validator.is_valid(f.kind.invalid_example), f.kind.id


def test_render_is_deterministic_utf8_with_final_newline(minimal):
    a = json_schema.render(minimal)
    b = json_schema.render(minimal)
    assert a == b
    for data in a.values():
        assert data.endswith(b"}\n") and b"\r" not in data
        data.decode("utf-8")
