"""The privacy-relevant facts of a field and a feature, and how a change to each is
classified: one module that ``gen diff``, ``gen review``, ``gen check --baseline``, the
docs, the catalogue and the tests all read, so no command can be blind to a fact
another prints.

The facts (``FACTS``), each read from a catalogue entry (``generator.targets.catalog``;
the form both sides of a diff arrive in):

* a field's personal-data level (``PD_LEVELS``: none < pseudonymous < possible <
  unreviewed; a field nobody has reviewed is treated as the most exposing, so reviewing
  it is a reduction and un-reviewing it an expansion), why it is collected
  (``collected_because``) and how it is reduced (``reduction``);
* its kind and value space (the kind's ``reach`` from ``generator.kinds``, then its
  JSON Schema's ``maxLength``/``pattern``; the listed values), whether it reads what users
  entered, its edition and version limits, whether it is required;
* its review trail: the expiry (how long it is collected) and the owners, data reviews
  and tickets (governance);
* a payload's schedule, edition, version limits and feature;
* a feature's destination, sender and opt-outs (several ways: a command, an environment
  variable, a setting), each with its off values (``OFF_RULES``: a list, any non-empty
  value, or "set" by the environment-variable truthiness rule ``ENV_NOT_SET``).

Each fact compares a before and an after value and says in which directions it moved
(``WIDER``: more is revealed or it is harder to stop, ``NARROWER``: the reverse,
``OTHER``: changed without an order).  A fact names the ``gen diff`` rule of each
direction, and the rule's privacy class is derived from the direction (wider is
``expanded``, narrower ``reduced``, other the fact's ``other_privacy``):
``generator.diff.rules`` takes the classes of these rules from here.

Must not: read YAML or the disk, print, or know any product.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from generator.kinds import KINDS

EXPANDED, REDUCED, NONE = "expanded", "reduced", "none"
WIDER, NARROWER, OTHER = "wider", "narrower", "other"

# -- personal-data levels ----------------------------------------------------------------

NONE_LEVEL, PSEUDONYMOUS, POSSIBLE, UNREVIEWED = "none", "pseudonymous", "possible", "unreviewed"
#: The personal-data levels, least exposing first.  ``unreviewed`` is what nobody has
#: judged yet (``gen infer``'s additions): treated as the most exposing, never as none.
PD_LEVELS: tuple[str, ...] = (NONE_LEVEL, PSEUDONYMOUS, POSSIBLE, UNREVIEWED)
PD_RANK: Mapping[str, int] = MappingProxyType({lv: i for i, lv in enumerate(PD_LEVELS)})
#: Levels that need ``collected_because`` (and, for ``possible``, a ``reduction``).
PD_STATED: frozenset[str] = frozenset({PSEUDONYMOUS, POSSIBLE})


def default_level(kind_id: str, review: str) -> str:
    """A field's personal-data level when the spec does not state one: ``unreviewed``
    while it carries ``gen infer``'s ``inferred:`` marker, ``pseudonymous`` for a
    pseudonymous identifier, else ``none``."""
    if review:
        return UNREVIEWED
    return PSEUDONYMOUS if kind_id == "pseudonymous_id" else NONE_LEVEL


# -- opt-outs and their off values ---------------------------------------------------------

#: How an environment variable's value is read when an opt-out's off values are
#: ``set``: the variable is "set" (the feature is off) when it exists and its value,
#: compared without regard to case and without trimming, is none of these.  So ``1``,
#: ``true``, ``yes``, ``on`` or ``x`` switch it off; empty, ``0``, ``false``, ``off``,
#: ``no`` (any case) and an absent variable leave it on.
ENV_NOT_SET: tuple[str, ...] = ("", "0", "false", "off", "no")
#: Named off-value rules (instead of a list of values) and what they mean.
OFF_RULES: Mapping[str, str] = MappingProxyType(
    {
        "any_non_empty": "any non-empty value switches the feature off (even 0 or false)",
        "set": "the variable is set: any value except " + ", ".join(repr(v) for v in ENV_NOT_SET) + " (case-insensitive)",
    }
)
#: Values a producer must treat as "off" under each rule (the suite tries them), and
#: values that must leave the feature on (``set`` only: the not-set spellings).
OFF_SAMPLES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"any_non_empty": ("1", "true", "yes", "0", "false", "off", "x"), "set": ("1", "true", "TRUE", "yes", "on", "x")}
)
ON_SAMPLES: Mapping[str, tuple[str, ...]] = MappingProxyType({"any_non_empty": ("",), "set": ENV_NOT_SET + ("FALSE", "Off", "NO")})


def env_is_set(value: str | None) -> bool:
    """Whether an environment variable's value counts as set under ``ENV_NOT_SET``."""
    return value is not None and value.lower() not in ENV_NOT_SET


