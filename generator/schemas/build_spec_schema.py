"""Authoring source of ``spec.schema.json`` (the spec format's own JSON Schema), the
one description of spec format 2.

Format 1 has no schema of its own any more: ``generator.migrate`` says, as data, how
each format-1 key becomes a format-2 one, and the loader checks a format-1 file against
this schema after migrating it in memory.

Run ``python -m generator.schemas.build_spec_schema`` after editing; a test checks that
the shipped JSON equals what this module produces, so the two cannot drift.
"""

from __future__ import annotations

import json
from pathlib import Path

from generator.kinds import kind_ids
from generator.phrases import PHRASE_HELP
from generator.privacy import OFF_RULES, PD_LEVELS

ID = "^[a-z][a-z0-9_]{0,62}$"
NAME = "^[A-Za-z][A-Za-z0-9_]{0,62}(\\.[A-Za-z][A-Za-z0-9_]{0,62}){0,3}$"
WIRE = "^[a-z][a-z0-9_]{0,62}$"
# A field's wire key is what the product really sends: any JSON object key without
# control characters (keys off the conventions get the `wire-key-convention` warning).
WIRE_KEY = "^[^\\u0000-\\u001f\\u007f-\\u009f]{1,200}$"
RULE = "^[a-z][a-z0-9-]{0,62}$"
VERSION = "^[0-9]+(\\.[0-9]+){0,3}$"


def _text(desc: str) -> dict:
    return {"type": "string", "minLength": 1, "maxLength": 20000, "description": desc}


def _obj(props: dict, required: list[str] | None = None, desc: str = "") -> dict:
    out = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        out["required"] = required
    if desc:
        out["description"] = desc
    return out


LINT_IGNORE = {
    "type": "array",
    "items": {"type": "string", "pattern": RULE},
    "uniqueItems": True,
    "description": "Lint rule ids suppressed for this element and everything inside it. "
    "A suppression that suppresses nothing is itself reported.",
}
VERSIONS = _obj(
    {
        "min": {"type": "string", "pattern": VERSION, "description": "First product version (inclusive)."},
        "max": {"type": "string", "pattern": VERSION, "description": "Last product version (inclusive)."},
    },
    desc="Product versions this exists in, both ends inclusive.",
)
EDITION_REF = {"type": "string", "pattern": ID, "description": "Id of an edition under `editions`."}
SCALAR_TYPES = ["string", "number", "boolean", "null"]
# A setting's value: a scalar or a list of scalars (kept immutable in the model).
SETTING_VALUE = {"type": [*SCALAR_TYPES, "array"], "items": {"type": SCALAR_TYPES}, "maxItems": 1000}
REDUCTIONS = ["truncation", "hashing", "path_scrubbing", "aggregation", "rounding", "allow_list"]
CONTROLS = ["console_setting", "environment_variable", "command", "config_key", "cli_flag"]
INFERRED = _text(
    "Marker written by `gen infer` on what it inferred from captured traffic (what it saw); the `needs-review` "
    "lint rule warns until a maintainer reviews the element and removes it."
)
TEXT_LIST = {"type": "array", "items": _text("One entry."), "maxItems": 1000}
# The governance block, allowed on the product, a feature, a section, a payload and a
# field; each key is inherited by everything inside the element until an inner element
# sets it.
LINK = {"type": "string", "pattern": "^https?://[^\\s]+$", "maxLength": 2000, "description": "An http(s) URL."}
GOVERNANCE_KEYS = {
    "owners": {
        "type": "array",
        "items": {"type": "string", "pattern": "^[^\\s](.*[^\\s])?$", "maxLength": 200},
        "minItems": 1,
        "maxItems": 50,
        "uniqueItems": True,
        "description": "Who answers for this data: email addresses or team handles (`@org/team`). Inherited.",
    },
    "data_reviews": {"type": "array", "items": LINK, "minItems": 1, "maxItems": 50, "uniqueItems": True,
                "description": "Links to the data reviews that approved collecting this. Inherited."},
    "tickets": {"type": "array", "items": LINK, "minItems": 1, "maxItems": 50, "uniqueItems": True,
                "description": "Links to the tickets (bugs, issues) that asked for this data. Inherited."},
    "expires": {
        "type": "string",
        "pattern": "^(never|[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]+(\\.[0-9]+){0,3})$",
        "description": "When collection stops: a date (`2027-06-30`, quoted or not), a product version (`\"8.0\"`, quoted), "
        "or `never` (then give `expiry_reason`). Inherited.",
    },
    "expiry_reason": _text("Why this is never to expire (required with `expires: never`)."),
}
GOVERNANCE = {
    "governance": _obj(
        GOVERNANCE_KEYS,
        desc="Who answers for this data, who approved it and when collection stops; each key is "
        "inherited by everything inside this element until an inner element sets it.",
    )
}

