"""The warehouse schema targets: BigQuery table schemas, Spark StructTypes, Avro schemas.

* Golden files: the fixture spec (every kind, enumerations, an optional field, an event)
  renders exactly ``tests/warehouse_golden/``; refresh with ``UPDATE_GOLDEN=1`` and
  review the diff.
* Agreement with the JSON Schemas on the bundled spec and on random specs: the same
  columns in the same order after the envelope, each kind's natural column type in all
  three, required keys required everywhere, enumeration values in every description.
* Each format is loaded by its own tooling: ``StructType.fromJson`` (PySpark; optional
  extra) gives back the same JSON, fastavro parses every Avro schema and round-trips a
  record of conforming values, and every BigQuery file keeps BigQuery's rules.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import fastavro
import pytest
from _build_helpers import bundled_spec, spec_docs, write_spec
from _ci import skip_or_fail, update_golden
from hypothesis import HealthCheck, given, settings

from generator.kinds import KINDS, Kind
from generator.pipeline import check_spec
from generator.targets import (
    TARGETS,
    json_schema,
    warehouse,
    warehouse_avro,
    warehouse_bigquery,
    warehouse_spark,
)

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_SPEC = ROOT / "tests" / "conformance_examples" / "spec"
GOLDEN = ROOT / "tests" / "warehouse_golden"
UPDATE = update_golden()
RENDERERS = (warehouse_bigquery, warehouse_spark, warehouse_avro)
ENVELOPE = [c.name for c in warehouse.ENVELOPE]
BQ_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,299}$")

# JSON type (of a kind's schema, or of a list's items) -> the column type of each format.
EXPECTED_TYPES = {
    "boolean": ("BOOL", "boolean", "boolean"),
    "integer": ("INT64", "long", "long"),
    "number": ("FLOAT64", "double", "double"),
    "string": ("STRING", "string", "string"),
}
TIMESTAMP = ("TIMESTAMP", "timestamp", {"type": "long", "logicalType": "timestamp-millis"})


def _fixture_spec():
    spec, findings = check_spec(FIXTURE_SPEC)
    assert spec is not None, findings
    return spec


def _render(spec) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for mod in RENDERERS:
        out.update(mod.render(spec))
    return out


def test_the_three_targets_are_registered():
    modules = {t.module for t in TARGETS}
    for mod in RENDERERS:
        assert mod.__name__ in modules


def test_fixture_spec_renders_the_golden_files():
    files = _render(_fixture_spec())
    if UPDATE:
        for rel, data in files.items():
            path = GOLDEN / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    expected = {p.relative_to(GOLDEN).as_posix(): p.read_bytes() for p in GOLDEN.rglob("*") if p.is_file()}
    assert sorted(files) == sorted(expected)
    for rel, data in files.items():
        assert data == expected[rel], f"{rel} differs from tests/warehouse_golden (UPDATE_GOLDEN=1 to refresh)"


def _expected_column(prop: dict, kind: str):
    """What each format must say for one JSON Schema property: (bq type, bq mode),
    spark type, avro type, from the JSON Schema alone."""
    repeated = prop["type"] == "array"
    jtype = prop["items"]["type"] if repeated else prop["type"]
    types = TIMESTAMP if kind == "timestamp_ms" else EXPECTED_TYPES[jtype]
    return types, repeated


def _check_agreement(spec) -> None:
    for payload in spec.payloads:
        schema = json_schema.payload_schema(spec, payload)
        props = schema["properties"]
        required = set(schema["required"])
        bq = json.loads(warehouse_bigquery.render(spec)[f"warehouse/bigquery/{payload.wire_name}.json"])
        sp = warehouse_spark.spark_schema(payload)["fields"]
        av = warehouse_avro.avro_schema(spec, payload)["fields"]
        names = ENVELOPE + list(props)
        assert [c["name"] for c in bq] == names
        assert [c["name"] for c in sp] == names
        assert [c["name"] for c in av] == names
        for key, b, s, a in zip(props, bq[len(ENVELOPE):], sp[len(ENVELOPE):], av[len(ENVELOPE):]):
            prop = props[key]
            (bq_type, spark_type, avro_type), repeated = _expected_column(prop, prop["x-telemetry"]["kind"])
            req = key in required
            assert b["type"] == bq_type
            assert b["mode"] == ("REPEATED" if repeated else "REQUIRED" if req else "NULLABLE")
            if repeated:
                assert s["type"] == {"type": "array", "elementType": spark_type, "containsNull": False}
                avro_type = {"type": "array", "items": avro_type}
            else:
                assert s["type"] == spark_type
            assert s["nullable"] is (not req)
            assert a["type"] == (avro_type if req else ["null", avro_type])
            assert ("default" in a) is (not req)
            for text in (b["description"], s["metadata"]["comment"], a["doc"]):
                assert text.startswith(prop["description"][:100])
                for value in prop.get("enum", ()):
                    assert json.dumps(value, ensure_ascii=False) in text


def test_agreement_with_the_json_schemas_on_the_bundled_spec():
    _check_agreement(bundled_spec())


def test_agreement_with_the_json_schemas_on_the_fixture_spec():
    _check_agreement(_fixture_spec())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=spec_docs())
def test_agreement_with_the_json_schemas_on_random_specs(tmp_path_factory, doc):
    spec, findings = check_spec(write_spec(doc, tmp_path_factory.mktemp("spec")))
    assert spec is not None, findings
    _check_agreement(spec)


def test_every_kind_has_a_column_type_and_a_kind_without_one_is_refused():
    for kind in KINDS.values():
        ctype, _ = warehouse.column_type(kind)
        assert ctype in warehouse.COLUMN_TYPES
    assert warehouse.column_type(KINDS["timestamp_ms"]) == ("timestamp", False)
    assert warehouse.column_type(KINDS["string_list"]) == ("string", True)
    odd = Kind("blob", "Blob", "blob", {"type": "object"}, (), 1)
    with pytest.raises(ValueError, match="no warehouse column type"):
        warehouse.column_type(odd)


def test_bigquery_files_keep_bigquery_rules():
    long = "x" * 2000
    field = warehouse_bigquery.bigquery_field(warehouse.Column("a", "string", False, False, long))
    assert len(field["description"]) == warehouse_bigquery.MAX_DESCRIPTION
    for rel, data in _render(bundled_spec()).items():
        if rel.startswith("warehouse/bigquery/"):
            for col in json.loads(data):
                assert set(col) == {"name", "type", "mode", "description"}
                assert BQ_NAME.match(col["name"]), col["name"]
                assert col["type"] in {"BOOL", "INT64", "FLOAT64", "STRING", "TIMESTAMP"}
                assert col["mode"] in {"NULLABLE", "REQUIRED", "REPEATED"}
                assert 0 < len(col["description"]) <= 1024


def test_spark_schemas_load_with_structtype_fromjson():
    try:
        from pyspark.sql.types import StructType
    except ImportError:
        skip_or_fail("PySpark is not installed (pip install '.[spark]')")
    for spec in (bundled_spec(), _fixture_spec()):
        for rel, data in warehouse_spark.render(spec).items():
            doc = json.loads(data)
            struct = StructType.fromJson(doc)
            assert struct.jsonValue() == doc, rel
    struct = StructType.fromJson(json.loads(warehouse_spark.render(_fixture_spec())["warehouse/spark/config_service.json"]))
    assert struct["last_restart"].dataType.typeName() == "timestamp"
    assert struct["last_restart"].nullable
    assert not struct["driver"].nullable
    assert '"mysql", "postgres"' in struct["driver"].metadata["comment"]


def test_avro_schemas_parse_with_fastavro_and_round_trip_a_record():
    spec = _fixture_spec()
    for sp in (bundled_spec(), spec):
        for data in warehouse_avro.render(sp).values():
            fastavro.parse_schema(json.loads(data))
    schema = fastavro.parse_schema(json.loads(warehouse_avro.render(spec)["warehouse/avro/config_service.avsc"]))
    record = {
        "_payload": "config_service", "_received_at": 1543622400000, "_source_file": "cap.ndjson",
        "_source_line": 3, "_source_item": None,
        "enable_commands": True, "connection_security": 2, "isdefault_site_url": False,
        "enable_developer": False, "plugins": 3, "max_users": 250, "ratio": 0.75, "driver": "postgres",
        "server_version": "5.6.0", "installation_id": "abc",
    }
    buf = io.BytesIO()
    fastavro.writer(buf, schema, [record])
    buf.seek(0)
    (back,) = list(fastavro.reader(buf))
    assert back["last_restart"] is None  # optional key: null default
    assert back["_received_at"].year == 2018  # timestamp-millis comes back as a datetime
    assert {k: v for k, v in back.items() if k not in ("last_restart", "_received_at")} == {
        k: v for k, v in record.items() if k != "_received_at"
    }
    with pytest.raises(fastavro.validation.ValidationError):  # a required column may not be null
        fastavro.validation.validate({**record, "driver": None}, schema, raise_errors=True)
