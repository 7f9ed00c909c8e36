"""Checks captured telemetry payloads against their JSON Schemas, fast, and says why not.

This is the engine behind ``gen validate`` and the captured-traffic and opt-out tests of
the generated conformance suite.  The suite must run where the ``generator`` package is
not installed, so the conformance target copies this file verbatim into
``generated/conformance/_payload_check.py``: this module imports nothing from
``generator`` and needs only the standard library and ``jsonschema``.  Three optional
libraries make it fast, each only ever a shortcut to "this document conforms":

* ``msgspec``: each payload schema of the usual shape is compiled to a Struct, and a
  whole NDJSON line is parsed and checked in one C call (``_LineDecoders``);
* ``orjson`` + ``jsonschema_rs``: parse, then one compiled ``is_valid`` call;
* otherwise the standard library parser and ``jsonschema``.

A line any shortcut rejects goes on to the next, and only documents that really fail
get the detailed diagnosis (the reference ``jsonschema`` validator, property by
property), so the report is the same whichever libraries are installed.

Accepted document shapes (one document per NDJSON line, or a ``.json`` file holding one
document or an array of documents):

* an envelope ``{"payload": "<wire name>", "properties": {...}}``;
* a Segment-style ``track`` message ``{"type": "track", "event": "<wire name>",
  "properties": {...}, ...}`` (only ``properties`` is checked; other Segment message
  types are reported as unsupported);
* a bare property object, whose payload is named by ``--payload``, else by the file name
  (``config_service.ndjson``), else by the folder holding the file (``config_service/``).

What is reported, per payload: undeclared keys (anything the schema does not declare:
a possible privacy leak), type mismatches, missing required keys, values outside an
enumeration, other invalid values; and unknown payload names.  Bad input never stops a
run: a malformed line, a non-object, a document over ``MAX_DOCUMENT_BYTES`` (skipped
without being parsed or even held in memory) or nested deeper than ``MAX_DEPTH`` is
reported with its file and line, and the rest is still checked.  (A document that
conforms cannot be deep: its schema bounds the nesting of what is checked.)  Memory
stays flat for input of any length: NDJSON is read a block at a time, and every table
in a report is capped.  With ``jobs > 1`` large files are cut into byte ranges that
worker processes read themselves; tallies merge in input order.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import nullcontext
from typing import Any, NamedTuple

try:  # optional, for speed only
    import orjson as _orjson
except ImportError:  # pragma: no cover - exercised by the generated suite's tests
    _orjson = None
try:  # optional, for speed only
    import jsonschema_rs as _jsonschema_rs
except ImportError:  # pragma: no cover - exercised by the generated suite's tests
    _jsonschema_rs = None
try:  # optional, for speed only
    import msgspec as _msgspec
except ImportError:  # pragma: no cover - exercised by the generated suite's tests
    _msgspec = None

MAX_DOCUMENT_BYTES = 1 << 20  # one NDJSON line (or one .json item) larger than this is skipped
MAX_JSON_FILE_BYTES = 64 << 20  # a whole .json file is parsed at once, so it is capped too
MAX_DEPTH = 64  # telemetry payloads are flat; deeper documents are reported, not diagnosed
MAX_FAILURES = 1000  # failing documents listed one by one (all are counted)
MAX_TABLE = 1000  # distinct entries per table (undeclared keys, unknown names, ...)
BATCH_LINES = 4096  # lines per unit of work (a --jobs worker's task)
NDJSON_SUFFIXES = (".ndjson", ".jsonl")
JSON_SUFFIXES = (".json",)

# Problem kinds, in report order.
UNDECLARED = "undeclared-key"
TYPE_MISMATCH = "type-mismatch"
MISSING = "missing-key"
NOT_ALLOWED = "value-not-allowed"
INVALID = "invalid-value"
UNKNOWN = "unknown-payload"
NO_NAME = "no-payload-name"
UNSUPPORTED = "unsupported-message"
MALFORMED = "malformed-json"
NOT_OBJECT = "not-an-object"
TOO_LARGE = "too-large"
TOO_DEEP = "too-deep"
UNREADABLE = "unreadable"

PAYLOAD_PROBLEMS = (UNDECLARED, TYPE_MISMATCH, MISSING, NOT_ALLOWED, INVALID)
INPUT_PROBLEMS = (NO_NAME, UNSUPPORTED, MALFORMED, NOT_OBJECT, TOO_LARGE, TOO_DEEP, UNREADABLE)
_UNIDENTIFIED = frozenset((UNKNOWN,) + INPUT_PROBLEMS)
_TITLES = {
    UNDECLARED: "undeclared key",
    TYPE_MISMATCH: "type mismatch",
    MISSING: "missing key",
    NOT_ALLOWED: "value not allowed",
    INVALID: "invalid value",
    UNKNOWN: "unknown payload name",
    NO_NAME: "no payload name",
    UNSUPPORTED: "unsupported message",
    MALFORMED: "malformed JSON",
    NOT_OBJECT: "not a JSON object",
    TOO_LARGE: "document too large",
    TOO_DEEP: "nested too deep",
    UNREADABLE: "unreadable",
}


class Problem(NamedTuple):
    """One reason a document does not conform: its kind, the key concerned (if any) and
    a short detail (never a whole captured value)."""

    kind: str
    key: str | None = None
    detail: str = ""

    def text(self) -> str:
        title = _TITLES.get(self.kind, self.kind)
        out = f"{title} {_quote(self.key)}" if self.key is not None else title
        return f"{out}: {self.detail}" if self.detail else out

    def as_dict(self) -> dict:
        return {"problem": self.kind, "key": self.key, "detail": self.detail}


class Where(NamedTuple):
    """Where a document was read: file label, 1-based line (0 if unknown) and, for the
    items of a ``.json`` array, the 0-based item index."""

    file: str
    line: int = 0
    item: int | None = None

    def __str__(self) -> str:
        out = self.file
        if self.line:
            out += f":{self.line}"
        if self.item is not None:
            out += f"[{self.item}]"
        return out


def _quote(text: Any, limit: int = 80) -> str:
    s = str(text)
    if len(s) > limit:
        s = s[: limit - 3] + "..."
    return repr(s)


def _short(value: Any, limit: int = 60) -> str:
    """A value for a message, cut short: captured data may be large or personal."""
    try:
        s = json.dumps(value, ensure_ascii=False)
        s.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a "\ud800" escape
        s = json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        s = repr(value)
    return s if len(s) <= limit else s[: limit - 3] + "..."


def json_type(value: Any) -> str:
    """The JSON type name of a parsed value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """True when containers nest more than ``limit`` levels (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        obj, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(obj, dict):
            stack.extend((v, depth + 1) for v in obj.values() if isinstance(v, (dict, list)))
        elif isinstance(obj, list):
            stack.extend((v, depth + 1) for v in obj if isinstance(v, (dict, list)))
    return False


# --------------------------------------------------------------------------- parsing


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse_slow(data: bytes | str) -> tuple[Any, Problem | None]:
    """The standard library parser, with its errors turned into problems."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return None, Problem(MALFORMED, None, f"not UTF-8 (byte {exc.start + 1})")
    try:
        return json.loads(data, parse_constant=_reject_constant), None
    except RecursionError:
        return None, Problem(TOO_DEEP, None, f"more than {MAX_DEPTH} levels")
    except json.JSONDecodeError as exc:
        return None, Problem(MALFORMED, None, f"{exc.msg} (column {exc.colno})")
    except (ValueError, UnicodeDecodeError) as exc:
        return None, Problem(MALFORMED, None, str(exc).split("\n")[0][:200])