FIELD = _obj(
    {
        "name": {"type": "string", "pattern": NAME, "description": "Documented name inside its payload's group, e.g. `EnableAutoUpdate`."},
        "kind": {"enum": kind_ids(), "description": "The field's kind (see the spec reference)."},
        "wire_key": {
            "type": "string",
            "pattern": WIRE_KEY,
            "description": "Key on the wire exactly as the product sends it (any key without control characters); "
            "derived from `name` by the conventions unless given.",
        },
        "description": _text("What the field holds, as the privacy docs should say it."),
        "values": {
            "type": "array",
            "minItems": 1,
            "maxItems": 1000,
            "uniqueItems": True,
            "items": {"type": ["string", "integer", "boolean"]},
            "description": "Allowed values, for kinds that list them (enumerated_integer, enumerated_string, integer, boolean).",
        },
        "required": {"type": "boolean", "description": "Whether every payload carries the key (default true)."},
        "uses_input_data": {"type": "boolean", "description": "Whether the value is read from user input; defaults from the kind (false for setting_is_default)."},
        "personal_data": {
            "enum": list(PD_LEVELS),
            "description": "Whether the value can carry personal or identifying data: `none`, `pseudonymous` (identifies an installation or user without naming them), `possible` (e.g. an error message holding a file path) or `unreviewed` (nobody has judged it yet; `gen check` fails until someone does). Default: `unreviewed` while the field has an `inferred:` marker, `pseudonymous` for `pseudonymous_id`, else `none`.",
        },
        "personal_data_note": _text("For `personal_data: none`: why the value cannot contain personal data (required by lint for free-text kinds)."),
        "collected_because": _text("For `pseudonymous` or `possible`: why the value is collected anyway."),
        "reduction": {
            "type": "array",
            "items": {"enum": REDUCTIONS},
            "uniqueItems": True,
            "minItems": 1,
            "description": "For `pseudonymous` or `possible`: how the value is reduced before it is sent.",
        },
        "notes": {**TEXT_LIST, "description": "Maintainer notes; kept in the catalogue, not printed in the privacy docs."},
        "edition": EDITION_REF,
        "product_versions": VERSIONS,
        "lint_ignore": LINT_IGNORE,
        **GOVERNANCE,
        "inferred": INFERRED,
    },
    ["name", "kind"],
    "One documented datum.",
)

PAYLOAD = _obj(
    {
        "type": {
            "enum": ["record", "event"],
            "description": "`record` (sent on the section's schedule; named by `group` or `wire_name`) or "
            "`event` (sent when something happens; named by `wire_name`, only in `on event` sections).",
        },
        "group": {"type": "string", "pattern": NAME, "description": "For records: documented group name (e.g. `UpdateSettings`); prefixes field names and derives the wire name."},
        "wire_name": {"type": "string", "pattern": WIRE, "description": "The payload's wire name: an event's name, or a record's (derived from `group` unless given)."},
        "title": _text("Human title; defaults to the group or wire name."),
        "section": {"type": "string", "pattern": ID, "description": "Id of the section under `sections`."},
        "category": {"type": "string", "pattern": ID, "description": "For events: id of a category of the section."},
        "description": _text("What this payload is."),
        "edition": EDITION_REF,
        "product_versions": VERSIONS,
        "schema_version": {
            "type": "string",
            "pattern": "^(0|[1-9][0-9]{0,8})\\.(0|[1-9][0-9]{0,8})\\.(0|[1-9][0-9]{0,8})$",
            "description": "The payload schema's version, MAJOR.MINOR.PATCH (default 1.0.0); "
            "`gen check --baseline` says when a change needs a bump.",
        },
        "fields": {"type": "array", "items": FIELD, "maxItems": 100000, "description": "The payload's fields, in documented order."},
        "lint_ignore": LINT_IGNORE,
        **GOVERNANCE,
        "inferred": INFERRED,
    },
    ["type", "section"],
    "One message on the wire.",
)

