"""One presentation view of the spec, shared by the three privacy-docs formats.

The reStructuredText page, the Markdown page and the HTML catalogue say the same things
in the same order; all decisions about *what* to say live here, in Python, where they
can be tested, and the templates under ``generator/templates/docs/`` only loop and
print.  The view decides:

* the reading order: features, then within each feature its sections grouped by
  schedule ("The following data is sent once every 24 hours:"), in spec order;
* how a section lists its data: by the section's ``field_groups`` (each group's fields
  by payload group, "**ServiceSettings**: enum WebserverMode, bool ..."), else as a
  list of fields with their descriptions, and events by category;
* which marks to print: an edition or version limit is printed where it starts and not
  repeated on everything beneath it (a field of a payload limited to "v5.5 and earlier"
  is not marked again unless its own limit differs);
* stable anchors for the HTML catalogue, and its flat rows.

Every fact comes from the model; the only wording added here is connective ("Only",
"NOTE:"), never a product's facts.  Nothing here knows any particular product.

Must not: emit markup or escape text (the formats' templates and filters do), or
print product facts that are not in the model.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from generator.model import (
    NO_GOVERNANCE,
    Edition,
    Expiry,
    Field,
    Governance,
    OptOut,
    Payload,
    Section,
    Spec,
    Versions,
)
from generator.phrases import DEFAULTS, plain, value_text
from generator.targets.docs_view_parts import (  # re-exported: the view's records
    CategoryView,
    DocView,
    EventGroup,
    EventView,
    FeatureView,
    FieldGroupView,
    FieldView,
    GroupBlock,
    OptOutView,
    Part,
    PayloadBlock,
    ProductView,
    ScheduleView,
    SectionView,
)

# --- building it --------------------------------------------------------------------


def edition_mark(edition: Edition | None, ph: Mapping[str, str] = DEFAULTS) -> str:
    """The wording of an edition limit (phrase ``edition_only``: "Enterprise Edition Only")."""
    return plain(ph["edition_only"], edition=edition.title) if edition else ""


def _marks(
    ph: Mapping[str, str],
    edition: Edition | None,
    versions: Versions,
    parent_edition: Edition | None,
    parent_versions: Versions,
) -> tuple[str, ...]:
    """The limits a thing adds to its parent's, in print order (edition, versions)."""
    out = []
    if edition is not None and edition != parent_edition:
        out.append(edition_mark(edition, ph))
    if versions.limited and versions != parent_versions:
        out.append(versions.text(ph))
    return tuple(out)


_NO_VERSIONS = Versions()


_ANCHOR_UNSAFE = re.compile(r"[^A-Za-z0-9_.]+")


class _Anchors:
    """Unique, stable HTML ids made of spec names (``field-config_service-site_url``)."""

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.slugs: dict[str, str] = {}  # each part as it reads in an anchor

    def make(self, *parts: str) -> str:
        slugs = self.slugs
        for p in parts:
            if p not in slugs:
                slugs[p] = _ANCHOR_UNSAFE.sub("-", p).strip("-") or "x"
        base = "-".join([slugs[p] for p in parts])
        anchor, n = base, 2
        while anchor in self.used:
            anchor, n = f"{base}-{n}", n + 1
        self.used.add(anchor)
        return anchor


_value_text = value_text  # (the phrases module owns how a value reads)


@functools.lru_cache(maxsize=256)
def _noun(title: str) -> str:
    """A kind's title as it reads mid-sentence: "Version string" -> "version string";
    acronyms ("URL list") are left alone."""
    if len(title) > 1 and title[0].isupper() and not title[1].isupper():
        return title[0].lower() + title[1:]
    return title


def expiry_text(ph: Mapping[str, str], e: Expiry | None) -> str:
    """An expiry in the docs' words: a date as written, "v8.0", "never (reason)"."""
    if e is None:
        return ""
    if e.kind == "version":
        return plain(ph["gov_expiry_version"], version=e.value)
    if e.kind == "never":
        return plain(ph["gov_expiry_never"], reason=e.reason) if e.reason else ph["gov_expiry_never_plain"]
    return e.value