def switches_off(off_values: Any, value: Any) -> bool:
    """Whether ``value`` of the setting switches the feature off, by the opt-out's
    ``off_values`` (a list, ``any_non_empty`` or ``set``)."""
    if off_values == "any_non_empty":
        return isinstance(value, str) and value != ""
    if off_values == "set":
        return isinstance(value, str) and env_is_set(value)
    return any(_same(value, v) for v in off_values or ())


def _env_text(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v)


def _off_subset(a: Any, b: Any) -> bool:
    """Whether every value that switches off under ``a`` also does under ``b``."""
    if _same(a, b):
        return True
    if isinstance(a, list):
        if isinstance(b, list):
            return all(any(_same(x, y) for y in b) for x in a)
        return all(switches_off(b, _env_text(x)) for x in a)
    if a == "set":
        return b == "any_non_empty"
    return False


def off_values_direction(before: Any, after: Any) -> str | None:
    """How an opt-out's off values moved: ``NARROWER`` when every old off value still
    switches off (easier to stop), ``WIDER`` when fewer do (harder), ``OTHER`` when
    neither contains the other (a value that meant off may now mean on)."""
    if _off_subset(before, after) and _off_subset(after, before):
        return None
    if _off_subset(before, after):
        return NARROWER
    if _off_subset(after, before):
        return WIDER
    return OTHER


def opt_out_ways(feature: Mapping[str, Any]) -> list[dict]:
    """A catalogue feature's ways to opt out that name a setting (``opt_outs``, or the
    single ``opt_out`` of an older catalogue); ``not_possible`` entries are none."""
    ways = feature.get("opt_outs")
    if ways is None:
        ways = [feature["opt_out"]] if feature.get("opt_out") else []
    return [_way_defaults(w) for w in ways if isinstance(w, dict) and w.get("setting")]


def _way_defaults(way: dict) -> dict:
    """A catalogue opt-out with the keys an older catalogue may lack (a console setting
    with one ``off_value``) filled in."""
    if "kind" in way and "off_values" in way:
        return way
    return {"kind": "console_setting", "off_values": [way.get("off_value", False)], **way}


def opt_out_place(way: Mapping[str, Any]) -> tuple:
    """Where a user finds a way to opt out (its kind, path, command, flag, key, file):
    a change of it is ``opt-out-moved``."""
    return (way.get("kind"), tuple(way.get("console_path") or ()), way.get("command", ""), way.get("flag", ""), way.get("key", ""), way.get("file", ""))


# -- value spaces --------------------------------------------------------------------------


def _kind_space(kind_id: str) -> tuple[int, float, bool]:
    """(reach, maxLength, unpatterned) of a kind; unknown kinds rank in the middle."""
    k = KINDS.get(kind_id)
    if k is None:
        return (3, float("inf"), True)
    js = k.json_schema
    return (k.reach, js.get("maxLength", float("inf")) if js.get("type") == "string" else 0, "pattern" not in js)


def kind_direction(before: str, after: str) -> str | None:
    """How a field's value space moved with its kind: by reach, then (equal reach) by
    maximum length and by losing a pattern; ``OTHER`` when neither admits more."""
    if before == after:
        return None
    rb, ra = _kind_space(before), _kind_space(after)
    if ra[0] != rb[0]:
        return WIDER if ra[0] > rb[0] else NARROWER
    more = ra[1] > rb[1] or (ra[2] and not rb[2])
    less = ra[1] < rb[1] or (rb[2] and not ra[2])
    if more != less:
        return WIDER if more else NARROWER
    return OTHER


def _hashable(v: Any) -> Any:
    return (type(v).__name__, v) if not isinstance(v, (list, dict)) else repr(v)


def values_directions(before: list, after: list) -> tuple[str, ...]:
    """An enumeration's list: gaining values (or losing the list: any value) is
    ``WIDER``, losing values (or gaining a list) ``NARROWER``; both may happen."""
    if not before and after:
        return (NARROWER,)
    if before and not after:
        return (WIDER,)
    bset, aset = {_hashable(v) for v in before}, {_hashable(v) for v in after}
    return tuple(d for d, hit in ((WIDER, aset - bset), (NARROWER, bset - aset)) if hit)


