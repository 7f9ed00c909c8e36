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
import re
from dataclasses import dataclass
from typing import Any

from generator.diff.rules import BY_ID, kind_reach


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


_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}


def _seconds(schedule: str) -> int | None:
    m = re.fullmatch(r"every ([0-9]+)([mhd])", schedule or "")
    return int(m.group(1)) * _UNIT_SECONDS[m.group(2)] if m else None


def version_key(v: str) -> tuple:
    """Sort key of a product version ("5.10" after "5.9"); any text sorts without error."""
    return tuple((0, int(x), "") if x.isdigit() else (1, 0, x) for x in re.split(r"[.\-+]", v))


def _range_text(v: dict) -> str:
    lo, hi = v.get("min"), v.get("max")
    if lo and hi:
        return f"v{lo} to v{hi}"
    if hi:
        return f"v{hi} and earlier"
    if lo:
        return f"v{lo} and later"
    return "all versions"


def _widens(before: dict, after: dict) -> tuple[bool, bool]:
    """(widened, narrowed) of a version range; a missing end is unlimited."""
    wide = narrow = False
    b, a = before.get("min"), after.get("min")
    if b != a:
        if a is None or (b is not None and version_key(a) < version_key(b)):
            wide = True
        else:
            narrow = True
    b, a = before.get("max"), after.get("max")
    if b != a:
        if a is None or (b is not None and version_key(a) > version_key(b)):
            wide = True
        else:
            narrow = True
    return wide, narrow


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
        bo, ao = b.get("opt_out"), a.get("opt_out")
        if bo and not ao:
            self.emit("opt-out-removed", fid, None, None, bo["setting"], None,
                      f"feature {fid!r} can no longer be switched off (was: {' > '.join(bo['console_path']) or bo['setting']})")
        elif ao and not bo:
            self.emit("opt-out-added", fid, None, None, None, ao["setting"],
                      f"feature {fid!r} can now be switched off: {' > '.join(ao['console_path']) or ao['setting']}")
        elif ao and bo:
            if (bo["setting"], bo["console_path"]) != (ao["setting"], ao["console_path"]):
                self.emit("opt-out-moved", fid, None, None,
                          {"setting": bo["setting"], "console_path": bo["console_path"]},
                          {"setting": ao["setting"], "console_path": ao["console_path"]},
                          f"feature {fid!r} is now switched off by {ao['setting']!r} instead of {bo['setting']!r}"
                          if bo["setting"] != ao["setting"] else
                          f"the opt-out of feature {fid!r} moved to {' > '.join(ao['console_path'])}")
            if not _same(bo["off_value"], ao["off_value"]):
                self.emit("opt-out-value-changed", fid, None, None, bo["off_value"], ao["off_value"],
                          f"feature {fid!r} is now switched off by setting {ao['setting']!r} to {json.dumps(ao['off_value'])} instead of {json.dumps(bo['off_value'])}")
        if b.get("destination") != a.get("destination"):
            self.emit("destination-changed", fid, None, None, b.get("destination"), a.get("destination"),
                      f"feature {fid!r} now sends to {a.get('destination')!r} instead of {b.get('destination')!r}")
        if b.get("sender") != a.get("sender"):
            self.emit("sender-changed", fid, None, None, b.get("sender"), a.get("sender"),
                      f"feature {fid!r} is now sent by the {a.get('sender')} instead of the {b.get('sender')}")
        wording = [(k, b.get(k), a.get(k)) for k in ("title", "description", "purposes")]
        if bo and ao:
            wording.append(("opt-out cost", bo.get("cost"), ao.get("cost")))
        for key, bw, aw in wording:
            if bw != aw:
                self.emit("feature-wording-changed", fid, None, None, bw, aw, f"the {key} of feature {fid!r} changed")

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
        if b.get("feature") != a.get("feature"):
            self.emit("payload-moved", fid, wire, None, b.get("feature"), a.get("feature"),
                      f"payload {wire!r} moved from feature {b.get('feature')!r} to {a.get('feature')!r}")
        bs, as_ = b.get("schedule"), a.get("schedule")
        if bs != as_:
            bsec, asec = _seconds(bs), _seconds(as_)
            if bsec is not None and asec is not None:
                rule = "schedule-more-frequent" if asec < bsec else "schedule-less-frequent"
            else:
                rule = "schedule-changed"
            self.emit(rule, fid, wire, None, bs, as_, f"payload {wire!r} is now sent {as_} instead of {bs}")
        be, ae = b.get("edition"), a.get("edition")
        if be != ae:
            if be is None:
                self.emit("edition-narrowed", fid, wire, None, be, ae, f"payload {wire!r} is now sent only by edition {ae!r}")
            else:
                self.emit("edition-widened", fid, wire, None, be, ae,
                          f"payload {wire!r} is now sent by " + ("every edition" if ae is None else f"edition {ae!r}") + f", not only {be!r}")
        bv, av = b.get("versions") or {}, a.get("versions") or {}
        wide, narrow = _widens(bv, av)
        for flag, rule in ((wide, "versions-widened"), (narrow, "versions-narrowed")):
            if flag:
                self.emit(rule, fid, wire, None, bv, av, f"payload {wire!r} is now sent by {_range_text(av)} (was {_range_text(bv)})")
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
        bk, ak = b["kind"], a["kind"]
        if bk != ak:
            rb, ra = kind_reach(bk), kind_reach(ak)
            rule = "kind-widened" if ra > rb else "kind-narrowed" if ra < rb else "kind-changed"
            self.emit(rule, fid, wire, key, bk, ak, f"{where} is now {self.kind_text(ak)} instead of {self.kind_text(bk)}")
        else:
            bvals, avals = b.get("values") or [], a.get("values") or []
            bset, aset = {_hashable(v) for v in bvals}, {_hashable(v) for v in avals}
            gained = [v for v in avals if _hashable(v) not in bset]
            lost = [v for v in bvals if _hashable(v) not in aset]
            if bvals and not avals:
                self.emit("values-added", fid, wire, key, bvals, avals, f"{where} now takes any value, not only {bvals}")
            elif avals and not bvals:
                self.emit("values-removed", fid, wire, key, bvals, avals, f"{where} now takes only {avals}")
            else:
                if gained:
                    self.emit("values-added", fid, wire, key, bvals, avals, f"{where} gained values {gained}")
                if lost:
                    self.emit("values-removed", fid, wire, key, bvals, avals, f"{where} lost values {lost}")
        if b.get("required") != a.get("required"):
            rule = "field-made-required" if a.get("required") else "field-made-optional"
            self.emit(rule, fid, wire, key, b.get("required"), a.get("required"),
                      f"{where} is now " + ("required" if a.get("required") else "optional"))
        if b.get("uses_input_data") != a.get("uses_input_data"):
            rule = "input-data-used" if a.get("uses_input_data") else "input-data-unused"
            self.emit(rule, fid, wire, key, b.get("uses_input_data"), a.get("uses_input_data"),
                      f"{where} " + ("now reads" if a.get("uses_input_data") else "no longer reads") + " what users entered")
        # Edition and versions: only where the field's own limit changed, not where it
        # merely follows its payload's (the payload's record says that once).
        be, ae = b.get("edition"), a.get("edition")
        if be != ae and not (be == bp.get("edition") and ae == ap.get("edition")):
            if be is None:
                self.emit("field-edition-narrowed", fid, wire, key, be, ae, f"{where} is now sent only by edition {ae!r}")
            else:
                self.emit("field-edition-widened", fid, wire, key, be, ae,
                          f"{where} is now sent by " + ("every edition" if ae is None else f"edition {ae!r}") + f", not only {be!r}")
        bv, av = b.get("versions") or {}, a.get("versions") or {}
        if bv != av and not (bv == (bp.get("versions") or {}) and av == (ap.get("versions") or {})):
            wide, narrow = _widens(bv, av)
            for flag, rule in ((wide, "field-versions-widened"), (narrow, "field-versions-narrowed")):
                if flag:
                    self.emit(rule, fid, wire, key, bv, av, f"{where} is now sent by {_range_text(av)} (was {_range_text(bv)})")
        for k in ("qualified_name", "description", "personal_data_note", "notes"):
            if b.get(k) != a.get(k):
                self.emit("field-wording-changed", fid, wire, key, b.get(k), a.get(k), f"the {k.replace('_', ' ')} of {where} changed")


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