SECTION = _obj(
    {
        "feature": {"type": "string", "pattern": ID, "description": "Id of the feature under `features`."},
        "title": _text("Heading in the privacy docs."),
        "schedule": {
            "type": "string",
            "pattern": "^(every [1-9][0-9]{0,4}(m|h|d)|on event)$",
            "description": "When it is sent, machine-readable: `every 24h` (m, h or d) or `on event`.",
        },
        "schedule_text": _text(
            "When it is sent, in the docs' words, where the interval alone does not say it "
            "(e.g. `at most once a day, after an update`); printed instead of the wording derived from `schedule`."
        ),
        "edition": EDITION_REF,
        "description": _text("What the section covers."),
        "field_groups": {
            "type": "array",
            "items": _obj(
                {
                    "title": _text("Group heading."),
                    "kinds": {"type": "array", "items": {"enum": kind_ids()}, "minItems": 1, "uniqueItems": True, "description": "Kinds of the fields in this group."},
                    "note": _text("Note printed with the group."),
                },
                ["title", "kinds"],
            ),
            "description": "How the privacy docs group the section's fields by kind, in order.",
        },
        "categories": {
            "type": "object",
            "propertyNames": {"pattern": ID},
            "additionalProperties": _obj(
                {
                    "title": _text("Category heading."),
                    "description": _text("Lead text for the category's events."),
                    "edition": EDITION_REF,
                    "product_versions": VERSIONS,
                    "lint_ignore": LINT_IGNORE,
                },
                ["title"],
            ),
            "description": "Event categories of an `on event` section, keyed by id.",
        },
        "lint_ignore": LINT_IGNORE,
        **GOVERNANCE,
    },
    ["feature", "title", "schedule"],
    "A documented group of payloads inside a feature.",
)

OPT_OUT = _obj(
    {
        "setting": {"type": "string", "pattern": NAME, "description": "Id of a setting under `settings`."},
        "off_values": {
            "oneOf": [
                {"type": "array", "items": SETTING_VALUE, "minItems": 1, "maxItems": 100, "uniqueItems": True},
                {"enum": list(OFF_RULES)},
            ],
            "description": "Every value of the setting that switches the feature off (default `[false]`; a value may be a list, "
            "for a setting that holds one); or a rule: "
            + "; ".join(f"`{k}`: {v}" for k, v in OFF_RULES.items())
            + ".",
        },
        "not_possible": _text("Instead of `setting`: why this feature cannot be switched off (the docs say so)."),
        "cost": _text("What the user loses when opting out."),
    },
    desc="One way to switch the feature off: a `setting` with its off values, or `not_possible` with the reason.",
)

FEATURE = _obj(
    {
        "title": _text("Feature name."),
        "description": _text("Why the feature exists."),
        "purposes": {**TEXT_LIST, "description": "Purposes listed under the description."},
        "sender": {"type": "string", "minLength": 1, "maxLength": 200, "description": "What sends the data, e.g. `server` or `client`."},
        "destination": {"type": "string", "minLength": 1, "maxLength": 500, "description": "Who or where receives it."},
        "opt_outs": {
            "type": "array",
            "minItems": 1,
            "maxItems": 20,
            "items": OPT_OUT,
            "description": "How the feature is switched off: every way a user can do it (several settings may each switch it off), "
            "or one entry with `not_possible` and the reason.",
        },
        "lint_ignore": LINT_IGNORE,
        **GOVERNANCE,
    },
    ["title", "sender", "destination"],
    "A unit of telemetry a user can switch off.",
)

