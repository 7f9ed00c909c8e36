"""The resolver's shared pieces: what it collects (``Report``), the frozen ``Context``
payloads are resolved against, and the small checks every step uses (editions,
version ranges, id merging, safe derived names).

Must not: resolve any element itself (``declarations`` and ``payloads`` do) or keep
state between runs.
"""


from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from generator.diagnostics import Finding, error
from generator.load import RawFile
from generator.model import (
    Edition,
    Feature,
    Location,
    Section,
    Setting,
    Spec,
    Versions,
)

SAFE_WIRE = re.compile(r"[a-z][a-z0-9_]{0,62}")  # the spec schema's WIRE pattern


@dataclass(frozen=True)
class Suppression:
    """A ``lint_ignore`` entry: rule id, the element scope it covers, where it is written."""

    rule: str
    scope: tuple
    location: Location


@dataclass(frozen=True)
class Resolved:
    """What the resolver hands to lint: the model and the declared suppressions."""

    spec: Spec
    suppressions: tuple[Suppression, ...]


@dataclass
class Report:
    """What resolving collects besides the model: findings and suppressions."""

    findings: list[Finding] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    #: Elements (file, path) that failed the spec format: left out, already reported.
    skipped: frozenset[tuple[str, tuple]] = frozenset()

    def skips(self, raw: RawFile, path: tuple) -> bool:
        """Whether the element at ``path`` of ``raw`` is left out (it failed the format)."""
        return bool(self.skipped) and (raw.path, path) in self.skipped

    def error(self, code: str, msg: str, loc: Location, help: str = "") -> None:
        """Record an error finding."""
        self.findings.append(error(code, msg, loc, help))

    def suppress(self, raw: RawFile, path: tuple, node: dict, scope: tuple) -> None:
        """Record the ``lint_ignore`` entries of ``node`` for the element ``scope``."""
        for i, rule in enumerate(node.get("lint_ignore", []) or []):
            self.suppressions.append(Suppression(rule, scope, raw.where(path + ("lint_ignore", i))))


@dataclass(frozen=True)
class Conventions:
    """The product's naming conventions for derived wire names and keys."""

    payload_prefix: str = ""
    payload_strip_suffix: str = ""
    is_default_prefix: str = "isdefault_"
    acronyms: tuple[str, ...] = ()  # kept whole when deriving names: the defaults and the spec's
    numbers: str = "separate"  # or "attached": a number joins the word before it


def conventions_of(product: dict) -> Conventions:
    """The naming conventions a (validated) ``product`` block sets, with the defaults."""
    from generator.naming import default_acronyms

    conv = product.get("conventions", {}) or {}
    return Conventions(
        conv.get("payload_prefix", ""),
        conv.get("payload_strip_suffix", ""),
        conv.get("is_default_prefix", "isdefault_"),
        default_acronyms() + tuple(conv.get("acronyms", ())),
        conv.get("numbers", "separate"),
    )


@dataclass(frozen=True)
class Context:
    """Everything payloads and fields are resolved against, complete before the first
    payload is read.  ``elsewhere`` holds ids (by top-level key) declared in files that
    failed validation: references to them are not "unknown", their file is broken."""

    report: Report
    elsewhere: Mapping[str, frozenset[str]]
    conventions: Conventions
    editions: Mapping[str, Edition]
    settings: Mapping[str, Setting]
    features: Mapping[str, Feature]
    sections: Mapping[str, Section]
    phrases: Mapping[str, str]

    def declared_elsewhere(self, key: str, ref: str) -> bool:
        """Whether a file that failed validation declares ``ref`` under ``key``."""
        return ref in self.elsewhere.get(key, ())


def freeze(value: Any) -> Any:
    """A setting value as the model holds it: lists become tuples (the schema allows
    only scalars and lists of scalars)."""
    return tuple(value) if isinstance(value, list) else value


def versions_of(report: Report, raw: RawFile, path: tuple, node: dict, inherited: Versions | None = None) -> Versions:
    """The element's own limits intersected with what it inherits."""
    raw_v = node.get("product_versions") or {}
    v = Versions(raw_v.get("min"), raw_v.get("max"))
    if not v.reversed and (inherited is None or not v.limited):
        return inherited or v
    if not v.reversed and inherited.reversed:
        return v  # the enclosing range is itself wrong (already reported)
    both = v if v.reversed else v.intersect(inherited)
    if not both.reversed:
        return both
    report.error(
        "invalid-versions",
        f"product_versions.min {v.min} is after product_versions.max {v.max}"
        if v.reversed
        else f"product_versions ({v.range_text()}) lie outside those of the enclosing element ({inherited.range_text()})",
        raw.where(path + ("product_versions",)),
        "swap them or fix the version numbers" if v.reversed else "an element exists only where its payload or category exists; fix the range",
    )
    return v


def did_you_mean(ref: str, declared, otherwise: str) -> str:
    """Help for an unknown reference: the closest declared id, then every declared id
    (or ``otherwise`` when none is declared)."""
    import difflib

    ids = list(declared)
    if not ids:
        return otherwise + " (none is declared yet)"
    close = difflib.get_close_matches(str(ref), ids, n=1, cutoff=0.6)
    head = f"did you mean {close[0]!r}? " if close else ""
    return f"{head}declared: {', '.join(ids)}"


def edition_of(
    report: Report, editions: Mapping[str, Edition], elsewhere: Mapping[str, frozenset[str]], raw: RawFile, path: tuple, node: dict
) -> Edition | None:
    """The edition ``node`` names, or None (reported when no file declares it)."""
    ref = node.get("edition")
    if ref is None:
        return None
    if ref in editions:
        return editions[ref]
    if ref not in elsewhere.get("editions", ()):
        report.error(
            "unknown-reference",
            f"edition {ref!r} is not declared",
            raw.where(path + ("edition",)),
            did_you_mean(ref, editions, "declare it under `editions:`"),
        )
    return None


def unsafe_wire(report: Report, name: str, what: str, loc: Location, fix: str) -> None:
    """Report a derived wire name or key that is not as safe as a hand-written one
    must be (callers check ``SAFE_WIRE`` first: this runs per field)."""
    report.error(
        "invalid-name",
        f"derived {what} {name!r} is not a safe name (lowercase letters, digits and underscores, starting with a letter, at most 63)",
        loc,
        fix,
    )


def collect(report: Report, files: list[RawFile], key: str) -> dict[str, tuple[RawFile, Any]]:
    """Merge a top-level mapping across files; a repeated id is an error."""
    out: dict[str, tuple[RawFile, Any]] = {}
    for raw in files:
        for k, v in (raw.data.get(key) or {}).items():
            if report.skips(raw, (key, k)):
                continue
            if k in out:
                first = out[k][0].key_where((key, k))
                report.error(
                    "duplicate-id",
                    f"{key[:-1]} {k!r} is already defined at {first}",
                    raw.key_where((key, k)),
                    "ids must be unique across all spec files; rename or remove one",
                )
                continue
            out[k] = (raw, v)
    return out


