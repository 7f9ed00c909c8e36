"""Checks captured telemetry payloads against their JSON Schemas, fast, and says why not.

This is the engine behind ``gen validate`` and the captured-traffic and opt-out tests of
the generated conformance suite.  The suite must run where the ``generator`` package is
not installed, so the conformance target copies this file verbatim into
``generated/conformance/_payload_check.py``: this module imports nothing from
``generator`` and needs only the standard library and ``jsonschema``.  When ``orjson``
and ``jsonschema_rs`` are importable it uses them for the hot path (parse, then one
compiled ``is_valid`` call per document, about 100,000 documents per second for
120-property payloads); only documents that fail get the slower, detailed diagnosis, so
the report is the same either way.

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
reported with its file and line, and the rest is still checked.  Memory stays flat for
input of any length: NDJSON is read line by line, and every table in a report is capped.
"""

from __future__ import annotations

import json
import os
import sys
from collections import deque
from typing import Any, Callable, Iterable, Iterator, Mapping, NamedTuple

try:  # optional, for speed only
    import orjson as _orjson
except ImportError:  # pragma: no cover - exercised by the generated suite's tests
    _orjson = None
try:  # optional, for speed only
    import jsonschema_rs as _jsonschema_rs
except ImportError:  # pragma: no cover - exercised by the generated suite's tests
    _jsonschema_rs = None

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


def _fast_validator(schema: Mapping) -> Callable[[Any], bool]:
    """A compiled ``is_valid`` for a schema: jsonschema_rs when present, else jsonschema."""
    if _jsonschema_rs is not None:
        try:
            return _jsonschema_rs.Draft202012Validator(schema).is_valid
        except Exception:  # noqa: BLE001 - a schema it cannot compile: use the reference one
            pass
    import jsonschema

    return jsonschema.Draft202012Validator(schema).is_valid


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
        return check(value)

    def _classify(self, key: str, value: Any) -> list[Problem]:
        ref = self._prop_ref.get(key)
        if ref is None:
            ref = self._prop_ref[key] = _reference_validator(self._sub(key))
        out = [_problem_from_error(key, value, err) for err in ref.iter_errors(value)]
        return out or [Problem(INVALID, key, "rejected by the schema")]

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
        return out or [Problem(INVALID, None, "rejected by the schema")]


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


class Checker:
    """Holds one compiled validator per payload name; checks documents and properties.

    ``schemas`` maps wire names to JSON Schemas (draft 2020-12).  Validators and
    diagnoses are built on first use, so a run only pays for the payloads it meets.
    """

    def __init__(self, schemas: Mapping[str, Mapping]):
        self.schemas = dict(schemas)
        self._fast: dict[str, Callable[[Any], bool]] = {}
        self._diag: dict[str, _Diagnosis] = {}

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
        if check(properties):
            return []
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

    def merge(self, later: "Tally") -> None:
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


def _read_lines(fh, cap: int = MAX_DOCUMENT_BYTES) -> Iterator[bytes | int]:
    """Lines of a binary stream; a line longer than ``cap`` comes out as its length (an
    int) and is never held in memory whole."""
    readline = fh.readline
    while True:
        line = readline(cap + 1)
        if not line:
            return
        if len(line) > cap and not line.endswith(b"\n"):
            n = len(line)
            while True:
                more = readline(1 << 16)
                n += len(more)
                if not more or more.endswith(b"\n"):
                    break
            yield n
        else:
            yield line


# A unit of work: (source, first line number, payload).  payload is a list of lines
# (bytes, or an int for an oversized line) for NDJSON, the bytes of a whole .json file,
# or a Problem (the file could not be read).
Batch = tuple


def batches(srcs: Iterable[Source], cap: int = MAX_DOCUMENT_BYTES) -> Iterator[Batch]:
    """Cut the inputs into units of work, reading each NDJSON input line by line."""
    for src in srcs:
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
            fh = sys.stdin.buffer if src.path is None else open(src.path, "rb")
            lineno = 1
            try:
                lines: list = []
                size = 0
                for line in _read_lines(fh, cap):
                    lines.append(line)
                    if not isinstance(line, int):
                        size += len(line)
                    if len(lines) >= BATCH_LINES or size >= (8 << 20):
                        yield (src, lineno, lines)
                        lineno += len(lines)
                        lines, size = [], 0
                if lines:
                    yield (src, lineno, lines)
            finally:
                if src.path is not None:
                    fh.close()
        except OSError as exc:
            yield (src, 0, Problem(UNREADABLE, None, exc.strerror or str(exc)))


def check_batch(checker: Checker, batch: Batch, cap: int = MAX_DOCUMENT_BYTES) -> Tally:
    """Check one unit of work; the hot loop of the whole tool."""
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
    lineno = first - 1
    for line in body:
        lineno += 1
        if isinstance(line, int):
            tally.documents += 1
            tally.add_failure(Where(label, lineno), None,
                              [Problem(TOO_LARGE, None, f"{line} bytes; the limit is {cap}")])
            continue
        doc = None
        if loads is not None:
            try:
                doc = loads(line)
            except Exception:  # noqa: BLE001 - re-parsed below for a precise message
                doc = None
        if doc is None:
            if not line.strip():
                continue  # blank line
            if lineno == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            doc, problem = parse(line)
            if problem is not None:
                tally.documents += 1
                tally.add_failure(Where(label, lineno), None, [problem])
                continue
        tally.documents += 1
        # Fast path: an envelope or track message (or bare object) whose properties pass.
        if doc.__class__ is dict:
            props = doc.get("properties")
            if props is not None:
                name = doc.get("payload") or doc.get("event")
                if doc.get("type", "track") != "track":
                    name = None
            else:
                name, props = default, doc
            check = fast.get(name) if name.__class__ is str else None
            if check is None and name.__class__ is str and name in schemas:
                check = checker.validator(name)
            if check is not None and check(props):
                conforming[name] = conforming.get(name, 0) + 1
                continue
        name, problems = checker.check_document(doc, default)
        if problems:
            tally.add_failure(Where(label, lineno), name, problems)
        else:  # the fast path's guess of the shape was wrong, the careful one passed
            conforming[name] = conforming.get(name, 0) + 1
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

_WORKER: Checker | None = None


def _init_worker(schemas: Mapping[str, Mapping]) -> None:
    global _WORKER
    _WORKER = Checker(schemas)


def _work(batch: Batch) -> Tally:
    assert _WORKER is not None
    return check_batch(_WORKER, batch)


def check_sources(checker: Checker, srcs: Iterable[Source], jobs: int = 1) -> Tally:
    """Check every input; with ``jobs > 1`` units of work go to that many processes and
    their tallies are merged in input order, so the report is the same as a serial run.
    At most ``2 * jobs`` units are in flight, so memory stays flat for endless input."""
    total = Tally()
    if jobs <= 1:
        for batch in batches(srcs):
            total.merge(check_batch(checker, batch))
        return total
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(checker.schemas,)) as pool:
        pending: deque = deque()
        for batch in batches(srcs):
            pending.append(pool.submit(_work, batch))
            while len(pending) >= 2 * jobs:
                total.merge(pending.popleft().result())
        while pending:
            total.merge(pending.popleft().result())
    return total


def load_schema_dir(folder: str) -> dict[str, dict]:
    """Schemas of a vendored ``generated/schemas`` folder, by wire name
    (``<wire_name>.schema.json``)."""
    out = {}
    for fname in sorted(os.listdir(folder)):
        if fname.endswith(".schema.json"):
            with open(os.path.join(folder, fname), "rb") as fh:
                out[fname[: -len(".schema.json")]] = json.loads(fh.read())
    return out