def parse(data: bytes | str) -> tuple[Any, Problem | None]:
    """Parse one JSON document: ``(value, None)`` or ``(None, problem)``."""
    if _orjson is not None:
        try:
            return _orjson.loads(data), None
        except _orjson.JSONDecodeError as exc:
            if "depth" in exc.msg or "recursion" in exc.msg.lower():
                return None, Problem(TOO_DEEP, None, f"more than {MAX_DEPTH} levels")
            # orjson rejects a few documents the standard library reads (integers beyond
            # 64 bits); let it decide, and report its wording otherwise.
    return _parse_slow(data)


# --------------------------------------------------------------------------- checking


# Keywords the specialised checkers (Python and msgspec) handle exactly; a schema using
# any other keyword is left to jsonschema_rs / jsonschema.
_PROP_KEYS = frozenset({
    "type", "enum", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "maxLength", "minLength", "pattern", "items", "maxItems", "minItems",
    "title", "description", "default", "examples", "deprecated", "$comment",
})
_ROOT_KEYS = frozenset({
    "$schema", "$id", "$comment", "title", "description", "type", "properties",
    "required", "additionalProperties", "examples", "default", "deprecated",
})


def _fast_validator(schema: Mapping) -> Callable[[Any], bool]:
    """A compiled ``is_valid`` for a schema: jsonschema_rs when present, else a Python
    function specialised for the schema (``_python_check``), else jsonschema's."""
    if _jsonschema_rs is not None:
        try:
            return _jsonschema_rs.Draft202012Validator(schema).is_valid
        except Exception:  # noqa: BLE001, S110 - a schema it cannot compile: use another
            pass
    check = _python_check(schema)
    if check is not None:
        return check
    import jsonschema

    return jsonschema.Draft202012Validator(schema).is_valid


def _numeric(v: Any) -> bool:
    """A JSON number (booleans are not numbers, unlike in Python)."""
    return type(v) is int or type(v) is float


def _is_integer(v: Any) -> bool:
    t = type(v)
    return t is int or (t is float and v.is_integer())


def _value_check(prop: Any) -> Callable[[Any], bool] | None:
    """A Python predicate equal to the reference validator on one property schema, for
    the keywords payload schemas use (``_PROP_KEYS``); None for anything else."""
    import re

    if not isinstance(prop, dict) or any(k not in _PROP_KEYS and not k.startswith("x-") for k in prop):
        return None
    jtype = prop.get("type")
    tests: list[Callable[[Any], bool]] = []
    if jtype == "boolean":
        tests.append(lambda v: v is True or v is False)
    elif jtype == "integer":
        tests.append(_is_integer)
    elif jtype == "number":
        tests.append(lambda v: type(v) is int or type(v) is float)
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
    for key, op in (("minimum", "ge"), ("maximum", "le"), ("exclusiveMinimum", "gt"), ("exclusiveMaximum", "lt")):
        if key in prop:
            bound = prop[key]
            if type(bound) not in (int, float):
                return None
            if op == "ge":
                tests.append(lambda v, b=bound: not _numeric(v) or v >= b)
            elif op == "le":
                tests.append(lambda v, b=bound: not _numeric(v) or v <= b)
            elif op == "gt":
                tests.append(lambda v, b=bound: not _numeric(v) or v > b)
            else:
                tests.append(lambda v, b=bound: not _numeric(v) or v < b)
    for key, longer in (("maxLength", False), ("minLength", True), ("maxItems", False), ("minItems", True)):
        if key in prop:
            n = prop[key]
            if type(n) is not int:
                return None
            kind = str if key.endswith("Length") else list
            if longer:
                tests.append(lambda v, n=n, k=kind: type(v) is not k or len(v) >= n)
            else:
                tests.append(lambda v, n=n, k=kind: type(v) is not k or len(v) <= n)
    if "pattern" in prop:
        try:
            search = re.compile(prop["pattern"]).search
        except (TypeError, re.error):
            return None
        tests.append(lambda v: type(v) is not str or search(v) is not None)
    if "items" in prop:
        item = _value_check(prop["items"])
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


def _python_check(schema: Mapping) -> Callable[[Any], bool] | None:
    """A Python ``is_valid`` specialised for a payload schema of the usual shape (an
    object of declared properties, ``additionalProperties: false``), or for a property
    schema; None when the schema uses a keyword this does not handle exactly."""
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict):
        return _value_check(schema)
    if (
        schema.get("type") != "object"
        or schema.get("additionalProperties") is not False
        or any(k not in _ROOT_KEYS and not k.startswith("x-") for k in schema)
    ):
        return None
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(k, str) for k in required):
        return None
    checks = {}
    for key, prop in props.items():
        check = _value_check(prop)
        if check is None:
            return None
        checks[key] = check
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


