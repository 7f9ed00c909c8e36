"""Version-aware checks: what a payload sent by one product version must and must not hold.

The schemas carry version limits as annotations (``x-telemetry.versions``: ``min`` and
``max``, both inclusive, per payload and per field; ``x-telemetry.required`` per field).
The version-independent schema cannot demand a field that only some versions send; with
a product version (``gen validate --product-version V``, the suite's
``TELEMETRY_PRODUCT_VERSION``) the engine also checks that a payload outside its range is
not sent at all, that a field outside its range is absent, and that a required field
inside its range is present.  A bound matches every version it is a prefix of: "at most
5.5" includes 5.5.1.  This module reads annotations only; it never applies a schema.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .problems import MISSING, NOT_IN_VERSION, Problem

ANNOTATION = "x-telemetry"
_VERSION = re.compile(r"^v?([0-9]+(?:\.[0-9]+)*)")


def parse_version(text: Any) -> tuple[int, ...] | None:
    """``"5.6.0"`` -> ``(5, 6, 0)``; a suffix after the numbers (``-rc1``) is ignored;
    None when the text does not start with a number."""
    match = _VERSION.match(text) if isinstance(text, str) else None
    return tuple(int(p) for p in match.group(1).split(".")) if match else None


def _cut(version: tuple[int, ...], length: int) -> tuple[int, ...]:
    return (version + (0,) * length)[:length]


def in_range(version: tuple[int, ...], limits: Any) -> bool:
    """Whether ``version`` lies within ``{"min": ..., "max": ...}`` (both inclusive,
    compared on the bound's own precision; a missing or unreadable bound is open)."""
    if not isinstance(limits, Mapping):
        return True
    low, high = parse_version(limits.get("min")), parse_version(limits.get("max"))
    if low is not None and _cut(version, len(low)) < low:
        return False
    return high is None or _cut(version, len(high)) <= high


def describe(limits: Any) -> str:
    """``only in v5.5 and earlier`` and the like (the docs' wording)."""
    low = limits.get("min") if isinstance(limits, Mapping) else None
    high = limits.get("max") if isinstance(limits, Mapping) else None
    if low and high:
        return f"only in v{low} to v{high}"
    if high:
        return f"only in v{high} and earlier"
    if low:
        return f"only in v{low} and later"
    return "in every version"


def _annotation(node: Any) -> Mapping[str, Any]:
    value = node.get(ANNOTATION) if isinstance(node, Mapping) else None
    return value if isinstance(value, Mapping) else {}


class VersionRules:
    """The version rules of one payload schema for one product version."""

    def __init__(self, schema: Mapping[str, Any], version: tuple[int, ...], version_text: str):
        self.version_text = version_text
        self.payload_limits = _annotation(schema).get("versions")
        self.payload_sent = in_range(version, self.payload_limits)
        props: Mapping[str, Any] = schema["properties"] if isinstance(schema.get("properties"), Mapping) else {}
        listed = set(schema.get("required") or ()) if isinstance(schema.get("required"), list) else set()
        self.absent: dict[str, str] = {}  # key -> its range, for fields V does not send
        self.present: list[str] = []  # fields V must send that the schema does not require
        for key, prop in props.items():
            note = _annotation(prop)
            limits = note.get("versions")
            if not in_range(version, limits):
                self.absent[key] = describe(limits)
            elif note.get("required") is True and key not in listed:
                self.present.append(key)

    def problems(self, props: Any) -> list[Problem]:
        """What ``props`` does wrong for this version ([] when nothing)."""
        v = self.version_text
        if not self.payload_sent:
            return [Problem(NOT_IN_VERSION, None, f"the payload is sent {describe(self.payload_limits)}, not by v{v}")]
        if not isinstance(props, Mapping):
            return []
        out = [Problem(NOT_IN_VERSION, k, f"{self.absent[k]}; v{v} does not send it") for k in props if k in self.absent]
        out += [Problem(MISSING, k, f"required in v{v}") for k in self.present if k not in props]
        return out

    def relevant(self, problem: Problem) -> bool:
        """False for a schema problem this version makes moot: a key the
        version-independent schema requires but this version does not send."""
        return not (problem.kind == MISSING and problem.key in self.absent)
