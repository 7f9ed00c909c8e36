"""Writes the fixture pair of every ``gen diff`` rule: ``<rule>/before/spec.yaml`` and
``<rule>/after/spec.yaml``, from ``base.yaml`` and the rule's edit below.

Run ``python tests/diff_rules/make_fixtures.py`` after changing ``base.yaml`` or an edit.
The expected findings (``<rule>/expected.json``) are written by hand review: the test
prints the records it got when they differ (tests/test_diff_rules.py).  Each edit is a
list of (old text, new text) replacements that must each match ``base.yaml`` exactly
once; ``REVERSED`` rules use another rule's edit with before and after swapped.
"""

from __future__ import annotations

import shutil
from pathlib import Path

HERE = Path(__file__).parent
ERR_FEATURE = "    destination: Acme Inc.\n    opt_outs: [{setting: Telemetry.Errors}]"
ERR_PAYLOAD = "  - type: record\n    group: ErrorSettings\n    section: error_counts\n"
NEW_PAYLOAD = (
    "  - type: record\n    group: ExtraSettings\n    section: config\n    fields:\n"
    "      - {name: Level, kind: enumerated_integer, values: [1, 2], description: The level.}\n"
    "  - type: event\n    wire_name: login_failed\n"
)
NEW_EVENT = (
    "      - {name: Reason, kind: enumerated_string, values: [timeout, denied], description: Why the login failed.}\n"
)