def governance_text(ph: Mapping[str, str], g: Governance) -> str:
    """One line saying who owns data, what approved it and when it expires ("" when
    nothing is set), in the spec's phrases."""
    parts = []
    if g.owners:
        parts.append(plain(ph["gov_owners"], owners=", ".join(g.owners)))
    links = [*g.reviews, *g.tickets]
    if links:
        parts.append(plain(ph["gov_approved"], links=", ".join(links)))
    if g.expires is not None:
        parts.append(plain(ph["gov_expires"], expiry=expiry_text(ph, g.expires)))
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "." if text else ""


def _governance_mark(ph: Mapping[str, str], f: Field, feature: Governance) -> tuple[str, ...]:
    """The governance a field sets apart from its feature's, as a mark (none when equal)."""
    if f.governance is feature or f.governance == feature:
        return ()
    text = governance_text(ph, f.governance)
    return (text[:-1],) if text else ()


def _new_field_view(**values: Any) -> FieldView:
    """``FieldView(**values)`` with every field given, filled in one step: a frozen
    dataclass's ``__init__`` sets its fields one ``object.__setattr__`` at a time, which
    was a fifth of building the view of a large spec.  (``copy.copy`` restores frozen
    dataclasses the same way.)"""
    view = object.__new__(FieldView)
    view.__dict__.update(values)
    return view


def _field_view(ph: Mapping[str, str], f: Field, payload: Payload, anchors: _Anchors, feature: Governance = NO_GOVERNANCE) -> FieldView:
    e = f.governance.expires
    return _new_field_view(
        anchor=anchors.make("field", f.payload, f.wire_key),
        name=f.name,
        qualified_name=f.qualified_name,
        wire_key=f.wire_key,
        payload=f.payload,
        kind_id=f.kind.id,
        kind_label=f.kind.label,
        kind_title=f.kind.title,
        kind_noun=_noun(f.kind.title),
        description=f.description,
        values=tuple(map(_value_text, f.values)) if f.values else (),
        notes=tuple(f.notes),
        personal_data_note=f.personal_data_note,
        uses_input_data=f.uses_input_data,
        marks=_marks(ph, f.edition, f.versions, payload.edition, payload.versions) + _governance_mark(ph, f, feature),
        edition=f.edition.title if f.edition else "",
        versions=f.versions.text(ph),
        optional=not f.required,
        personal_data=f.personal_data,
        personal_data_label=ph["pd_" + f.personal_data],
        collected_because=f.collected_because,
        reduction=", ".join([ph["reduction_" + r] for r in f.reduction]) if f.reduction else "",
        owners=", ".join(f.governance.owners),
        expires=expiry_text(ph, e),
        expires_date=e.value if e and e.kind == "date" else "",
    )


def _field_groups(
    ph: Mapping[str, str],
    section: Section, records: list[Payload], fviews: dict[str, tuple[FieldView, ...]]
) -> tuple[FieldGroupView, ...]:
    """Fields by the section's field groups, then by payload group in spec order.

    A field whose kind no group names is not dropped: it lands in a last group titled
    like the section, so the page never silently omits data.
    """
    claimed: set[tuple[str, int]] = set()
    groups: list[FieldGroupView] = []

    def blocks_for(match) -> tuple[tuple[GroupBlock, ...], tuple[FieldView, ...]]:
        blocks, described = [], []
        for p in records:
            chosen = [
                (p.wire_name, i)
                for i, f in enumerate(p.fields)
                if (p.wire_name, i) not in claimed and match(f)
            ]
            if not chosen:
                continue
            claimed.update(chosen)
            views = tuple(fviews[w][i] for w, i in chosen)
            blocks.append(
                GroupBlock(
                    group=p.group or p.title,
                    marks=_marks(ph, p.edition, p.versions, section.edition, _NO_VERSIONS),
                    fields=views,
                )
            )
            described.extend(v for v in views if v.description)
        return tuple(blocks), tuple(described)

    for g in section.field_groups:
        kinds = set(g.kinds)
        blocks, described = blocks_for(lambda f, kinds=kinds: f.kind.id in kinds)
        if blocks:
            groups.append(FieldGroupView(g.title, g.note, blocks, described))
    blocks, described = blocks_for(lambda f: True)
    if blocks:
        groups.append(FieldGroupView(section.title, "", blocks, described))
    return tuple(groups)