SETTING = _obj(
    {
        "console_path": {
            "type": "array",
            "items": {"type": "string", "minLength": 1, "maxLength": 200},
            "minItems": 1,
            "maxItems": 20,
            "description": "For `console_setting`: the steps a user follows to reach the setting, e.g. [Settings, Privacy, Send usage data].",
        },
        "control": {
            "enum": CONTROLS,
            "description": "How a user changes it: `console_setting` (default; needs `console_path`), `environment_variable` (the id is the variable), `command` (needs `command`), `config_key` (`key`, default the id, in `file`) or `cli_flag` (needs `flag`).",
        },
        "command": {"type": "string", "minLength": 1, "maxLength": 500, "description": "For `command`: what the user runs, e.g. `acme telemetry disable`."},
        "flag": {"type": "string", "pattern": "^--?[A-Za-z0-9][A-Za-z0-9_-]{0,62}$", "description": "For `cli_flag`: the flag, e.g. `--no-telemetry`."},
        "key": {"type": "string", "minLength": 1, "maxLength": 200, "description": "For `config_key`: the key in the config file (default: the setting id)."},
        "file": {"type": "string", "minLength": 1, "maxLength": 500, "description": "For `config_key`: the config file, e.g. `~/.config/tool/config.toml`."},
        "default": {**SETTING_VALUE, "description": "The setting's default value (null: unset)."},
        "description": _text("What the setting does."),
    },
    [],
    "A product setting (an opt-out switch), keyed by its id, e.g. `Privacy.SendUsageData` or `ACME_NO_ANALYTICS`.",
)

PRODUCT = _obj(
    {
        "id": {"type": "string", "pattern": ID, "description": "Lowercase id of the product (used in schema ids and file names)."},
        "name": {"type": "string", "minLength": 1, "maxLength": 200, "description": "Product name as the docs print it."},
        "summary": _text("Introductory paragraph of the privacy docs."),
        "privacy_policy": _obj(
            {"title": _text("Link text (default `Privacy Policy`)."), "url": {"type": "string", "pattern": "^https?://[^\\s]+$", "description": "An http(s) URL."}},
            ["url"],
            "Link to the product's privacy policy.",
        ),
        "purposes_intro": _text("Sentence introducing the purposes list."),
        "purposes": {**TEXT_LIST, "description": "Why the data is collected, one purpose per entry."},
        "guarantees": {**TEXT_LIST, "description": "What the telemetry never contains or always does, one per entry."},
        "schema_base_uri": {"type": "string", "pattern": "^[a-z][a-z0-9+.-]*:[^\\s]*$", "description": "Prefix of every schema `$id`."},
        "conventions": _obj(
            {
                "payload_prefix": {"type": "string", "pattern": "^([a-z][a-z0-9_]{0,39})?$", "description": "Prefix of payload wire names derived from `group`, e.g. `config_`."},
                "payload_strip_suffix": {"type": "string", "maxLength": 40, "description": "Suffix removed from `group` before deriving the wire name, e.g. `Settings`."},
                "is_default_prefix": {"type": "string", "pattern": "^([a-z][a-z0-9_]{0,39})?$", "description": "Prefix of is-default fields' wire keys (default `isdefault_`)."},
                "acronyms": {
                    "type": "array",
                    "items": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9]{0,31}$"},
                    "maxItems": 1000,
                    "uniqueItems": True,
                    "description": "Acronyms kept whole when deriving names (`IPv6` -> `ipv6_enabled`), added to the defaults the generator ships.",
                },
                "numbers": {
                    "enum": ["separate", "attached"],
                    "description": "`separate` (default): a number is a word of its own (`Forward80To443` -> `forward_80_to_443`); `attached`: it joins the word before it (`forward80_to443`).",
                },
            },
            desc="How wire names are derived from documented names (see the spec reference).",
        ),
        "lint_ignore": LINT_IGNORE,
        **GOVERNANCE,
        "governance_policy": _obj(
            {
                "missing_owner": {"enum": ["error", "warning", "off"], "description": "Severity of the `missing-owner` lint rule (default off)."},
                "missing_approval": {"enum": ["error", "warning", "off"], "description": "Severity of the `missing-approval` lint rule (default off)."},
                "unreviewed": {"enum": ["error", "warning"], "description": "Severity of the `unreviewed` lint rule (default error): a field whose personal-data status nobody has reviewed."},
                "expiry_window_days": {"type": "integer", "minimum": 0, "maximum": 3650,
                                       "description": "`expiring` warns this many days before an expiry date (default 30)."},
                "expiry_window_versions": {"type": "integer", "minimum": 0, "maximum": 100,
                                           "description": "`expiring` warns this many minor versions before an expiry version (default 1)."},
            },
            desc="How strictly governance is checked: the governance lint rules' severities and the expiry warning window (see docs/lint-rules.md).",
        ),
    },
    ["id", "name"],
    "What the spec describes; exactly one file declares it.",
)