def _reference_validator(schema: Mapping):
    import jsonschema

    return jsonschema.Draft202012Validator(schema)


# Root keywords that can make an undeclared key legal or a declared one required
# conditionally: schemas using them are diagnosed by the reference validator alone.
_NOT_SIMPLE = frozenset({
    "patternProperties", "unevaluatedProperties", "propertyNames", "dependentRequired",
    "dependentSchemas", "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "$ref",
    "$dynamicRef",
})


class _Diagnosis:
    """Explains why one payload's properties failed its schema, key by key.

    For the usual shape (an object schema with ``properties``, ``required`` and
    ``additionalProperties: false``) undeclared and missing keys come from set
    arithmetic and only the failing properties are run through the reference
    validator, so even a stream where every document fails is diagnosed quickly.  Any
    other schema shape (or a disagreement between the fast and the reference validator)
    falls back to the reference validator on the whole document.
    """

    def __init__(self, schema: Mapping):
        self.schema = schema
        props = schema.get("properties")
        self.simple = (
            isinstance(props, dict)
            and schema.get("additionalProperties") is False
            and schema.get("type") == "object"
            and not (set(schema) & _NOT_SIMPLE)
        )
        self.props: Mapping = props if isinstance(props, dict) else {}
        self.required = [k for k in schema.get("required", ()) if isinstance(k, str)]
        self._prop_fast: dict[str, Callable[[Any], bool]] = {}
        self._prop_ref: dict[str, Any] = {}
        self._whole = None

    def _sub(self, key: str) -> dict:
        sub = dict(self.props[key]) if isinstance(self.props[key], dict) else {}
        if "$defs" in self.schema:
            sub.setdefault("$defs", self.schema["$defs"])
        return sub

    def _prop_ok(self, key: str, value: Any) -> bool:
        check = self._prop_fast.get(key)
        if check is None:
            check = self._prop_fast[key] = _fast_validator(self._sub(key))
        try:
            return check(value)
        except Exception:  # noqa: BLE001 - e.g. a lone surrogate jsonschema_rs cannot take
            return False

    def _classify(self, key: str, value: Any) -> list[Problem]:
        ref = self._prop_ref.get(key)
        if ref is None:
            ref = self._prop_ref[key] = _reference_validator(self._sub(key))
        return [_problem_from_error(key, value, err) for err in ref.iter_errors(value)]

    def problems(self, props: Any) -> list[Problem]:
        if not isinstance(props, dict):
            return [Problem(NOT_OBJECT, None, f"properties are {json_type(props)}")]
        out: list[Problem] = []
        if self.simple:
            declared = self.props
            out.extend(Problem(UNDECLARED, k) for k in props if k not in declared)
            out.extend(Problem(MISSING, k) for k in self.required if k not in props)
            for k, v in props.items():
                if k in declared and not self._prop_ok(k, v):
                    out.extend(self._classify(k, v))
            if out:
                return out
        if self._whole is None:
            self._whole = _reference_validator(self.schema)
        for err in self._whole.iter_errors(props):
            out.extend(_problems_from_root_error(props, self.props, err))
        return out  # empty: a fast validator disagreed; the reference has the last word


def _problem_from_error(key: str, value: Any, err) -> Problem:
    """A reference-validator error inside property ``key`` as a problem."""
    where = "".join(f"[{p}]" for p in err.absolute_path)
    name = f"{key}{where}"
    inst = err.instance
    v, vv = err.validator, err.validator_value
    if v == "type":
        expected = " or ".join(vv) if isinstance(vv, list) else str(vv)
        return Problem(TYPE_MISMATCH, name, f"expected {expected}, got {json_type(inst)}")
    if v in ("enum", "const"):
        allowed = vv if v == "enum" else [vv]
        return Problem(NOT_ALLOWED, name, f"{_short(inst)} is not one of {_short(allowed, 80)}")
    if v == "pattern":
        return Problem(INVALID, name, f"{_short(inst)} does not match {vv}")
    if v in ("maxLength", "minLength"):
        n = len(inst) if isinstance(inst, str) else "?"
        word = "longer" if v == "maxLength" else "shorter"
        return Problem(INVALID, name, f"{n} characters, {word} than the limit {vv}")
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return Problem(INVALID, name, f"{_short(inst)} is outside {v} {vv}")
    if v in ("maxItems", "minItems"):
        n = len(inst) if isinstance(inst, list) else "?"
        return Problem(INVALID, name, f"{n} items, {v} is {vv}")
    return Problem(INVALID, name, f"fails {v!r} {_short(vv, 40)}")


def _problems_from_root_error(props: dict, declared: Mapping, err) -> list[Problem]:
    path = list(err.absolute_path)
    if path:
        key = str(path[0])
        sub = type(err)(err.message, validator=err.validator, validator_value=err.validator_value,
                        instance=err.instance, path=path[1:])
        return [_problem_from_error(key, props.get(key), sub)]
    if err.validator in ("additionalProperties", "unevaluatedProperties"):
        return [Problem(UNDECLARED, k) for k in props if k not in declared] or [
            Problem(UNDECLARED, None, err.message[:200])
        ]
    if err.validator == "required":
        return [Problem(MISSING, k) for k in err.validator_value if k not in props]
    if err.validator == "type":
        return [Problem(NOT_OBJECT, None, f"properties are {json_type(props)}")]
    return [Problem(INVALID, None, f"fails {err.validator!r}")]



# --------------------------------------------------------------------------- line decoders
#
# The fastest path parses and checks a whole NDJSON line in one C call: each payload
# schema of the usual shape is compiled to a msgspec Struct that accepts exactly what the
# schema accepts (or less: anything it rejects goes on to the orjson + validator path,
# which has the last word).  Only keywords with an exact msgspec equivalent are
# compiled; a schema with any other keyword simply has no line decoder.

