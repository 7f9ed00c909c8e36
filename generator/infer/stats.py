"""Statistics of captured traffic, per payload and key, in bounded memory.

For every payload seen: how many documents, and for every key: in how many documents
it was present, the JSON types of its values (with counts), its distinct values with the
documents and input sources that carried each (up to ``VALUES_BOUND``; past that, or once a long string shows it is free text, only a
summary is kept), numeric minimum and maximum, string lengths, whether every string
looks like a version, and for arrays the types of their items.  Every table is capped
(``MAX_PAYLOADS``, ``MAX_KEYS``, ``MAX_TOTAL_KEYS``, ``MAX_NAME``), so memory does not
grow with the number of lines.

The hot loop works a batch at a time and column-wise: documents of one payload with the
same keys in the same order are grouped, their values transposed (``zip``), and each
column is counted by C-level builtins (``Counter``, ``map``, ``min``, ``max``) instead
of one Python step per value.  This module knows nothing of the spec and proposes
nothing (that is ``propose.py``); it only describes what was seen, including which keys
were sent together (``PayloadStats.shapes``, for recognising renamed keys).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

VALUES_BOUND = 64  # distinct values kept per key
SOURCES_KEPT = 8  # input sources remembered per distinct value (enough for any threshold)
LONG_STRING = 256  # a string longer than this stops value tracking: it is free text
MAX_PAYLOADS = 1000  # distinct payload names tracked (the rest are counted)
MAX_KEYS = 1000  # distinct keys tracked per payload (the rest are counted)
MAX_TOTAL_KEYS = 20_000  # distinct keys tracked in all (a KeyStats is a few KiB at most)
MAX_NAME = 256  # longer payload names and keys are counted, not kept (no wire name is so long)
MAX_SHAPES = 4096  # distinct key sets kept per payload (which keys were sent together)

# The version kind's shape (generator.kinds, `version`), and what makes it a version
# rather than a number written as text: at least one dot.
VERSION_SHAPE = re.compile(r"[0-9]+(\.[0-9]+)*([-+.][0-9A-Za-z.-]+)?")

JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object", type(None): "null"}
_NUMERIC = (int, float)


class KeyStats:
    """What was seen of one key of one payload."""

    __slots__ = ("first", "hi", "item_types", "items_max", "len_hi", "len_lo", "lo", "present",
                 "sources", "types", "values", "version_shape")

    def __init__(self, first: tuple) -> None:
        self.first = first  # (file label, line, item) of the first document carrying it
        self.present = 0
        self.types: dict[type, int] = {}
        # distinct (class, value) -> documents carrying it; None: too many
        self.values: dict[tuple, int] | None = {}
        # (class, value) -> the input sources (file labels) it came from, up to SOURCES_KEPT
        self.sources: dict[tuple, set[str]] = {}
        self.lo = self.hi = None  # numeric bounds, kept once values are summarised
        self.len_lo = self.len_hi = None  # string lengths, likewise
        self.version_shape = True  # every string so far matches VERSION_SHAPE (summary mode)
        self.item_types: dict[type, int] = {}  # for arrays: the classes of their items
        self.items_max = 0  # longest array

    # ---- collecting

    def add_column(self, col: tuple, source: str = "") -> None:
        """Count one column of values (one per document of a group) read from ``source``
        (an input's label): how many documents carry each value, and from which sources.

        The common column, one type and values already seen, costs a few C-level
        passes: ``set(map(type, col))``, one ``Counter`` and one key difference."""
        self.present += len(col)
        ts = set(map(type, col))
        types = self.types
        if len(ts) == 1:
            for t in ts:
                types[t] = types.get(t, 0) + len(col)
        else:
            for t, n in Counter(map(type, col)).items():
                types[t] = types.get(t, 0) + n
        if list in ts or dict in ts:
            col = self._containers(col)
            ts = set(map(type, col))
            if not col:
                return
        values = self.values
        if values is None:
            self._summarise(col, ts)
            return
        if len(ts) > 1 and (bool in ts or (int in ts and float in ts)):
            counts = Counter(zip(map(type, col), col))  # True == 1 == 1.0: keep them apart
        else:
            counts = Counter({(v.__class__, v): n for v, n in Counter(col).items()})
        fresh = counts.keys() - values.keys()
        if fresh and (any(c is str and len(v) > LONG_STRING for c, v in fresh) or len(values) + len(fresh) > VALUES_BOUND):
            self._to_summary()
            self._summarise(col, ts)
            return
        sources = self.sources
        for k, n in counts.items():
            values[k] = values.get(k, 0) + n
            kept = sources.get(k)
            if kept is None:
                sources[k] = {source}
            elif len(kept) < SOURCES_KEPT:
                kept.add(source)

    def _containers(self, col: tuple) -> tuple:
        """Describe the arrays of a column (item types, lengths); the scalars remain."""
        scalars = []
        for v in col:
            if v.__class__ is list:
                self.items_max = max(self.items_max, len(v))
                for t, n in Counter(map(type, v)).items():
                    self.item_types[t] = self.item_types.get(t, 0) + n
                if str in self.item_types:
                    self._summarise_strings([x for x in v if x.__class__ is str])
            elif v.__class__ is not dict:
                scalars.append(v)
        return tuple(scalars)

    def _to_summary(self) -> None:
        """Stop keeping distinct values; keep their bounds and shapes instead."""
        kept = tuple(v for (_cls, v) in (self.values or ()))
        self.values = None
        self.sources = {}
        if kept:
            self._summarise(kept, set(map(type, kept)))

    def _summarise(self, col: tuple, ts: set) -> None:
        if int in ts or float in ts:
            nums = col if len(ts) == 1 else [v for v in col if v.__class__ in _NUMERIC]
            lo, hi = min(nums), max(nums)
            self.lo = lo if self.lo is None else min(self.lo, lo)
            self.hi = hi if self.hi is None else max(self.hi, hi)
        if str in ts:
            self._summarise_strings(col if len(ts) == 1 else [v for v in col if v.__class__ is str])

    def _summarise_strings(self, strs) -> None:
        if not strs:
            return
        lens = list(map(len, strs))
        lo, hi = min(lens), max(lens)
        self.len_lo = lo if self.len_lo is None else min(self.len_lo, lo)
        self.len_hi = hi if self.len_hi is None else max(self.len_hi, hi)
        if self.values is None and self.version_shape:
            self.version_shape = all(map(VERSION_SHAPE.fullmatch, strs))

    # ---- views

    @property
    def json_types(self) -> dict[str, int]:
        """JSON type name -> values of that type."""
        out: dict[str, int] = {}
        for t, n in self.types.items():
            name = JSON_TYPES.get(t, t.__name__)
            out[name] = out.get(name, 0) + n
        return dict(sorted(out.items()))

    @property
    def distinct(self) -> list[Any] | None:
        """The distinct scalar values seen, sorted; None when there were too many."""
        if self.values is None:
            return None
        return sorted((v for _c, v in self.values), key=lambda v: (JSON_TYPES.get(type(v), ""), str(v) if v is None else v))

    def _scalars(self, cls) -> list:
        return [v for (c, v) in (self.values or {}) if c is cls]

    def seen(self, value: Any) -> tuple[int, int]:
        """(documents, sources) that carried ``value`` (sources counted up to
        ``SOURCES_KEPT``); (0, 0) once values are only summarised."""
        k = (value.__class__, value)
        return (self.values or {}).get(k, 0), len(self.sources.get(k, ()))

    @property
    def numeric_range(self) -> tuple[Any, Any] | None:
        """(min, max) of the numbers seen (booleans excluded), or None."""
        if self.values is not None:
            nums = self._scalars(int) + self._scalars(float)
            return (min(nums), max(nums)) if nums else None
        return None if self.lo is None else (self.lo, self.hi)

    @property
    def string_lengths(self) -> tuple[int, int] | None:
        """(shortest, longest) string seen (array items included), or None."""
        lens = list(map(len, self._scalars(str)))
        if self.len_lo is not None:
            lens += [self.len_lo, self.len_hi]
        return (min(lens), max(lens)) if lens else None

    @property
    def versions_only(self) -> bool:
        """Every string seen has the shape of a version and at least one has a dot."""
        strs = self._scalars(str)
        if self.values is None:
            return self.version_shape and str in self.types
        return bool(strs) and all(map(VERSION_SHAPE.fullmatch, strs)) and any("." in s for s in strs)

    def as_dict(self, documents: int) -> dict:
        """The statistics for a JSON report."""
        return {
            "present": self.present,
            "presence": round(self.present / documents, 4) if documents else 0.0,
            "types": self.json_types,
            "distinct": self.distinct,
            "numeric_range": list(self.numeric_range) if self.numeric_range else None,
            "string_lengths": list(self.string_lengths) if self.string_lengths else None,
            "item_types": {JSON_TYPES.get(t, t.__name__): n for t, n in sorted(self.item_types.items(), key=lambda x: x[0].__name__)},
            "first": _where_text(self.first),
        }


@dataclass
class PayloadStats:
    """What was seen of one payload: its documents and its keys."""

    first: tuple
    documents: int = 0
    keys: dict[str, KeyStats] = field(default_factory=dict)
    keys_dropped: int = 0  # values of keys beyond MAX_KEYS (counted, not described)
    #: The distinct key sets documents carried (which keys were sent together), up to
    #: MAX_SHAPES; None once there were more (then nothing is known of co-occurrence).
    shapes: set[frozenset] | None = field(default_factory=set)

    def together(self, a: str, b: str) -> bool:
        """Whether some document carried both keys (True when it cannot be known)."""
        if self.shapes is None:
            return True
        return any(a in s and b in s for s in self.shapes)


class Collector:
    """Statistics of a whole run, fed one batch of identified documents at a time."""

    def __init__(self) -> None:
        self.payloads: dict[str, PayloadStats] = {}
        self.documents = 0
        self.payloads_dropped = 0  # documents of payloads beyond the caps (counted only)
        self.keys_total = 0

    def _payload(self, name: str, first: tuple) -> PayloadStats | None:
        ps = self.payloads.get(name)
        if ps is None and len(self.payloads) < MAX_PAYLOADS and len(name) <= MAX_NAME:
            ps = self.payloads[name] = PayloadStats(first)
        return ps

    def add(self, label: str, docs: list[tuple]) -> None:
        """Add the documents ``(name, properties, line, item)`` of one batch."""
        groups: dict[tuple, list] = {}
        for name, props, line, item in docs:
            shape = (name, tuple(props))
            group = groups.get(shape)
            if group is None:
                groups[shape] = [(label, line, item), props]
            else:
                group.append(props)
        self.documents += len(docs)
        for (name, keys), group in groups.items():
            first, rows = group[0], group[1:]
            ps = self._payload(name, first)
            if ps is None:
                self.payloads_dropped += len(rows)
                continue
            ps.documents += len(rows)
            if ps.shapes is not None:
                ps.shapes.add(frozenset(keys))
                if len(ps.shapes) > MAX_SHAPES:
                    ps.shapes = None
            if not keys:
                continue
            columns = zip(*map(tuple, map(dict.values, rows))) if len(rows) > 1 else ((v,) for v in rows[0].values())
            table = ps.keys
            for key, col in zip(keys, columns):
                ks = table.get(key)
                if ks is None:
                    if len(table) >= MAX_KEYS or self.keys_total >= MAX_TOTAL_KEYS or len(key) > MAX_NAME:
                        ps.keys_dropped += len(col)
                        continue
                    ks = table[key] = KeyStats(first)
                    self.keys_total += 1
                ks.add_column(col, label)


def _where_text(where: tuple) -> str:
    label, line, item = where
    out = label + (f":{line}" if line else "")
    return out + (f"[{item}]" if item is not None else "")


def where_text(where: tuple) -> str:
    """``file:line`` (or ``file[item]``) of a recorded first sighting."""
    return _where_text(where)
