"""Resolving payloads and their fields against a fully built ``Context``: wire names
(given or derived), model class names, event/record shape, categories, inheritance
(edition, versions, schedule, opt-out) and field values.

Must not: change the context or resolve declarations.
"""


from __future__ import annotations

from dataclasses import dataclass, field

from generator.kinds import KINDS
from generator.load import RawFile
from generator.model import (
    Category,
    Edition,
    Feature,
    Field,
    Governance,
    Location,
    Payload,
    Schedule,
    Section,
    Versions,
)
from generator.naming import (
    GENERATED_IDENTIFIERS,
    field_wire_key,
    pascal_case,
    payload_wire_name,
    windows_reserved,
)
from generator.privacy import default_level
from generator.resolve.context import (
    SAFE_WIRE,
    Context,
    Report,
    did_you_mean,
    edition_of,
    unsafe_wire,
    versions_of,
)
from generator.resolve.governance import GOVERNANCE, governance_of

_UNKNOWN_SCHEDULE = Schedule("", "unknown", None, None, "")
_IS_DEFAULT = KINDS["setting_is_default"]


@dataclass(frozen=True)
class _Inherited:
    """What a payload hands down to its fields."""

    raw: RawFile
    path: tuple
    wire: str
    group: str
    section: Section
    feature: Feature
    edition: Edition | None
    versions: Versions
    opt_setting: str | None
    governance: Governance


def _section_of(ctx: Context, names: _Names, raw: RawFile, path: tuple, sid: str) -> Section | None:
    """The payload's section; None when unknown (reported once per id, unless a broken
    file declares it): the payload is then checked against a stand-in whose schedule
    and categories are unknown (the model is discarded)."""
    if sid in ctx.sections:
        return ctx.sections[sid]
    if sid not in names.unknown_sections and not ctx.declared_elsewhere("sections", sid):
        names.unknown_sections.add(sid)
        ctx.report.error(
            "unknown-reference",
            f"payload names section {sid!r}, which is not declared",
            raw.where(path + ("section",)),
            did_you_mean(sid, ctx.sections, "declare it under `sections:`"),
        )
    return None


def _event_shape(ctx: Context, raw: RawFile, path: tuple, p: dict, section: Section | None) -> Category | None:
    """Check an event payload's keys and section; its category (None when it has none
    or it is unknown)."""
    wire = p["wire_name"]
    if "group" in p:
        ctx.report.error("invalid-value", "an event payload cannot have `group`", raw.key_where(path + ("group",)), "remove it; an event is named by its `wire_name`")
    if section is None:
        return None
    sid = section.id
    if section.schedule.trigger != "event":
        ctx.report.error(
            "invalid-value",
            f"event {wire!r} is in section {sid!r}, whose schedule is {section.schedule.id!r}",
            raw.where(path + ("section",)),
            "put events in a section with `schedule: on event`",
        )
    cid = p.get("category")
    if cid is not None:
        category = next((c for c in section.categories if c.id == cid), None)
        if category is None:
            ctx.report.error(
                "unknown-reference",
                f"category {cid!r} is not declared in section {sid!r}",
                raw.where(path + ("category",)),
                did_you_mean(cid, [c.id for c in section.categories], f"declare it under `categories:` of section {sid!r}"),
            )
        return category
    if section.categories:
        ctx.report.error("missing-key", f"event {wire!r} needs a `category`", raw.where(path), f"use one of: {', '.join(c.id for c in section.categories)}")
    return None


def _record_wire(ctx: Context, raw: RawFile, path: tuple, p: dict, section: Section | None) -> str | None:
    """A record payload's wire name (given or derived); None when it has none."""
    if "category" in p:
        ctx.report.error("invalid-value", "only event payloads have a `category`", raw.key_where(path + ("category",)), "remove it, or make this a `type: event` payload")
    if "wire_name" in p:
        wire = p["wire_name"]
    elif "group" in p:
        conv = ctx.conventions
        wire = payload_wire_name(p["group"], conv.payload_prefix, conv.payload_strip_suffix, conv.acronyms, conv.numbers)
        if not SAFE_WIRE.fullmatch(wire):
            unsafe_wire(ctx.report, wire, "payload wire name", raw.where(path + ("group",)), "set `wire_name:` on the payload, or change the product's `conventions`")
    else:
        ctx.report.error("missing-key", "a record payload needs `group` or `wire_name`", raw.where(path), "name the payload")
        return None
    if section is not None and section.schedule.trigger == "event":
        ctx.report.error("invalid-value", f"record payload {wire!r} is in `on event` section {section.id!r}", raw.where(path + ("section",)), "use `type: event` for payloads of event sections")
    return wire