def _payload_blocks(
    ph: Mapping[str, str],
    section: Section, records: list[Payload], fviews: dict[str, tuple[FieldView, ...]]
) -> tuple[PayloadBlock, ...]:
    out = []
    for p in records:
        marks = _marks(ph, p.edition, p.versions, section.edition, _NO_VERSIONS)
        out.append(
            PayloadBlock(
                title=p.title or p.group or p.wire_name,
                wire_name=p.wire_name,
                marks=marks,
                description=p.description,
                show_title=True,
                fields=fviews[p.wire_name],
            )
        )
    return tuple(out)


def _field_signature(p: Payload) -> tuple:
    return tuple(
        (
            f.name,
            f.kind.id,
            f.description,
            f.values,
            f.notes,
            f.personal_data_note,
            f.personal_data,
            f.collected_because,
            f.reduction,
            f.required,
            f.edition,
            f.versions,
        )
        for f in p.fields
    )


def _categories(
    ph: Mapping[str, str],
    section: Section,
    events: list[Payload],
    fviews: dict[str, tuple[FieldView, ...]],
    eviews: dict[str, EventView],
) -> tuple[CategoryView, ...]:
    """Events by category in the section's category order; events without a category
    (or naming one the section does not declare) come last, under no title."""
    by_cat: dict[str | None, list[Payload]] = {}
    known = {c.id for c in section.categories}
    for p in events:
        key = p.category_id if p.category_id in known else None
        by_cat.setdefault(key, []).append(p)

    out = []
    cats = [(c.id, c) for c in section.categories] + [(None, None)]
    for cid, cat in cats:
        members = by_cat.get(cid, [])
        if not members and cat is None:
            continue
        groups: list[EventGroup] = []
        prev_sig = None
        for p in members:
            sig = _field_signature(p)
            ev = eviews[p.wire_name]
            if groups and sig == prev_sig and sig:
                last = groups[-1]
                groups[-1] = EventGroup(last.events + (ev,), last.fields)
            else:
                groups.append(EventGroup((ev,), ev.fields))
            prev_sig = sig
        out.append(
            CategoryView(
                id=cid or "",
                title=cat.title if cat else "",
                marks=_marks(ph, cat.edition, cat.versions, section.edition, _NO_VERSIONS)
                if cat
                else (),
                description=cat.description if cat else "",
                event_groups=tuple(groups),
            )
        )
    return tuple(out)


def _policy_url(url: str) -> str:
    """The privacy-policy URL if it is a web address, else "" (never a script URL)."""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return ""
    return url if scheme in ("http", "https") else ""


def _policy_mention(text: str, title: str) -> int:
    """Where a guarantee names the privacy policy as a whole word or phrase, or -1."""
    if not title:
        return -1
    m = re.search(r"(?<![\w])" + re.escape(title) + r"(?![\w])", text)
    return m.start() if m else -1


def _guarantee_parts(text: str, title: str, link: bool) -> tuple[Part, ...]:
    """A guarantee split around its first mention of the policy, which becomes the link
    (so "... available in the Privacy Policy." links as the seed's sentence does)."""
    at = _policy_mention(text, title) if link else -1
    if at < 0:
        return (Part(text),)
    before, after = text[:at], text[at + len(title) :]
    return tuple(p for p in (Part(before), Part(title, True), Part(after)) if p.text)


def _opt_out(o: OptOut) -> OptOutView:
    """One way to switch a feature off, for the docs; ``way`` is its data
    (``OptOut.as_dict``), which ``phrases.opt_out_sentence`` words in every format."""
    way = MappingProxyType(o.as_dict())
    if o.setting is None:
        return OptOutView("not_possible", "", (), "", False, "", o.cost, reason=o.not_possible, way=way)
    st = o.setting
    return OptOutView(
        kind=st.kind,
        setting_id=st.id,
        path=tuple(st.console_path),
        path_text=o.console_path_text,
        disable=st.kind == "console_setting" and o.off_values == (False,),
        off_value=_value_text(o.off_value),
        cost=o.cost,
        off_values=tuple(_value_text(v) for v in o.off_values),
        any_non_empty=o.any_non_empty,
        default="" if st.default is None else _value_text(st.default),
        description=st.description,
        command=st.command,
        flag=st.flag,
        key=st.key,
        file=st.file,
        way=way,
        off_rule=o.off_rule,
    )


def build_view(spec: Spec) -> DocView:
    """The whole docs view of a spec; pure, deterministic, spec order throughout.  Built
    once per build (``generator.build`` passes it to the three docs and the template
    targets: ``generator.targets.VIEWS``)."""
    return _build_view(spec)


