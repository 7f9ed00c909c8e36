"""Target: one Apache Spark schema per payload, ``warehouse/spark/<wire name>.json``.

The file is a ``StructType`` in Spark's own JSON form (what ``StructType.jsonValue()``
writes and ``StructType.fromJson`` / ``DataType.fromJson`` read): one field per column of
``generator.targets.warehouse``, ``nullable`` unless the schema requires the key, the
column description as the field's ``comment`` metadata (what ``DESCRIBE`` shows) and,
for a field's column, the wire key it is read from as ``wire_key`` metadata (a column's
name is not always its key: ``generator.columns``).
``gen validate --engine spark --output`` types the Parquet tables it writes with
exactly these schemas (``spark_schema``).
"""

from __future__ import annotations

import sys
from typing import Any

from generator.model import Payload, Spec
from generator.targets import render_units
from generator.targets.json_schema import dumps
from generator.targets.warehouse import (
    Column,
    shared,  # noqa: F401  (the units hook)
    table_columns,
    table_path,
)

TYPES = {"boolean": "boolean", "integer": "long", "double": "double", "string": "string", "timestamp": "timestamp"}


def spark_field(column: Column) -> dict[str, Any]:
    """One column as a Spark ``StructField`` in JSON form."""
    ctype: Any = TYPES[column.type]
    if column.repeated:
        ctype = {"type": "array", "elementType": ctype, "containsNull": False}
    metadata: dict[str, Any] = {"comment": column.description}
    if column.key is not None:
        metadata["wire_key"] = column.key
    return {
        "name": column.name,
        "type": ctype,
        "nullable": not column.required,
        "metadata": metadata,
    }


def spark_schema(payload: Payload) -> dict[str, Any]:
    """A payload's table as a Spark ``StructType`` in JSON form."""
    return {"type": "struct", "fields": [spark_field(c) for c in table_columns(payload)]}


def spark_path(payload: Payload) -> str:
    """Where a payload's Spark schema is written."""
    return table_path("spark", payload, ".json")


def unit(spec: Spec, payload: Payload) -> dict[str, bytes]:
    """The ``units`` hook: one payload's Spark schema."""
    return {spark_path(payload): dumps(spark_schema(payload))}


def render(spec: Spec) -> dict[str, bytes]:
    """Every payload's Spark schema."""
    return render_units(sys.modules[__name__], spec)[0]
