"""Payload schema versions against a baseline: which bump each payload's changes need,
and the baseline lint rule for fields added without ``versions.min``.

Every payload carries a schema version, MAJOR.MINOR.PATCH (``version:`` in the spec,
default 1.0.0; it ends the schema's ``$id`` and is each model's ``SCHEMA_VERSION``).
``BUMPS`` says which bump a change needs: a breaking change for consumers a major one;
an additive change, or any privacy change, a minor one; wording alone a patch.
``gen check --baseline REV`` runs ``baseline_findings``: a payload that changed without
the bump it needs is an error that names the bump, the version to use and the changes
that call for it.  This module decides; the command prints.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from generator.diagnostics import ERROR, WARNING, Finding
from generator.diff.compare import Change, diff_catalogs
from generator.diff.rules import ADDITIVE, BREAKING, NONE
from generator.model import Location, Spec

MAJOR, MINOR, PATCH = "major", "minor", "patch"
_ORDER = {PATCH: 0, MINOR: 1, MAJOR: 2}

#: Change class -> the bump it needs.
BUMPS = {"breaking": MAJOR, "additive": MINOR, "privacy": MINOR, "wording": PATCH}


@dataclass(frozen=True)
class BaselineRule:
    """A check that needs a baseline (run by ``gen check --baseline``): id, severity, why."""

    id: str
    severity: str
    purpose: str


BASELINE_RULES: tuple[BaselineRule, ...] = (
    BaselineRule("version-bump", ERROR, "A payload whose schema changed since the baseline has its version bumped as the change needs (breaking: major; additive or privacy: minor; wording: patch)."),
    BaselineRule("added-field-versions-min", WARNING, "A field added since the baseline says from which product version it is sent (`versions.min`), so the docs' Changes section stays complete."),
)


def change_class(c: Change) -> str:
    """``breaking``, ``additive``, ``privacy`` or ``wording``: what kind of bump ``c`` calls for."""
    if c.compatibility == BREAKING:
        return "breaking"
    if c.compatibility == ADDITIVE:
        return "additive"
    if c.privacy != NONE:
        return "privacy"
    return "wording"


def needed_bump(changes: Iterable[Change]) -> str | None:
    """The largest bump the changes need (None for no changes)."""
    best = None
    for c in changes:
        bump = BUMPS[change_class(c)]
        if best is None or _ORDER[bump] > _ORDER[best]:
            best = bump
    return best


def parse_version(text: str) -> tuple[int, int, int]:
    major, minor, patch = (int(x) for x in text.split("."))
    return major, minor, patch


def bumped(version: str, bump: str) -> str:
    """The smallest version after ``version`` that makes a ``bump`` bump."""
    major, minor, patch = parse_version(version)
    if bump == MAJOR:
        return f"{major + 1}.0.0"
    if bump == MINOR:
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def satisfies(before: str, after: str, bump: str) -> bool:
    """Whether going from ``before`` to ``after`` is at least a ``bump`` bump."""
    b, a = parse_version(before), parse_version(after)
    if bump == MAJOR:
        return a[0] > b[0]
    if bump == MINOR:
        return a[:2] > b[:2]
    return a > b


def _where(spec: Spec, wire: str, key: str | None = None) -> Location:
    try:
        payload = spec.payload(wire)
    except KeyError:
        return Location("")
    if key is not None:
        for f in payload.fields:
            if f.wire_key == key:
                return f.location
    return payload.location


def version_findings(spec: Spec, base: dict, head: dict, changes: list[Change]) -> list[Finding]:
    """``version-bump`` errors: payloads whose version does not make the bump their
    changes need, or whose version went backwards.  A payload's changes are its own,
    its section's and its feature's (a new destination or opt-out is in every schema of
    the feature, as ``x-telemetry``)."""
    base_versions = {p["wire_name"]: p.get("version", "1.0.0") for p in base.get("payloads", [])}
    renamed = {c.payload: c.before for c in changes if c.rule == "wire-name-changed"}
    by_payload: dict[str, list[Change]] = {}
    by_section: dict[str, list[Change]] = {}
    by_feature: dict[str, list[Change]] = {}
    for c in changes:
        if c.payload is not None:
            if c.rule not in ("payload-added", "event-added", "payload-removed", "event-removed"):
                by_payload.setdefault(c.payload, []).append(c)
        elif c.section is not None:  # a section's wording: in each of its schemas
            by_section.setdefault(c.section, []).append(c)
        elif c.feature is not None:  # a feature's destination, opt-out, ...: likewise
            by_feature.setdefault(c.feature, []).append(c)
    out = []
    for p in head.get("payloads", []):
        wire = p["wire_name"]
        mine = by_feature.get(p.get("feature"), []) + by_section.get(p.get("section"), []) + by_payload.get(wire, [])
        old = base_versions.get(renamed.get(wire, wire))
        if old is None:
            continue
        new = p.get("version", "1.0.0")
        bump = needed_bump(mine)
        loc = _where(spec, wire)
        if parse_version(new) < parse_version(old):
            out.append(Finding("version-bump", ERROR, f"payload {wire!r} has version {new}, lower than the baseline's {old}", loc,
                               f"versions only go up: set `version: {bumped(old, bump or PATCH)}` on the payload"))
            continue
        if bump is None or satisfies(old, new, bump):
            continue
        why = "; ".join(f"{c.rule}: {c.message}" for c in mine[:3])
        more = len(mine) - 3
        if more > 0:
            why += f"; and {more} more"
        out.append(
            Finding(
                "version-bump",
                ERROR,
                f"payload {wire!r} changed since the baseline and needs a {bump} version bump ({old} -> {bumped(old, bump)}), but its version is {new}: {why}",
                loc,
                f"set `version: {bumped(old, bump)}` on the payload ({_rule_text()})",
            )
        )
    return out


def _rule_text() -> str:
    return "breaking changes need a major bump, additive and privacy changes a minor one, wording a patch"


def added_field_findings(spec: Spec, head: dict, changes: list[Change]) -> list[Finding]:
    """``added-field-versions-min`` warnings: fields new since the baseline (alone or in
    a new payload) whose resolved versions have no ``min``."""
    payloads = {p["wire_name"]: p for p in head.get("payloads", [])}
    added: list[tuple[str, dict]] = []
    for c in changes:
        p = payloads.get(c.payload or "")
        if p is None:
            continue
        if c.rule == "field-added":
            added += [(c.payload, f) for f in p["fields"] if f["wire_key"] == c.field]
        elif c.rule in ("payload-added", "event-added"):
            added += [(c.payload, f) for f in p["fields"]]
    out = []
    for wire, f in added:
        if (f.get("versions") or {}).get("min") is None:
            out.append(
                Finding(
                    "added-field-versions-min",
                    WARNING,
                    f"field {wire}.{f['wire_key']} ({f['qualified_name']}) is new since the baseline but does not say from which version it is sent",
                    _where(spec, wire, f["wire_key"]),
                    "add `versions: {min: \"X.Y\"}` with the first product version that sends it",
                )
            )
    return out


def baseline_findings(spec: Spec, base: dict) -> list[Finding]:
    """Every baseline finding for the working ``spec`` against the ``base`` catalogue."""
    from generator.diff.sources import normalised
    from generator.targets.catalog import catalog

    head = normalised(catalog(spec))
    changes = diff_catalogs(base, head)
    return version_findings(spec, base, head, changes) + added_field_findings(spec, head, changes)
