"""Compare traffic statistics with the resolved spec and propose a spec edit.

Per payload seen, in this order:

1. **renames before additions**: an undeclared key becomes a ``wire_key`` on an existing
   field whose key is never seen, when the match is one to one, if it equals the
   field's key after normalisation (lower case, only letters and digits:
   ``web_server_mode`` ~ ``webserver_mode``) or if its values are the field's (two or
   more, each one in the field's ``values``).  A key **renamed between captures** (the
   field's key seen too, but never in one document with the new key, values alike: same
   JSON types, overlapping values, each fitting the field) is recognised as such, but
   both keys stay declared so the older documents still validate: the new field says
   which one it replaces;
2. **kind corrections** where no observed value fits the declared kind, to the kind the
   values support; **value lists** extended with seen values an enumeration lacks;
3. **presence**: a required field missing from some (or all) documents gets
   ``required: false`` (a field is never removed);
4. **new fields** for the remaining keys, with the inferred kind;
5. findings that need a maintainer: keys declared but never seen, and anything no kind
   describes (mixed types, nulls, objects, names the spec format cannot hold).

Payloads the spec does not know become new payloads in ``section`` when one is given,
else findings.  Every edit carries the review text that the spec edit writes as the
``inferred:`` marker; nothing here invents a description.  This module reads the model
and the statistics only: it never touches files (``edit.py`` does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from generator.infer.stats import VALUES_BOUND, KeyStats, PayloadStats, where_text
from generator.infer.value_lists import DEFAULT_POLICY, ValuePolicy, listable
from generator.kinds import KINDS
from generator.model import Field, Location, Payload, Spec
from generator.naming import default_acronyms, field_wire_key, pascal_case
from generator.privacy import UNREVIEWED
from generator.validate import ecma

_SETTING_IS_DEFAULT = "setting_is_default"
ENUM_MAX = 16  # at most this many distinct strings make an enumerated string ...
SHOW_VALUES = 6  # values quoted in a report line or review marker
ENUM_REPEAT = 2  # ... and only if documents outnumber them this many times over
# Integers between these (milliseconds since the epoch, 2001-09-09 to 2100-01-01) are
# read as timestamps.
TIMESTAMP_RANGE = (1_000_000_000_000, 4_102_444_800_000)
WIRE = re.compile(r"[a-z][a-z0-9_]{0,62}")  # payload wire names (they become file names)
WIRE_KEY = re.compile(r"[^\x00-\x1f\x7f-\x9f]{1,200}")  # a field's wire key: what the product sends
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,62}")
_ID_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")

EDITS = ("rename", "kind", "values", "required", "new-field", "new-payload")
FINDINGS = ("unseen", "unknown-payload", "manual")
ACTIONS = EDITS + FINDINGS


@dataclass(frozen=True)
class Proposal:
    """One proposed change (``action`` in ``EDITS``) or one finding for the maintainer
    (``action`` in ``FINDINGS``).

    ``changes`` are the spec keys to set, in order: on the existing field at
    ``location`` for rename/kind/values/required; the new field's whole mapping for
    new-field; the new payload's keys (without ``fields``) for new-payload, whose
    fields are in ``fields``.  ``review`` is the marker text written with it.
    """

    action: str
    payload: str
    message: str
    key: str | None = None
    field: str | None = None
    location: Location | None = None
    changes: tuple[tuple[str, Any], ...] = ()
    review: str = ""
    free_text: bool = False
    fields: tuple[Proposal, ...] = ()

    def as_dict(self) -> dict:
        """The proposal for a JSON report."""
        out = {
            "action": self.action,
            "payload": self.payload,
            "key": self.key,
            "field": self.field,
            "location": str(self.location) if self.location else None,
            "message": self.message,
            "changes": {k: v for k, v in self.changes},
            "free_text": self.free_text,
        }
        if self.fields:
            out["fields"] = [f.as_dict() for f in self.fields]
        return out


@dataclass
class Context:
    """What the comparison needs besides the statistics."""

    spec: Spec
    is_default_prefix: str = "isdefault_"
    acronyms: tuple[str, ...] = field(default_factory=default_acronyms)  # the spec's naming conventions
    numbers: str = "separate"
    section: str | None = None  # where unknown payloads go (None: only list them)
    category: str | None = None  # and their event category, in a section that has them
    policy: ValuePolicy = DEFAULT_POLICY  # when observed values may be copied into the spec
    proposals: list[Proposal] = field(default_factory=list)


def normalise(key: str) -> str:
    """The form keys are matched in for renames: lower case letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", key.lower())


