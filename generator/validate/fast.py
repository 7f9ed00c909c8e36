"""Fast checks: compiled "does this conform?" answers, and nothing else.

Three engines, each only ever a shortcut to "this document conforms" (anything one of
them rejects goes on to ``diagnose``, which has the last word):

* ``LineDecoders`` (msgspec): each payload schema of the usual shape is compiled to a
  Struct, and a whole NDJSON line is parsed and checked in one C call;
* ``fast_validator``: jsonschema_rs's compiled ``is_valid`` when present, else a Python
  function specialised for the schema (``python_check``), else None (the caller then
  uses the reference validator: ``diagnose.fast_or_reference``).

Only keywords with an exact equivalent are compiled (patterns through ``ecma``); a
schema using any other keyword is left to the next engine.  This module says nothing
about *why* a document fails and reads no input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from . import ecma, optional
from .inputs import MAX_FLOAT

# Keywords the specialised checkers (Python and msgspec) handle exactly; a schema using
# any other keyword is left to jsonschema_rs / jsonschema.
PROP_KEYS = frozenset({
    "type", "enum", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "maxLength", "minLength", "pattern", "items", "maxItems", "minItems",
    "title", "description", "default", "examples", "deprecated", "$comment",
})
ROOT_KEYS = frozenset({
    "$schema", "$id", "$comment", "title", "description", "type", "properties",
    "required", "additionalProperties", "examples", "default", "deprecated",
})
_NUMBER_BOUNDS = {"minimum": "ge", "maximum": "le", "exclusiveMinimum": "gt", "exclusiveMaximum": "lt"}
_INT64 = (-(2**63), 2**63 - 1)


def fast_validator(schema: Mapping[str, Any], rs_options: Mapping[str, Any] | None = None) -> Callable[[Any], bool] | None:
    """A compiled ``is_valid`` for a schema: jsonschema_rs when present (built with
    ``rs_options``, e.g. its registry), else a Python function specialised for the schema
    (``python_check``), else None (``diagnose.fast_or_reference`` then uses the
    reference validator: this module never imports ``diagnose``)."""
    rs = optional.jsonschema_rs
    if rs is not None:
        try:
            compiled: Callable[[Any], bool] = rs.Draft202012Validator(schema, **(rs_options or {})).is_valid
            return compiled
        except Exception:  # noqa: BLE001, S110 - a schema it cannot compile: use another
            pass
    return python_check(schema)


def is_number(v: Any) -> bool:
    """A JSON number under the values policy (``inputs``): a finite float, or an integer
    within a 64-bit float's range (booleans are not numbers, unlike in Python)."""
    t = type(v)
    return (t is float and -MAX_FLOAT <= v <= MAX_FLOAT) or (t is int and -MAX_FLOAT <= v <= MAX_FLOAT)


def _numeric(v: Any) -> bool:
    """A JSON number (booleans are not numbers, unlike in Python)."""
    return type(v) is int or type(v) is float


def _is_integer(v: Any) -> bool:
    t = type(v)
    return t is int or (t is float and v.is_integer())


def _bound_test(op: str, b: Any) -> Callable[[Any], bool]:
    """A number's bound as a test (``op``: ge, le, gt, lt); other types pass it."""
    if op == "ge":
        return lambda v: not _numeric(v) or v >= b
    if op == "le":
        return lambda v: not _numeric(v) or v <= b
    if op == "gt":
        return lambda v: not _numeric(v) or v > b
    return lambda v: not _numeric(v) or v < b


def _length_test(kind: Any, n: int, longer: bool) -> Callable[[Any], bool]:
    """A string's or list's length bound as a test; other types pass it."""
    if longer:
        return lambda v: type(v) is not kind or len(v) >= n
    return lambda v: type(v) is not kind or len(v) <= n


