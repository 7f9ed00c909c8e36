"""Target: one BigQuery table schema per payload, ``warehouse/bigquery/<wire name>.json``.

The file is the JSON list of columns that ``bq mk --table DATASET.TABLE FILE`` and the
BigQuery API's ``schema.fields`` take: name, standard SQL type, mode (``REQUIRED`` for
the schema's required keys, ``REPEATED`` for lists, else ``NULLABLE``) and description.
Columns and types come from ``generator.targets.warehouse``; this module only spells
them the BigQuery way.  BigQuery caps a column description at 1024 characters, so a
longer one is cut there with an ellipsis.
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

TYPES = {"boolean": "BOOL", "integer": "INT64", "double": "FLOAT64", "string": "STRING", "timestamp": "TIMESTAMP"}
MAX_DESCRIPTION = 1024


def _description(text: str) -> str:
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "\u2026"


def bigquery_field(column: Column) -> dict[str, Any]:
    """One column as a BigQuery ``TableFieldSchema``."""
    mode = "REPEATED" if column.repeated else "REQUIRED" if column.required else "NULLABLE"
    return {
        "name": column.name,
        "type": TYPES[column.type],
        "mode": mode,
        "description": _description(column.description),
    }


def unit(spec: Spec, payload: Payload) -> dict[str, bytes]:
    """The ``units`` hook: one payload's BigQuery table schema."""
    return {table_path("bigquery", payload, ".json"): dumps([bigquery_field(c) for c in table_columns(payload)])}


def render(spec: Spec) -> dict[str, bytes]:
    """Every payload's BigQuery table schema."""
    return render_units(sys.modules[__name__], spec)[0]
