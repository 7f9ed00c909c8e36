"""The change rules of ``gen diff``, as data.

Each ``Rule`` names one kind of change between two resolved specs and classifies it on
two axes, fixed per rule (as buf fixes each breaking rule's category):

* ``privacy``: ``expanded`` (users share more: a new field, a wider kind, a lost or moved
  opt-out, more frequent sending, a wider edition or version range, a new destination),
  ``reduced`` (the reverse), or ``none`` (wording, or a change consumers care about only);
* ``compatibility`` for consumers of the schemas and models: ``breaking`` (something they
  read disappears or changes shape), ``additive`` (something new they may ignore), or
  ``none``.

``severity`` says how loudly a finding is shown (``error`` for breaking changes,
``warning`` for privacy expansions, ``info`` otherwise).  This module holds only the
table and the kind ordering the rules use; ``generator.diff.compare`` finds the changes.
``gen diff --rules`` prints the table, ``docs/diff-rules.md`` is generated from it
(``python -m generator.diff.rules > docs/diff-rules.md``; a test keeps it in sync), and
every rule has a fixture pair under ``tests/diff_rules/<rule id>/`` whose exact findings
a test asserts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from generator.kinds import KINDS
from generator.privacy import EXPANDED, FACTS, NONE, REDUCED, rule_privacy

BREAKING, ADDITIVE = "breaking", "additive"
PRIVACY_CLASSES = (EXPANDED, REDUCED, NONE)
COMPAT_CLASSES = (BREAKING, ADDITIVE, NONE)


@dataclass(frozen=True)
class Rule:
    """One change rule: a stable id, the element it is about (``feature``, ``section``,
    ``payload`` or ``field``), its fixed classification, how loudly it is shown, and why it exists."""

    id: str
    scope: str
    privacy: str
    compatibility: str
    purpose: str

    @property
    def severity(self) -> str:
        if self.compatibility == BREAKING:
            return "error"
        if self.privacy == EXPANDED:
            return "warning"
        return "info"


_FACT_PRIVACY = rule_privacy()


def _fact(rule_id: str, scope: str, compatibility: str, purpose: str) -> Rule:
    """A rule that reports a privacy fact moving: its privacy class is derived from the
    direction it reports (``generator.privacy.FACTS``), never written here."""
    return Rule(rule_id, scope, _FACT_PRIVACY[rule_id], compatibility, purpose)


RULES: tuple[Rule, ...] = (
    # Features: who receives the data and how a user switches it off.
    _fact("opt-out-removed", "feature", NONE, "A feature no longer has a setting that switches it off."),
    _fact("opt-out-added", "feature", NONE, "A feature gained a setting that switches it off."),
    _fact("opt-out-moved", "feature", NONE, "A feature's opt-out is now a different setting or found elsewhere; users who switched it off may be sending again."),
    _fact("opt-out-value-changed", "feature", NONE, "The value that switches a feature off changed; a setting that meant off may now mean on."),
    _fact("opt-out-easier", "feature", NONE, "An opt-out's off values now include every value that switched it off before, and more (e.g. `[\"1\"]` to `set`): easier to stop."),
    _fact("destination-changed", "feature", NONE, "A feature's data goes to a new destination."),
    _fact("sender-changed", "feature", NONE, "A feature's data is sent by a different sender (server or client)."),
    Rule("feature-wording-changed", "feature", NONE, NONE, "A feature's title, description, purposes or opt-out cost changed; nothing on the wire did."),
    Rule("section-wording-changed", "section", NONE, NONE, "A section's or event category's title or description changed; nothing on the wire did."),
    # Payloads: messages on the wire.
    Rule("payload-added", "payload", EXPANDED, ADDITIVE, "A new record payload is sent."),
    Rule("payload-removed", "payload", REDUCED, BREAKING, "A record payload is no longer sent; consumers reading it lose it."),
    Rule("event-added", "payload", EXPANDED, ADDITIVE, "A new event is sent."),
    Rule("event-removed", "payload", REDUCED, BREAKING, "An event is no longer sent; consumers reading it lose it."),
    Rule("wire-name-changed", "payload", NONE, BREAKING, "A payload keeps its documented group but has a new wire name; consumers matching the old name miss it."),
    _fact("payload-moved", "payload", NONE, "A payload moved to another feature: a different opt-out, destination or sender now governs it."),
    _fact("schedule-more-frequent", "payload", NONE, "A payload is sent more often."),
    _fact("schedule-less-frequent", "payload", NONE, "A payload is sent less often."),
    _fact("schedule-changed", "payload", NONE, "A payload switched between periodic and on-event sending."),
    _fact("edition-widened", "payload", NONE, "A payload is sent by more editions of the product (an edition limit removed or changed)."),
    _fact("edition-narrowed", "payload", NONE, "A payload is limited to one edition of the product."),
    _fact("versions-widened", "payload", NONE, "A payload is sent by more product versions (a version limit removed or moved outwards)."),
    _fact("versions-narrowed", "payload", NONE, "A payload is sent by fewer product versions (a version limit added or moved inwards)."),
    Rule("payload-wording-changed", "payload", NONE, NONE, "A payload's title or description changed; nothing on the wire did."),
    # Fields: values inside a payload.
    Rule("field-added", "field", EXPANDED, ADDITIVE, "A payload carries a new field."),
    Rule("field-removed", "field", REDUCED, BREAKING, "A payload no longer carries a field; consumers reading it lose it."),
    Rule("wire-key-changed", "field", NONE, BREAKING, "A field keeps its documented name but has a new wire key; consumers reading the old key miss it."),
    _fact("kind-widened", "field", BREAKING, "A field's kind reveals more (e.g. boolean to free text, is-default to the value itself); its type changes too."),
    _fact("kind-narrowed", "field", BREAKING, "A field's kind reveals less (e.g. free text to an enumeration); its type changes too."),
    _fact("kind-changed", "field", BREAKING, "A field's kind changed to one that reveals as much (e.g. integer to timestamp); its type changes."),
    _fact("values-added", "field", ADDITIVE, "An enumeration gained values (or lost its list of values): more can be told apart."),
    _fact("values-removed", "field", BREAKING, "An enumeration lost values (or gained a list): payloads with the old values no longer validate."),
    Rule("field-made-required", "field", NONE, BREAKING, "A field that could be left out must now be present; older payloads no longer validate."),
    Rule("field-made-optional", "field", NONE, ADDITIVE, "A field that had to be present may now be left out."),
    _fact("input-data-used", "field", NONE, "A field's value is now read from what users entered (personal-data status raised)."),
    _fact("input-data-unused", "field", NONE, "A field's value is no longer read from what users entered (personal-data status lowered)."),
    _fact("field-edition-widened", "field", NONE, "A field is sent by more editions of the product."),
    _fact("field-edition-narrowed", "field", NONE, "A field is limited to one edition of the product."),
    _fact("field-versions-widened", "field", NONE, "A field is sent by more product versions."),
    _fact("field-versions-narrowed", "field", NONE, "A field is sent by fewer product versions."),
    _fact("personal-data-raised", "field", NONE, "A field's personal-data level went up (none < pseudonymous < possible < unreviewed)."),
    _fact("personal-data-lowered", "field", NONE, "A field's personal-data level went down (e.g. a reviewer judged an unreviewed field)."),
    _fact("collected-because-changed", "field", NONE, "A field's stated reason for collecting personal or pseudonymous data changed: a new justification to review."),
    _fact("reduction-removed", "field", NONE, "A field lost a reduction (truncation, hashing, ...): its value is sent less reduced."),
    _fact("reduction-added", "field", NONE, "A field gained a reduction: its value is sent more reduced."),
    _fact("expiry-extended", "field", NONE, "A field is collected for longer (its expiry moved later, became `never`, or was dropped)."),
    _fact("expiry-shortened", "field", NONE, "A field is collected for a shorter time (an expiry set or moved earlier)."),
    _fact("expiry-changed", "field", NONE, "A field's expiry changed without collecting it longer or shorter (the reason of `never` reworded)."),
    _fact("review-trail-changed", "field", NONE, "A field's owners, data-review or ticket links changed; nothing it sends did."),
    Rule("field-wording-changed", "field", NONE, NONE, "A field's documented name, description, personal-data note or notes changed; nothing on the wire did."),
)

BY_ID: Mapping[str, Rule] = MappingProxyType({r.id: r for r in RULES})

#: How much a value of each kind can reveal, for ``kind-widened``/``kind-narrowed``
#: (each kind's ``reach``, see ``generator.kinds``).
KIND_REACH: Mapping[str, int] = MappingProxyType({k.id: k.reach for k in KINDS.values()})
_MIDDLE = 3


def kind_reach(kind_id: str) -> int:
    """Where a kind ranks in ``KIND_REACH`` (unknown kinds rank in the middle)."""
    return KIND_REACH.get(kind_id, _MIDDLE)


def rules_table() -> str:
    """The rule table as ``gen diff --rules`` prints it: id, scope, privacy,
    compatibility, severity and purpose, one rule a line."""
    lines = []
    for r in RULES:
        lines.append(f"{r.id:<24} {r.scope:<8} {r.privacy:<9} {r.compatibility:<9} {r.severity:<8} {r.purpose}")
    return "\n".join(lines) + "\n"


def rules_markdown() -> str:
    """``docs/diff-rules.md``: the rule table, generated from ``RULES``."""
    lines = [
        "# Change rules of `gen diff`",
        "",
        "<!-- Generated from generator/diff/rules.py RULES by",
        "     `python -m generator.diff.rules > docs/diff-rules.md`; do not edit by hand",
        "     (tests/test_diff_rules.py checks it is in sync). -->",
        "",
        "`gen diff BASE [HEAD]` reports every change between two specs by one of these rules.",
        "`privacy` says whether users now share more (`expanded`) or less (`reduced`);",
        "`compatibility` whether consumers of the schemas and models break (`breaking`) or",
        "may ignore it (`additive`).  `--fail-on breaking,expanded` exits 1 on those classes.",
        "Each rule has a fixture pair under `tests/diff_rules/<rule>/`.",
        "",
        "| Rule | About | Privacy | Compatibility | Severity | Purpose |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in RULES:
        lines.append(f"| `{r.id}` | {r.scope} | {r.privacy} | {r.compatibility} | {r.severity} | {r.purpose} |")
    lines += [
        "",
        "## Privacy facts",
        "",
        "The privacy-relevant facts of a field, a payload and a feature (`generator/privacy.py`",
        "`FACTS`), the rule that reports each direction a fact can move in, and so its class:",
        "wider (more revealed, or harder to stop) is `expanded`, narrower `reduced`; a change",
        "without an order has the class shown.  `gen review` lists every field an `expanded`",
        "change reaches, with the question its rule raises; `gen check --baseline` asks a",
        "privacy change for at least a minor version bump.",
        "",
        "| Fact | Of | Wider (expanded) | Narrower (reduced) | Changed otherwise |",
        "| --- | --- | --- | --- | --- |",
    ]
    for f in FACTS:
        other = f"`{f.other}` ({f.other_privacy})" if f.other else "-"
        wider = f"`{f.wider}`" if f.wider else "-"
        narrower = f"`{f.narrower}`" if f.narrower else "-"
        lines.append(f"| {f.title} (`{f.id}`) | {f.scope} | {wider} | {narrower} | {other} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(rules_markdown(), end="")
