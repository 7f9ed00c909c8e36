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

EXPANDED, REDUCED, NONE = "expanded", "reduced", "none"
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


RULES: tuple[Rule, ...] = (
    # Features: who receives the data and how a user switches it off.
    Rule("opt-out-removed", "feature", EXPANDED, NONE, "A feature no longer has a setting that switches it off."),
    Rule("opt-out-added", "feature", REDUCED, NONE, "A feature gained a setting that switches it off."),
    Rule("opt-out-moved", "feature", EXPANDED, NONE, "A feature's opt-out is now a different setting or found elsewhere; users who switched it off may be sending again."),
    Rule("opt-out-value-changed", "feature", EXPANDED, NONE, "The value that switches a feature off changed; a setting that meant off may now mean on."),
    Rule("destination-changed", "feature", EXPANDED, NONE, "A feature's data goes to a new destination."),
    Rule("sender-changed", "feature", EXPANDED, NONE, "A feature's data is sent by a different sender (server or client)."),
    Rule("feature-wording-changed", "feature", NONE, NONE, "A feature's title, description, purposes or opt-out cost changed; nothing on the wire did."),
    Rule("section-wording-changed", "section", NONE, NONE, "A section's or event category's title or description changed; nothing on the wire did."),
    # Payloads: messages on the wire.
    Rule("payload-added", "payload", EXPANDED, ADDITIVE, "A new record payload is sent."),
    Rule("payload-removed", "payload", REDUCED, BREAKING, "A record payload is no longer sent; consumers reading it lose it."),
    Rule("event-added", "payload", EXPANDED, ADDITIVE, "A new event is sent."),
    Rule("event-removed", "payload", REDUCED, BREAKING, "An event is no longer sent; consumers reading it lose it."),
    Rule("wire-name-changed", "payload", NONE, BREAKING, "A payload keeps its documented group but has a new wire name; consumers matching the old name miss it."),
    Rule("payload-moved", "payload", EXPANDED, NONE, "A payload moved to another feature: a different opt-out, destination or sender now governs it."),
    Rule("schedule-more-frequent", "payload", EXPANDED, NONE, "A payload is sent more often."),
    Rule("schedule-less-frequent", "payload", REDUCED, NONE, "A payload is sent less often."),
    Rule("schedule-changed", "payload", EXPANDED, NONE, "A payload switched between periodic and on-event sending."),
    Rule("edition-widened", "payload", EXPANDED, NONE, "A payload is sent by more editions of the product (an edition limit removed or changed)."),
    Rule("edition-narrowed", "payload", REDUCED, NONE, "A payload is limited to one edition of the product."),
    Rule("versions-widened", "payload", EXPANDED, NONE, "A payload is sent by more product versions (a version limit removed or moved outwards)."),
    Rule("versions-narrowed", "payload", REDUCED, NONE, "A payload is sent by fewer product versions (a version limit added or moved inwards)."),
    Rule("payload-wording-changed", "payload", NONE, NONE, "A payload's title or description changed; nothing on the wire did."),
    # Fields: values inside a payload.
    Rule("field-added", "field", EXPANDED, ADDITIVE, "A payload carries a new field."),
    Rule("field-removed", "field", REDUCED, BREAKING, "A payload no longer carries a field; consumers reading it lose it."),
    Rule("wire-key-changed", "field", NONE, BREAKING, "A field keeps its documented name but has a new wire key; consumers reading the old key miss it."),
    Rule("kind-widened", "field", EXPANDED, BREAKING, "A field's kind reveals more (e.g. boolean to free text, is-default to the value itself); its type changes too."),
    Rule("kind-narrowed", "field", REDUCED, BREAKING, "A field's kind reveals less (e.g. free text to an enumeration); its type changes too."),
    Rule("kind-changed", "field", NONE, BREAKING, "A field's kind changed to one that reveals as much (e.g. integer to timestamp); its type changes."),
    Rule("values-added", "field", EXPANDED, ADDITIVE, "An enumeration gained values (or lost its list of values): more can be told apart."),
    Rule("values-removed", "field", REDUCED, BREAKING, "An enumeration lost values (or gained a list): payloads with the old values no longer validate."),
    Rule("field-made-required", "field", NONE, BREAKING, "A field that could be left out must now be present; older payloads no longer validate."),
    Rule("field-made-optional", "field", NONE, ADDITIVE, "A field that had to be present may now be left out."),
    Rule("input-data-used", "field", EXPANDED, NONE, "A field's value is now read from what users entered (personal-data status raised)."),
    Rule("input-data-unused", "field", REDUCED, NONE, "A field's value is no longer read from what users entered (personal-data status lowered)."),
    Rule("field-edition-widened", "field", EXPANDED, NONE, "A field is sent by more editions of the product."),
    Rule("field-edition-narrowed", "field", REDUCED, NONE, "A field is limited to one edition of the product."),
    Rule("field-versions-widened", "field", EXPANDED, NONE, "A field is sent by more product versions."),
    Rule("field-versions-narrowed", "field", REDUCED, NONE, "A field is sent by fewer product versions."),
    Rule("field-wording-changed", "field", NONE, NONE, "A field's documented name, description, personal-data note or notes changed; nothing on the wire did."),
)

BY_ID: Mapping[str, Rule] = MappingProxyType({r.id: r for r in RULES})

#: How much a value of each kind can reveal, for ``kind-widened``/``kind-narrowed``:
#: computed without input < a yes/no < one of a few values < any number < an identifier
#: < text a person could type.  Kinds not listed rank in the middle.
KIND_REACH: Mapping[str, int] = MappingProxyType(
    {
        "is_default": 0,
        "boolean": 1,
        "enumerated_boolean": 1,
        "enumerated_integer": 2,
        "enumerated_string": 2,
        "count": 3,
        "integer": 3,
        "number": 3,
        "timestamp": 3,
        "version": 3,
        "pseudonymous_id": 4,
        "string": 5,
        "string_list": 5,
    }
)
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
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(rules_markdown(), end="")
