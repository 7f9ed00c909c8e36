"""Resolving the declarations: product, editions, settings, features and sections,
into the frozen ``Context`` that payloads are then resolved against.

Must not: read payloads (``payloads`` does, after the context is complete).
"""


from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from generator.load import RawFile
from generator.model import (
    NO_GOVERNANCE,
    Category,
    Edition,
    Feature,
    FieldGroup,
    Location,
    OptOut,
    Product,
    Schedule,
    Section,
    Setting,
)
from generator.phrases import DEFAULTS, merged, placeholders, plain
from generator.resolve.context import (
    Context,
    Conventions,
    Report,
    collect,
    conventions_of,
    did_you_mean,
    edition_of,
    freeze,
    versions_of,
)
from generator.resolve.governance import governance_of, product_governance

_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}
_UNIT_WORDS = {"m": "minute", "h": "hour", "d": "day"}


def parse_schedule(text: str, phrases: Mapping[str, str] = DEFAULTS, says: str = "") -> Schedule:
    """``every 24h`` -> interval schedule ("once every 24 hours"); ``on event``.  The
    wording is ``says`` (a section's ``schedule_text``) when given, else from ``phrases``
    (``schedule_every_hours``, ``schedule_on_event``, ...)."""
    if text == "on event":
        return Schedule("on event", "event", None, None, says or phrases["schedule_on_event"])
    m = re.fullmatch(r"every ([1-9][0-9]*)([mhd])", text)
    assert m, text  # guaranteed by the spec schema's pattern
    n, unit = int(m.group(1)), m.group(2)
    key = f"schedule_every_{_UNIT_WORDS[unit]}" + ("s" if n != 1 else "")
    return Schedule(text, "every", f"{n}{unit}", n * _UNIT_SECONDS[unit], says or plain(phrases[key], n=n))


def _phrases(report: Report, files: list[RawFile]) -> dict[str, str]:
    """The defaults with every file's ``phrases`` applied; a phrase set twice, or using a
    placeholder its default does not have, is an error."""
    overrides = {}
    for k, (raw, text) in collect(report, files, "phrases").items():
        extra = placeholders(text) - placeholders(DEFAULTS[k])
        if extra:
            report.error(
                "invalid-value",
                f"phrase {k!r} uses {', '.join('{' + x + '}' for x in sorted(extra))}, which it cannot fill",
                raw.where(("phrases", k)),
                f"use only {', '.join('{' + x + '}' for x in sorted(placeholders(DEFAULTS[k]))) or 'no placeholders'} (the default is {DEFAULTS[k]!r})",
            )
        overrides[k] = text
    return merged(overrides)


def _product(report: Report, files: list[RawFile]) -> tuple[Product, Conventions]:
    """The one product block (a stand-in when none is declared, already reported, so
    that the other files' errors are found in the same run)."""
    products = [(raw, raw.data["product"]) for raw in files if "product" in raw.data]
    if not products:
        report.error("missing-product", "no file declares `product`", Location(files[0].path, 1, 1), "add a `product:` block (id, name, ...) to one spec file")
        products = [(files[0], {"id": "unknown", "name": "unknown"})]
    for raw, _ in products[1:]:
        report.error(
            "duplicate-id",
            f"`product` is already declared in {products[0][0].path}",
            raw.key_where(("product",)),
            "declare the product in exactly one file",
        )
    praw, p = products[0]
    conventions = conventions_of(p)
    policy = p.get("privacy_policy", {}) or {}
    governance, governance_policy = product_governance(report, praw, p)
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
        governance=governance,
        governance_policy=governance_policy,
    )
    report.suppress(praw, ("product",), p, ("product",))
    return product, conventions


_CONTROL_NEEDS = {"console_setting": "console_path", "command": "command", "cli_flag": "flag"}


def _settings(report: Report, files: list[RawFile]) -> dict[str, Setting]:
    out = {}
    for k, (raw, v) in collect(report, files, "settings").items():
        kind = v.get("control", "console_setting")
        need = _CONTROL_NEEDS.get(kind)
        if need and need not in v:
            others = ", ".join(c for c in ("console_setting", "environment_variable", "command", "config_key", "cli_flag") if c != kind)
            report.error(
                "missing-key",
                f"setting {k!r} with control {kind!r} needs `{need}`",
                raw.key_where(("settings", k)),
                f"add `{need}:`, or give the setting another `control` ({others})",
            )
        out[k] = Setting(
            id=k,
            console_path=tuple(v.get("console_path", ())),
            default=freeze(v.get("default")),
            description=v.get("description", ""),
            location=raw.key_where(("settings", k)),
            kind=kind,
            command=v.get("command", ""),
            flag=v.get("flag", ""),
            key=v.get("key", k if kind == "config_key" else ""),
            file=v.get("file", ""),
        )
    return out


def _opt_out(report: Report, raw: RawFile, path: tuple, o: dict, settings: Mapping[str, Setting], elsewhere) -> OptOut | None:
    """A feature's opt-out: a declared setting and its off values, or ``not_possible``."""
    where = raw.where(path)
    if ("setting" in o) == ("not_possible" in o):
        report.error("missing-key", "an opt-out needs exactly one of `setting` and `not_possible`", where, "name the setting that switches the feature off, or say why it cannot be switched off")
        return None
    if "not_possible" in o:
        return OptOut(None, o.get("cost", ""), None, (), "", o["not_possible"])
    ref = o["setting"]
    if ref not in settings:
        if ref not in elsewhere.get("settings", ()):
            report.error(
                "unknown-reference",
                f"opt-out setting {ref!r} is not declared",
                raw.where(path + ("setting",)),
                did_you_mean(ref, settings, "declare it under `settings:`"),
            )
        return None
    off = o.get("off_values", [False])
    if isinstance(off, str):  # a named rule (``generator.privacy.OFF_RULES``)
        return OptOut(settings[ref], o.get("cost", ""), None, (), off)
    values = tuple(freeze(x) for x in off)
    return OptOut(settings[ref], o.get("cost", ""), values[0], values)


