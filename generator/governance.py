"""Governance lint rules: every field has an owner and an approval link (severity set by
the product's ``governance:`` policy), no field is past its expiry, none expires within
the warning window, and ``expires: never`` states why.

Expiry is judged only against what the command line gives (``AsOf``: ``gen check
--as-of DATE`` and/or ``--product-version V``), never against the wall clock, so the
same spec and arguments always give the same findings.  Without them the expiry rules
find nothing (a date expiry needs a date, a version expiry a product version).

``generator.lint`` lists these checks in its ``RULES``; each yields ``(scope, location,
message, help)`` as every lint check does.

Must not: read the clock, change the model, or know any product.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass

from generator.model import Expiry, Field, Location, Spec

Hit = tuple[tuple, Location, str, str]


@dataclass(frozen=True)
class AsOf:
    """What expiry is judged against: a date and/or the product version being released."""

    date: datetime.date | None = None
    product_version: str | None = None


NOW_UNKNOWN = AsOf()


def parse_as_of(date: str | None, product_version: str | None) -> AsOf:
    """``AsOf`` from the command line's text; ``ValueError`` saying how to fix bad input."""
    when = None
    if date is not None:
        try:
            when = datetime.date.fromisoformat(date)
        except ValueError:
            raise ValueError(f"--as-of {date!r} is not a date; write YYYY-MM-DD, e.g. 2026-12-01") from None
    if product_version is not None and not re.fullmatch(r"[0-9]+(\.[0-9]+){0,3}", product_version):
        raise ValueError(f"--product-version {product_version!r} is not a version; write numbers and dots, e.g. 9.2")
    return AsOf(when, product_version)


def version_key(v: str) -> tuple[int, ...]:
    """A product version as numbers, padded so "8" equals "8.0.0"."""
    nums = tuple(int(x) for x in re.findall(r"[0-9]+", v))
    return (nums + (0, 0, 0, 0))[:4]


def expiry_state(e: Expiry, as_of: AsOf, window_days: int, window_versions: int) -> str:
    """``expired``, ``expiring`` (within the window), or ``""`` (not judged or fine)."""
    if e.kind == "date" and as_of.date is not None:
        try:
            when = datetime.date.fromisoformat(e.value)
        except ValueError:  # reported by the resolver
            return ""
        if as_of.date >= when:
            return "expired"
        if as_of.date + datetime.timedelta(days=window_days) >= when:
            return "expiring"
    if e.kind == "version" and as_of.product_version is not None:
        current, limit = version_key(as_of.product_version), version_key(e.value)
        if current >= limit:
            return "expired"
        soon = (current[0], current[1] + window_versions, 0, 0)
        if window_versions and soon >= limit:
            return "expiring"
    return ""


def _scope(f: Field) -> tuple:
    return ("field", f.payload, f.wire_key)


def _declared(e: Expiry) -> str:
    """Where an expiry was set, for messages: "feature 'x' (file:line:col)"."""
    what = e.scope[0] if e.scope[0] == "product" else f"{e.scope[0]} {'.'.join(e.scope[1:])!r}"
    return f"{what} at {e.location}"


def check_missing_owner(spec: Spec) -> Iterator[Hit]:
    for f in spec.fields:
        if not f.governance.owners:
            yield (_scope(f), f.location, f"field {f.qualified_name!r} has no owner",
                   "add `owners: [team@example.com]` to the field or to an element enclosing it (payload, section, feature, product)")


def check_missing_approval(spec: Spec) -> Iterator[Hit]:
    for f in spec.fields:
        g = f.governance
        if not (g.reviews or g.tickets):
            yield (_scope(f), f.location, f"field {f.qualified_name!r} has no approval link (data review or ticket)",
                   "add `reviews: [https://...]` or `tickets: [https://...]` to the field or to an element enclosing it")


def _expiry_hits(spec: Spec, as_of: AsOf, wanted: str) -> Iterator[Hit]:
    pol = spec.product.governance_policy
    for f in spec.fields:
        e = f.governance.expires
        if e is None or expiry_state(e, as_of, pol.expiry_window_days, pol.expiry_window_versions) != wanted:
            continue
        against = f"v{as_of.product_version}" if e.kind == "version" else str(as_of.date)
        verb = "expired" if wanted == "expired" else "expires soon"
        own = "" if e.scope == _scope(f) else f", set on {_declared(e)}"
        yield (
            _scope(f),
            f.location,
            f"field {f.qualified_name!r} {verb}: expires {e.text()} (judged as of {against}{own})",
            "stop collecting it (remove the field), or renew it: a new `expires:` after a new data review",
        )


def check_expired(spec: Spec, as_of: AsOf = NOW_UNKNOWN) -> Iterator[Hit]:
    yield from _expiry_hits(spec, as_of, "expired")


def check_expiring(spec: Spec, as_of: AsOf = NOW_UNKNOWN) -> Iterator[Hit]:
    yield from _expiry_hits(spec, as_of, "expiring")


def _elements(spec: Spec):
    yield spec.product.governance
    for x in (*spec.features, *spec.sections, *spec.payloads, *spec.fields):
        yield x.governance


def check_never_reason(spec: Spec) -> Iterator[Hit]:
    """Once per element that declares ``expires: never`` without ``expiry_reason``."""
    seen: set[tuple] = set()
    for g in _elements(spec):
        e = g.expires
        if e is None or e.kind != "never" or e.reason.strip() or e.scope in seen:
            continue
        seen.add(e.scope)
        what = "the product" if e.scope[0] == "product" else f"{e.scope[0]} {'.'.join(e.scope[1:])!r}"
        yield (e.scope, e.location, f"{what} never expires but does not say why",
               "add `expiry_reason:` next to `expires: never` (why this data is collected for good)")