def value_check(prop: Any) -> Callable[[Any], bool] | None:
    """A Python predicate equal to the reference validator on one property schema, for
    the keywords payload schemas use (``PROP_KEYS``); None for anything else."""
    import re

    if not isinstance(prop, dict) or any(k not in PROP_KEYS and not k.startswith("x-") for k in prop):
        return None
    jtype = prop.get("type")
    tests: list[Callable[[Any], bool]] = []
    if jtype == "boolean":
        tests.append(lambda v: v is True or v is False)
    elif jtype == "integer":
        tests.append(_is_integer)
    elif jtype == "number":
        tests.append(is_number)
    elif jtype == "string":
        tests.append(lambda v: type(v) is str)
    elif jtype == "array":
        tests.append(lambda v: type(v) is list)
    elif jtype is not None:
        return None
    if "enum" in prop:
        enum = prop["enum"]
        if not isinstance(enum, list) or not enum:
            return None
        if all(type(x) is str for x in enum):
            strings = frozenset(enum)
            tests.append(lambda v: type(v) is str and v in strings)
        elif all(type(x) is int for x in enum):
            ints = frozenset(enum)
            tests.append(lambda v: _is_integer(v) and v in ints)
        elif all(type(x) is bool for x in enum):
            bools = frozenset(enum)
            tests.append(lambda v: (v is True or v is False) and v in bools)
        else:
            return None
    for key, op in _NUMBER_BOUNDS.items():
        if key in prop:
            bound = prop[key]
            if type(bound) not in (int, float):
                return None
            tests.append(_bound_test(op, bound))
    for key, longer in (("maxLength", False), ("minLength", True), ("maxItems", False), ("minItems", True)):
        if key in prop:
            n = prop[key]
            if type(n) is not int:
                return None
            kind = str if key.endswith("Length") else list
            tests.append(_length_test(kind, n, longer))
    if "pattern" in prop:  # after maxLength: a too-long value is never matched
        try:
            search = ecma.compile(prop["pattern"]).search
        except (TypeError, re.error):
            return None
        tests.append(lambda v: type(v) is not str or search(v) is not None)
    if "items" in prop:
        item = value_check(prop["items"])
        if item is None:
            return None
        tests.append(lambda v: type(v) is not list or all(map(item, v)))
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        first, second = tests
        return lambda v: first(v) and second(v)
    if len(tests) == 3:
        first, second, third = tests
        return lambda v: first(v) and second(v) and third(v)
    return lambda v: all(t(v) for t in tests)


def python_check(schema: Mapping[str, Any]) -> Callable[[Any], bool] | None:
    """A Python ``is_valid`` specialised for a payload schema of the usual shape (an
    object of declared properties, ``additionalProperties: false``), or for a property
    schema; None when the schema uses a keyword this does not handle exactly."""
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict):
        return value_check(schema)
    if (
        schema.get("type") != "object"
        or schema.get("additionalProperties") is not False
        or any(k not in ROOT_KEYS and not k.startswith("x-") for k in schema)
    ):
        return None
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(k, str) for k in required):
        return None
    checks: dict[str, Callable[[Any], bool]] = {}
    for key, prop in props.items():
        vcheck = value_check(prop)
        if vcheck is None:
            return None
        checks[key] = vcheck
    declared = frozenset(checks)
    needed = frozenset(required)

    def check(doc: Any) -> bool:
        if type(doc) is not dict:
            return False
        keys = doc.keys()
        if not (keys <= declared and needed <= keys):
            return False
        for key, value in doc.items():
            if not checks[key](value):
                return False
        return True

    return check


# --------------------------------------------------------------------------- line decoders


def _line_type(prop: Any) -> Any:
    """The msgspec type of one property schema, or None when it cannot be exact."""
    import re
    from typing import Annotated, Literal, Union

    if not isinstance(prop, dict) or any(k not in PROP_KEYS and not k.startswith("x-") for k in prop):
        return None
    jtype = prop.get("type")
    if "enum" in prop:
        enum = prop["enum"]
        if set(prop) & (PROP_KEYS - {"type", "enum", "title", "description", "default", "examples",
                                     "deprecated", "$comment"}):
            return None
        if not isinstance(enum, list) or not enum:
            return None
        if all(type(v) is str for v in enum) and jtype in (None, "string"):
            return Literal[tuple(enum)]
        if all(type(v) is int for v in enum) and jtype in (None, "integer"):
            return Literal[tuple(enum)]
        if all(type(v) is bool for v in enum) and set(enum) == {True, False} and jtype in (None, "boolean"):
            return bool
        return None
    meta: dict[str, Any] = {}
    if jtype == "boolean":
        base: Any = bool
    elif jtype in ("integer", "number"):
        for key, arg in _NUMBER_BOUNDS.items():
            if key in prop:
                bound = prop[key]
                if type(bound) not in (int, float):
                    return None
                meta[arg] = bound
        # msgspec reads an integer of any length exactly, and as a float for a float
        # field: integers beyond 64 bits leave this shortcut, so that the values policy
        # (``inputs``) and exact comparisons decide them.
        if any(type(b) is not int or not _INT64[0] <= b <= _INT64[1] for b in meta.values()):
            if jtype == "integer" or any(type(b) is int for b in meta.values()):
                return None
            inner: Any = Annotated[int, optional.msgspec.Meta(ge=_INT64[0], le=_INT64[1])]
            return Union[inner, Annotated[float, optional.msgspec.Meta(**meta)]]  # noqa: UP007
        imeta = dict(meta)
        if "gt" not in imeta:
            imeta.setdefault("ge", _INT64[0])
        if "lt" not in imeta:
            imeta.setdefault("le", _INT64[1])
        inner = Annotated[int, optional.msgspec.Meta(**imeta)]
        if jtype == "integer":
            return inner
        return Union[inner, Annotated[float, optional.msgspec.Meta(**meta)] if meta else float]  # noqa: UP007
    elif jtype == "string":
        base = str
        for key, arg in (("maxLength", "max_length"), ("minLength", "min_length")):
            if key in prop:
                if type(prop[key]) is not int:
                    return None
                meta[arg] = prop[key]
        if "pattern" in prop:
            try:
                pattern = ecma.python_pattern(prop["pattern"])
                re.compile(pattern)
            except (TypeError, re.error):
                return None
            meta["pattern"] = pattern
    elif jtype == "array":
        items = prop.get("items")
        inner = _line_type(items) if items is not None else Any
        if inner is None:
            return None
        base = list[inner]
        for key, arg in (("maxItems", "max_length"), ("minItems", "min_length")):
            if key in prop:
                if type(prop[key]) is not int:
                    return None
                meta[arg] = prop[key]
    else:
        return None
    if (set(prop) & set(_NUMBER_BOUNDS)) and jtype not in ("integer", "number"):
        return None
    if (set(prop) & {"maxLength", "minLength", "pattern"}) and jtype != "string":
        return None
    if (set(prop) & {"items", "maxItems", "minItems"}) and jtype != "array":
        return None
    return Annotated[base, optional.msgspec.Meta(**meta)] if meta else base