def _opt_outs(report: Report, raw: RawFile, path: tuple, v: dict, settings: Mapping[str, Setting], elsewhere) -> tuple[OptOut, ...]:
    """A feature's ways to opt out, each of its ``opt_outs`` (``not_possible`` only
    alone, and no setting twice)."""
    ways, seen = [], set()
    for i, o in enumerate(v.get("opt_outs") or []):
        where = path + ("opt_outs", i)
        if "not_possible" in o and len(v["opt_outs"]) > 1:
            report.error("invalid-value", "`not_possible` contradicts the feature's other ways to opt out", raw.key_where(where + ("not_possible",)),
                         "keep `not_possible` only when the feature has no other way to be switched off")
        if o.get("setting") in seen:
            report.error("invalid-value", f"setting {o['setting']!r} is listed twice in `opt_outs`", raw.where(where + ("setting",)),
                         "list each setting once, with all its off values")
        seen.add(o.get("setting"))
        one = _opt_out(report, raw, where, o, settings, elsewhere)
        if one is not None:
            ways.append(one)
    return tuple(ways)


def _features(
    report: Report, files: list[RawFile], settings: Mapping[str, Setting], elsewhere: Mapping[str, frozenset[str]], product: Product
) -> dict[str, Feature]:
    features = {}
    for k, (raw, v) in collect(report, files, "features").items():
        path = ("features", k)
        ways = _opt_outs(report, raw, path, v, settings, elsewhere)
        if v.get("opt_outs") and not ways:  # reported; a stand-in, so lint does not add "no opt-out" (the model is not built)
            ways = (OptOut(None, "", None, ()),)
        features[k] = Feature(
            id=k,
            title=v["title"],
            description=v.get("description", ""),
            purposes=tuple(v.get("purposes", [])),
            sender=v["sender"],
            destination=v["destination"],
            opt_out=ways[0] if ways else None,
            location=raw.key_where(path),
            governance=governance_of(report, raw, path, v, product.governance, ("feature", k)),
            opt_outs=ways,
        )
        report.suppress(raw, path, v, ("feature", k))
    return features


def _sections(
    report: Report, files: list[RawFile], features: Mapping[str, Feature], editions: Mapping[str, Edition], elsewhere: Mapping[str, frozenset[str]], phrases: Mapping[str, str]
) -> dict[str, Section]:
    sections = {}
    for k, (raw, v) in collect(report, files, "sections").items():
        path = ("sections", k)
        if v["feature"] not in features and v["feature"] not in elsewhere.get("features", ()):
            report.error(
                "unknown-reference",
                f"section {k!r} names feature {v['feature']!r}, which is not declared",
                raw.where(path + ("feature",)),
                did_you_mean(v["feature"], features, "declare it under `features:`"),
            )
            # Resolved anyway (the model is never used) so its payloads are checked too.
        cats = []
        for cid, c in (v.get("categories") or {}).items():
            cpath = path + ("categories", cid)
            if report.skips(raw, cpath):
                continue
            cats.append(
                Category(
                    id=cid,
                    title=c["title"],
                    description=c.get("description", ""),
                    edition=edition_of(report, editions, elsewhere, raw, cpath, c),
                    versions=versions_of(report, raw, cpath, c),
                    location=raw.key_where(cpath),
                )
            )
            report.suppress(raw, cpath, c, ("category", k, cid))
        schedule = parse_schedule(v["schedule"], phrases, v.get("schedule_text", ""))
        if cats and schedule.trigger != "event":
            report.error(
                "invalid-value",
                f"section {k!r} has event categories but schedule {v['schedule']!r}",
                raw.where(path + ("schedule",)),
                "event categories belong in `schedule: on event` sections",
            )
        inherited = features[v["feature"]].governance if v["feature"] in features else NO_GOVERNANCE
        sections[k] = Section(
            id=k,
            title=v["title"],
            feature_id=v["feature"],
            schedule=schedule,
            edition=edition_of(report, editions, elsewhere, raw, path, v),
            description=v.get("description", ""),
            field_groups=tuple(FieldGroup(g["title"], tuple(g["kinds"]), g.get("note", "")) for g in v.get("field_groups", [])),
            categories=tuple(cats),
            location=raw.key_where(path),
            governance=governance_of(report, raw, path, v, inherited, ("section", k)),
        )
        report.suppress(raw, path, v, ("section", k))
    return sections


def build_context(report: Report, files: list[RawFile], elsewhere: Mapping[str, frozenset[str]]) -> tuple[Product, Context]:
    """Resolve the declarations (product, editions, settings, features, sections) of
    non-empty ``files`` into the frozen context payloads are resolved against."""
    product, conventions = _product(report, files)
    editions = {k: Edition(k, v["title"]) for k, (raw, v) in collect(report, files, "editions").items()}
    settings = _settings(report, files)
    phrases = _phrases(report, files)
    features = _features(report, files, settings, elsewhere, product)
    sections = _sections(report, files, features, editions, elsewhere, phrases)
    ctx = Context(
        report=report,
        elsewhere=MappingProxyType(dict(elsewhere)),
        conventions=conventions,
        editions=MappingProxyType(editions),
        settings=MappingProxyType(settings),
        features=MappingProxyType(features),
        sections=MappingProxyType(sections),
        phrases=MappingProxyType(phrases),
    )
    return product, ctx