def _build_view(spec: Spec) -> DocView:
    anchors = _Anchors()
    ph = dict(spec.phrases) or dict(DEFAULTS)
    p = spec.product
    url = _policy_url(p.privacy_policy_url)
    title = p.privacy_policy_title or p.privacy_policy_url
    inline = bool(url) and any(_policy_mention(g, title) >= 0 for g in p.guarantees)
    product = ProductView(
        name=p.name,
        summary=p.summary,
        guarantees=tuple(_guarantee_parts(g, title, inline) for g in p.guarantees),
        policy_title=title,
        policy_url=url,
        policy_inline=inline,
        purposes_intro=p.purposes_intro or ph["purposes_intro"],
        purposes=tuple(p.purposes),
    )

    features = []
    total_fields = total_events = 0
    for feat in spec.features:
        f_anchor = anchors.make("feature", feat.id)
        schedules: dict[tuple[str, str], list[SectionView]] = {}  # by interval and wording (a section's schedule_text)
        schedule_of: dict[tuple[str, str], Any] = {}
        n_fields = n_events = 0
        for sec in spec.sections_of(feat.id):
            payloads = spec.payloads_of(sec.id)
            records = [x for x in payloads if x.type != "event"]
            events = [x for x in payloads if x.type == "event"]
            # Each payload's fields, by wire name (unique in a spec), in spec order.
            fviews = {x.wire_name: tuple([_field_view(ph, f, x, anchors, feat.governance) for f in x.fields]) for x in payloads}
            eviews = {
                x.wire_name: EventView(
                    anchor=anchors.make("event", x.wire_name),
                    wire_name=x.wire_name,
                    title=x.title or x.wire_name,
                    description=x.description,
                    marks=_marks(
                        ph,
                        x.edition, x.versions, _category_edition(sec, x), _category_versions(sec, x)
                    ),
                    edition=x.edition.title if x.edition else "",
                    versions=x.versions.text(ph),
                    fields=fviews[x.wire_name],
                )
                for x in events
            }
            view = SectionView(
                id=sec.id,
                anchor=anchors.make("section", sec.id),
                title=sec.title,
                marks=_marks(ph, sec.edition, _NO_VERSIONS, None, _NO_VERSIONS),
                edition=sec.edition.title if sec.edition else "",
                description=sec.description,
                field_groups=_field_groups(ph, sec, records, fviews) if sec.field_groups else (),
                payload_blocks=() if sec.field_groups else _payload_blocks(ph, sec, records, fviews),
                categories=_categories(ph, sec, events, fviews, eviews),
                payloads=tuple((x.group or x.title, x.wire_name, x.description) for x in records) if sec.field_groups else (),
            )
            key = (sec.schedule.id, sec.schedule.text)
            schedules.setdefault(key, []).append(view)
            schedule_of[key] = sec.schedule
            n_fields += sum(map(len, fviews.values()))
            n_events += len(eviews)
        features.append(
            FeatureView(
                id=feat.id,
                anchor=f_anchor,
                title=feat.title,
                description=feat.description,
                purposes=tuple(feat.purposes),
                sender=feat.sender,
                destination=feat.destination,
                opt_out=_opt_out(feat.opt_out) if feat.opt_out else None,
                opt_outs=tuple(map(_opt_out, feat.opt_outs)),
                schedules=tuple(
                    ScheduleView(key[0], schedule_of[key].text, schedule_of[key].trigger, tuple(secs))
                    for key, secs in schedules.items()
                ),
                field_count=n_fields,
                event_count=n_events,
                governance=governance_text(ph, feat.governance),
            )
        )
        total_fields += n_fields
        total_events += n_events
    from generator.diff.history import version_history

    return DocView(product, tuple(features), total_fields, total_events, ph, bool(spec.editions), version_history(spec, ph))


def _category_of(section: Section, payload: Payload):
    for c in section.categories:
        if c.id == payload.category_id:
            return c
    return None


def _category_edition(section: Section, payload: Payload) -> Edition | None:
    cat = _category_of(section, payload)
    return (cat.edition if cat and cat.edition else None) or section.edition


def _category_versions(section: Section, payload: Payload) -> Versions:
    cat = _category_of(section, payload)
    return cat.versions if cat else _NO_VERSIONS