def _ratio(n: int, docs: int) -> str:
    return f"{n} of {docs} document{'s' if docs != 1 else ''}"


def _types(ks: KeyStats) -> str:
    return ", ".join(ks.json_types)


def _evidence(ks: KeyStats, docs: int, key: str, policy: ValuePolicy) -> str:
    """A short, deterministic description of what was seen (never a long value, and
    values only where ``value_lists`` lets them be copied into the spec)."""
    parts = [f"seen in {_ratio(ks.present, docs)}", _types(ks)]
    rng = ks.numeric_range
    if rng is not None:
        parts.append(f"{rng[0]}..{rng[1]}")
    d = ks.distinct
    why = listable(key, ks, d or (), policy)
    if d is not None and len(d) <= ENUM_MAX and docs >= ENUM_REPEAT * len(d) and ks.types.keys() <= {str, bool, int} and not why:
        # Only values that repeat (an enumeration): a one-off string may be personal data.
        shown = ", ".join(_short(v) for v in d[:SHOW_VALUES]) + (", ..." if len(d) > SHOW_VALUES else "")
        parts.append(f"values {shown}")
    elif d is not None and str in ks.types:
        parts.append(f"{len(d)} distinct value{'s' if len(d) != 1 else ''} (not quoted: {why or 'they do not repeat'})")
    elif d is None:
        parts.append(f"more than {VALUES_BOUND} distinct values")
    lens = ks.string_lengths
    if lens is not None and str in ks.types:
        parts.append(f"length {lens[0]}..{lens[1]}")
    return "; ".join(parts) + f"; first at {where_text(ks.first)}"


def _short(v: Any, limit: int = 40) -> str:
    s = repr(v) if isinstance(v, str) else ("true" if v is True else "false" if v is False else str(v))
    return s if len(s) <= limit else s[: limit - 3] + "..."


# ------------------------------------------------------------------ kinds from values


def infer_kind(ks: KeyStats, docs: int, key: str, prefix: str, policy: ValuePolicy = DEFAULT_POLICY) -> tuple[str | None, tuple, str]:
    """The kind the values support: ``(kind id, values, reason)``; kind None when no
    kind describes every value (reason says why).  Strings become an enumeration only
    when ``value_lists`` lets their values be listed; else they are free text."""
    types = set(ks.types)
    if type(None) in types:
        return None, (), "null values (no kind accepts null; send the key only when it has a value)"
    if not types:
        return None, (), "no values"
    if dict in types:
        return None, (), "object values (telemetry fields are flat)"
    if types == {bool}:
        return (_SETTING_IS_DEFAULT if key.startswith(prefix) and len(key) > len(prefix) else "boolean"), (), ""
    if types == {int}:
        lo, hi = ks.numeric_range
        if TIMESTAMP_RANGE[0] <= lo and hi <= TIMESTAMP_RANGE[1]:
            return "timestamp_ms", (), ""
        return "integer", (), ""
    if types <= {int, float}:
        return "number", (), ""
    if types == {str}:
        lens = ks.string_lengths
        if ks.versions_only and lens[1] <= 64:
            return "version", (), ""
        d = ks.distinct
        if d is not None and len(d) <= ENUM_MAX and docs >= ENUM_REPEAT * len(d) and not listable(key, ks, d, policy):
            return "enumerated_string", tuple(d), ""
        if lens[1] > 4096:
            return None, (), f"strings up to {lens[1]} characters (the string kind allows 4096)"
        return "string", (), ""
    if types == {list}:
        items = set(ks.item_types)
        if items <= {str} and ks.items_max <= 10000 and (ks.string_lengths or (0, 0))[1] <= 4096:
            return "string_list", (), ""
        return None, (), "lists of " + ", ".join(sorted(t.__name__ for t in items)) + " (only lists of strings have a kind)"
    return None, (), f"mixed types {_types(ks)}"


_PY = {"integer": {int}, "number": {int, float}, "boolean": {bool}, "string": {str}, "array": {list}}