def version_key(v: str) -> tuple:
    """Sort key of a product version ("5.10" after "5.9"); any text sorts without error."""
    return tuple((0, int(x), "") if x.isdigit() else (1, 0, x) for x in re.split(r"[.\-+]", v))


def versions_directions(before: dict, after: dict) -> tuple[str, ...]:
    """A version range: an end removed or moved outwards is ``WIDER``, added or moved
    inwards ``NARROWER``; a missing end is unlimited."""
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
    return tuple(d for d, hit in ((WIDER, wide), (NARROWER, narrow)) if hit)


def edition_direction(before: str | None, after: str | None) -> str | None:
    """An edition limit: removed or changed is ``WIDER`` (sent by editions it was not),
    added is ``NARROWER``."""
    if before == after:
        return None
    return NARROWER if before is None else WIDER


_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}


def schedule_seconds(schedule: str | None) -> int | None:
    """Seconds between two sendings of a periodic schedule (``every 24h``); None else."""
    m = re.fullmatch(r"every ([0-9]+)([mhd])", schedule or "")
    return int(m.group(1)) * _UNIT_SECONDS[m.group(2)] if m else None


def schedule_direction(before: str | None, after: str | None) -> str | None:
    """More frequent sending is ``WIDER``, less ``NARROWER``; periodic to on-event (or
    back) ``OTHER``."""
    if before == after:
        return None
    b, a = schedule_seconds(before), schedule_seconds(after)
    if b is None or a is None:
        return OTHER
    return WIDER if a < b else NARROWER


def expiry_rank(e: dict | None) -> tuple:
    """Order of expiries by how long they allow collection; None (no expiry) and
    ``never`` are unlimited.  Dates and versions do not compare: kind first."""
    if e is None or e.get("kind") == "never":
        return (3,)
    if e["kind"] == "version":
        return (2, version_key(e["value"]))
    return (1, e["value"])


def expiry_text(e: dict | None) -> str:
    """An expiry in words: "2027-06-30", "v8.0", "never (reason)"; "" for none."""
    if not e:
        return ""
    if e["kind"] == "version":
        return f"v{e['value']}"
    if e["kind"] == "never":
        return f"never ({e['reason']})" if e.get("reason") else "never"
    return e["value"]


def expiry_direction(before: dict | None, after: dict | None) -> str | None:
    """Collected for longer is ``WIDER``, for shorter ``NARROWER``; an expiry that
    changed kind within the same reach (a reason reworded) ``OTHER``."""
    if before == after:
        return None
    rb, ra = expiry_rank(before), expiry_rank(after)
    if ra == rb:
        return OTHER
    return WIDER if ra > rb else NARROWER


def level_direction(before: str, after: str) -> str | None:
    """A personal-data level: up ``PD_LEVELS`` is ``WIDER``, down ``NARROWER``."""
    if before == after:
        return None
    return WIDER if PD_RANK.get(after, len(PD_LEVELS)) > PD_RANK.get(before, len(PD_LEVELS)) else NARROWER


def set_directions(before: list, after: list) -> tuple[str, ...]:
    """A set of protections (reductions): one removed is ``WIDER`` (less protected),
    one added ``NARROWER``."""
    b, a = set(before), set(after)
    return tuple(d for d, hit in ((WIDER, b - a), (NARROWER, a - b)) if hit)


