"""Resolving governance: owners, approval links (data reviews, tickets) and expiry on
the product, a feature, a section, a payload or a field, each part inherited by
everything inside the element until an inner element sets it (as editions are); and
the product's governance policy (rule severities, expiry warning window).

Checks what the spec format's JSON Schema cannot: an expiry date that is no calendar
date (``2027-02-30``) and an ``expiry_reason`` without ``expires``.  Whether an owner or
an approval is missing, an expiry has passed, or ``never`` lacks a reason is lint's
business (``generator.governance``), not this module's.

Must not: judge expiry against any date (there is no clock here) or know any product.
"""

from __future__ import annotations

import datetime

from generator.load import RawFile
from generator.model import NO_GOVERNANCE, Expiry, Governance, GovernancePolicy
from generator.resolve.context import Report

#: The block through which an element declares governance of its own.
GOVERNANCE = "governance"


def _expiry(report: Report, raw: RawFile, path: tuple, node: dict, scope: tuple) -> Expiry | None:
    """The expiry ``node`` declares itself, or None."""
    value = node.get("expires")
    if value is None:
        if "expiry_reason" in node:
            report.error(
                "invalid-value",
                "`expiry_reason` without `expires`",
                raw.key_where(path + ("expiry_reason",)),
                "add `expires: never` next to it, or remove the reason",
            )
        return None
    if value == "never":
        kind = "never"
    elif value.count("-") == 2:
        kind = "date"
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            report.error(
                "invalid-value",
                f"expires {value!r} is not a calendar date",
                raw.where(path + ("expires",)),
                "write an existing date as YYYY-MM-DD",
            )
    else:
        kind = "version"
    return Expiry(kind, value, node.get("expiry_reason", ""), scope, raw.where(path + ("expires",)))


def governance_of(report: Report, raw: RawFile, path: tuple, node: dict, inherited: Governance, scope: tuple) -> Governance:
    """What the element ``node`` declares in its ``governance`` block, each part
    falling back to ``inherited``."""
    if GOVERNANCE not in node:
        return inherited
    path = path + (GOVERNANCE,)
    node = node[GOVERNANCE] or {}
    own = _expiry(report, raw, path, node, scope)
    return Governance(
        owners=tuple(node.get("owners", ())) or inherited.owners,
        reviews=tuple(node.get("data_reviews", ())) or inherited.reviews,
        tickets=tuple(node.get("tickets", ())) or inherited.tickets,
        expires=own or inherited.expires,
    )


def product_governance(report: Report, raw: RawFile, node: dict) -> tuple[Governance, GovernancePolicy]:
    """The product's own governance (the defaults of everything) and its policy."""
    gov = governance_of(report, raw, ("product",), node, NO_GOVERNANCE, ("product",))
    pol = node.get("governance_policy") or {}
    defaults = GovernancePolicy()
    policy = GovernancePolicy(
        owners=pol.get("missing_owner", defaults.owners),
        approvals=pol.get("missing_approval", defaults.approvals),
        unreviewed=pol.get("unreviewed", defaults.unreviewed),
        expiry_window_days=pol.get("expiry_window_days", defaults.expiry_window_days),
        expiry_window_versions=pol.get("expiry_window_versions", defaults.expiry_window_versions),
    )
    return gov, policy
