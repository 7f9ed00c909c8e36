"""Stage 3: merge validated files into the immutable, fully resolved ``Spec``.

Checks what the JSON Schema cannot: ids unique across files, references to settings,
features, sections, categories and editions that exist, wire names and keys unique and
safe (derived ones too), model class names unique, enumerated values of the right type,
version ranges in order, event payloads only in ``on event`` sections.
Inheritance is resolved onto every payload and field here, once, so no later stage
re-derives it: edition (field, else payload, else event category, else section), version
limits (the intersection of field, payload and event category limits), schedule and
opt-out setting (from the section and its feature).

When some files fail to load or validate, the valid ones are still resolved so that
their errors are reported in the same run; a reference is only reported as unknown when
no loaded file declares the id (see ``load_resolved``).

``load_spec`` runs stages 1-3 (load, validate, resolve); lint is separate
(``generator.lint``) and ``generator.pipeline`` runs everything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.diagnostics import ERROR, Finding, error, has_errors
from generator.kinds import KINDS
from generator.load import RawFile, load_dir
from generator.model import (
    Category,
    Edition,
    Feature,
    Field,
    FieldGroup,
    Location,
    OptOut,
    Payload,
    Product,
    Schedule,
    Section,
    Setting,
    Spec,
    Versions,
)
from generator.naming import field_wire_key, pascal_case, payload_wire_name
from generator.spec_format import validate_file

_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}
_SAFE_WIRE = re.compile(r"[a-z][a-z0-9_]{0,62}")  # the spec schema's WIRE pattern
# Findings that are only sure when every file was read: a reference may point into a
# file that could not be read, and derived names depend on the product's conventions.
_NEEDS_ALL_FILES = frozenset({"unknown-reference", "missing-product"})
_NEEDS_CONVENTIONS = frozenset({"duplicate-wire-name", "duplicate-wire-key", "duplicate-model-name", "invalid-name"})
_UNIT_WORDS = {"m": "minute", "h": "hour", "d": "day"}
_UNKNOWN_SCHEDULE = Schedule("", "unknown", None, None, "")


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


def parse_schedule(text: str) -> Schedule:
    """``every 24h`` -> interval schedule ("once every 24 hours"); ``on event``."""
    if text == "on event":
        return Schedule("on event", "event", None, None, "when the specified event occurs")
    m = re.fullmatch(r"every ([1-9][0-9]*)([mhd])", text)
    assert m, text  # guaranteed by the spec schema's pattern
    n, unit = int(m.group(1)), m.group(2)
    word = _UNIT_WORDS[unit] + ("s" if n != 1 else "")
    return Schedule(text, "every", f"{n}{unit}", n * _UNIT_SECONDS[unit], f"once every {n} {word}")


def _versions(raw: dict | None) -> Versions:
    raw = raw or {}
    return Versions(raw.get("min"), raw.get("max"))


def _freeze(value: Any) -> Any:
    """A setting value as the model holds it: lists become tuples (the schema allows
    only scalars and lists of scalars)."""
    return tuple(value) if isinstance(value, list) else value


def _vkey(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in v.split("."))


def _range(v: Versions) -> str:
    if v.min and v.max:
        return f"{v.min} to {v.max}"
    return f"from {v.min}" if v.min else f"up to {v.max}"


def _intersect(own: Versions, inherited: Versions) -> Versions:
    """The versions in both ranges: the later minimum and the earlier maximum."""
    if not inherited.limited:
        return own
    if not own.limited:
        return inherited
    lo = max((v for v in (own.min, inherited.min) if v), key=_vkey, default=None)
    hi = min((v for v in (own.max, inherited.max) if v), key=_vkey, default=None)
    return Versions(lo, hi)


class _Resolver:
    def __init__(self, files: list[RawFile], elsewhere: dict[str, set] | None = None):
        self.files = files
        # Ids declared in files that loaded but failed validation: references to them
        # are not "unknown", the declaring file is merely broken.
        self.elsewhere = elsewhere or {}
        self.findings: list[Finding] = []
        self.suppressions: list[Suppression] = []

    def declared_elsewhere(self, key: str, ref: str) -> bool:
        return ref in self.elsewhere.get(key, ())

    # -- helpers ----------------------------------------------------------------------
    def err(self, code: str, msg: str, loc: Location, help: str = "") -> None:
        self.findings.append(error(code, msg, loc, help))

    def suppress(self, raw: RawFile, path: tuple, node: dict, scope: tuple) -> None:
        for i, rule in enumerate(node.get("lint_ignore", []) or []):
            self.suppressions.append(Suppression(rule, scope, raw.where(path + ("lint_ignore", i))))

    def edition(self, raw: RawFile, path: tuple, node: dict) -> Edition | None:
        ref = node.get("edition")
        if ref is None:
            return None
        if ref not in self.editions:
            if self.declared_elsewhere("editions", ref):
                return None
            self.err(
                "unknown-reference",
                f"edition {ref!r} is not declared",
                raw.where(path + ("edition",)),
                f"declare it under `editions:` or use one of: {', '.join(self.editions) or '(none declared)'}",
            )
            return None
        return self.editions[ref]

    def versions(self, raw: RawFile, path: tuple, node: dict, inherited: Versions | None = None) -> Versions:
        """The element's own limits intersected with what it inherits."""
        v = _versions(node.get("versions"))
        if v.min and v.max and _vkey(v.min) > _vkey(v.max):
            self.err(
                "invalid-versions",
                f"versions.min {v.min} is after versions.max {v.max}",
                raw.where(path + ("versions",)),
                "swap them or fix the version numbers",
            )
            return v
        if inherited is None or not v.limited:
            return inherited or v
        if inherited.min and inherited.max and _vkey(inherited.min) > _vkey(inherited.max):
            return v  # the enclosing range is itself wrong (already reported)
        both = _intersect(v, inherited)
        if both.min and both.max and _vkey(both.min) > _vkey(both.max):
            self.err(
                "invalid-versions",
                f"versions ({_range(v)}) lie outside those of the enclosing element ({_range(inherited)})",
                raw.where(path + ("versions",)),
                "an element exists only where its payload or category exists; fix the range",
            )
            return v
        return both

    def unsafe_wire(self, name: str, what: str, loc: Location, fix: str) -> None:
        """Report a derived wire name or key that is not as safe as a hand-written one
        must be (callers check ``_SAFE_WIRE`` first: this runs per field)."""
        self.err(
            "invalid-name",
            f"derived {what} {name!r} is not a safe name (lowercase letters, digits and underscores, starting with a letter, at most 63)",
            loc,
            fix,
        )

    def collect(self, key: str) -> dict[str, tuple[RawFile, Any]]:
        """Merge a top-level mapping across files; a repeated id is an error."""
        out: dict[str, tuple[RawFile, Any]] = {}
        for raw in self.files:
            for k, v in (raw.data.get(key) or {}).items():
                if k in out:
                    first = out[k][0].key_where((key, k))
                    self.err(
                        "duplicate-id",
                        f"{key[:-1]} {k!r} is already defined at {first}",
                        raw.key_where((key, k)),
                        "ids must be unique across all spec files; rename or remove one",
                    )
                    continue
                out[k] = (raw, v)
        return out

    # -- stages -----------------------------------------------------------------------
    def run(self) -> Resolved | None:
        products = [(raw, raw.data["product"]) for raw in self.files if "product" in raw.data]
        if not products:
            first = self.files[0].path if self.files else "spec"
            self.err("missing-product", "no file declares `product`", Location(first, 1, 1), "add a `product:` block (id, name, ...) to one spec file")
            if not self.files:
                return None
            # Go on with a stand-in so that the other files' errors are reported too;
            # the spec has an error, so this model is never returned.
            products = [(self.files[0], {"id": "unknown", "name": "unknown"})]
        for raw, _ in products[1:]:
            self.err(
                "duplicate-id",
                f"`product` is already declared in {products[0][0].path}",
                raw.key_where(("product",)),
                "declare the product in exactly one file",
            )
        praw, p = products[0]
        conv = p.get("conventions", {}) or {}
        self.conventions = (
            conv.get("payload_prefix", ""),
            conv.get("payload_strip_suffix", ""),
            conv.get("is_default_prefix", "isdefault_"),
        )
        policy = p.get("privacy_policy", {}) or {}
        product = Product(
            id=p["id"],
            name=p["name"],
            summary=p.get("summary", ""),
            privacy_policy_title=policy.get("title", "Privacy Policy"),
            privacy_policy_url=policy.get("url", ""),
            purposes_intro=p.get("purposes_intro", ""),
            purposes=tuple(p.get("purposes", [])),
            guarantees=tuple(p.get("guarantees", [])),
            schema_base_uri=p.get("schema_base_uri", f"urn:telemetry:{p['id']}:schema:"),
            location=praw.key_where(("product",)),
        )
        self.suppress(praw, ("product",), p, ("product",))

        self.editions = {k: Edition(k, v["title"]) for k, (raw, v) in self.collect("editions").items()}
        settings = {}
        for k, (raw, v) in self.collect("settings").items():
            settings[k] = Setting(
                id=k,
                console_path=tuple(v["console_path"]),
                default=_freeze(v.get("default")),
                description=v.get("description", ""),
                location=raw.key_where(("settings", k)),
            )
        self.settings = settings

        features = {}
        for k, (raw, v) in self.collect("features").items():
            path = ("features", k)
            opt = None
            if "opt_out" in v:
                ref = v["opt_out"]["setting"]
                if ref not in settings and self.declared_elsewhere("settings", ref):
                    pass
                elif ref not in settings:
                    self.err(
                        "unknown-reference",
                        f"opt-out setting {ref!r} is not declared",
                        raw.where(path + ("opt_out", "setting")),
                        "declare it under `settings:`"
                        + (f"; declared: {', '.join(sorted(settings))}" if settings else ""),
                    )
                else:
                    opt = OptOut(settings[ref], v["opt_out"].get("cost", ""), _freeze(v["opt_out"].get("off_value", False)))
            features[k] = Feature(
                id=k,
                title=v["title"],
                description=v.get("description", ""),
                purposes=tuple(v.get("purposes", [])),
                sender=v["sender"],
                destination=v["destination"],
                opt_out=opt,
                location=raw.key_where(path),
            )
            self.suppress(raw, path, v, ("feature", k))

        sections = {}
        for k, (raw, v) in self.collect("sections").items():
            path = ("sections", k)
            if v["feature"] not in features and not self.declared_elsewhere("features", v["feature"]):
                self.err(
                    "unknown-reference",
                    f"section {k!r} names feature {v['feature']!r}, which is not declared",
                    raw.where(path + ("feature",)),
                    f"use one of: {', '.join(features) or '(no features declared)'}",
                )
                # Resolve the section anyway (the spec has an error, so the model is
                # never used) so that its payloads are checked in this run too.
            cats = []
            for cid, c in (v.get("categories") or {}).items():
                cpath = path + ("categories", cid)
                cats.append(
                    Category(
                        id=cid,
                        title=c["title"],
                        description=c.get("description", ""),
                        edition=self.edition(raw, cpath, c),
                        versions=self.versions(raw, cpath, c),
                        location=raw.key_where(cpath),
                    )
                )
                self.suppress(raw, cpath, c, ("category", k, cid))
            schedule = parse_schedule(v["schedule"])
            if cats and schedule.trigger != "event":
                self.err(
                    "invalid-value",
                    f"section {k!r} has event categories but schedule {v['schedule']!r}",
                    raw.where(path + ("schedule",)),
                    "event categories belong in `schedule: on event` sections",
                )
            sections[k] = Section(
                id=k,
                title=v["title"],
                feature_id=v["feature"],
                schedule=schedule,
                edition=self.edition(raw, path, v),
                description=v.get("description", ""),
                field_groups=tuple(
                    FieldGroup(g["title"], tuple(g["kinds"]), g.get("note", "")) for g in v.get("field_groups", [])
                ),
                categories=tuple(cats),
                location=raw.key_where(path),
            )
            self.suppress(raw, path, v, ("section", k))

        payloads = self.payloads(features, dict(sections))  # may add stand-ins to its copy
        spec = Spec(
            format_version=1,
            product=product,
            editions=tuple(self.editions.values()),
            settings=tuple(settings.values()),
            features=tuple(features.values()),
            sections=tuple(sections.values()),
            payloads=tuple(payloads),
        )
        return Resolved(spec, tuple(self.suppressions))

    def payloads(self, features: dict, sections: dict) -> list[Payload]:
        prefix, strip, isdef_prefix = self.conventions
        out: list[Payload] = []
        self.standins: set[str] = set()
        seen: dict[str, Location] = {}
        models: dict[str, tuple[str, Location]] = {}  # class name -> (wire name, where)
        for raw in self.files:
            for i, p in enumerate(raw.data.get("payloads") or []):
                path = ("payloads", i)
                loc = raw.where(path)
                sid = p["section"]
                known = sid in sections
                if not known:
                    if not self.declared_elsewhere("sections", sid):
                        self.err(
                            "unknown-reference",
                            f"payload names section {sid!r}, which is not declared",
                            raw.where(path + ("section",)),
                            f"use one of: {', '.join(sections) or '(no sections declared)'}",
                        )
                    # Check the payload's own content anyway, against a stand-in section
                    # whose schedule and categories are unknown (the model is discarded).
                    sections[sid] = Section(sid, "", "", _UNKNOWN_SCHEDULE, None, "", (), (), loc)
                    self.standins.add(sid)
                section = sections[sid]
                known = sid not in self.standins
                feature = features.get(section.feature_id)
                if feature is None:  # already reported (or declared in a broken file)
                    feature = Feature(section.feature_id, "", "", (), "", "", None, section.location)
                category = None
                if "event" in p:
                    ptype = "event"
                    wire = p["event"]
                    for bad in ("group", "wire_name"):
                        if bad in p:
                            self.err("invalid-value", f"an event payload cannot have `{bad}`", raw.key_where(path + (bad,)), "remove it; `event` is the wire name")
                    if known and section.schedule.trigger != "event":
                        self.err(
                            "invalid-value",
                            f"event {wire!r} is in section {sid!r}, whose schedule is {section.schedule.id!r}",
                            raw.where(path + ("section",)),
                            "put events in a section with `schedule: on event`",
                        )
                    cid = p.get("category")
                    if not known:
                        pass
                    elif cid is not None:
                        category = next((c for c in section.categories if c.id == cid), None)
                        if category is None:
                            self.err(
                                "unknown-reference",
                                f"category {cid!r} is not declared in section {sid!r}",
                                raw.where(path + ("category",)),
                                f"use one of: {', '.join(c.id for c in section.categories) or '(none declared)'}",
                            )
                    elif section.categories:
                        self.err("missing-key", f"event {wire!r} needs a `category`", loc, f"use one of: {', '.join(c.id for c in section.categories)}")
                else:
                    ptype = "record"
                    if "category" in p:
                        self.err("invalid-value", "only event payloads have a `category`", raw.key_where(path + ("category",)), "remove it, or make this an `event:` payload")
                    if "wire_name" in p:
                        wire = p["wire_name"]
                    elif "group" in p:
                        wire = payload_wire_name(p["group"], prefix, strip)
                        if not _SAFE_WIRE.fullmatch(wire):
                            self.unsafe_wire(wire, "payload wire name", raw.where(path + ("group",)), "set `wire_name:` on the payload, or change the product's `conventions`")
                    else:
                        self.err("missing-key", "a payload needs `group`, `wire_name` or `event`", loc, "name the payload")
                        continue
                    if known and section.schedule.trigger == "event":
                        self.err("invalid-value", f"record payload {wire!r} is in `on event` section {sid!r}", raw.where(path + ("section",)), "use `event:` for payloads of event sections")
                if wire in seen:
                    self.err(
                        "duplicate-wire-name",
                        f"payload wire name {wire!r} is already used at {seen[wire]}",
                        loc,
                        "give one of them a different `group`, `wire_name` or `event`",
                    )
                    continue
                seen[wire] = loc
                model = pascal_case(wire)
                if model in models:
                    self.err(
                        "duplicate-model-name",
                        f"payload {wire!r} and payload {models[model][0]!r} (at {models[model][1]}) would both be model class {model!r}",
                        loc,
                        "wire names that differ only in underscores make the same class name; rename one",
                    )
                models.setdefault(model, (wire, loc))
                group = p.get("group", "")
                edition = self.edition(raw, path, p) or (category.edition if category else None) or section.edition
                versions = self.versions(raw, path, p, category.versions if category else None)
                opt_setting = feature.opt_out.setting.id if feature.opt_out else None
                self.suppress(raw, path, p, ("payload", wire))
                fields = self.fields(raw, path, p, wire, group, section, feature, edition, versions, opt_setting, isdef_prefix)
                out.append(
                    Payload(
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
                        fields=tuple(fields),
                        location=loc,
                    )
                )
        return out

    def fields(self, raw, ppath, p, wire, group, section, feature, edition, versions, opt_setting, isdef_prefix) -> list[Field]:
        out: list[Field] = []
        names: dict[tuple, Location] = {}
        keys: dict[str, Location] = {}
        for j, f in enumerate(p.get("fields") or []):
            path = ppath + ("fields", j)
            loc = raw.where(path)
            kind = KINDS[f["kind"]]
            is_default = kind.id == "is_default"
            ident = (f["name"], is_default)
            label = f["name"] + (" (is-default)" if is_default else "")
            if ident in names:
                self.err(
                    "duplicate-field",
                    f"field {label!r} is already declared in payload {wire!r} at {names[ident]}",
                    loc,
                    "remove the repeated field (keep a note on the first if the source lists it twice)",
                )
                continue
            names[ident] = loc
            key = f.get("wire_key")
            if key is None:
                key = field_wire_key(f["name"], is_default, isdef_prefix)
                if not _SAFE_WIRE.fullmatch(key):
                    self.unsafe_wire(key, "wire key", raw.where(path + ("name",)), "set `wire_key:` on the field")
            if key in keys:
                self.err(
                    "duplicate-wire-key",
                    f"wire key {key!r} of field {label!r} is already used in payload {wire!r} at {keys[key]}",
                    loc,
                    "set a distinct `wire_key:` on one of them",
                )
                continue
            keys[key] = loc
            values = tuple(f.get("values", ()))
            if values:
                if not kind.enumerable:
                    self.err(
                        "invalid-value",
                        f"kind {kind.id!r} cannot list `values`",
                        raw.key_where(path + ("values",)),
                        "use an enumerated kind (enumerated_integer, enumerated_boolean, enumerated_string, integer) or drop `values`",
                    )
                else:
                    jtype = kind.json_schema["type"]
                    for vi, val in enumerate(values):
                        ok = (
                            (jtype == "integer" and isinstance(val, int) and not isinstance(val, bool))
                            or (jtype == "boolean" and isinstance(val, bool))
                            or (jtype == "string" and isinstance(val, str))
                        )
                        if not ok:
                            self.err(
                                "invalid-value",
                                f"value {val!r} does not fit kind {kind.id!r} ({jtype})",
                                raw.where(path + ("values", vi)),
                                f"list {jtype} values only",
                            )
            self.suppress(raw, path, f, ("field", wire, key))
            fversions = self.versions(raw, path, f, versions) if "versions" in f else versions
            out.append(
                Field(
                    name=f["name"],
                    qualified_name=f"{group}.{f['name']}" if group else f["name"],
                    wire_key=key,
                    kind=kind,
                    description=f.get("description", ""),
                    values=values,
                    required=f.get("required", True),
                    uses_input_data=f.get("uses_input_data", kind.uses_input_data),
                    personal_data_note=f.get("personal_data_note", ""),
                    notes=tuple(f.get("notes", ())),
                    payload=wire,
                    section_id=section.id,
                    feature_id=feature.id,
                    schedule=section.schedule,
                    opt_out_setting=opt_setting,
                    edition=self.edition(raw, path, f) or edition,
                    versions=fversions,
                    location=loc,
                )
            )
        return out