def fit(f: Field, ks: KeyStats) -> str:
    """How the values seen fit the declared field: ``all``, ``none`` or ``some``;
    ``values`` when only the enumeration lacks some seen values."""
    schema = f.kind.json_schema
    allowed = _PY[schema["type"]]
    types = set(ks.types)
    if not types & allowed:
        return "none"
    if not types <= allowed:
        return "some"
    strs = [v for v in (ks.distinct or ()) if isinstance(v, str)]
    if "pattern" in schema and types == {str}:
        if f.kind.id == "version":
            # The schema's own test: ECMA-262 ``pattern`` semantics (a search, ``\d`` only
            # ASCII digits), as every validator of the generated schemas applies it.
            matches = ecma.compile(schema["pattern"]).search
            ok = ks.version_shape if ks.distinct is None else all(matches(s) for s in strs)
            if not ok:
                return "none" if ks.distinct is not None and not any(matches(s) for s in strs) else "some"
        elif ks.distinct is None or not all(_ID_SHAPE.fullmatch(s) for s in strs):
            return "some"
    if "minimum" in schema:
        rng = ks.numeric_range
        if rng is not None and rng[0] < schema["minimum"]:
            return "none" if rng[1] < schema["minimum"] else "some"
    if "maxLength" in schema:
        lens = ks.string_lengths
        if lens is not None and lens[1] > schema["maxLength"]:
            return "some"
    if schema["type"] == "array":
        if not set(ks.item_types) <= {str} or ks.items_max > schema.get("maxItems", 10000):
            return "some"
        lens = ks.string_lengths
        if lens is not None and lens[1] > 4096:
            return "some"
    if f.values:
        seen = ks.distinct
        if seen is None or any(v not in f.values or type(v) is not type(_match(f.values, v)) for v in seen):
            return "values"
    return "all"


def _match(values: tuple, v: Any) -> Any:
    return next((x for x in values if x == v and type(x) is type(v)), None)


# ------------------------------------------------------------------ per payload


def compare(ctx: Context, stats: dict[str, PayloadStats]) -> list[Proposal]:
    """Every proposal and finding for the statistics, payloads in name order."""
    out: list[Proposal] = []
    by_name = {p.wire_name: p for p in ctx.spec.payloads}
    for name in sorted(stats):
        ps = stats[name]
        payload = by_name.get(name)
        if payload is None:
            out.extend(_unknown_payload(ctx, name, ps))
        else:
            out.extend(_known_payload(ctx, payload, ps))
    return out


