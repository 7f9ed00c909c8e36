"""The format-1 -> format-2 migration as data, and its application to loaded data.

Each change of ``docs/spec-reference.md``'s table "format 1 -> format 2" is one entry
of the tables below; ``elements`` finds the elements of a format-1 file (the product,
settings, features, their opt-outs, sections, categories, field groups, payloads,
fields) and ``migrate_raw`` applies the tables to a loaded file, carrying every source
position over to the key's new path, so a format-1 file's findings still point at the
line and column the maintainer wrote.  ``generator.migrate.text`` applies the same
tables to the file's text (``gen migrate --write``); both read only these tables, and
``gen migrate`` checks that the rewritten text loads to exactly what ``migrate_raw``
gives.

Only what has the shape format 1 allows is changed: anything else (a misspelt key, a
list where a mapping belongs) is carried over as it is, for the format-2 schema to
report at its original position.

Must not: validate (the format-2 schema does), resolve, or read files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from generator.load import RawFile

#: Field kinds renamed so that each says what is on the wire.
KIND_RENAMES = {"timestamp": "timestamp_ms", "is_default": "setting_is_default", "enumerated_boolean": "boolean"}

#: Keys renamed in place, per element type (the key keeps its value and position).
RENAMED: dict[str, dict[str, str]] = {
    "product": {"governance": "governance_policy"},
    "governance_policy": {"owners": "missing_owner", "approvals": "missing_approval"},
    "setting": {"kind": "control"},
    "feature": {"opt_out": "opt_outs"},
    "opt_out": {"off_value": "off_values"},
    "category": {"versions": "product_versions"},
    "payload": {"versions": "product_versions", "version": "schema_version", "review": "inferred", "event": "wire_name"},
    "field": {"versions": "product_versions", "review": "inferred"},
}

#: Values that become a one-item list: (element type, key in format 2).
LISTED = frozenset({("feature", "opt_outs"), ("opt_out", "off_values")})

#: Keys that move into the element's ``governance`` block, with their name there.
INTO_GOVERNANCE = {"owners": "owners", "reviews": "data_reviews", "tickets": "tickets", "expires": "expires", "expiry_reason": "expiry_reason"}
GOVERNED = frozenset({"product", "feature", "section", "payload", "field"})


@dataclass(frozen=True)
class Element:
    """One element of a format-1 file: its type, path and mapping."""

    type: str
    path: tuple
    node: dict


def _mappings(node: Any, path: tuple, etype: str) -> Iterator[Element]:
    """The mappings of a format-1 ``{id: mapping}`` block."""
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(v, dict):
                yield Element(etype, path + (k,), v)


def elements(data: Any) -> Iterator[Element]:
    """Every element of format-1 ``data`` the migration changes, outer before inner."""
    if not isinstance(data, dict):
        return
    product = data.get("product")
    if isinstance(product, dict):
        yield Element("product", ("product",), product)
        if isinstance(product.get("governance"), dict):
            yield Element("governance_policy", ("product", "governance"), product["governance"])
    yield from _mappings(data.get("settings"), ("settings",), "setting")
    for feat in _mappings(data.get("features"), ("features",), "feature"):
        yield feat
        if isinstance(feat.node.get("opt_out"), dict):
            yield Element("opt_out", feat.path + ("opt_out",), feat.node["opt_out"])
        ways = feat.node.get("opt_outs")  # format 1 late had the list too (its items are opt-outs)
        for i, o in enumerate(ways if isinstance(ways, list) else []):
            if isinstance(o, dict):
                yield Element("opt_out", feat.path + ("opt_outs", i), o)
    for sec in _mappings(data.get("sections"), ("sections",), "section"):
        yield sec
        yield from _mappings(sec.node.get("categories"), sec.path + ("categories",), "category")
        groups = sec.node.get("field_groups")
        for i, g in enumerate(groups if isinstance(groups, list) else []):
            if isinstance(g, dict):
                yield Element("field_group", sec.path + ("field_groups", i), g)
    payloads = data.get("payloads")
    for i, p in enumerate(payloads if isinstance(payloads, list) else []):
        if not isinstance(p, dict):
            continue
        yield Element("payload", ("payloads", i), p)
        fields = p.get("fields")
        for j, f in enumerate(fields if isinstance(fields, list) else []):
            if isinstance(f, dict):
                yield Element("field", ("payloads", i, "fields", j), f)


@dataclass(frozen=True)
class Change:
    """What the migration does to one element's mapping: keys renamed, values that
    become one-item lists, keys moved into ``governance`` (in order), the payload type
    it states, and values it renames (``values``: format-2 key -> new value, or ->
    {index: new value} for the items of a list)."""

    element: Element
    renamed: dict[str, str]  # format-1 key -> format-2 key
    listed: frozenset[str]  # format-2 keys whose value becomes a one-item list
    governance: tuple[str, ...]  # format-1 keys moved into the governance block, in order
    add_type: str | None  # a payload's stated type
    values: dict  # format-2 key -> replacement (scalar) or {index: replacement} (list items)


def change_of(el: Element) -> Change:
    """The change the tables make to one element."""
    node = el.node
    renamed = {k: new for k, new in RENAMED.get(el.type, {}).items() if k in node and new not in node}
    if el.type == "payload" and "event" in node and ("wire_name" in node or "group" in node):
        renamed.pop("event", None)  # not a format-1 payload shape: left for the schema to report
    listed = frozenset(new for k, new in renamed.items() if (el.type, new) in LISTED)
    block_free = "governance" not in node or "governance" in renamed  # (the product's policy moves away)
    governance = tuple(k for k in node if k in INTO_GOVERNANCE) if el.type in GOVERNED and block_free else ()
    add_type = None
    if el.type == "payload" and "type" not in node:
        add_type = "event" if "event" in renamed else "record"
    values: dict = {}
    if el.type == "field" and node.get("kind") in KIND_RENAMES:
        values["kind"] = KIND_RENAMES[node["kind"]]
    if el.type == "field_group" and isinstance(node.get("kinds"), list):
        items = {i: KIND_RENAMES[k] for i, k in enumerate(node["kinds"]) if isinstance(k, str) and k in KIND_RENAMES}
        if items:
            values["kinds"] = items
    return Change(el, renamed, listed, governance, add_type, values)


def changes(data: Any) -> list[Change]:
    """The changes migration makes to format-1 ``data``, outer elements first (only
    elements that change)."""
    out = []
    for el in elements(data):
        c = change_of(el)
        if c.renamed or c.governance or c.add_type or c.values:
            out.append(c)
    return out


# ------------------------------------------------------------------ applying to data


def _new_node(c: Change, inner: dict) -> dict:
    """The element's format-2 mapping (``inner``: its already migrated children, by
    format-1 key)."""
    node = c.element.node
    out: dict = {}
    if c.add_type and c.add_type == "record":
        out["type"] = "record"
    gov: dict = {}
    for k, v in node.items():
        v = inner.get(k, v)
        if k in c.governance:
            if not gov:
                out["governance"] = gov
            gov[INTO_GOVERNANCE[k]] = v
            continue
        new = c.renamed.get(k, k)
        if c.add_type == "event" and k == "event":
            out["type"] = "event"
        if new in c.values:
            repl = c.values[new]
            v = [repl.get(i, x) for i, x in enumerate(v)] if isinstance(repl, dict) else repl
        out[new] = [v] if new in c.listed else v
    return out


def migrate_data(data: Any) -> Any:
    """Format-1 ``data`` as format 2 (a new structure; ``data`` is not changed)."""
    return _migrate(data)[0]


def _migrate(data: Any) -> tuple[Any, dict[tuple, tuple], dict[tuple, tuple], list[Change]]:
    """The migrated data; the moves of values (format-1 path prefix -> format-2 path
    prefix) and of keys (format-1 key path -> format-2 key path); the changes made."""
    todo = changes(data)
    by_path = {c.element.path: c for c in todo}
    moves: dict[tuple, tuple] = {}
    key_moves: dict[tuple, tuple] = {}
    for c in todo:  # outer elements first: an inner element's new path builds on its parent's
        np = new_path(c.element.path, moves)
        for k in c.element.node:
            old = c.element.path + (k,)
            if k in c.governance:
                moves[old] = key_moves[old] = np + ("governance", INTO_GOVERNANCE[k])
            elif k in c.renamed:
                new = np + (c.renamed[k],)
                key_moves[old] = new
                moves[old] = new + (0,) if c.renamed[k] in c.listed else new
    out = _build(data, (), by_path)
    if isinstance(out, dict) and out.get("spec_format") == 1:
        out["spec_format"] = 2
    return out, moves, key_moves, todo


def _build(node: Any, path: tuple, by_path: dict[tuple, Change]) -> Any:
    """A copy of ``node`` with every element's change applied."""
    if isinstance(node, dict):
        children = {k: _build(v, path + (k,), by_path) for k, v in node.items()}
        c = by_path.get(path)
        return children if c is None else _new_node(c, children)
    if isinstance(node, list):
        return [_build(v, path + (i,), by_path) for i, v in enumerate(node)]
    return node