def resolve(files: list[RawFile], elsewhere: dict[str, set] | None = None) -> tuple[Resolved | None, list[Finding]]:
    """Stage 3 on validated files.  ``elsewhere`` holds ids (by top-level key) declared
    in files that failed validation, so references to them are not reported."""
    r = _Resolver(files, elsewhere)
    resolved = r.run()
    if has_errors(r.findings):
        return None, r.findings
    return resolved, r.findings


def _declared_ids(files: list[RawFile]) -> dict[str, set]:
    """Ids the top-level mappings of ``files`` declare (even if the files are invalid)."""
    out: dict[str, set] = {}
    for raw in files:
        for key in ("editions", "settings", "features", "sections"):
            block = raw.data.get(key)
            if isinstance(block, dict):
                out.setdefault(key, set()).update(block)
    return out


def load_resolved(spec_dir: Path) -> tuple[Resolved | None, list[Finding]]:
    """Stages 1-3: load every file, validate each, resolve.  All findings together.

    Files that fail validation are left out of the model, but the valid ones are still
    resolved so that their errors show up in the same run.  What the broken files
    declare is known (their top-level ids), so a reference to it is not called unknown.
    Only when a file could not be read at all (a YAML error) are unknown references
    dropped, and findings about derived names are dropped when the file declaring the
    product (and so the naming conventions) is broken.
    """
    files, findings = load_dir(Path(spec_dir))
    unreadable = any(f.code != "empty-file" for f in findings if f.severity == ERROR)
    good, broken = [], []
    for raw in files:
        errs = validate_file(raw)
        findings.extend(errs)
        (broken if errs else good).append(raw)
    if not has_errors(findings):
        resolved, more = resolve(good)
        if resolved is not None:  # the template targets (generator.outputs)
            resolved, more = _with_outputs(Path(spec_dir), good, resolved, more)
        return resolved, findings + more
    if good:
        _, more = resolve(good, _declared_ids(broken))
        drop: set[str] = set()
        if unreadable:
            drop |= _NEEDS_ALL_FILES
        if any("product" in raw.data for raw in broken):
            drop |= _NEEDS_CONVENTIONS | {"missing-product"}
        findings.extend(f for f in more if f.code not in drop)
    return None, findings


def _with_outputs(spec_dir: Path, files: list[RawFile], resolved: Resolved, findings: list[Finding]):
    from dataclasses import replace

    from generator.outputs import resolve_outputs

    outputs, more = resolve_outputs(spec_dir, files)
    if has_errors(more):
        return None, findings + more
    return Resolved(replace(resolved.spec, outputs=outputs), resolved.suppressions), findings + more


def load_spec(spec_dir: Path) -> tuple[Spec | None, list[Finding]]:
    """The resolved model of the spec in ``spec_dir`` (None when it has errors)."""
    resolved, findings = load_resolved(spec_dir)
    return (resolved.spec if resolved else None), findings