def _known_payload(ctx: Context, payload: Payload, ps: PayloadStats) -> list[Proposal]:
    docs = ps.documents
    declared = {f.wire_key: f for f in payload.fields}
    seen = ps.keys
    undeclared = sorted(k for k in seen if k not in declared)
    unseen = [f for f in payload.fields if f.wire_key not in seen]
    out: list[Proposal] = []

    # 1. Renames: one undeclared key, one unseen field, same normal form.
    by_norm_new: dict[str, list[str]] = {}
    for k in undeclared:
        by_norm_new.setdefault(normalise(k), []).append(k)
    by_norm_old: dict[str, list[Field]] = {}
    for f in unseen:
        by_norm_old.setdefault(normalise(f.wire_key), []).append(f)
    renamed: dict[str, Field] = {}  # seen key -> field
    for norm, keys in sorted(by_norm_new.items()):
        fields = by_norm_old.get(norm, [])
        if len(keys) == 1 and len(fields) == 1 and WIRE_KEY.fullmatch(keys[0]):
            renamed[keys[0]] = fields[0]
        elif fields:
            out.append(Proposal("manual", payload.wire_name, f"keys {', '.join(map(repr, keys))} and declared field(s) "
                                f"{', '.join(repr(f.qualified_name) for f in fields)} match after normalisation; "
                                "set `wire_key:` on the right field by hand", key=keys[0]))
    listed = _renamed_by_values(payload, ps, [k for k in undeclared if k not in renamed], [f for f in unseen if f not in renamed.values()])
    for key, f in sorted({**renamed, **listed}.items()):
        ks = seen[key]
        why = "the declared key is never seen" + ("; every value seen is one the field lists" if key in listed else "")
        msg = f"field {f.qualified_name!r}: wire key {f.wire_key!r} -> {key!r} ({why}; {_evidence(ks, docs, key, ctx.policy)})"
        out.append(Proposal("rename", payload.wire_name, msg, key=key, field=f.qualified_name, location=f.location,
                            changes=(("wire_key", key),), review=f"gen infer: wire key {key!r} seen in traffic instead of {f.wire_key!r} ({why})"))
    renamed.update(listed)
    # A key renamed between captures: both keys are in the traffic, never in one document.
    # Both stay declared (the older documents must still validate); the new field says
    # which one it replaces, and the older one is made optional with the same note.
    replaced = _renamed_between_captures(payload, ps, [k for k in undeclared if k not in renamed], renamed)

    # 2. and 3. Kinds, value lists and presence of declared (and renamed) fields.
    names = {(f.name, f.kind.id == _SETTING_IS_DEFAULT) for f in payload.fields}
    moved = {id(f) for f in renamed.values()}
    checked = [(f.wire_key, f) for f in payload.fields if f.wire_key in seen and id(f) not in moved] + [(k, f) for k, f in renamed.items()]
    for key, f in sorted(checked, key=lambda kf: kf[1].location):
        ks = seen[key]
        how = fit(f, ks)
        if how == "none":
            kind, values, why = infer_kind(ks, docs, key, ctx.is_default_prefix, ctx.policy)
            if kind is None:
                out.append(Proposal("manual", payload.wire_name, f"field {f.qualified_name!r} ({f.kind.id}): no value fits, and {why}; "
                                    f"{_evidence(ks, docs, key, ctx.policy)}", key=key, field=f.qualified_name, location=f.location))
            elif (f.kind.id == _SETTING_IS_DEFAULT) != (kind == _SETTING_IS_DEFAULT) and (f.name, kind == _SETTING_IS_DEFAULT) in names:
                out.append(Proposal("manual", payload.wire_name, f"field {f.qualified_name!r} ({f.kind.id}): no value fits; "
                                    f"the values support {kind}, but the payload already has a {kind} field named "
                                    f"{f.name!r}; decide by hand ({_evidence(ks, docs, key, ctx.policy)})", key=key, field=f.qualified_name,
                                    location=f.location))
            else:
                changes = (("kind", kind),) + ((("values", values),) if values else ())
                if f.values and not values:
                    changes += (("values", None),)
                if (f.kind.id == _SETTING_IS_DEFAULT) != (kind == _SETTING_IS_DEFAULT) and key == f.wire_key:
                    changes = (("wire_key", key),) + changes  # the derived key depends on the kind
                changes += ((PERSONAL_DATA, UNREVIEWED),)  # a new kind: its earlier judgment no longer holds
                free = KINDS[kind].free_text
                out.append(Proposal("kind", payload.wire_name, f"field {f.qualified_name!r}: kind {f.kind.id} -> {kind} "
                                    f"(no value fits {f.kind.id}; {_evidence(ks, docs, key, ctx.policy)})" + (_LOUD if free else ""),
                                    key=key, field=f.qualified_name, location=f.location, changes=changes, free_text=free,
                                    review=("gen infer: FREE TEXT (may carry personal data): " if free else "gen infer: ")
                                    + f"kind {f.kind.id} -> {kind}; {_evidence(ks, docs, key, ctx.policy)}"))
        elif how == "values":
            d = ks.distinct
            if d is None:
                out.append(Proposal("manual", payload.wire_name, f"field {f.qualified_name!r}: more distinct values than "
                                    "gen infer keeps, some outside `values`; list them by hand", key=key, field=f.qualified_name,
                                    location=f.location))
            else:
                lacking = [v for v in d if _match(f.values, v) is None]
                why = listable(key, ks, lacking, ctx.policy)
                if why:
                    out.append(Proposal("manual", payload.wire_name, f"field {f.qualified_name!r}: {len(lacking)} value(s) seen that "
                                        f"`values` lacks, not listed ({why}); decide by hand", key=key, field=f.qualified_name,
                                        location=f.location))
                else:
                    merged = tuple(f.values) + tuple(lacking)
                    out.append(Proposal("values", payload.wire_name, f"field {f.qualified_name!r}: values {list(f.values)} -> {list(merged)}",
                                        key=key, field=f.qualified_name, location=f.location, changes=(("values", merged),),
                                        review=f"gen infer: values seen that `values` lacked; {_evidence(ks, docs, key, ctx.policy)}"))
        elif how == "some":
            out.append(Proposal("manual", payload.wire_name, f"field {f.qualified_name!r} ({f.kind.id}): some values fit it and "
                                f"some do not ({_evidence(ks, docs, key, ctx.policy)}); decide by hand", key=key, field=f.qualified_name,
                                location=f.location))
        if f.required and ks.present < docs:
            successor = next((k for k, g in replaced.items() if g is f), None)
            later = f"; {successor!r} replaces it (renamed between captures: never sent together, values alike)" if successor else ""
            out.append(Proposal("required", payload.wire_name, f"field {f.qualified_name!r}: present in only "
                                f"{_ratio(ks.present, docs)} -> required: false{later}", key=key, field=f.qualified_name,
                                location=f.location, changes=(("required", False),),
                                review=f"gen infer: key {key!r} present in only {_ratio(ks.present, docs)}{later}"))

    # 5a. Declared, never seen: reported, never removed (made optional if required).
    for f in unseen:
        if f in renamed.values():
            continue
        out.append(Proposal("unseen", payload.wire_name, f"field {f.qualified_name!r} (key {f.wire_key!r}) is declared but was "
                            f"never seen in {docs} document{'s' if docs != 1 else ''}; kept (remove it by hand if the product no longer sends it)",
                            key=f.wire_key, field=f.qualified_name, location=f.location))
        if f.required:
            out.append(Proposal("required", payload.wire_name, f"field {f.qualified_name!r}: never present -> required: false",
                                key=f.wire_key, field=f.qualified_name, location=f.location, changes=(("required", False),),
                                review=f"gen infer: key {f.wire_key!r} never seen in {docs} documents"))

    # 4. New fields for the rest.
    for key in undeclared:
        if key in renamed:
            continue
        out.append(_new_field(ctx, payload.wire_name, key, seen[key], docs, names, replaced.get(key)))
    if ps.keys_dropped:
        out.append(Proposal("manual", payload.wire_name, f"{ps.keys_dropped} values of keys past gen infer's caps "
                            "(1000 keys a payload, 20,000 in all, 256 characters a key) were counted but not described"))
    return out


