"""Stage 4: semantic lint rules, as data.

Each rule is a ``Rule``: an id, a purpose (shown by ``gen rules``), a severity and a
check that yields ``(scope, location, message, help)`` for the resolved spec.  A finding
is suppressed by a ``lint_ignore: [rule-id]`` on the element it is about or on any element
enclosing it (payload, section, feature, product); a suppression that suppresses
nothing is reported (``unused-suppression``), so stale ones do not pile up.

Most rules guard privacy: nothing undocumented, nothing free-form without a reason,
nothing a user cannot switch off.  ``docs/lint-rules.md`` is generated from ``RULES``
(``python -m generator.lint > docs/lint-rules.md``; a test keeps it in sync).

Must not: change the model, re-read YAML, or report what the resolver already refuses
(a lint rule only judges a spec that resolved).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from generator import governance as gov
from generator.columns import clashes, column_name
from generator.diagnostics import ERROR, WARNING, Finding
from generator.model import Location, Spec
from generator.privacy import UNREVIEWED
from generator.resolve import Resolved

Hit = tuple[tuple, Location, str, str]  # scope, location, message, help


@dataclass(frozen=True)
class Rule:
    """One lint rule: a stable id (used in ``lint_ignore``), why it exists, how bad a
    finding is, and a check yielding ``(scope, location, message, help)``."""

    id: str
    purpose: str
    severity: str
    check: Callable[..., Iterator[Hit]]
    #: The ``GovernancePolicy`` attribute (``governance_policy:`` in the spec) that sets this rule's severity.
    policy: str = ""
    #: The check is judged against ``gen check --as-of/--product-version`` (``AsOf``).
    as_of: bool = False

    def severity_for(self, spec: Spec) -> str:
        """The severity in force for ``spec``: the product's policy, else the rule's."""
        return getattr(spec.product.governance_policy, self.policy) if self.policy else self.severity


def _field_scope(f) -> tuple:
    return ("field", f.payload, f.wire_key)


def _ancestors(spec: Spec, scope: tuple) -> list[tuple]:
    """The scope itself and every enclosing scope, innermost first."""
    kind = scope[0]
    chain = [scope]
    payload = section = None
    if kind in ("field", "payload"):
        payload = spec.payload(scope[1])
    if payload is not None:
        if kind == "field":
            chain.append(("payload", payload.wire_name))
        if payload.category_id:
            chain.append(("category", payload.section_id, payload.category_id))
        section = spec.section(payload.section_id)
    if kind == "category":
        section = spec.section(scope[1])
    if kind == "section":
        section = spec.section(scope[1])
    if section is not None:
        if kind != "section":
            chain.append(("section", section.id))
        chain.append(("feature", section.feature_id))
    if kind != "product":
        chain.append(("product",))
    return chain


def check_field_description(spec: Spec) -> Iterator[Hit]:
    for f in spec.fields:
        if not f.description.strip() and not f.review:  # under review: needs-review says it
            yield (
                _field_scope(f),
                f.location,
                f"field {f.qualified_name!r} has no description",
                "add `description:` saying what the value is, as the privacy docs should print it",
            )


def check_free_text(spec: Spec) -> Iterator[Hit]:
    for f in spec.fields:
        if f.kind.free_text and f.personal_data == "none" and not f.personal_data_note.strip() and not f.review:
            yield (
                _field_scope(f),
                f.location,
                f"free-text field {f.qualified_name!r} ({f.kind.id}) does not say why it cannot contain personal data",
                (
                    "add `personal_data_note:` explaining where the value comes from and why it holds no personal data, "
                    "or say `personal_data: possible` with `collected_because:` and `reduction:`"
                ),
            )


def check_personal_data(spec: Spec) -> Iterator[Hit]:
    for f in spec.fields:
        stated = f.personal_data == "possible" or (f.personal_data == "pseudonymous" and f.kind.id != "pseudonymous_id")
        if stated and not f.collected_because.strip():
            yield (
                _field_scope(f),
                f.location,
                f"field {f.qualified_name!r} may carry {'personal' if f.personal_data == 'possible' else 'pseudonymous'} data but does not say why it is collected",
                "add `collected_because:` (the docs print it next to the field)",
            )
        if f.personal_data == "possible" and not f.reduction:
            yield (
                _field_scope(f),
                f.location,
                f"field {f.qualified_name!r} may carry personal data but does not say how it is reduced",
                "add `reduction: [path_scrubbing, truncation, hashing, ...]` saying what is done before sending",
            )
        if f.personal_data == "possible" and f.personal_data_note.strip():
            yield (
                _field_scope(f),
                f.location,
                f"field {f.qualified_name!r} says `personal_data: {f.personal_data}` but has a `personal_data_note` (why it holds none)",
                "drop `personal_data_note:`; say why the value is collected in `collected_because:`",
            )


def check_feature_opt_out(spec: Spec) -> Iterator[Hit]:
    for feat in spec.features:
        if feat.opt_out is None:
            yield (
                ("feature", feat.id),
                feat.location,
                f"feature {feat.id!r} has no opt-out setting",
                "add `opt_outs: [{setting: ...}]` naming each setting that switches it off, or `opt_outs: [{not_possible: <why>}]`",
            )


def check_opt_out_path(spec: Spec) -> Iterator[Hit]:
    for feat in spec.features:
        opt = feat.opt_out
        if opt is not None and opt.setting is not None and opt.setting.kind == "console_setting" and len(opt.setting.console_path) < 2:
            yield (
                ("feature", feat.id),
                feat.location,
                f"opt-out setting {feat.opt_out.setting.id!r} of feature {feat.id!r} has a one-step console path",
                "give the full path a user follows, e.g. [System Console, General, Logging, Enable ...]",
            )


def check_feature_description(spec: Spec) -> Iterator[Hit]:
    for feat in spec.features:
        if not feat.description.strip():
            yield (("feature", feat.id), feat.location, f"feature {feat.id!r} has no description", "add `description:` saying why the data is collected")


def check_empty_section(spec: Spec) -> Iterator[Hit]:
    used = {p.section_id for p in spec.payloads}
    for s in spec.sections:
        if s.id not in used:
            yield (("section", s.id), s.location, f"section {s.id!r} has no payloads", "add payloads naming it, or remove the section")


def check_empty_category(spec: Spec) -> Iterator[Hit]:
    used = {(p.section_id, p.category_id) for p in spec.payloads}
    for s in spec.sections:
        for c in s.categories:
            if (s.id, c.id) not in used:
                yield (("category", s.id, c.id), c.location, f"category {c.id!r} of section {s.id!r} has no events", "add `type: event` payloads with `category: " + c.id + "`")


def check_is_default_input(spec: Spec) -> Iterator[Hit]:
    for f in spec.fields:
        if not f.kind.uses_input_data and f.uses_input_data:
            yield (
                _field_scope(f),
                f.location,
                f"field {f.qualified_name!r} ({f.kind.id}) says `uses_input_data: true`, but its kind never reads input",
                f"a {f.kind.id} value never reads what the user entered; drop `uses_input_data`, or use a kind that carries the value",
            )


def check_enumerated_values(spec: Spec) -> Iterator[Hit]:
    for f in spec.fields:
        if f.kind.enumerable and f.kind.json_schema.get("type") == "string" and not f.values:
            yield (
                _field_scope(f),
                f.location,
                f"enumerated string field {f.qualified_name!r} lists no `values`, so any text passes",
                "list the allowed values under `values:`, or use kind `string` with a `personal_data_note`",
            )


def check_privacy_policy(spec: Spec) -> Iterator[Hit]:
    if not spec.product.privacy_policy_url:
        yield (("product",), spec.product.location, "the product has no privacy policy link", "add `privacy_policy: {title: ..., url: https://...}` to `product`")


def check_needs_review(spec: Spec) -> Iterator[Hit]:
    """Elements ``gen infer`` wrote from captured traffic carry an ``inferred`` marker until a
    maintainer has described them; free text is called out loudly (it may hold personal data)."""
    for p in spec.payloads:
        if p.review:
            yield (("payload", p.wire_name), p.location, f"payload {p.wire_name!r} was inferred from traffic and awaits review: {p.review}",
                   "check its section and title, write its `description`, then remove `inferred:`")
    for f in spec.fields:
        if not f.review:
            continue
        loud = f"FREE TEXT: {f.kind.id} field {f.qualified_name!r} may carry personal data and" if f.kind.free_text else f"field {f.qualified_name!r}"
        yield (
            _field_scope(f),
            f.location,
            f"{loud} awaits privacy review: {f.review}",
            ("write its `description` and decide its personal-data level (`personal_data:` none with a note, or pseudonymous/possible "
            "with `collected_because:` and `reduction:`), then remove `inferred:`"),
        )


def check_unreviewed(spec: Spec) -> Iterator[Hit]:
    """A field whose personal-data level is ``unreviewed`` (``gen infer``'s additions,
    or said so): nobody has judged whether it carries personal data yet."""
    for f in spec.fields:
        if f.personal_data == UNREVIEWED:
            yield (
                _field_scope(f),
                f.location,
                f"field {f.qualified_name!r} has not been reviewed for personal data; every output says so until someone does",
                ("decide its level: `personal_data: none` with a `personal_data_note`, or `pseudonymous`/`possible` with "
                "`collected_because:` and `reduction:`; then remove `inferred:` (or lower `product.governance_policy.unreviewed` to warning)"),
            )


_CONVENTIONAL_KEY = re.compile(r"[a-z][a-z0-9_]{0,62}")


def check_wire_key_convention(spec: Spec) -> Iterator[Hit]:
    """A declared wire key is what the product sends, whatever its shape; one off the
    conventions (lower snake case) is worth a second look, never an error."""
    for f in spec.fields:
        if not _CONVENTIONAL_KEY.fullmatch(f.wire_key):
            yield (
                _field_scope(f),
                f.location,
                f"wire key {f.wire_key!r} of field {f.qualified_name!r} is not lower snake case (letters, digits, underscores; at most 63)",
                "keep it if the product really sends this key (say so in a comment)",
            )


def check_warehouse_column_clash(spec: Spec) -> Iterator[Hit]:
    """Two keys of one payload whose warehouse columns are one (``generator.columns``:
    BigQuery and Spark SQL compare column names without case) cannot share a table."""
    for payload in spec.payloads:
        by_key = {f.wire_key: f for f in payload.fields}
        for key, other, column in clashes(f.wire_key for f in payload.fields):
            f = by_key[key]
            first = by_key.get(other)
            what = f"field {first.qualified_name!r} (wire key {other!r})" if first else f"the envelope column {other!r}"
            yield (
                _field_scope(f),
                f.location,
                (f"wire key {key!r} of field {f.qualified_name!r} and {what} would both be warehouse column "
                 f"{column!r} of payload {payload.wire_name!r}"
                 + ("" if column_name(other) == column else " (BigQuery and Spark compare column names without case)")),
                ("if one key is a typo, correct it; a product that really sends both keys cannot have them in one "
                 "warehouse table"),
            )


RULES: tuple[Rule, ...] = (
    Rule("field-description", "Every field says what it holds, so the privacy docs can say it too.", ERROR, check_field_description),
    Rule("free-text-personal-data", "A free-text field must say why it cannot contain personal data.", ERROR, check_free_text),
    Rule("personal-data", "A field that may carry personal or pseudonymous data says why it is collected and how it is reduced.", ERROR, check_personal_data),
    Rule("feature-opt-out", "Every feature names the setting that switches it off, or says why it cannot be switched off.", ERROR, check_feature_opt_out),
    Rule("opt-out-path", "An opt-out gives the full path a user follows to find the setting.", WARNING, check_opt_out_path),
    Rule("feature-description", "Every feature explains why its data is collected.", WARNING, check_feature_description),
    Rule("empty-section", "A section documents at least one payload.", WARNING, check_empty_section),
    Rule("empty-category", "An event category lists at least one event.", WARNING, check_empty_category),
    Rule("privacy-policy", "The privacy docs link to the product's privacy policy.", WARNING, check_privacy_policy),
    Rule("is-default-uses-input", "A setting_is_default field never reads the user's input; saying it does contradicts its kind.", ERROR, check_is_default_input),
    Rule("needs-review", "What `gen infer` wrote from captured traffic is reviewed for privacy before it ships.", WARNING, check_needs_review),
    Rule("unreviewed", "No field ships with a personal-data status nobody has reviewed; severity: the product's `governance_policy.unreviewed` (default error).",
         "policy", check_unreviewed, policy="unreviewed"),
    Rule("wire-key-convention", "A wire key off the conventions (lower snake case) is what the product really sends, not a typo.", WARNING, check_wire_key_convention),
    Rule("warehouse-column-clash", "Each wire key of a payload becomes its own warehouse column (BigQuery, Spark and Avro names; see `generator/columns.py`).", ERROR, check_warehouse_column_clash),
    Rule("enumerated-values", "An enumerated string lists its values; without them it is free text in disguise.", WARNING, check_enumerated_values),
    Rule("missing-owner", "Every field has an owner (an email or team handle) who answers for it; severity: the product's `governance_policy.missing_owner` (default off).",
         "policy", gov.check_missing_owner, policy="owners"),
    Rule("missing-approval", "Every field links the data review or ticket that approved it; severity: the product's `governance_policy.missing_approval` (default off).",
         "policy", gov.check_missing_approval, policy="approvals"),
    Rule("expired", "No field is collected past its expiry (a date or product version), judged against `gen check --as-of DATE` / `--product-version V`.",
         ERROR, gov.check_expired, as_of=True),
    Rule("expiring", "A field expiring within the product's window (`governance_policy.expiry_window_days`, default 30; `expiry_window_versions` minor versions, default 1) is renewed or removed in time.",
         WARNING, gov.check_expiring, as_of=True),
    Rule("never-reason", "Data that never expires says why (`expiry_reason`).", ERROR, gov.check_never_reason),
)
RULE_IDS = frozenset(r.id for r in RULES)
#: Rules whose errors fail ``gen check`` (and ``gen build``'s exit code) but do not stop
#: ``gen build`` from writing: the maintainer needs the built docs to review the field.
BUILDS_ANYWAY = frozenset({"unreviewed"})
UNUSED = "unused-suppression"


def lint(resolved: Resolved, as_of: gov.AsOf = gov.NOW_UNKNOWN) -> list[Finding]:
    """Run every rule; apply suppressions; report unknown and unused suppressions.
    Expiry is judged against ``as_of`` (nothing when it is empty), never the clock."""
    spec = resolved.spec
    by_scope: dict[tuple, dict[str, object]] = {}
    for s in resolved.suppressions:
        by_scope.setdefault(s.scope, {})[s.rule] = s
    used: set[int] = set()
    out: list[Finding] = []
    for rule in RULES:
        severity = rule.severity_for(spec)
        if severity == "off":
            continue
        for scope, loc, msg, help_ in rule.check(spec, as_of) if rule.as_of else rule.check(spec):
            hit = None
            for anc in _ancestors(spec, scope):
                hit = by_scope.get(anc, {}).get(rule.id)
                if hit is not None:
                    break
            if hit is not None:
                used.add(id(hit))
                continue
            out.append(Finding(rule.id, severity, msg, loc, help_ + f" (or suppress with `lint_ignore: [{rule.id}]`)"))
    for s in resolved.suppressions:
        if s.rule not in RULE_IDS:
            close = difflib.get_close_matches(s.rule, sorted(RULE_IDS), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            out.append(Finding("unknown-rule", ERROR, f"`lint_ignore` names unknown rule {s.rule!r}", s.location, f"{hint}known rules: {', '.join(sorted(RULE_IDS))}"))
        elif id(by_scope[s.scope][s.rule]) not in used:
            out.append(Finding(UNUSED, WARNING, f"suppression of {s.rule!r} suppresses nothing", s.location, "remove it from `lint_ignore`"))
    return out


def rules_markdown() -> str:
    """``docs/lint-rules.md``: the rule table, generated from ``RULES``."""
    lines = [
        "# Lint rules",
        "",
        "<!-- Generated from generator/lint.py RULES by `python -m generator.lint > docs/lint-rules.md`;",
        "     do not edit by hand (tests/test_lint.py checks it is in sync). -->",
        "",
        "`gen check` runs these rules on the resolved spec after it loads without errors;",
        "`gen rules` lists them.  An `error` fails `gen check` (exit 1); a `warning` is",
        "printed but does not fail it.",
        "",
        "Suppress a finding by listing the rule id under `lint_ignore:` on the element it is",
        "about or on any element enclosing it (field < payload < event category < section <",
        "feature < product).  A suppression that suppresses nothing is reported as",
        f"`{UNUSED}` (warning), and an id that names no rule as `unknown-rule` (error).",
        "",
        "A severity of `policy` is set by the product (`product.governance_policy`: `error`,",
        "`warning` or `off`).  `expired` and `expiring` judge expiry only against",
        "`gen check --as-of YYYY-MM-DD` (date expiries) and `--product-version V` (version",
        "expiries), never the wall clock, so a build is reproducible.",
        "",
        "| Rule | Severity | Purpose |",
        "| --- | --- | --- |",
    ]
    for r in RULES:
        lines.append(f"| `{r.id}` | {r.severity} | {r.purpose} |")
    lines += [
        f"| `{UNUSED}` | {WARNING} | A `lint_ignore` entry must suppress something, so stale ones do not pile up (not suppressible). |",
        f"| `unknown-rule` | {ERROR} | A `lint_ignore` entry must name a rule above (not suppressible). |",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(rules_markdown(), end="")
