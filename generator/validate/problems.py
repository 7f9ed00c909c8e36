"""The payload engine's vocabulary: the kinds of problem, ``Problem``, ``Where``, and the
helpers that put captured values into messages safely.

Every other module of the engine reports in these terms; the report texts (titles) are
defined here once.  This module checks nothing and reads nothing.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

MAX_DEPTH = 64  # telemetry payloads are flat; deeper documents are reported, not diagnosed

# Problem kinds, in report order.
UNDECLARED = "undeclared-key"
TYPE_MISMATCH = "type-mismatch"
MISSING = "missing-key"
NOT_ALLOWED = "value-not-allowed"
INVALID = "invalid-value"
NOT_IN_VERSION = "not-in-version"
UNKNOWN = "unknown-payload"
NO_NAME = "no-payload-name"
UNSUPPORTED = "unsupported-message"
MALFORMED = "malformed-json"
UNPORTABLE = "unportable-value"
NOT_OBJECT = "not-an-object"
TOO_LARGE = "too-large"
TOO_DEEP = "too-deep"
UNREADABLE = "unreadable"

PAYLOAD_PROBLEMS = (UNDECLARED, TYPE_MISMATCH, MISSING, NOT_ALLOWED, INVALID, NOT_IN_VERSION)
INPUT_PROBLEMS = (NO_NAME, UNSUPPORTED, MALFORMED, UNPORTABLE, NOT_OBJECT, TOO_LARGE, TOO_DEEP, UNREADABLE)
UNIDENTIFIED = frozenset((UNKNOWN,) + INPUT_PROBLEMS)
TITLES = {
    UNDECLARED: "undeclared key",
    TYPE_MISMATCH: "type mismatch",
    MISSING: "missing key",
    NOT_ALLOWED: "value not allowed",
    INVALID: "invalid value",
    NOT_IN_VERSION: "not in this version",
    UNKNOWN: "unknown payload name",
    NO_NAME: "no payload name",
    UNSUPPORTED: "unsupported message",
    MALFORMED: "malformed JSON",
    UNPORTABLE: "unportable value",
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
        """The problem as a report prints it: ``title 'key': detail``."""
        title = TITLES.get(self.kind, self.kind)
        out = f"{title} {quote(self.key)}" if self.key is not None else title
        return f"{out}: {self.detail}" if self.detail else out

    def as_dict(self) -> dict[str, Any]:
        """The problem in the JSON report."""
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


def quote(text: Any, limit: int = 80) -> str:
    """A key or name for a message: quoted, escaped (no control character or lone
    surrogate reaches the terminal raw) and cut short."""
    s = str(text)
    if len(s) > limit:
        s = s[: limit - 3] + "..."
    return repr(s)


def short(value: Any, limit: int = 60) -> str:
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