def _changed(before: Any, after: Any) -> str | None:
    return None if _same(before, after) else OTHER


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON values (``0`` is not ``false``, unlike Python's ``==``)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _as_tuple(d: str | None | tuple) -> tuple[str, ...]:
    if d is None:
        return ()
    return d if isinstance(d, tuple) else (d,)


# -- the facts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """One privacy-relevant fact: its id, the element it belongs to (``field``,
    ``payload`` or ``feature``), its words, how to read it from a catalogue entry, how a
    change moves it, and the ``gen diff`` rule of each direction (None: that direction
    cannot happen).  ``other_privacy`` classifies the ``OTHER`` direction."""

    id: str
    scope: str
    title: str
    read: Callable[[Mapping[str, Any]], Any]
    compare: Callable[[Any, Any], Any]
    wider: str | None
    narrower: str | None
    other: str | None = None
    other_privacy: str = NONE

    def directions(self, before: Any, after: Any) -> tuple[str, ...]:
        """The directions the fact moved from ``before`` to ``after`` (empty: same)."""
        return _as_tuple(self.compare(before, after))

    def rule(self, direction: str) -> str | None:
        """The diff rule that reports a move in ``direction``."""
        return {WIDER: self.wider, NARROWER: self.narrower, OTHER: self.other}[direction]

    def privacy(self, direction: str) -> str:
        """The privacy class of a move in ``direction``."""
        return {WIDER: EXPANDED, NARROWER: REDUCED}.get(direction, self.other_privacy)


def _gov(key: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda e: (e.get("governance") or {}).get(key)


FACTS: tuple[Fact, ...] = (
    # A field's personal data.
    Fact("personal_data", "field", "personal-data level", lambda e: e.get("personal_data", NONE_LEVEL), level_direction,
         "personal-data-raised", "personal-data-lowered"),
    Fact("collected_because", "field", "reason for collecting", lambda e: e.get("collected_because", ""),
         lambda b, a: OTHER if b != a and a else None, None, None, "collected-because-changed", EXPANDED),
    Fact("reduction", "field", "reductions", lambda e: list(e.get("reduction") or []), set_directions, "reduction-removed", "reduction-added"),
    # A field's value space.
    Fact("kind", "field", "kind", lambda e: e.get("kind"), kind_direction, "kind-widened", "kind-narrowed", "kind-changed"),
    Fact("values", "field", "allowed values", lambda e: list(e.get("values") or []), values_directions, "values-added", "values-removed"),
    Fact("uses_input_data", "field", "reads what users entered", lambda e: bool(e.get("uses_input_data")),
         lambda b, a: None if b == a else WIDER if a else NARROWER, "input-data-used", "input-data-unused"),
    Fact("field_edition", "field", "edition", lambda e: e.get("edition"), edition_direction, "field-edition-widened", "field-edition-narrowed"),
    Fact("field_versions", "field", "product versions", lambda e: e.get("versions") or {}, versions_directions,
         "field-versions-widened", "field-versions-narrowed"),
    # A field's review trail.
    Fact("expires", "field", "expiry", _gov("expires"), expiry_direction, "expiry-extended", "expiry-shortened", "expiry-changed"),
    Fact("review_trail", "field", "owners and approvals",
         lambda e: {k: (e.get("governance") or {}).get(k) or [] for k in ("owners", "reviews", "tickets")}, _changed,
         None, None, "review-trail-changed"),
    # A payload's sending.
    Fact("schedule", "payload", "schedule", lambda e: e.get("schedule"), schedule_direction,
         "schedule-more-frequent", "schedule-less-frequent", "schedule-changed", EXPANDED),
    Fact("edition", "payload", "edition", lambda e: e.get("edition"), edition_direction, "edition-widened", "edition-narrowed"),
    Fact("versions", "payload", "product versions", lambda e: e.get("versions") or {}, versions_directions, "versions-widened", "versions-narrowed"),
    Fact("feature", "payload", "feature", lambda e: e.get("feature"), _changed, None, None, "payload-moved", EXPANDED),
    # A feature's recipients and opt-outs.
    Fact("destination", "feature", "destination", lambda e: e.get("destination"), _changed, None, None, "destination-changed", EXPANDED),
    Fact("sender", "feature", "sender", lambda e: e.get("sender"), _changed, None, None, "sender-changed", EXPANDED),
    Fact("opt_outs", "feature", "ways to opt out", opt_out_ways, lambda b, a: None, "opt-out-removed", "opt-out-added", "opt-out-moved", EXPANDED),
    Fact("off_values", "feature", "off values of an opt-out", lambda w: w.get("off_values"), off_values_direction,
         "opt-out-value-changed", "opt-out-easier", "opt-out-value-changed", EXPANDED),
)
BY_FACT: Mapping[str, Fact] = MappingProxyType({f.id: f for f in FACTS})


def rule_privacy() -> dict[str, str]:
    """Every fact rule id -> its privacy class, derived from the direction it reports
    (``generator.diff.rules`` reads its privacy column from here)."""
    out: dict[str, str] = {}
    for f in FACTS:
        for d in (WIDER, NARROWER, OTHER):
            rid = f.rule(d)
            if rid is not None:
                cls = f.privacy(d)
                assert out.get(rid, cls) == cls, (rid, out[rid], cls)
                out[rid] = cls
    return out