PERSONAL_DATA = "personal_data"
_LOUD = "  !!! FREE TEXT: may carry personal data; review before it ships"


def _renamed_by_values(payload: Payload, ps: PayloadStats, keys: list[str], unseen: list[Field]) -> dict[str, Field]:
    """Renames recognised by value distribution where the spelling differs: an unseen
    field that lists its values, and the one undeclared key whose values (two or more,
    every one of them) are values the field lists, one to one.  (A field without a
    value list gives no such evidence: any key of its kind would fit it.)"""
    seen = ps.keys
    pairs = [(k, f) for k in keys if WIRE_KEY.fullmatch(k) for f in unseen
             if f.values and (d := seen[k].distinct) is not None and len(d) >= 2 and fit(f, seen[k]) == "all"]
    return _one_to_one(pairs)


def _renamed_between_captures(payload: Payload, ps: PayloadStats, keys: list[str], taken: dict[str, Field]) -> dict[str, Field]:
    """Keys renamed between captures, by co-occurrence and values: undeclared key ->
    field, one to one, where the field's own key was seen too but never in a document
    with the new key, every value of the new key fits the field, and both carried the
    same JSON types and overlapping values."""
    seen = ps.keys
    fields = [f for f in payload.fields if f not in taken.values() and f.wire_key in seen and seen[f.wire_key].present < ps.documents]
    pairs = [(k, f) for k in keys if WIRE_KEY.fullmatch(k) for f in fields
             if not ps.together(k, f.wire_key) and _alike(f, seen[k], seen[f.wire_key])]
    return _one_to_one(pairs)


def _one_to_one(pairs: list[tuple[str, Field]]) -> dict[str, Field]:
    """The (key, field) pairs in which neither the key nor the field has another."""
    by_key: dict[str, list[Field]] = {}
    by_field: dict[int, list[str]] = {}
    for k, f in pairs:
        by_key.setdefault(k, []).append(f)
        by_field.setdefault(id(f), []).append(k)
    return {k: fs[0] for k, fs in by_key.items() if len(fs) == 1 and len(by_field[id(fs[0])]) == 1}


def _alike(f: Field, ks: KeyStats, old: KeyStats) -> bool:
    """Whether the values under a key could be the field's (see ``_renamed_between_captures``)."""
    if fit(f, ks) != "all" or set(old.types) != set(ks.types):
        return False
    a, b = old.distinct, ks.distinct
    if a is not None and b is not None:
        return bool({(type(v), v) for v in a} & {(type(v), v) for v in b})
    ra, rb = old.numeric_range, ks.numeric_range
    return ra is None or rb is None or (ra[0] <= rb[1] and rb[0] <= ra[1])