_NUMBER_BOUNDS = {"minimum": "ge", "maximum": "le", "exclusiveMinimum": "gt", "exclusiveMaximum": "lt"}


def _ecma_pattern(pattern: str) -> str:
    """A JSON Schema (ECMA-262) pattern for Python's ``re``: ASCII classes, and a final
    ``$`` that does not match before a trailing newline."""
    if pattern.endswith("$") and not pattern.endswith("\\$") and not pattern.endswith("(?!\\n)"):
        pattern += "(?!\\n)"
    return "(?a)" + pattern


def _line_type(prop: Any) -> Any:
    """The msgspec type of one property schema, or None when it cannot be exact."""
    import re
    from typing import Annotated, Literal

    if not isinstance(prop, dict) or any(k not in _PROP_KEYS and not k.startswith("x-") for k in prop):
        return None
    jtype = prop.get("type")
    if "enum" in prop:
        enum = prop["enum"]
        if set(prop) & (_PROP_KEYS - {"type", "enum", "title", "description", "default", "examples",
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
        base = int if jtype == "integer" else float
        for key, arg in _NUMBER_BOUNDS.items():
            if key in prop:
                bound = prop[key]
                if type(bound) not in (int, float):
                    return None
                meta[arg] = bound
    elif jtype == "string":
        base = str
        for key, arg in (("maxLength", "max_length"), ("minLength", "min_length")):
            if key in prop:
                if type(prop[key]) is not int:
                    return None
                meta[arg] = prop[key]
        if "pattern" in prop:
            try:
                pattern = _ecma_pattern(prop["pattern"])
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
    return Annotated[base, _msgspec.Meta(**meta)] if meta else base


def _line_struct(index: int, schema: Mapping) -> Any:
    """A msgspec Struct for a payload's properties, or None (see ``_line_type``)."""
    props = schema.get("properties")
    if (
        schema.get("type") != "object"
        or schema.get("additionalProperties") is not False
        or not isinstance(props, dict)
        or any(k not in _ROOT_KEYS and not k.startswith("x-") for k in schema)
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
            fields.append((f"f{i}", ftype, _msgspec.field(name=key)))
        else:
            fields.append((f"f{i}", ftype, _msgspec.field(default=_msgspec.UNSET, name=key)))
    return _msgspec.defstruct(f"Payload{index}", fields, forbid_unknown_fields=True, kw_only=True)


class _LineDecoders:
    """msgspec decoders that parse and check a whole line: one for envelopes
    (``payload`` tag), one for Segment track messages (``event`` tag), one per payload
    for bare objects.  ``names`` maps each decoded type to its payload."""

    def __init__(self, schemas: Mapping[str, Mapping]):
        from typing import Literal, Union

        self.names: dict[type, str] = {}
        self.props: dict[str, Any] = {}
        envelopes, tracks = [], []
        for i, (name, schema) in enumerate(schemas.items()):
            struct = _line_struct(i, schema)
            if struct is None:
                continue
            self.props[name] = struct
            env = _msgspec.defstruct(f"Envelope{i}", [("properties", struct)], tag_field="payload", tag=name)
            trk = _msgspec.defstruct(
                f"Track{i}", [("properties", struct), ("type", Literal["track"], "track")],
                tag_field="event", tag=name,
            )
            envelopes.append(env)
            tracks.append(trk)
            self.names[env] = self.names[trk] = name
        self.envelope = _msgspec.json.Decoder(Union[tuple(envelopes)]).decode if envelopes else None  # noqa: UP007
        self.track = _msgspec.json.Decoder(Union[tuple(tracks)]).decode if tracks else None  # noqa: UP007
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
            dec = self._bare[name] = _msgspec.json.Decoder(self.props[name]).decode
        return dec


class Checker:
    """Holds one compiled validator per payload name; checks documents and properties.

    ``schemas`` maps wire names to JSON Schemas (draft 2020-12).  Validators and
    diagnoses are built on first use, so a run only pays for the payloads it meets.
    """

    def __init__(self, schemas: Mapping[str, Mapping]):
        self.schemas = dict(schemas)
        self._fast: dict[str, Callable[[Any], bool]] = {}
        self._diag: dict[str, _Diagnosis] = {}
        self._lines: _LineDecoders | None | bool = None

    def line_decoders(self) -> _LineDecoders | None:
        """The whole-line decoders (None without msgspec); built on first use."""
        if self._lines is None:
            self._lines = _LineDecoders(self.schemas) if _msgspec is not None else False
        return self._lines or None

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.schemas)

    def validator(self, name: str) -> Callable[[Any], bool] | None:
        """The fast ``is_valid`` for a payload name (None for an unknown name)."""
        check = self._fast.get(name)
        if check is None and name in self.schemas:
            check = self._fast[name] = _fast_validator(self.schemas[name])
        return check

    def problems(self, name: str | None, properties: Any) -> list[Problem]:
        """Everything wrong with one payload's properties ([] when it conforms)."""
        if name is None:
            return [Problem(NO_NAME, None, "the document does not say which payload it is")]
        check = self.validator(name)
        if check is None:
            return [Problem(UNKNOWN, name)]
        try:
            if check(properties):
                return []
        except Exception:  # noqa: BLE001, S110 - e.g. a lone surrogate: diagnosed below
            pass
        if isinstance(properties, (dict, list)) and too_deep(properties):
            return [Problem(TOO_DEEP, None, f"more than {MAX_DEPTH} levels")]
        diag = self._diag.get(name)
        if diag is None:
            diag = self._diag[name] = _Diagnosis(self.schemas[name])
        return diag.problems(properties)

    def check_document(self, doc: Any, default_name: str | None = None) -> tuple[str | None, list[Problem]]:
        """Identify a parsed document's payload (envelope, Segment ``track`` message or
        bare properties named by ``default_name``) and check it."""
        if isinstance(doc, (dict, list)) and too_deep(doc):
            return None, [Problem(TOO_DEEP, None, f"more than {MAX_DEPTH} levels")]
        name, props, problem = identify(doc, default_name)
        if problem is not None:
            return name, [problem]
        return name, self.problems(name, props)


def identify(doc: Any, default_name: str | None) -> tuple[str | None, Any, Problem | None]:
    """Which payload a parsed document is, and its properties.

    ``{"payload": name, "properties": {...}}`` and ``{"event": name, "properties":
    {...}}`` (a Segment ``track`` message) name themselves; anything else is a bare
    property object named by ``default_name``.
    """
    if not isinstance(doc, dict):
        return None, None, Problem(NOT_OBJECT, None, json_type(doc))
    if "properties" in doc:
        name = doc.get("payload")
        if isinstance(name, str):
            return name, doc["properties"], None
        name = doc.get("event")
        if isinstance(name, str):
            mtype = doc.get("type", "track")
            if mtype != "track":
                return name, None, Problem(UNSUPPORTED, None, f"Segment message type {_short(mtype)}")
            return name, doc["properties"], None
    mtype = doc.get("type")
    if isinstance(mtype, str) and mtype in _SEGMENT_OTHER and ("messageId" in doc or "userId" in doc or "anonymousId" in doc):
        return None, None, Problem(UNSUPPORTED, None, f"Segment {mtype!r} message (only track messages carry payloads)")
    if default_name is None:
        return None, None, Problem(
            NO_NAME, None,
            'use {"payload": NAME, "properties": {...}}, a Segment track message, a file or '
            "folder named after the payload, or --payload NAME",
        )
    return default_name, doc, None


_SEGMENT_OTHER = frozenset({"identify", "page", "screen", "group", "alias"})


# --------------------------------------------------------------------------- results


class Tally:
    """What a run found.  Every table is capped, so a tally stays small however long
    the input; tallies of consecutive chunks merge (``merge``) into the tally of the
    whole, with each problem's first location kept."""

    def __init__(self) -> None:
        self.documents = 0
        self.conforming: dict[str, int] = {}  # payload -> conforming documents
        self.failing: dict[str | None, int] = {}  # payload (None: unidentified) -> failing documents
        # (payload, kind, key, detail-group) -> [count, first Where, example detail]
        self.problems: dict[tuple, list] = {}
        self.problems_dropped = 0  # distinct problems beyond MAX_TABLE (still counted)
        self.failures: list[tuple[Where, str | None, list[Problem]]] = []
        self.failures_dropped = 0

    @property
    def failing_documents(self) -> int:
        return sum(self.failing.values())

    @property
    def conforming_documents(self) -> int:
        return sum(self.conforming.values())

    @property
    def ok(self) -> bool:
        return not self.failing

    def add_failure(self, where: Where, name: str | None, problems: list[Problem]) -> None:
        """Record one failing document (under ``None`` when its payload is unknown)."""
        if problems and problems[0].kind in _UNIDENTIFIED:
            name = None
        self.failing[name] = self.failing.get(name, 0) + 1
        if len(self.failures) < MAX_FAILURES:
            self.failures.append((where, name, problems))
        else:
            self.failures_dropped += 1
        seen = set()
        for p in problems:
            group = p.detail if p.kind == TYPE_MISMATCH else ""
            tkey = (name, p.kind, p.key, group)
            if tkey in seen:
                continue
            seen.add(tkey)
            entry = self.problems.get(tkey)
            if entry is not None:
                entry[0] += 1
            elif len(self.problems) < MAX_TABLE:
                self.problems[tkey] = [1, where, p.detail]
            else:
                self.problems_dropped += 1

    def merge(self, later: Tally) -> None:
        """Add the tally of input that came after this one's."""
        self.documents += later.documents
        for name, n in later.conforming.items():
            self.conforming[name] = self.conforming.get(name, 0) + n
        for name, n in later.failing.items():
            self.failing[name] = self.failing.get(name, 0) + n
        for tkey, (n, where, detail) in later.problems.items():
            entry = self.problems.get(tkey)
            if entry is not None:
                entry[0] += n
            elif len(self.problems) < MAX_TABLE:
                self.problems[tkey] = [n, where, detail]
            else:
                self.problems_dropped += n
        self.problems_dropped += later.problems_dropped
        room = MAX_FAILURES - len(self.failures)
        self.failures.extend(later.failures[:room])
        self.failures_dropped += later.failures_dropped + max(0, len(later.failures) - room)

    def shift_lines(self, offset: int) -> None:
        """Add ``offset`` to every line number (the tally of a range of a file, whose
        lines were counted from the range's start)."""
        if not offset:
            return
        self.failures = [(w._replace(line=w.line + offset) if w.line else w, n, p) for w, n, p in self.failures]
        for entry in self.problems.values():
            w = entry[1]
            if w.line:
                entry[1] = w._replace(line=w.line + offset)

    # ---- views

    def payload_names(self) -> list[str]:
        names = set(self.conforming) | {n for n in self.failing if n is not None}
        names |= {t[0] for t in self.problems if t[0] is not None}
        return sorted(names)

    def table(self, name: str | None, kinds: Iterable[str]) -> list[dict]:
        """Aggregated problems of one payload (or of unidentified documents), by kind."""
        order = {k: i for i, k in enumerate(kinds)}
        rows = [
            {"problem": k, "key": key, "detail": detail, "count": n, "first": str(where)}
            for (pname, k, key, _g), (n, where, detail) in self.problems.items()
            if pname == name and k in order
        ]
        rows.sort(key=lambda r: (order[r["problem"]], -r["count"], str(r["key"])))
        return rows

    def as_dict(self) -> dict:
        """The machine-readable report (``gen validate --format json``)."""
        payloads = {}
        for name in self.payload_names():
            payloads[name] = {
                "documents": self.conforming.get(name, 0) + self.failing.get(name, 0),
                "failing": self.failing.get(name, 0),
                "problems": self.table(name, PAYLOAD_PROBLEMS),
            }
        unknown = self.table(None, (UNKNOWN,))
        return {
            "ok": self.ok,
            "documents": self.documents,
            "conforming": self.conforming_documents,
            "failing": self.failing_documents,
            "payloads": payloads,
            "unknown_payloads": [{"name": r["key"], "count": r["count"], "first": r["first"]} for r in unknown],
            "unreadable": self.table(None, INPUT_PROBLEMS),
            "problems_not_tabulated": self.problems_dropped,
            "failures": [
                {
                    "location": str(w),
                    "file": w.file,
                    "line": w.line,
                    "item": w.item,
                    "payload": name,
                    "problems": [p.as_dict() for p in probs],
                }
                for w, name, probs in self.failures
            ],
            "failures_not_listed": self.failures_dropped,
        }


def format_failure(where: Where, name: str | None, problems: list[Problem]) -> str:
    """One line per failing document: ``file:line: payload: problem; problem``."""
    head = f"{where}: " + (f"{name}: " if name is not None and problems[0].kind != UNKNOWN else "")
    return head + "; ".join(p.text() for p in problems)


def format_text(tally: Tally, max_failures: int = 50, title: str = "gen validate") -> str:
    """The human report: failing documents (first few), then a per-payload summary."""
    lines: list[str] = []
    for where, name, probs in tally.failures[:max_failures]:
        lines.append(format_failure(where, name, probs))
    more = tally.failures_dropped + max(0, len(tally.failures) - max_failures)
    if more:
        lines.append(f"... and {more} more failing document(s) (use --format json for up to {MAX_FAILURES})")
    bad = [n for n in tally.payload_names() if tally.failing.get(n)]
    if bad:
        lines.append("")
        lines.append("Per payload:")
    for name in bad:
        total = tally.conforming.get(name, 0) + tally.failing.get(name, 0)
        lines.append(f"  {name}: {total} document(s), {tally.failing[name]} failing")
        for r in tally.table(name, PAYLOAD_PROBLEMS):
            lines.append("    " + _row_text(r))
    unknown = tally.table(None, (UNKNOWN,))
    if unknown:
        lines.append("")
        lines.append("Unknown payload names:")
        for r in unknown:
            lines.append(f"  {_quote(r['key'])}: {r['count']} document(s) (first at {r['first']})")
    unread = tally.table(None, INPUT_PROBLEMS)
    if unread:
        lines.append("")
        lines.append("Unreadable or unidentified documents:")
        for r in unread:
            lines.append(f"  {_TITLES[r['problem']]}: {r['count']} document(s) (first at {r['first']})")
    if tally.problems_dropped:
        lines.append(f"  ({tally.problems_dropped} further distinct problem(s) not tabulated)")
    if lines:
        lines.append("")
    lines.append(
        f"{title}: {tally.documents} document(s) checked, {tally.conforming_documents} conform"
        + ("" if tally.ok else f", {tally.failing_documents} do not")
        + ("" if tally.documents else " (no documents found)")
        + ("." if tally.ok else "")
    )
    return "\n".join(lines) + "\n"


def _row_text(r: dict) -> str:
    p = Problem(r["problem"], r["key"], r["detail"])
    return f"{p.text()}: {r['count']} document(s) (first at {r['first']})"


# --------------------------------------------------------------------------- input


class Source(NamedTuple):
    """One input: a file path (None for standard input), its label in reports, its
    format ("ndjson" or "json") and the payload name its bare objects default to."""

    path: str | None
    label: str
    format: str
    default_name: str | None


class UsageError(Exception):
    """Inputs that cannot be checked at all (a missing path); the CLI exits 2."""


def _default_name(path: str, names: frozenset[str]) -> str | None:
    base = os.path.basename(path)
    stem = base.split(".", 1)[0] if not base.startswith(".") else base
    if stem in names:
        return stem
    parent = os.path.basename(os.path.dirname(os.path.abspath(path)))
    return parent if parent in names else None


def _format_of(path: str) -> str:
    low = path.lower()
    return "json" if low.endswith(JSON_SUFFIXES) else "ndjson"


def sources(paths: Iterable[str], names: frozenset[str], payload: str | None = None) -> list[Source]:
    """The inputs named on a command line: files, folders (their ``.json``, ``.ndjson``
    and ``.jsonl`` files, recursively, in name order) and ``-`` for standard input.

    Raises ``UsageError`` listing every path that does not exist.
    """
    out: list[Source] = []
    missing = []
    for arg in paths:
        if arg == "-":
            out.append(Source(None, "<stdin>", "ndjson", payload))
        elif os.path.isdir(arg):
            for root, dirs, files in os.walk(arg):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for fname in sorted(files):
                    if fname.startswith(".") or not fname.lower().endswith(JSON_SUFFIXES + NDJSON_SUFFIXES):
                        continue
                    full = os.path.join(root, fname)
                    label = full.replace(os.sep, "/")
                    out.append(Source(full, label, _format_of(fname), payload or _default_name(full, names)))
        elif os.path.exists(arg):
            out.append(Source(arg, arg.replace(os.sep, "/"), _format_of(arg), payload or _default_name(arg, names)))
        else:
            missing.append(arg)
    if missing:
        raise UsageError("no such file or folder: " + ", ".join(missing))
    return out


READ_BLOCK = 1 << 20  # bytes read at a time from an NDJSON input
BATCH_BYTES = 8 << 20  # a unit of work holds at most about this much input


def _line_blocks(fh, cap: int = MAX_DOCUMENT_BYTES) -> Iterator[list]:
    """The lines of a binary stream, a block at a time, without their newlines.

    Reads fixed-size blocks and splits them in C, so the per-line cost is tiny.  A line
    longer than ``cap`` comes out as its length (an int) and is never held whole: once
    the unfinished tail of a block passes ``cap`` it is dropped and only counted until
    its newline arrives.
    """
    read = fh.read1 if hasattr(fh, "read1") else fh.read
    carry = b""
    skipping = -1  # >= 0: bytes of an oversized line seen so far, its end not yet read
    while True:
        block = read(READ_BLOCK)
        if not block:
            break
        if skipping >= 0:
            end = block.find(b"\n")
            if end < 0:
                skipping += len(block)
                continue
            out: list = [skipping + end]
            skipping = -1
            block = block[end + 1:]
        else:
            out = []
        parts = block.split(b"\n")
        if carry:
            parts[0] = carry + parts[0]
        carry = parts.pop()
        if len(carry) > cap:
            skipping, carry = len(carry), b""
        if parts and max(map(len, parts)) > cap:
            parts = [len(x) if len(x) > cap else x for x in parts]
        if out:
            out.extend(parts)
            parts = out
        if parts:
            yield parts
    if skipping >= 0:
        yield [skipping]
    elif carry:
        yield [carry]


# A unit of work: (source, first line number, payload).  payload is a list of lines
# (bytes, or an int for an oversized line) for NDJSON, the bytes of a whole .json file,
# or a Problem (the input could not be read).
Batch = tuple


def batches(srcs: Iterable[Source], cap: int = MAX_DOCUMENT_BYTES) -> Iterator[Batch]:
    """Cut the inputs into units of work of at most ``BATCH_LINES`` lines (or about
    ``BATCH_BYTES``), streaming each NDJSON input: memory does not grow with its length."""
    for src in srcs:
        lineno = 1
        try:
            if src.format == "json":
                with open(src.path, "rb") as fh:
                    data = fh.read(MAX_JSON_FILE_BYTES + 1)
                if len(data) > MAX_JSON_FILE_BYTES:
                    size = os.path.getsize(src.path)
                    yield (src, 0, Problem(TOO_LARGE, None, f"{size} bytes; a .json file may hold at most "
                                           f"{MAX_JSON_FILE_BYTES} (use NDJSON for large captures)"))
                else:
                    yield (src, 1, data)
                continue
            with nullcontext(sys.stdin.buffer) if src.path is None else open(src.path, "rb") as fh:
                lines: list = []
                size = 0
                for block in _line_blocks(fh, cap):
                    lines.extend(block)
                    size += READ_BLOCK
                    if len(lines) >= BATCH_LINES or size >= BATCH_BYTES:
                        yield (src, lineno, lines)
                        lineno += len(lines)
                        lines, size = [], 0
                if lines:
                    yield (src, lineno, lines)
        except OSError as exc:
            yield (src, lineno, Problem(UNREADABLE, None, exc.strerror or str(exc)))


def check_batch(checker: Checker, batch: Batch, cap: int = MAX_DOCUMENT_BYTES) -> Tally:
    """Check one unit of work; the hot loop of the whole tool.

    A document whose shape is recognised and whose properties pass the compiled
    validator costs one parse and one ``is_valid`` call; everything else goes through
    ``Checker.check_document``, which says why.  The cyclic garbage collector is paused
    meanwhile: parsed JSON holds no reference cycles, and the collector's passes over
    every freshly parsed dict would otherwise cost a fifth of the time.
    """
    src, first, body = batch
    tally = Tally()
    label, default = src.label, src.default_name
    if isinstance(body, Problem):
        tally.documents += 1
        tally.add_failure(Where(label, first), None, [body])
        return tally
    if isinstance(body, bytes):
        _check_json_file(checker, label, default, body, tally, cap)
        return tally
    conforming = tally.conforming
    loads = _orjson.loads if _orjson is not None else None
    fast = checker._fast
    schemas = checker.schemas
    documents = 0
    # The line decoder tried first is the one that fitted the last identified document.
    lines = checker.line_decoders()
    if lines is not None:
        shapes = {"payload": (lines.envelope, None), "event": (lines.track, None)}
        bare = lines.bare(default)
        if bare is not None:
            shapes["bare"] = (bare, default)
        decode, decoded_name = shapes["payload"] if default is None or bare is None else shapes["bare"]
        type_names = lines.names
    else:
        shapes, decode, decoded_name, type_names = {}, None, None, {}
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        lineno = first - 1
        for line in body:
            lineno += 1
            if line.__class__ is int:
                documents += 1
                tally.add_failure(Where(label, lineno), None,
                                  [Problem(TOO_LARGE, None, f"{line} bytes; the limit is {cap}")])
                continue
            if decode is not None:
                try:
                    obj = decode(line)
                except Exception:  # noqa: BLE001, S110 - any doubt goes the careful way below
                    pass
                else:
                    name = decoded_name or type_names[obj.__class__]
                    if decode is not lines.track or b'"payload"' not in line:
                        documents += 1
                        conforming[name] = conforming.get(name, 0) + 1
                        continue
            doc = None
            if loads is not None:
                try:
                    doc = loads(line)
                except Exception:  # noqa: BLE001 - re-parsed below for a precise message
                    doc = None
            if doc is None:
                if not line.strip():
                    continue  # a blank line is no document
                if lineno == 1 and line.startswith(b"\xef\xbb\xbf"):
                    line = line[3:]
                doc, problem = parse(line)
                if problem is not None:
                    documents += 1
                    tally.add_failure(Where(label, lineno), None, [problem])
                    continue
            documents += 1
            # Fast path: an envelope, a track message or a bare object that passes.
            if doc.__class__ is dict:
                get = doc.get
                props = get("properties")
                if props is not None:
                    name = get("payload")
                    shape = "payload"
                    if name is None:
                        name, shape = get("event"), "event"
                    if get("type", "track") != "track":
                        name = None
                else:
                    name, props, shape = default, doc, "bare"
                if shapes and shape in shapes:
                    decode, decoded_name = shapes[shape]
                check = fast.get(name) if name.__class__ is str else None
                if check is None and name.__class__ is str and name in schemas:
                    check = checker.validator(name)
                try:
                    if check is not None and check(props):
                        conforming[name] = conforming.get(name, 0) + 1
                        continue
                except Exception:  # noqa: BLE001, S110 - e.g. a lone surrogate: diagnosed below
                    pass
            name, problems = checker.check_document(doc, default)
            if problems:
                tally.add_failure(Where(label, lineno), name, problems)
            else:  # the fast path's guess of the shape was wrong; the careful one passed
                conforming[name] = conforming.get(name, 0) + 1
    finally:
        if gc_was_enabled:
            gc.enable()
    tally.documents += documents
    return tally


def _check_json_file(checker: Checker, label: str, default: str | None, data: bytes, tally: Tally, cap: int) -> None:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    doc, problem = parse(data)
    if problem is not None:
        line = 0
        if problem.kind == MALFORMED:
            try:
                json.loads(data)
            except json.JSONDecodeError as exc:
                line = exc.lineno
            except (ValueError, RecursionError):
                pass
        tally.documents += 1
        tally.add_failure(Where(label, line or 1), None, [problem])
        return
    items = list(enumerate(doc)) if isinstance(doc, list) else [(None, doc)]
    for index, item in items:
        tally.documents += 1
        where = Where(label, 1 if index is None else 0, index)
        if index is not None and len(_dumps(item)) > cap:
            tally.add_failure(where, None, [Problem(TOO_LARGE, None, f"more than {cap} bytes")])
            continue
        name, problems = checker.check_document(item, default)
        if problems:
            tally.add_failure(where, name, problems)
        else:
            tally.conforming[name] = tally.conforming.get(name, 0) + 1


def _dumps(value: Any) -> bytes:
    if _orjson is not None:
        return _orjson.dumps(value)
    return json.dumps(value).encode("utf-8")


# --------------------------------------------------------------------------- runs

RANGE_BYTES = 16 << 20  # with --jobs, a large NDJSON file is cut into ranges of this size
_WORKER: Checker | None = None


def _init_worker(schemas: Mapping[str, Mapping]) -> None:
    global _WORKER
    _WORKER = Checker(schemas)


class _Range:
    """A window ``[start, start + length)`` of an open binary file, read like a stream."""

    def __init__(self, fh, length: int):
        self.fh, self.remaining = fh, length

    def read1(self, n: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        data = self.fh.read(self.remaining if n < 0 else min(n, self.remaining))
        self.remaining -= len(data)
        return data


def _check_range(checker: Checker, src: Source, start: int, end: int) -> tuple[Tally, int]:
    """Check the lines of one byte range of an NDJSON file (it starts after a newline
    and ends after one, or at the end of the file).  Line numbers in the tally count
    from the range's first line; the second value is how many lines the range holds."""
    total = Tally()
    lineno = 1
    with open(src.path, "rb") as fh:
        fh.seek(start)
        lines: list = []
        size = 0
        for block in _line_blocks(_Range(fh, end - start)):
            lines.extend(block)
            size += READ_BLOCK
            if len(lines) >= BATCH_LINES or size >= BATCH_BYTES:
                total.merge(check_batch(checker, (src, lineno, lines)))
                lineno += len(lines)
                lines, size = [], 0
        if lines:
            total.merge(check_batch(checker, (src, lineno, lines)))
            lineno += len(lines)
    return total, lineno - 1


def _work(task: tuple) -> tuple[Tally, int]:
    assert _WORKER is not None
    if task[0] == "range":
        return _check_range(_WORKER, *task[1:4])
    return check_batch(_WORKER, task[1]), 0


def _range_starts(path: str, size: int, step: int = RANGE_BYTES) -> list[int]:
    """Offsets that cut a file into ranges of about ``step`` bytes, each just after a
    newline (a line is never split, however long)."""
    starts = [0]
    with open(path, "rb") as fh:
        pos = step
        while pos < size:
            fh.seek(pos)
            while True:
                block = fh.read(1 << 16)
                if not block:
                    return starts
                cut = block.find(b"\n")
                if cut >= 0:
                    pos += cut + 1
                    break
                pos += len(block)
            if pos >= size:
                break
            starts.append(pos)
            pos += step
    return starts


def _tasks(srcs: Iterable[Source]) -> Iterator[tuple]:
    """Units of work for worker processes: byte ranges of large NDJSON files (a worker
    reads its range itself), and batches of lines read here for everything else
    (standard input, small files, .json files)."""
    for seq, src in enumerate(srcs):
        size = -1
        if src.path is not None and src.format == "ndjson":
            try:
                size = os.path.getsize(src.path)
            except OSError:
                size = -1
        if size >= 2 * RANGE_BYTES:
            starts = _range_starts(src.path, size)
            for start, end in zip(starts, starts[1:] + [size]):
                yield ("range", src, start, end, seq)
        else:
            for batch in batches([src]):
                yield ("batch", batch)


def check_sources(checker: Checker, srcs: Iterable[Source], jobs: int = 1) -> Tally:
    """Check every input; with ``jobs > 1`` units of work go to that many processes and
    their tallies are merged in input order (ranges get their line numbers shifted), so
    the report is the same as a serial run.  At most ``2 * jobs`` units are in flight,
    so memory stays flat for endless input."""
    total = Tally()
    if jobs <= 1:
        for batch in batches(srcs):
            total.merge(check_batch(checker, batch))
        return total
    from concurrent.futures import ProcessPoolExecutor

    offsets: dict[int, int] = {}  # input number -> lines in its ranges merged so far

    def merge(task: tuple, result: tuple[Tally, int]) -> None:
        tally, lines = result
        if task[0] == "range":
            seq = task[4]
            tally.shift_lines(offsets.get(seq, 0))
            offsets[seq] = offsets.get(seq, 0) + lines
        total.merge(tally)

    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(checker.schemas,)) as pool:
        pending: deque = deque()
        for task in _tasks(srcs):
            pending.append((task, pool.submit(_work, task)))
            while len(pending) >= 2 * jobs:
                done, future = pending.popleft()
                merge(done, future.result())
        while pending:
            done, future = pending.popleft()
            merge(done, future.result())
    return total


def load_schema_dir(folder: str) -> dict[str, dict]:
    """Schemas of a vendored ``generated/schemas`` folder, by wire name
    (``<wire_name>.schema.json``)."""
    import jsonschema

    out = {}
    for fname in sorted(os.listdir(folder)):
        if fname.endswith(".schema.json"):
            path = os.path.join(folder, fname)
            try:
                with open(path, "rb") as fh:
                    schema = json.loads(fh.read())
                jsonschema.Draft202012Validator.check_schema(schema)
            except (OSError, ValueError) as exc:
                raise UsageError(f"{path}: not a readable JSON document: {exc}") from None
            except jsonschema.SchemaError as exc:
                raise UsageError(f"{path}: not a valid JSON Schema: {exc.message}") from None
            out[fname[: -len(".schema.json")]] = schema
    return out
