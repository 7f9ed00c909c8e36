"""The field kinds a spec may use, as one table of data.

Every target reads a field's kind from here: the JSON Schema fragment it validates
with, the label the privacy docs print, the edge values the conformance suite tries,
and a wrong-typed value that must be rejected.  Adding a kind is one entry in
``KINDS``; no target has a private list of kinds.

Kinds are generic (nothing here is specific to one product), and each id says what is
on the wire, units included (``timestamp_ms`` beside ``timestamp_seconds``).  The first
four are the configuration-setting kinds found in product telemetry docs: enumerated
integer, boolean (which may list its values), integer count and ``setting_is_default``
(true while a setting still holds its default).  Spec format 1's names
(``enumerated_boolean``, ``is_default``, ``timestamp``) are mapped by
``generator.migrate``, never accepted here.

Must not: hold product-specific kinds or any target's private spelling of a kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class Kind:
    """One field kind.

    ``json_schema`` is the property schema (without ``enum``; a field's own value list is
    added by the schema target).  ``valid_examples`` are edge values that must be
    accepted whatever the field's value list (used only when the field lists no values),
    and ``invalid_example`` is a value of the wrong JSON type that must be rejected.
    ``enumerable`` says a field of this kind may list its allowed values.
    ``free_text`` marks kinds whose values a person could type: lint asks those fields
    to say why they cannot carry personal data.
    ``uses_input_data`` is the default for a field of this kind: False for is-default
    booleans, which are computed without reading the setting's value.
    ``column`` is the warehouse column type where the JSON type alone does not say it
    ("timestamp" for an integer of epoch milliseconds); empty means "from the JSON type"
    (see ``generator.targets.warehouse``).
    ``reach`` ranks how much a value of the kind can reveal (its value space, for
    ``gen diff``'s kind rules, see ``generator.privacy``): 0 computed without input,
    1 a yes/no, 2 one of a listed few, 3 a number, a time or a strict version, 4 a
    bounded identifier or short text, 5 text a person could type.
    """

    id: str
    title: str
    label: str
    json_schema: Mapping[str, Any]
    valid_examples: tuple[Any, ...]
    invalid_example: Any
    enumerable: bool = False
    free_text: bool = False
    uses_input_data: bool = True
    column: str = ""
    reach: int = 3

    def __reduce__(self) -> tuple:
        """Pickled by id when it is one of ``KINDS`` (constants), else field by field
        (its ``json_schema`` as a plain dict); the build pickles payloads to digest them."""
        if KINDS.get(self.id) is self:
            return (_kind_by_id, (self.id,))
        values = {f: getattr(self, f) for f in self.__dataclass_fields__}
        values["json_schema"] = dict(self.json_schema)
        return (_kind_from, (tuple(sorted(values.items())),))


def _kind_by_id(kind_id: str) -> Kind:
    """One of ``KINDS`` (unpickling)."""
    return KINDS[kind_id]


def _kind_from(items: tuple) -> Kind:
    """A Kind from ``__reduce__``'s items."""
    return _kind(**dict(items))


def _kind(**kw: Any) -> Kind:
    kw["json_schema"] = MappingProxyType(dict(kw["json_schema"]))
    return Kind(**kw)


_INT64_MAX = 2**63 - 1
_INT64_MIN = -(2**63)

KINDS: Mapping[str, Kind] = MappingProxyType(
    {
        k.id: k
        for k in (
            _kind(
                id="enumerated_integer",
                reach=2,
                title="Enumerated integer",
                label="enum",
                json_schema={"type": "integer"},
                valid_examples=(0, 1, _INT64_MAX, _INT64_MIN),
                invalid_example="1",
                enumerable=True,
            ),
            _kind(
                id="boolean",
                reach=1,
                title="Boolean",
                label="bool",
                json_schema={"type": "boolean"},
                valid_examples=(True, False),
                invalid_example="true",
                enumerable=True,
            ),
            _kind(
                id="count",
                reach=3,
                title="Integer count",
                label="int",
                json_schema={"type": "integer", "minimum": 0},
                valid_examples=(0, 1, _INT64_MAX),
                invalid_example=1.5,
            ),
            _kind(
                id="setting_is_default",
                reach=0,
                title="Setting-is-default boolean",
                label="bool",
                json_schema={"type": "boolean"},
                valid_examples=(True, False),
                invalid_example="false",
                uses_input_data=False,
            ),
            _kind(
                id="integer",
                reach=3,
                title="Integer",
                label="int",
                json_schema={"type": "integer"},
                valid_examples=(0, -1, _INT64_MAX, _INT64_MIN),
                invalid_example="0",
                enumerable=True,
            ),
            _kind(
                id="number",
                reach=3,
                title="Number",
                label="number",
                json_schema={"type": "number"},
                valid_examples=(0, -1.5, 1e300),
                invalid_example="0.5",
            ),
            _kind(
                id="string",
                reach=5,
                title="Free-text string",
                label="string",
                json_schema={"type": "string", "maxLength": 4096},
                valid_examples=("", "x" * 4096, "ünïcödé ✓"),
                invalid_example=0,
                free_text=True,
            ),
            _kind(
                id="enumerated_string",
                reach=2,
                title="Enumerated string",
                label="enum",
                json_schema={"type": "string"},
                valid_examples=("", "value"),
                invalid_example=0,
                enumerable=True,
            ),
            _kind(
                id="timestamp_ms",
                reach=3,
                title="Timestamp in milliseconds since the Unix epoch",
                label="timestamp",
                json_schema={"type": "integer", "minimum": 0},
                valid_examples=(0, 1543622400000, _INT64_MAX),
                invalid_example="2018-12-01T00:00:00Z",
                column="timestamp",
            ),
            _kind(
                id="version",
                reach=3,
                title="Version string",
                label="version",
                json_schema={
                    "type": "string",
                    "pattern": "^[0-9]+(\\.[0-9]+)*([-+.][0-9A-Za-z.-]+)?$",
                    "maxLength": 64,
                },
                valid_examples=("5", "5.6.0", "5.6.0-rc1", "5.6.0.1234"),
                invalid_example=5.6,
            ),
            _kind(
                id="timestamp_seconds",
                reach=3,
                title="Timestamp in seconds since the Unix epoch",
                label="timestamp",
                json_schema={"type": "integer", "minimum": 0},
                valid_examples=(0, 1543622400, _INT64_MAX),
                invalid_example="2018-12-01T00:00:00Z",
            ),
            _kind(
                id="timestamp_rfc3339",
                reach=3,
                title="Timestamp as RFC 3339 text",
                label="timestamp",
                json_schema={
                    "type": "string",
                    "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})$",
                    "maxLength": 64,
                },
                valid_examples=("2018-12-01T00:00:00Z", "2018-12-01t23:59:60.123456789+01:00"),
                invalid_example=1543622400,
            ),
            _kind(
                id="version_text",
                reach=4,
                title="Version text",
                label="version",
                json_schema={"type": "string", "minLength": 1, "maxLength": 200},
                valid_examples=("Ubuntu 22.04", "13.4.1 (22F82)", "x" * 200),
                invalid_example=22.04,
            ),
            _kind(
                id="pseudonymous_id",
                reach=4,
                title="Pseudonymous identifier",
                label="id",
                json_schema={"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
                valid_examples=("a", "4xp9fdt77pncbef59f4k1qe83o", "Z" * 64),
                invalid_example=12345,
            ),
            _kind(
                id="string_list",
                reach=5,
                title="List of strings",
                label="list",
                json_schema={
                    "type": "array",
                    "items": {"type": "string", "maxLength": 4096},
                    "maxItems": 10000,
                },
                valid_examples=([], ["a"], ["a", "b", ""]),
                invalid_example="a,b",
                free_text=True,
            ),
        )
    }
)


def kind_ids() -> list[str]:
    """All kind ids, in table order (the spec JSON Schema lists them as its enum)."""
    return list(KINDS)