def _name_for(key: str) -> str:
    """A documented name for a key: its words in PascalCase, any character a name
    cannot hold (``-``, ``.``, a space) read as a word break."""
    name = pascal_case(re.sub(r"[^A-Za-z0-9]+", "_", key))
    if not name or not name[0].isalpha():
        name = "Key" + name
    return name[:63]


def _new_field(ctx: Context, payload: str, key: str, ks: KeyStats, docs: int, names: set, replaces: Field | None = None) -> Proposal:
    """A new field for an undeclared key (or a finding when it cannot be one).  Any key
    the product sends can be declared; a ``wire_key`` is written whenever the key the
    spec's conventions derive from the new name would differ from the key seen."""
    if not WIRE_KEY.fullmatch(key):
        return Proposal("manual", payload, f"key {key!r} cannot be a wire key (it holds control characters or is longer "
                        f"than 200 characters); {_evidence(ks, docs, key, ctx.policy)}", key=key)
    kind, values, why = infer_kind(ks, docs, key, ctx.is_default_prefix, ctx.policy)
    if kind is None:
        return Proposal("manual", payload, f"key {key!r}: {why}; declare it by hand ({_evidence(ks, docs, key, ctx.policy)})", key=key)
    is_default = kind == _SETTING_IS_DEFAULT
    base = key[len(ctx.is_default_prefix):] if is_default else key
    name = _name_for(base)
    unique, n = name, 2
    while (unique, is_default) in names:
        unique, n = f"{name}{n}", n + 1
    names.add((unique, is_default))
    changes: list[tuple[str, Any]] = [("name", unique), ("kind", kind)]
    if field_wire_key(unique, is_default, ctx.is_default_prefix, ctx.acronyms, ctx.numbers) != key:
        changes.append(("wire_key", key))
    if values:
        changes.append(("values", values))
    if ks.present < docs:
        changes.append(("required", False))
    free = KINDS[kind].free_text
    renamed = (f" replacing {replaces.wire_key!r} of field {replaces.qualified_name!r} (renamed between captures: never sent "
               "in one document with it, values alike)") if replaces else ""
    review = ("gen infer: FREE TEXT (may carry personal data): " if free else "gen infer: ") + f"new key {key!r}{renamed}; {_evidence(ks, docs, key, ctx.policy)}"
    changes.append((PERSONAL_DATA, UNREVIEWED))  # nobody has judged it: never "none"
    changes.append(("inferred", review))
    return Proposal("new-field", payload, f"key {key!r} -> new field {unique!r}, kind {kind}{renamed} ({_evidence(ks, docs, key, ctx.policy)})"
                    + (_LOUD if free else ""), key=key, changes=tuple(changes), review=review, free_text=free)


def _unknown_payload(ctx: Context, name: str, ps: PayloadStats) -> list[Proposal]:
    where = where_text(ps.first)
    if ctx.section is None or not WIRE.fullmatch(name):
        why = "" if WIRE.fullmatch(name) else " (it cannot be a wire name: lower-case letters, digits, underscores)"
        return [Proposal("unknown-payload", name, f"payload {name!r} is not in the spec{why}: {ps.documents} document(s), "
                         f"first at {where}" + ("; name a section with --section to add it" if not why else ""))]
    section = ctx.spec.section(ctx.section)
    ptype = "event" if section.schedule.trigger == "event" else "record"
    names: set = set()
    fields = []
    findings = []
    for key in sorted(ps.keys):
        p = _new_field(ctx, name, key, ps.keys[key], ps.documents, names)
        (fields if p.action == "new-field" else findings).append(p)
    review = f"gen infer: payload not in the spec, seen in {ps.documents} document(s), first at {where}"
    changes = (("type", ptype), ("wire_name", name), ("section", ctx.section)) + ((("category", ctx.category),) if ctx.category else ()) + (("inferred", review),)
    msg = f"payload {name!r} -> new {ptype} payload in section {ctx.section!r} with {len(fields)} field(s)"
    return [Proposal("new-payload", name, msg, changes=changes, review=review, fields=tuple(fields),
                     free_text=any(f.free_text for f in fields))] + findings
