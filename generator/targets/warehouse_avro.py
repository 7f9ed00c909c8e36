"""Target: one Avro schema per payload, ``warehouse/avro/<wire name>.avsc``.

A record named after the payload (namespace: the product id) with one field per column
of ``generator.targets.warehouse``: ``long`` for integers, ``long`` with the
``timestamp-millis`` logical type for timestamps, an ``array`` of the item type for
lists.  A key the schema does not require is a union with ``null`` first and a null
default, so a record without it is still valid; descriptions become ``doc``.
Enumerations stay their base type (Avro enums hold only identifier-like strings) and
keep their values in the ``doc``.
"""

from __future__ import annotations

import sys
from typing import Any

from generator.model import Payload, Spec
from generator.targets import render_units
from generator.targets.json_schema import dumps, payload_description
from generator.targets.warehouse import (
    Column,
    shared,  # noqa: F401  (the units hook)
    table_columns,
    table_path,
)

TYPES: dict[str, Any] = {
    "boolean": "boolean",
    "integer": "long",
    "double": "double",
    "string": "string",
    "timestamp": {"type": "long", "logicalType": "timestamp-millis"},
}


def avro_field(column: Column) -> dict[str, Any]:
    """One column as an Avro record field."""
    ftype: Any = TYPES[column.type]
    if column.repeated:
        ftype = {"type": "array", "items": ftype}
    field: dict[str, Any] = {"name": column.name, "doc": column.description}
    if column.required:
        field["type"] = ftype
    else:
        field["type"] = ["null", ftype]
        field["default"] = None
    return field


def avro_schema(spec: Spec, payload: Payload) -> dict[str, Any]:
    """A payload's table as an Avro record schema."""
    return {
        "type": "record",
        "name": payload.wire_name,
        "namespace": spec.product.id,
        "doc": payload_description(spec, payload),
        "fields": [avro_field(c) for c in table_columns(payload)],
    }


def unit(spec: Spec, payload: Payload) -> dict[str, bytes]:
    """The ``units`` hook: one payload's Avro schema."""
    return {table_path("avro", payload, ".avsc"): dumps(avro_schema(spec, payload))}


def render(spec: Spec) -> dict[str, bytes]:
    """Every payload's Avro schema."""
    return render_units(sys.modules[__name__], spec)[0]