@dataclass
class _Names:
    """Payload wire names and model class names seen so far (duplicates are errors),
    the unknown section ids already reported, and the safe wire keys derived so far (by
    documented name and whether it is an is-default boolean: many payloads repeat a
    name, and the product's conventions are the same for all)."""

    wires: dict[str, Location] = field(default_factory=dict)
    models: dict[str, tuple[str, Location]] = field(default_factory=dict)
    unknown_sections: set[str] = field(default_factory=set)
    derived: dict[tuple[str, bool], str] = field(default_factory=dict)

    def claim(self, report: Report, wire: str, loc: Location) -> bool:
        """Record ``wire``; False (reported) when another payload already has it.  A
        clash of model class names is reported but the payload is still resolved."""
        if wire in self.wires:
            report.error(
                "duplicate-wire-name",
                f"payload wire name {wire!r} is already used at {self.wires[wire]}",
                loc,
                "give one of them a different `group`, `wire_name` or `event`",
            )
            return False
        self.wires[wire] = loc
        model = pascal_case(wire)
        if windows_reserved(wire):
            report.error(
                "invalid-name",
                f"payload wire name {wire!r} is a device name Windows reserves (con, prn, aux, nul, com0-9, lpt0-9, in any case)",
                loc,
                f"rename the payload: files named after it (schemas/{wire}.schema.json) cannot be checked out on Windows",
            )
        if model in GENERATED_IDENTIFIERS:
            report.error(
                "invalid-name",
                f"payload {wire!r} would be model class {model!r}, a name the generated models package already uses",
                loc,
                f"rename the payload; reserved class names: {', '.join(sorted(GENERATED_IDENTIFIERS))}",
            )
        if model in self.models:
            other, where = self.models[model]
            report.error(
                "duplicate-model-name",
                f"payload {wire!r} and payload {other!r} (at {where}) would both be model class {model!r}",
                loc,
                "wire names that differ only in underscores make the same class name; rename one",
            )
        else:
            self.models[model] = (wire, loc)
        return True


def _payload(ctx: Context, names: _Names, raw: RawFile, index: int, p: dict) -> Payload | None:
    """One payload with its fields, or None when it cannot be named."""
    path = ("payloads", index)
    loc = raw.where(path)
    sid = p["section"]
    section = _section_of(ctx, names, raw, path, sid)
    if p["type"] == "event":
        if "wire_name" not in p:
            ctx.report.error("missing-key", "an event payload needs `wire_name` (the event's name)", raw.where(path), "add `wire_name:`")
            return None
        ptype, wire = "event", p["wire_name"]
        category = _event_shape(ctx, raw, path, p, section)
    else:
        ptype, category = "record", None
        wire = _record_wire(ctx, raw, path, p, section)
        if wire is None:
            return None
    if not names.claim(ctx.report, wire, loc):
        return None
    if section is None:
        section = Section(sid, "", "", _UNKNOWN_SCHEDULE, None, "", (), (), loc)
    feature = ctx.features.get(section.feature_id)
    if feature is None:  # already reported (or declared in a broken file)
        feature = Feature(section.feature_id, "", "", (), "", "", None, section.location)
    group = p.get("group", "")
    edition = edition_of(ctx.report, ctx.editions, ctx.elsewhere, raw, path, p) or (category.edition if category else None) or section.edition
    versions = versions_of(ctx.report, raw, path, p, category.versions if category else None)
    opt_setting = feature.opt_out.setting.id if feature.opt_out and feature.opt_out.setting else None
    ctx.report.suppress(raw, path, p, ("payload", wire))
    governance = governance_of(ctx.report, raw, path, p, section.governance, ("payload", wire))
    inherited = _Inherited(raw, path, wire, group, section, feature, edition, versions, opt_setting, governance)
    return Payload(
        wire_name=wire,
        type=ptype,
        title=p.get("title", group or wire),
        group=group,
        description=p.get("description", ""),
        section_id=sid,
        feature_id=feature.id,
        category_id=category.id if category else None,
        schedule=section.schedule,
        opt_out_setting=opt_setting,
        edition=edition,
        versions=versions,
        fields=_fields(ctx, names, inherited, p.get("fields") or []),
        location=loc,
        version=p.get("schema_version", "1.0.0"),
        review=p.get("inferred", ""),
        governance=governance,
    )


def _check_values(ctx: Context, raw: RawFile, path: tuple, kind, values: tuple) -> None:
    """Only enumerable kinds list values, and each value fits the kind's JSON type."""
    if not kind.enumerable:
        ctx.report.error(
            "invalid-value",
            f"kind {kind.id!r} cannot list `values`",
            raw.key_where(path + ("values",)),
            f"use a kind that lists values ({', '.join(k.id for k in KINDS.values() if k.enumerable)}) or drop `values`",
        )
        return
    jtype = kind.json_schema["type"]
    for vi, val in enumerate(values):
        ok = (
            (jtype == "integer" and isinstance(val, int) and not isinstance(val, bool))
            or (jtype == "boolean" and isinstance(val, bool))
            or (jtype == "string" and isinstance(val, str))
        )
        if not ok:
            ctx.report.error("invalid-value", f"value {val!r} does not fit kind {kind.id!r} ({jtype})", raw.where(path + ("values", vi)), f"list {jtype} values only")