EDITS: dict[str, list[tuple[str, str]]] = {
    "opt-out-removed": [(ERR_FEATURE, "    destination: Acme Inc.\n    lint_ignore: [feature-opt-out]")],
    "opt-out-moved": [("console_path: [Admin, Telemetry, Errors]", "console_path: [Admin, Privacy, Errors]")],
    "opt-out-value-changed": [(ERR_FEATURE, ERR_FEATURE.replace("Telemetry.Errors}", "Telemetry.Errors, off_values: [0]}"))],
    "destination-changed": [(ERR_FEATURE, ERR_FEATURE.replace("Acme Inc.", "errors.example.net"))],
    "feature-wording-changed": [("description: Helps us fix crashes.", "description: Helps us find and fix crashes.")],
    "section-wording-changed": [("title: Error counts\n", "title: Error totals\n")],
    "sender-changed": [("Helps us fix crashes.\n    sender: server", "Helps us fix crashes.\n    sender: client")],
    "payload-added": [("  - type: event\n    wire_name: login_failed\n", NEW_PAYLOAD)],
    "event-added": [(NEW_EVENT, NEW_EVENT + "  - {type: event, wire_name: login_succeeded, title: Login succeeded, section: events, category: signin, fields: []}\n")],
    "wire-name-changed": [(ERR_PAYLOAD, ERR_PAYLOAD + "    wire_name: cfg_errs\n")],
    "payload-moved": [(ERR_PAYLOAD, "  - type: record\n    group: ErrorSettings\n    section: config\n")],
    "schedule-more-frequent": [("title: Error counts\n    schedule: every 24h", "title: Error counts\n    schedule: every 1h")],
    "schedule-changed": [
        (ERR_PAYLOAD, "  - type: record\n    group: ErrorSettings\n    wire_name: error_report\n    section: error_counts\n"),
    ],
    "edition-narrowed": [(ERR_PAYLOAD, ERR_PAYLOAD + "    edition: pro\n")],
    "versions-narrowed": [(ERR_PAYLOAD, ERR_PAYLOAD + "    product_versions: {min: \"2.0\"}\n")],
    "payload-wording-changed": [("description: The main settings.", "description: The main configuration settings.")],
    "field-added": [("required: false}\n", "required: false}\n      - {name: Theme, kind: enumerated_string, values: [dark, light], description: The theme.}\n")],
    "wire-key-changed": [("{name: Replicas, kind: count,", "{name: Replicas, kind: count, wire_key: replica_count,")],
    "kind-widened": [
        ("{name: EnableThing, kind: boolean,", "{name: EnableThing, kind: string, personal_data_note: The server's own flag text.,"),
    ],
    "kind-changed": [("{name: Uptime, kind: integer,", "{name: Uptime, kind: timestamp_ms,")],
    "values-added": [("values: [0, 1, 2]", "values: [0, 1, 2, 3]")],
    "field-made-required": [("description: Seconds since start., required: false}", "description: Seconds since start.}")],
    "input-data-unused": [("{name: Replicas, kind: count,", "{name: Replicas, kind: count, uses_input_data: false,")],
    "field-edition-narrowed": [("{name: Mode, kind: enumerated_integer,", "{name: Mode, kind: enumerated_integer, edition: pro,")],
    "field-versions-narrowed": [("{name: Mode, kind: enumerated_integer,", "{name: Mode, kind: enumerated_integer, product_versions: {max: \"3.0\"},")],
    "opt-out-easier": [('off_values: ["1"]}', "off_values: set}")],
    "personal-data-raised": [("personal_data: possible,", "personal_data: unreviewed,")],
    "collected-because-changed": [("collected_because: It names the failing step.,", "collected_because: It names the failing step and the user's folder.,")],
    "reduction-removed": [("reduction: [truncation, path_scrubbing]", "reduction: [truncation]")],
    "expiry-extended": [('expires: "2030-01-01"', 'expires: "2031-01-01"')],
    "expiry-changed": [("expiry_reason: Needed for stability.", "expiry_reason: Needed to measure stability.")],
    "review-trail-changed": [('data_reviews: ["https://acme.example/review/1"]', 'data_reviews: ["https://acme.example/review/2"]')],
    "field-wording-changed": [("description: The mode.", "description: The operating mode.")],
}
# For schedule-changed the "before" is the record above, the "after" an event of that name.
SCHEDULE_CHANGED_AFTER = [
    (NEW_EVENT, NEW_EVENT + "  - {type: event, wire_name: error_report, title: Error report, section: events, category: signin, fields: []}\n"),
    ("  - type: record\n    group: ErrorSettings\n    wire_name: error_report\n    section: error_counts\n    fields:\n      - {name: Crashes, kind: count, description: Crashes in the last day.}\n", ""),
    ("  error_counts:\n    feature: errors\n", "  error_counts:\n    feature: errors\n    lint_ignore: [empty-section]\n"),
]
# rule -> the rule whose edit it reverses.
REVERSED = {
    "opt-out-added": "opt-out-removed",
    "payload-removed": "payload-added",
    "event-removed": "event-added",
    "schedule-less-frequent": "schedule-more-frequent",
    "edition-widened": "edition-narrowed",
    "versions-widened": "versions-narrowed",
    "field-removed": "field-added",
    "kind-narrowed": "kind-widened",
    "values-removed": "values-added",
    "field-made-optional": "field-made-required",
    "input-data-used": "input-data-unused",
    "field-edition-widened": "field-edition-narrowed",
    "field-versions-widened": "field-versions-narrowed",
    "personal-data-lowered": "personal-data-raised",
    "reduction-added": "reduction-removed",
    "expiry-shortened": "expiry-extended",
}


def apply(text: str, edits: list[tuple[str, str]]) -> str:
    """``text`` with each replacement applied; each old text must occur exactly once."""
    for old, new in edits:
        assert text.count(old) == 1, f"edit does not match base.yaml exactly once: {old!r}"
        text = text.replace(old, new)
    return text


def pairs() -> dict[str, tuple[str, str]]:
    """rule id -> (before text, after text)."""
    base = (HERE / "base.yaml").read_text("utf-8")
    out = {rule: (base, apply(base, edits)) for rule, edits in EDITS.items()}
    before = out["schedule-changed"][1]
    out["schedule-changed"] = (before, apply(before, SCHEDULE_CHANGED_AFTER))
    for rule, of in REVERSED.items():
        b, a = out[of]
        out[rule] = (a, b)
    return out


def main() -> None:
    for rule, (before, after) in sorted(pairs().items()):
        for side, text in (("before", before), ("after", after)):
            folder = HERE / rule / side
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            (folder / "spec.yaml").write_text(text, "utf-8")


if __name__ == "__main__":
    main()