def new_path(path: tuple, moves: dict[tuple, tuple]) -> tuple:
    """Where the node at format-1 ``path`` is in format 2."""
    for n in range(len(path), 0, -1):
        hit = moves.get(path[:n])
        if hit is not None:
            return hit + path[n:]
    return path


def migrate_raw(raw: RawFile) -> RawFile:
    """A loaded format-1 file as format 2, every position carried to the new path
    (added keys: ``type`` at its payload's ``event`` key or first key, ``governance``
    at the first key moved into it)."""
    data, moves, key_moves, todo = _migrate(raw.data)
    positions: dict = {}
    for path, pos in raw.positions.items():
        if path and path[0] == "#key":
            positions[("#key",) + key_moves.get(path[1:], new_path(path[1:], moves))] = pos
        else:
            positions[new_path(path, moves)] = pos
    for c in todo:
        p = c.element.path
        np = new_path(p, moves)
        at = raw.positions.get(p, (1, 1))
        if c.add_type:
            first = ("#key",) + p + ("event" if c.add_type == "event" else next(iter(c.element.node), ""),)
            positions.setdefault(np + ("type",), raw.positions.get(first, at))
            positions.setdefault(("#key",) + np + ("type",), raw.positions.get(first, at))
        if c.governance:
            first = raw.positions.get(("#key",) + p + (c.governance[0],), at)
            positions.setdefault(np + ("governance",), first)
            positions.setdefault(("#key",) + np + ("governance",), first)
        for old, new in c.renamed.items():
            if new in c.listed:
                positions[np + (new,)] = raw.positions.get(p + (old,), at)
    return replace(raw, data=data, positions=positions)