def _fields(ctx: Context, names: _Names, up: _Inherited, raw_fields: list) -> tuple[Field, ...]:
    """A payload's fields, with what they inherit from ``up`` resolved onto each.

    Runs once per field of the spec (tens of thousands), so what is the same for every
    field of the payload is looked up once, a part a field does not set (edition,
    versions, governance, ``lint_ignore``) costs one membership test, and a derived wire
    key is computed and checked once per documented name and kind (``_Names.derived``)."""
    raw = up.raw
    positions, file = raw.positions, raw.path
    report, conv, derived = ctx.report, ctx.conventions, names.derived
    wire, group, up_edition, up_versions, up_gov = up.wire, up.group, up.edition, up.versions, up.governance
    section_id, feature_id, schedule, opt_setting = up.section.id, up.feature.id, up.section.schedule, up.opt_setting
    base = up.path + ("fields",)
    out: list[Field] = []
    seen: dict[tuple, Location] = {}
    keys: dict[str, Location] = {}
    for j, f in enumerate(raw_fields):
        path = base + (j,)
        if report.skipped and report.skips(raw, path):
            continue
        pos = positions.get(path)
        loc = Location(file, pos[0], pos[1]) if pos is not None else raw.where(path)
        kind = KINDS[f["kind"]]
        name = f["name"]
        is_default = kind is _IS_DEFAULT
        ident = (name, is_default)
        if ident in seen:
            report.error(
                "duplicate-field",
                f"field {_label(name, is_default)!r} is already declared in payload {wire!r} at {seen[ident]}",
                loc,
                "remove the repeated field (keep a note on the first if the source lists it twice)",
            )
            continue
        seen[ident] = loc
        key = f.get("wire_key")
        if key is None:
            key = derived.get(ident)
            if key is None:  # derived and checked once per name (an unsafe one each time: it is reported)
                key = field_wire_key(name, is_default, conv.is_default_prefix, conv.acronyms, conv.numbers)
                if SAFE_WIRE.fullmatch(key):
                    derived[ident] = key
                else:  # reported; the field is left out (lint would judge a key nobody wrote)
                    unsafe_wire(report, key, "wire key", raw.where(path + ("name",)), "set `wire_key:` on the field")
                    continue
        if key in keys:
            report.error(
                "duplicate-wire-key",
                f"wire key {key!r} of field {_label(name, is_default)!r} is already used in payload {wire!r} at {keys[key]}",
                loc,
                "set a distinct `wire_key:` on one of them",
            )
            continue
        keys[key] = loc
        values = tuple(f["values"]) if "values" in f else ()
        if values:
            _check_values(ctx, raw, path, kind, values)
        if "lint_ignore" in f:
            report.suppress(raw, path, f, ("field", wire, key))
        out.append(
            Field(
                name=name,
                qualified_name=f"{group}.{name}" if group else name,
                wire_key=key,
                kind=kind,
                description=f.get("description", ""),
                values=values,
                required=f.get("required", True),
                uses_input_data=f.get("uses_input_data", kind.uses_input_data),
                personal_data_note=f.get("personal_data_note", ""),
                personal_data=f.get("personal_data") or default_level(kind.id, f.get("inferred", "")),
                collected_because=f.get("collected_because", ""),
                reduction=tuple(f["reduction"]) if "reduction" in f else (),
                notes=tuple(f["notes"]) if "notes" in f else (),
                payload=wire,
                section_id=section_id,
                feature_id=feature_id,
                schedule=schedule,
                opt_out_setting=opt_setting,
                edition=(edition_of(report, ctx.editions, ctx.elsewhere, raw, path, f) if "edition" in f else None) or up_edition,
                versions=versions_of(report, raw, path, f, up_versions) if "product_versions" in f else up_versions,
                location=loc,
                review=f.get("inferred", ""),
                governance=up_gov if GOVERNANCE not in f else governance_of(report, raw, path, f, up_gov, ("field", wire, key)),
            )
        )
    return tuple(out)


def _label(name: str, is_default: bool) -> str:
    """A field's name in messages: the is-default boolean of a setting is marked."""
    return name + (" (is-default)" if is_default else "")


def resolve_payloads(ctx: Context, files: list[RawFile]) -> list[Payload]:
    """Every payload of ``files`` in declaration order (those that cannot be named or
    repeat a wire name are left out, and reported)."""
    names = _Names()
    out = []
    for raw in files:
        for i, p in enumerate(raw.data.get("payloads") or []):
            if ctx.report.skips(raw, ("payloads", i)):
                continue
            payload = _payload(ctx, names, raw, i, p)
            if payload is not None:
                out.append(payload)
    return out
