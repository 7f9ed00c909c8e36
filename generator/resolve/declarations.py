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
from generator.resolve.context import (
    Context,
    Conventions,
    Report,
    collect,
    edition_of,
    freeze,
    versions_of,
)

_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}
_UNIT_WORDS = {"m": "minute", "h": "hour", "d": "day"}


def parse_schedule(text: str) -> Schedule:
    """``every 24h`` -> interval schedule ("once every 24 hours"); ``on event``."""
    if text == "on event":
        return Schedule("on event", "event", None, None, "when the specified event occurs")
    m = re.fullmatch(r"every ([1-9][0-9]*)([mhd])", text)
    assert m, text  # guaranteed by the spec schema's pattern
    n, unit = int(m.group(1)), m.group(2)
    word = _UNIT_WORDS[unit] + ("s" if n != 1 else "")
    return Schedule(text, "every", f"{n}{unit}", n * _UNIT_SECONDS[unit], f"once every {n} {word}")


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
    conv = p.get("conventions", {}) or {}
    conventions = Conventions(
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
    report.suppress(praw, ("product",), p, ("product",))
    return product, conventions


def _settings(report: Report, files: list[RawFile]) -> dict[str, Setting]:
    return {
        k: Setting(
            id=k,
            console_path=tuple(v["console_path"]),
            default=freeze(v.get("default")),
            description=v.get("description", ""),
            location=raw.key_where(("settings", k)),
        )
        for k, (raw, v) in collect(report, files, "settings").items()
    }


def _features(report: Report, files: list[RawFile], settings: Mapping[str, Setting], elsewhere: Mapping[str, frozenset[str]]) -> dict[str, Feature]:
    features = {}
    for k, (raw, v) in collect(report, files, "features").items():
        path = ("features", k)
        opt = None
        if "opt_out" in v:
            ref = v["opt_out"]["setting"]
            if ref in settings:
                opt = OptOut(settings[ref], v["opt_out"].get("cost", ""), freeze(v["opt_out"].get("off_value", False)))
            elif ref not in elsewhere.get("settings", ()):
                report.error(
                    "unknown-reference",
                    f"opt-out setting {ref!r} is not declared",
                    raw.where(path + ("opt_out", "setting")),
                    "declare it under `settings:`" + (f"; declared: {', '.join(sorted(settings))}" if settings else ""),
                )
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
        report.suppress(raw, path, v, ("feature", k))
    return features


def _sections(
    report: Report, files: list[RawFile], features: Mapping[str, Feature], editions: Mapping[str, Edition], elsewhere: Mapping[str, frozenset[str]]
) -> dict[str, Section]:
    sections = {}
    for k, (raw, v) in collect(report, files, "sections").items():
        path = ("sections", k)
        if v["feature"] not in features and v["feature"] not in elsewhere.get("features", ()):
            report.error(
                "unknown-reference",
                f"section {k!r} names feature {v['feature']!r}, which is not declared",
                raw.where(path + ("feature",)),
                f"use one of: {', '.join(features) or '(no features declared)'}",
            )
            # Resolved anyway (the model is never used) so its payloads are checked too.
        cats = []
        for cid, c in (v.get("categories") or {}).items():
            cpath = path + ("categories", cid)
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
        schedule = parse_schedule(v["schedule"])
        if cats and schedule.trigger != "event":
            report.error(
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
            edition=edition_of(report, editions, elsewhere, raw, path, v),
            description=v.get("description", ""),
            field_groups=tuple(FieldGroup(g["title"], tuple(g["kinds"]), g.get("note", "")) for g in v.get("field_groups", [])),
            categories=tuple(cats),
            location=raw.key_where(path),
        )
        report.suppress(raw, path, v, ("section", k))
    return sections


def build_context(report: Report, files: list[RawFile], elsewhere: Mapping[str, frozenset[str]]) -> tuple[Product, Context]:
    """Resolve the declarations (product, editions, settings, features, sections) of
    non-empty ``files`` into the frozen context payloads are resolved against."""
    product, conventions = _product(report, files)
    editions = {k: Edition(k, v["title"]) for k, (raw, v) in collect(report, files, "editions").items()}
    settings = _settings(report, files)
    features = _features(report, files, settings, elsewhere)
    sections = _sections(report, files, features, editions, elsewhere)
    ctx = Context(
        report=report,
        elsewhere=MappingProxyType(dict(elsewhere)),
        conventions=conventions,
        editions=MappingProxyType(editions),
        settings=MappingProxyType(settings),
        features=MappingProxyType(features),
        sections=MappingProxyType(sections),
    )
    return product, ctx