def migrate_catalog(doc: dict[str, Any]) -> dict[str, Any]:
    """A ``catalog.json`` of ``catalog_format`` 1 (written before spec format 2) in the
    current shape, so that ``gen diff`` against a vendored old catalogue reports what
    changed in the data, not the changes of the formats: kind ids renamed as the spec's
    are, and each feature's one ``opt_out`` as its list of ways, ``opt_outs`` (with the
    command, flag, key and file an old catalogue did not record left empty).  Anything
    else is returned as it is (and is then checked against the catalogue's schema)."""
    if doc.get("catalog_format") != 1:
        return doc
    doc = dict(doc, catalog_format=2)
    doc["kinds"] = [dict(k, id=KIND_RENAMES.get(k.get("id"), k.get("id"))) if isinstance(k, dict) else k
                    for k in doc.get("kinds", [])]
    features = doc.get("features")
    if isinstance(features, list):
        new_features = []
        for feat in features:
            if isinstance(feat, dict) and isinstance(feat.get("opt_out"), dict) and "opt_outs" not in feat:
                way = {"command": "", "flag": "", "key": "", "file": "", **feat["opt_out"]}
                feat = dict(feat, opt_out=way, opt_outs=[way])
            new_features.append(feat)
        doc["features"] = new_features
    payloads = []
    for p in doc.get("payloads", []):
        if isinstance(p, dict) and isinstance(p.get("fields"), list):
            p = dict(p, fields=[dict(f, kind=KIND_RENAMES.get(f.get("kind"), f.get("kind")))
                                if isinstance(f, dict) else f for f in p["fields"]])
        payloads.append(p)
    doc["payloads"] = payloads
    return doc