def _line_struct(index: int, schema: Mapping[str, Any]) -> Any:
    """A msgspec Struct for a payload's properties, or None (see ``_line_type``)."""
    msgspec = optional.msgspec
    props = schema.get("properties")
    if (
        schema.get("type") != "object"
        or schema.get("additionalProperties") is not False
        or not isinstance(props, dict)
        or any(k not in ROOT_KEYS and not k.startswith("x-") for k in schema)
    ):
        return None
    required = schema.get("required", [])
    if not isinstance(required, list) or not set(required) <= set(props):
        return None
    fields = []
    for i, (key, prop) in enumerate(props.items()):
        ftype = _line_type(prop)
        if ftype is None or not isinstance(key, str):
            return None
        if key in required:
            fields.append((f"f{i}", ftype, msgspec.field(name=key)))
        else:
            fields.append((f"f{i}", ftype, msgspec.field(default=msgspec.UNSET, name=key)))
    return msgspec.defstruct(f"Payload{index}", fields, forbid_unknown_fields=True, kw_only=True)


class LineDecoders:
    """msgspec decoders that parse and check a whole line: one for envelopes
    (``payload`` tag), one for Segment track messages (``event`` tag), one per payload
    for bare objects.  ``names`` maps each decoded type to its payload.

    A track message that also carries a ``payload`` key is identified by that key
    (``identify``), so the track structs decode it too (however it is spelled, escapes
    included) and the caller must not take such a line as conforming here.
    """

    def __init__(self, schemas: Mapping[str, Mapping[str, Any]]):
        from typing import Literal, Union

        msgspec = optional.msgspec
        self.names: dict[type, str] = {}
        self.props: dict[str, Any] = {}
        envelopes, tracks = [], []
        for i, (name, schema) in enumerate(schemas.items()):
            struct = _line_struct(i, schema)
            if struct is None:
                continue
            self.props[name] = struct
            env = msgspec.defstruct(f"Envelope{i}", [("properties", struct)], tag_field="payload", tag=name)
            trk = msgspec.defstruct(
                f"Track{i}",
                [("properties", struct), ("type", Literal["track"], "track"), ("payload", Any, msgspec.UNSET)],
                tag_field="event", tag=name,
            )
            envelopes.append(env)
            tracks.append(trk)
            self.names[env] = self.names[trk] = name
        self.envelope = msgspec.json.Decoder(Union[tuple(envelopes)]).decode if envelopes else None  # noqa: UP007
        self.track = msgspec.json.Decoder(Union[tuple(tracks)]).decode if tracks else None  # noqa: UP007
        self._bare: dict[str, Any] = {}

    def bare(self, name: str | None) -> Any:
        """The decoder of bare objects of payload ``name`` (None when there is none, or
        when such an object could be mistaken for an envelope)."""
        if name is None or name not in self.props:
            return None
        dec = self._bare.get(name)
        if dec is None:
            fields = set(self.props[name].__struct_encode_fields__)
            if "properties" in fields and ("payload" in fields or "event" in fields):
                return None
            dec = self._bare[name] = optional.msgspec.json.Decoder(self.props[name]).decode
        return dec
