"""Finds the changes between two resolved specs, each given as its catalogue document.

Both sides arrive in one comparable form, the catalogue (``generator.targets.catalog``,
after a JSON round trip), whether they came from a spec folder, a git revision or a
vendored ``catalog.json``; formatting, comments and file layout are not in it, so they
never show up.  This module matches features, payloads and fields across the two sides
and emits one ``Change`` per difference, classified by the rule table in
``generator.diff.rules``.  It reads nothing from disk and prints nothing.

Matching: features by id; payloads by wire name, then (for a wire-name change) by their
section and documented group (records) or section, category and title (events); fields by
wire key, then by documented name (a wire-key change).  Records come out features
first, then sections' wording, then payloads in the base spec's order (each followed by
its fields' records) and new payloads last, in the head spec's order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from generator.diff.rules import BY_ID
from generator.privacy import (
    BY_FACT,
    FACTS,
    OFF_RULES,
    expiry_rank,
    expiry_text,
    opt_out_place,
    opt_out_ways,
    version_key,
)

__all__ = ["Change", "diff_catalogs", "expiry_rank", "version_key"]
FIELD_FACTS = tuple(f for f in FACTS if f.scope == "field")


@dataclass(frozen=True)
class Change:
    """One difference: the rule that found it, what it is about, before and after."""

    rule: str
    feature: str | None
    payload: str | None
    field: str | None
    before: Any
    after: Any
    message: str
    #: The section of what it is about (of the payload, or the section itself); None
    #: for a change to a feature as a whole.
    section: str | None = None

    @property
    def privacy(self) -> str:
        return BY_ID[self.rule].privacy

    @property
    def compatibility(self) -> str:
        return BY_ID[self.rule].compatibility

    @property
    def severity(self) -> str:
        return BY_ID[self.rule].severity

    def as_dict(self) -> dict[str, Any]:
        """The JSON record of ``gen diff --format json``."""
        return {
            "rule": self.rule,
            "privacy": self.privacy,
            "compatibility": self.compatibility,
            "severity": self.severity,
            "feature": self.feature,
            "section": self.section,
            "payload": self.payload,
            "field": self.field,
            "before": self.before,
            "after": self.after,
            "message": self.message,
        }


def _range_text(v: dict) -> str:
    lo, hi = v.get("min"), v.get("max")
    if lo and hi:
        return f"v{lo} to v{hi}"
    if hi:
        return f"v{hi} and earlier"
    if lo:
        return f"v{lo} and later"
    return "all versions"


def _way_text(w: dict) -> str:
    """Where a user finds one way to opt out, for messages."""
    return " > ".join(w.get("console_path") or []) or w.get("command") or w.get("flag") or w["setting"]


def _off_text(off) -> str:
    if isinstance(off, str):
        return OFF_RULES.get(off, off)
    return " or ".join(json.dumps(v) for v in off or [])


class _Differ:
    """One comparison: walks both catalogues and collects ``Change`` records in ``out``."""

    def __init__(self, base: dict, head: dict):
        self.base, self.head = base, head
        self.out: list[Change] = []
        self.kind_titles = {k["id"]: k["title"] for side in (base, head) for k in side.get("kinds", [])}
        # payload wire name -> section id (the head's where the payload still exists)
        self.sections = {p["wire_name"]: p.get("section") for side in (base, head) for p in side.get("payloads", [])}

    def emit(self, rule: str, feature, payload, field, before, after, message: str, section: str | None = None) -> None:
        assert rule in BY_ID, rule
        if section is None and payload is not None:
            section = self.sections.get(payload)
        self.out.append(Change(rule, feature, payload, field, before, after, message, section))

    def kind_text(self, kind: str) -> str:
        return self.kind_titles.get(kind, kind)

    # -- features ---------------------------------------------------------------------

    def features(self) -> None:
        heads = {f["id"]: f for f in self.head.get("features", [])}
        for b in self.base.get("features", []):
            a = heads.get(b["id"])
            if a is not None:
                self.feature(b, a)

    def feature(self, b: dict, a: dict) -> None:
        fid = a["id"]
        self.opt_outs(fid, opt_out_ways(b), opt_out_ways(a))
        for fact in (BY_FACT["destination"], BY_FACT["sender"]):
            bv, av = fact.read(b), fact.read(a)
            for d in fact.directions(bv, av):
                msg = (f"feature {fid!r} now sends to {av!r} instead of {bv!r}" if fact.id == "destination"
                       else f"feature {fid!r} is now sent by the {av} instead of the {bv}")
                self.emit(fact.rule(d), fid, None, None, bv, av, msg)
        wording = [(k, b.get(k), a.get(k)) for k in ("title", "description", "purposes")]
        bo, ao = b.get("opt_out"), a.get("opt_out")
        if bo and ao:
            wording.append(("opt-out cost", bo.get("cost"), ao.get("cost")))
        for key, bw, aw in wording:
            if bw != aw:
                self.emit("feature-wording-changed", fid, None, None, bw, aw, f"the {key} of feature {fid!r} changed")

    def opt_outs(self, fid: str, before: list[dict], after: list[dict]) -> None:
        """Each way to opt out, matched by setting: one gone is ``opt-out-removed``, a new
        one ``opt-out-added``, the only one replaced by another (or found elsewhere)
        ``opt-out-moved``; a matched one's off values by ``generator.privacy``."""
        bset = {w["setting"]: w for w in before}
        aset = {w["setting"]: w for w in after}
        gone = [w for w in before if w["setting"] not in aset]
        new = [w for w in after if w["setting"] not in bset]
        pairs = [(bset[s], aset[s]) for s in bset if s in aset]
        if len(gone) == 1 and len(new) == 1:
            bo, ao = gone[0], new[0]
            self.emit("opt-out-moved", fid, None, None,
                      {"setting": bo["setting"], "console_path": bo["console_path"]},
                      {"setting": ao["setting"], "console_path": ao["console_path"]},
                      f"feature {fid!r} is now switched off by {ao['setting']!r} instead of {bo['setting']!r}")
            gone = new = []
        for w in gone:
            self.emit("opt-out-removed", fid, None, None, w["setting"], None,
                      f"feature {fid!r} can no longer be switched off by {_way_text(w)}"
                      + ("" if len(after) else " (it has no other way to opt out)"))
        for w in new:
            self.emit("opt-out-added", fid, None, None, None, w["setting"], f"feature {fid!r} can now be switched off: {_way_text(w)}")
        fact = BY_FACT["off_values"]
        for bo, ao in pairs:
            if opt_out_place(bo) != opt_out_place(ao):
                self.emit("opt-out-moved", fid, None, None,
                          {"setting": bo["setting"], "console_path": bo["console_path"]},
                          {"setting": ao["setting"], "console_path": ao["console_path"]},
                          f"the opt-out {ao['setting']!r} of feature {fid!r} moved to {_way_text(ao)}")
            bv, av = fact.read(bo), fact.read(ao)
            for d in fact.directions(bv, av):
                self.emit(fact.rule(d), fid, None, None, bv, av,
                          f"feature {fid!r} is now switched off by {ao['setting']!r} = {_off_text(av)} instead of {_off_text(bv)}")

    def sections_wording(self) -> None:
        heads = {s["id"]: s for s in self.head.get("sections", [])}
        for b in self.base.get("sections", []):
            a = heads.get(b["id"])
            if a is None:
                continue
            sid, fid = a["id"], a.get("feature")
            for key in ("title", "description"):
                if b.get(key) != a.get(key):
                    self.emit("section-wording-changed", fid, None, None, b.get(key), a.get(key),
                              f"the {key} of section {sid!r} changed", section=sid)
            head_cats = {c["id"]: c for c in a.get("categories") or []}
            for bc in b.get("categories") or []:
                ac = head_cats.get(bc["id"])
                for key in ("title", "description"):
                    if ac is not None and bc.get(key) != ac.get(key):
                        self.emit("section-wording-changed", fid, None, None, bc.get(key), ac.get(key),
                                  f"the {key} of event category {bc['id']!r} of section {sid!r} changed", section=sid)

    # -- payloads ---------------------------------------------------------------------

    @staticmethod
    def _identity(p: dict) -> tuple:
        if p.get("type") == "event":
            return ("event", p.get("section"), p.get("category"), p.get("title"))
        return ("record", p.get("section"), p.get("group") or None)

    def payloads(self) -> None:
        base = self.base.get("payloads", [])
        head = self.head.get("payloads", [])
        head_by_wire = {p["wire_name"]: p for p in head}
        base_wires = {p["wire_name"] for p in base}
        # Wire-name changes: an unmatched base payload whose identity matches exactly one
        # unmatched head payload.
        unmatched_head = [p for p in head if p["wire_name"] not in base_wires]
        by_identity: dict[tuple, list[dict]] = {}
        for p in unmatched_head:
            if self._identity(p)[-1] is not None:
                by_identity.setdefault(self._identity(p), []).append(p)
        renamed: dict[str, dict] = {}
        for p in base:
            if p["wire_name"] in head_by_wire:
                continue
            cands = by_identity.get(self._identity(p), [])
            if self._identity(p)[-1] is not None and len(cands) == 1:
                renamed[p["wire_name"]] = cands.pop()
        taken = {p["wire_name"] for p in renamed.values()}
        for b in base:
            a = head_by_wire.get(b["wire_name"]) or renamed.get(b["wire_name"])
            if a is None:
                what = "event" if b.get("type") == "event" else "payload"
                self.emit(f"{what}-removed", b.get("feature"), b["wire_name"], None, b["wire_name"], None,
                          f"{what} {b['wire_name']!r} is no longer sent")
                continue
            if a["wire_name"] != b["wire_name"]:
                self.emit("wire-name-changed", a.get("feature"), a["wire_name"], None, b["wire_name"], a["wire_name"],
                          f"payload {b['wire_name']!r} is now sent as {a['wire_name']!r}")
            self.payload(b, a)
        for a in unmatched_head:
            if a["wire_name"] in taken:
                continue
            what = "event" if a.get("type") == "event" else "payload"
            self.emit(f"{what}-added", a.get("feature"), a["wire_name"], None, None, a["wire_name"],
                      f"new {what} {a['wire_name']!r} ({len(a.get('fields', []))} fields), sent {self._schedule_text(self.head, a)}")

    @staticmethod
    def _schedule_text(side: dict, p: dict) -> str:
        for s in side.get("sections", []):
            if s["id"] == p.get("section"):
                return s["schedule"]["text"]
        return p.get("schedule", "")

    def payload(self, b: dict, a: dict) -> None:
        if a == b:  # the common case: nothing in it changed (every rule compares its keys)
            return
        wire, fid = a["wire_name"], a.get("feature")
        for fact_id in ("feature", "schedule", "edition", "versions"):
            fact = BY_FACT[fact_id]
            bv, av = fact.read(b), fact.read(a)
            for d in fact.directions(bv, av):
                self.emit(fact.rule(d), fid, wire, None, bv, av, _payload_message(fact_id, d, wire, bv, av))
        for key in ("title", "description"):
            if b.get(key) != a.get(key):
                self.emit("payload-wording-changed", fid, wire, None, b.get(key), a.get(key), f"the {key} of payload {wire!r} changed")
        self.fields(b, a)

    # -- fields -----------------------------------------------------------------------

    def fields(self, bp: dict, ap: dict) -> None:
        bfields, afields = bp.get("fields", []), ap.get("fields", [])
        head_by_key = {f["wire_key"]: f for f in afields}
        base_keys = {f["wire_key"] for f in bfields}
        new_by_name = {f["qualified_name"]: f for f in afields if f["wire_key"] not in base_keys}
        taken: set[str] = set()
        wire, fid = ap["wire_name"], ap.get("feature")
        for b in bfields:
            a = head_by_key.get(b["wire_key"])
            if a is None:
                a = new_by_name.get(b["qualified_name"])
                if a is not None and a["wire_key"] not in taken:
                    taken.add(a["wire_key"])
                    self.emit("wire-key-changed", fid, wire, a["wire_key"], b["wire_key"], a["wire_key"],
                              f"field {b['qualified_name']!r} of payload {wire!r} is now sent as {a['wire_key']!r} instead of {b['wire_key']!r}")
                else:
                    self.emit("field-removed", fid, wire, b["wire_key"], b["kind"], None,
                              f"field {wire}.{b['wire_key']} ({b['qualified_name']}) is no longer sent")
                    continue
            self.field(bp, ap, b, a)
        for a in afields:
            if a["wire_key"] in base_keys or a["wire_key"] in taken:
                continue
            self.emit("field-added", fid, wire, a["wire_key"], None, a["kind"],
                      f"new field {wire}.{a['wire_key']} ({a['qualified_name']}, {self.kind_text(a['kind'])})")

    def field(self, bp: dict, ap: dict, b: dict, a: dict) -> None:
        if a == b:
            return
        wire, fid, key = ap["wire_name"], ap.get("feature"), a["wire_key"]
        where = f"field {wire}.{key}"
        for fact in FIELD_FACTS:
            bv, av = fact.read(b), fact.read(a)
            if fact.id == "values" and b["kind"] != a["kind"]:
                continue  # the kind rule says it (a new kind's values are its own)
            # Edition and versions: only where the field's own limit changed, not where
            # it merely follows its payload's (the payload's record says that once).
            if fact.id in ("field_edition", "field_versions"):
                pfact = BY_FACT[fact.id.removeprefix("field_")]
                if bv == pfact.read(bp) and av == pfact.read(ap):
                    continue
            for d in fact.directions(bv, av):
                rule = fact.rule(d)
                self.emit(rule, fid, wire, key, bv, av, self._field_message(rule, where, bv, av))
            if fact.id == "values" and b.get("required") != a.get("required"):
                rule = "field-made-required" if a.get("required") else "field-made-optional"
                self.emit(rule, fid, wire, key, b.get("required"), a.get("required"),
                          f"{where} is now " + ("required" if a.get("required") else "optional"))
        wording = ["qualified_name", "description", "personal_data_note", "notes"]
        if not a.get("collected_because"):  # a reason dropped (the level says what moved)
            wording.append("collected_because")
        for k in wording:
            if b.get(k) != a.get(k):
                self.emit("field-wording-changed", fid, wire, key, b.get(k), a.get(k), f"the {k.replace('_', ' ')} of {where} changed")

    def _field_message(self, rule: str, where: str, b, a) -> str:
        """The message of a field fact's change."""
        if rule.startswith("kind-"):
            return f"{where} is now {self.kind_text(a)} instead of {self.kind_text(b)}"
        if rule in ("values-added", "values-removed"):
            if not a:
                return f"{where} now takes any value, not only {b}"
            if not b:
                return f"{where} now takes only {a}"
            bset, aset = {_hashable(v) for v in b}, {_hashable(v) for v in a}
            if rule == "values-added":
                return f"{where} gained values {[v for v in a if _hashable(v) not in bset]}"
            return f"{where} lost values {[v for v in b if _hashable(v) not in aset]}"
        if rule.startswith("input-data-"):
            return f"{where} " + ("now reads" if a else "no longer reads") + " what users entered"
        if rule.startswith("field-edition-"):
            if b is None:
                return f"{where} is now sent only by edition {a!r}"
            return f"{where} is now sent by " + ("every edition" if a is None else f"edition {a!r}") + f", not only {b!r}"
        if rule.startswith("field-versions-"):
            return f"{where} is now sent by {_range_text(a)} (was {_range_text(b)})"
        if rule.startswith("personal-data-"):
            return f"the personal-data level of {where} is now {a} instead of {b}"
        if rule == "collected-because-changed":
            return f"{where} is now collected because: {a}" + (f" (was: {b})" if b else "")
        if rule.startswith("reduction-"):
            gone, added = sorted(set(b) - set(a)), sorted(set(a) - set(b))
            return f"{where} is no longer reduced by {', '.join(gone)}" if rule == "reduction-removed" else f"{where} is now also reduced by {', '.join(added)}"
        if rule.startswith("expiry-"):
            return f"{where} is now collected until {expiry_text(a) or 'no expiry'} instead of {expiry_text(b) or 'no expiry'}"
        return f"the owners or approval links of {where} changed"


def _payload_message(fact_id: str, direction: str, wire: str, b, a) -> str:
    """The message of a payload fact's change."""
    if fact_id == "feature":
        return f"payload {wire!r} moved from feature {b!r} to {a!r}"
    if fact_id == "schedule":
        return f"payload {wire!r} is now sent {a} instead of {b}"
    if fact_id == "edition":
        if b is None:
            return f"payload {wire!r} is now sent only by edition {a!r}"
        return f"payload {wire!r} is now sent by " + ("every edition" if a is None else f"edition {a!r}") + f", not only {b!r}"
    return f"payload {wire!r} is now sent by {_range_text(a)} (was {_range_text(b)})"


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON values (``0`` is not ``false``, unlike Python's ``==``)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _hashable(v: Any) -> Any:
    return (type(v).__name__, v) if not isinstance(v, (list, dict)) else repr(v)


def diff_catalogs(base: dict, head: dict) -> list[Change]:
    """Every change from ``base`` to ``head`` (two catalogue documents), in order:
    feature changes first, then section wording, then payloads in the base spec's order with additions last,
    each payload's field changes after its own."""
    d = _Differ(base, head)
    d.features()
    d.sections_wording()
    d.payloads()
    return d.out
