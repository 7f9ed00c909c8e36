"""The warehouse table of a payload: its columns, as the warehouse schema targets see them.

One table per payload: first the envelope the document arrived in (``ENVELOPE``: which
payload, when it was received, which file and line it was read from), then one column
per field in the spec's order.  A column has a neutral type (``boolean``, ``integer``,
``double``, ``string``, ``timestamp``), a repeated flag (lists), a required flag (the
JSON Schema's ``required``) and a description (the schema's, plus an enumeration's
allowed values, which no warehouse type can hold).

The neutral type comes from the field's kind (``generator.kinds``): its ``column`` where
it sets one (timestamps), else its JSON type.  A kind whose JSON type has no column
(an object) is refused here, so adding such a kind fails the build instead of writing a
wrong table.

A field's column is named by ``generator.columns.column_name`` (the wire key itself
when every warehouse accepts it as a column name, else the key with each refused
character escaped: ``os.name`` -> ``os_x2e_name``), and a renamed column's description
ends with the wire key it holds; ``Column.key`` is the key (``None`` for the envelope).
Keys whose columns clash are a lint error (``warehouse-column-clash``).

This module is a view shared by ``warehouse_bigquery``, ``warehouse_spark`` and
``warehouse_avro``; it is not a target and writes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from generator.columns import ENVELOPE_NAMES, column_name
from generator.kinds import Kind
from generator.model import Field, Payload
from generator.targets.json_schema import field_description

#: The neutral column types every warehouse target maps.
COLUMN_TYPES = ("boolean", "integer", "double", "string", "timestamp")

_FROM_JSON_TYPE = {"boolean": "boolean", "integer": "integer", "number": "double", "string": "string"}


@dataclass(frozen=True)
class Column:
    """One column of a payload's table."""

    name: str
    type: str  # one of COLUMN_TYPES
    repeated: bool
    required: bool
    description: str
    key: str | None = None  # the wire key the column holds (None: an envelope column)


#: The envelope columns, first in every table (no wire key's column can take their names).
ENVELOPE: tuple[Column, ...] = (
    Column("_payload", "string", False, True, "Wire name of the payload this row is (the table's payload)."),
    Column(
        "_received_at", "timestamp", False, False,
        "When the collector received the document, when the capture says so (an envelope's "
        "received_at, a Segment message's receivedAt); null otherwise.",
    ),
    Column("_source_file", "string", False, False, "The captured file the document was read from, when known."),
    Column("_source_line", "integer", False, False, "1-based line of the document in its file (NDJSON), when known."),
    Column(
        "_source_item", "integer", False, False,
        "0-based index of the document in a .json file holding an array of documents; null otherwise.",
    ),
)


def column_type(kind: Kind) -> tuple[str, bool]:
    """A kind's neutral column type and whether the column is repeated (a list)."""
    if kind.column:
        if kind.column not in COLUMN_TYPES:
            raise ValueError(f"kind {kind.id}: column type {kind.column!r} is not one of {COLUMN_TYPES}")
        return kind.column, False
    schema = kind.json_schema
    jtype = schema.get("type")
    if jtype == "array":
        item = schema.get("items", {}).get("type")
        if item in _FROM_JSON_TYPE:
            return _FROM_JSON_TYPE[item], True
    elif jtype in _FROM_JSON_TYPE:
        return _FROM_JSON_TYPE[jtype], False
    raise ValueError(f"kind {kind.id}: no warehouse column type for JSON type {jtype!r}; set the kind's column")


def values_text(field: Field) -> str:
    """An enumeration's allowed values as a sentence (JSON notation), or ''."""
    if not field.values:
        return ""
    return "Allowed values: " + ", ".join(json.dumps(v, ensure_ascii=False) for v in field.values) + "."


def field_column(field: Field) -> Column:
    """The column of one field (named by ``generator.columns.column_name``)."""
    ctype, repeated = column_type(field.kind)
    description = field_description(field)
    values = values_text(field)
    if values:
        description = f"{description} {values}"
    name = column_name(field.wire_key)
    if name != field.wire_key:
        description = f"{description} Wire key: {json.dumps(field.wire_key, ensure_ascii=False)}."
    return Column(name, ctype, repeated, field.required, description, field.wire_key)


def table_columns(payload: Payload) -> tuple[Column, ...]:
    """Every column of a payload's table: the envelope, then the fields in spec order."""
    return ENVELOPE + tuple(field_column(f) for f in payload.fields)


assert tuple(c.name for c in ENVELOPE) == ENVELOPE_NAMES


def table_path(folder: str, payload: Payload, suffix: str) -> str:
    """Where a warehouse target writes a payload's table: ``warehouse/<folder>/<wire name><suffix>``."""
    return f"warehouse/{folder}/{payload.wire_name}{suffix}"


def shared(spec: object) -> dict[str, bytes]:
    """The ``units`` hook of the warehouse targets: no file is shared by payloads."""
    return {}