OUT_PATH = "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}(/[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}){0,9}$"
OUTPUTS = _obj(
    {
        "package": {
            "type": "string",
            "pattern": "^[a-z_][a-z0-9_]{0,62}$",
            "description": "Python package name downstream projects vendor the output folder as (e.g. `acme_telemetry`); "
            "the generated README and package docstring use it. Any name works for vendoring; this one is documented.",
        },
        "templates": {
            "type": "array",
            "maxItems": 100,
            "items": _obj(
                {
                    "name": {"type": "string", "pattern": RULE, "description": "The target's name (lowercase words joined by hyphens)."},
                    "folder": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": 1000,
                        "description": "Folder of Jinja templates (`*.j2`, rendered) and plain files (copied), relative to the spec folder.",
                    },
                    "out": {"type": "string", "pattern": OUT_PATH, "description": "Folder inside the output folder the target writes to, e.g. `typescript`."},
                    "description": _text("What the target produces (shown by `gen targets`)."),
                },
                ["name", "folder", "out"],
                "A target rendered from a folder of templates (see docs/template-context.md).",
            ),
            "description": "The maintainer's own targets, each from a folder of Jinja templates.",
        },
        "go": _obj(
            {
                "package": {
                    "type": "string",
                    "pattern": "^[a-z][a-z0-9]{0,40}$",
                    "description": "Go package name of the generated code. Default: `telemetry`.",
                },
                "module": {
                    "type": "string",
                    "pattern": "^[a-z0-9][a-z0-9._~-]*(/[A-Za-z0-9_.~-]+){0,10}$",
                    "maxLength": 200,
                    "description": "Go module path written to `go/go.mod`. Default: the product id (`_` written `-`), then `/telemetry`.",
                },
            },
            desc="Turns on the built-in `go` target: typed, validating producer code in `go/` (docs/producers.md).",
        ),
        "typescript": _obj(
            {
                "module": {
                    "type": "string",
                    "pattern": "^(@[a-z0-9][a-z0-9._-]{0,100}/)?[a-z0-9][a-z0-9._-]{0,100}$",
                    "description": "npm module name written to `typescript/package.json`. Default: `<product id>-telemetry`.",
                },
            },
            desc="Turns on the built-in `typescript` target: typed, validating producer code in `typescript/` (docs/producers.md).",
        ),
    },
    desc="What the generated package is called, which built-in producer targets and which template targets the build adds; one file declares it.",
)

SPEC_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://telemetry-spec.dev/schemas/spec-2.schema.json",
    "title": "Telemetry spec file (format 2)",
    "description": "One YAML file of a telemetry spec. A spec is a folder of such files; "
    "exactly one of them holds `product`.",
    "type": "object",
    "properties": {
        "spec_format": {"const": 2, "description": "Format version of this file (`gen migrate` rewrites a format-1 file as format 2)."},
        "product": PRODUCT,
        "editions": {
            "type": "object",
            "propertyNames": {"pattern": ID},
            "additionalProperties": _obj({"title": _text("Edition name.")}, ["title"], "A product edition."),
            "description": "Product editions some telemetry is limited to, keyed by id.",
        },
        "settings": {"type": "object", "propertyNames": {"pattern": NAME}, "additionalProperties": SETTING, "description": "Opt-out settings, keyed by id."},
        "features": {"type": "object", "propertyNames": {"pattern": ID}, "additionalProperties": FEATURE, "description": "Features, keyed by id."},
        "sections": {"type": "object", "propertyNames": {"pattern": ID}, "additionalProperties": SECTION, "description": "Documented sections, keyed by id."},
        "payloads": {"type": "array", "items": PAYLOAD, "maxItems": 100000, "description": "Payloads, in documented order."},
        "phrases": {
            "type": "object",
            "properties": {k: {"type": "string", "maxLength": 2000, "description": v} for k, v in PHRASE_HELP.items()},
            "additionalProperties": False,
            "description": "The docs' fixed wording, keyed by phrase id (a translation is one file of these); unset ones keep the generator's defaults (`generator/data/phrases.json`). `{name}` marks where a value goes.",
        },
        "outputs": OUTPUTS,
    },
    "required": ["spec_format"],
    "additionalProperties": False,
}

PATH = Path(__file__).with_name("spec.schema.json")


def render() -> str:
    """The schema as the exact text shipped in the package."""
    return json.dumps(SPEC_SCHEMA, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    PATH.write_text(render(), encoding="utf-8")
