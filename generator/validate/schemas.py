"""The schema set: loading a vendored schemas folder, and what ``$ref`` may reach.

A schema folder may come from anyone (``gen validate --schemas DIR``), so loading checks
that each file is what the engine expects (a JSON object that is a valid Draft 2020-12
schema, not nested absurdly deep, whose patterns compile), that every ``$ref`` points
inside the loaded set, and that no ``$ref`` leads back to itself (``check_ref_cycles``):
a payload schema is never recursive, and a cycle (``$ref: "#"``, or two definitions
referring to each other) would otherwise recurse until the interpreter gives up on a
failing document, or make a schema that every document passes.  Nothing is ever
fetched: the validators get a registry of the loaded schemas and a retriever that
refuses.  This module checks no payload.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urldefrag, urljoin

from . import ecma, optional
from .inputs import UsageError
from .problems import json_type, too_deep

MAX_SCHEMA_DEPTH = 256  # a payload schema is shallow; anything deeper is refused
MAX_SCHEMA_BYTES = 16 << 20
_DATA_KEYWORDS = frozenset({"enum", "const", "examples", "default"})  # values, not schemas


class RefError(ValueError):
    """A ``$ref`` that does not point inside the loaded schema set."""


def _walk(node: Any, base: str) -> Iterator[tuple[str, str, Any]]:
    """Every ``(keyword, value, base URI)`` of ``$ref``/``$dynamicRef`` below ``node``,
    with the base URI that applies there (nested ``$id``s change it)."""
    stack = [(node, base)]
    while stack:
        obj, where = stack.pop()
        if isinstance(obj, dict):
            sid = obj.get("$id")
            if isinstance(sid, str):
                where = urljoin(where, sid)
            for key, value in obj.items():
                if key in ("$ref", "$dynamicRef") and isinstance(value, str):
                    yield key, value, where
                elif key not in _DATA_KEYWORDS and isinstance(value, (dict, list)):
                    stack.append((value, where))
        elif isinstance(obj, list):
            stack.extend((v, where) for v in obj if isinstance(v, (dict, list)))


def _anchors(node: Any) -> set[str]:
    out = set()
    stack = [node]
    while stack:
        obj = stack.pop()
        if isinstance(obj, dict):
            for key in ("$anchor", "$dynamicAnchor"):
                if isinstance(obj.get(key), str):
                    out.add(obj[key])
            stack.extend(v for k, v in obj.items() if k not in _DATA_KEYWORDS and isinstance(v, (dict, list)))
        elif isinstance(obj, list):
            stack.extend(v for v in obj if isinstance(v, (dict, list)))
    return out


def _pointer(doc: Any, fragment: str) -> bool:
    from urllib.parse import unquote

    node = doc
    for part in unquote(fragment).split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def check_refs(schemas: Mapping[str, Mapping[str, Any]]) -> None:
    """Raise ``RefError`` (naming the payload) for the first ``$ref`` of any schema that
    does not resolve inside ``schemas``: a ``#`` pointer or anchor of the same schema, or
    the ``$id`` of a loaded one (plus a pointer or anchor that exists there)."""
    by_id = {s["$id"].rstrip("#"): s for s in schemas.values() if isinstance(s, dict) and isinstance(s.get("$id"), str)}
    for name, schema in schemas.items():
        if not isinstance(schema, dict):
            continue
        root: str = schema["$id"] if isinstance(schema.get("$id"), str) else ""
        for keyword, ref, base in _walk(schema, root):
            uri, fragment = urldefrag(urljoin(base, ref))
            target = schema if uri in ("", root.rstrip("#")) else by_id.get(uri)
            ok = target is not None and (
                _pointer(target, fragment) if fragment == "" or fragment.startswith("/") else fragment in _anchors(target)
            )
            if not ok:
                raise RefError(
                    f"{name}: {keyword} {ref!r} does not point inside the loaded schemas; only "
                    "references to this schema or to another loaded schema's $id are followed "
                    "(nothing is fetched from the network or read from other files)"
                )


def _refs_at(node: Any, base: str) -> Iterator[tuple[tuple[str, ...], str, str, str]]:
    """Every ``(JSON pointer parts, keyword, value, base URI)`` of ``$ref`` and
    ``$dynamicRef`` below ``node``."""
    stack: list[tuple[Any, str, tuple[str, ...]]] = [(node, base, ())]
    while stack:
        obj, where, path = stack.pop()
        if isinstance(obj, dict):
            sid = obj.get("$id")
            if isinstance(sid, str):
                where = urljoin(where, sid)
            for key, value in obj.items():
                if key in ("$ref", "$dynamicRef") and isinstance(value, str):
                    yield path, key, value, where
                elif key not in _DATA_KEYWORDS and isinstance(value, (dict, list)):
                    stack.append((value, where, (*path, key)))
        elif isinstance(obj, list):
            stack.extend((v, where, (*path, str(i))) for i, v in enumerate(obj) if isinstance(v, (dict, list)))


def _anchor_path(node: Any, anchor: str) -> tuple[str, ...] | None:
    stack: list[tuple[Any, tuple[str, ...]]] = [(node, ())]
    while stack:
        obj, path = stack.pop()
        if isinstance(obj, dict):
            if anchor in (obj.get("$anchor"), obj.get("$dynamicAnchor")):
                return path
            stack.extend((v, (*path, k)) for k, v in obj.items() if k not in _DATA_KEYWORDS and isinstance(v, (dict, list)))
        elif isinstance(obj, list):
            stack.extend((v, (*path, str(i))) for i, v in enumerate(obj) if isinstance(v, (dict, list)))
    return None


def check_ref_cycles(schemas: Mapping[str, Mapping[str, Any]]) -> None:
    """Raise ``RefError`` (naming the payload) when a ``$ref`` leads, through the
    references inside what it points at, back to itself.  Run after ``check_refs``."""
    from urllib.parse import unquote

    by_id = {s["$id"].rstrip("#"): n for n, s in schemas.items() if isinstance(s, dict) and isinstance(s.get("$id"), str)}
    refs: dict[tuple[str, tuple[str, ...]], tuple[str, tuple[str, ...] | None, str]] = {}
    for name, schema in schemas.items():
        if not isinstance(schema, dict):
            continue
        root: str = schema["$id"] if isinstance(schema.get("$id"), str) else ""
        for path, _, ref, base in _refs_at(schema, root):
            uri, fragment = urldefrag(urljoin(base, ref))
            target = name if uri in ("", root.rstrip("#")) else by_id.get(uri)
            if target is None:
                continue
            where: tuple[str, ...] | None
            if fragment == "" or fragment.startswith("/"):
                where = tuple(p.replace("~1", "/").replace("~0", "~") for p in unquote(fragment).split("/")[1:])
            else:
                where = _anchor_path(schemas[target], fragment)
            refs[(name, path)] = (target, where, ref)
    inside: dict[str, list[tuple[str, ...]]] = {}
    for name, path in refs:
        inside.setdefault(name, []).append(path)

    def leads_to(key: tuple[str, tuple[str, ...]]) -> list[tuple[str, tuple[str, ...]]]:
        target, where, _ = refs[key]
        if where is None:
            return []
        n = len(where)
        return [(target, p) for p in inside.get(target, ()) if p[:n] == where]

    state: dict[tuple[Any, ...], int] = {}  # 1: on the current path, 2: done
    for start in refs:
        if state.get(start):
            continue
        stack = [(start, iter(leads_to(start)))]
        state[start] = 1
        while stack:
            key, nexts = stack[-1]
            step = next(nexts, None)
            if step is None:
                state[key] = 2
                stack.pop()
            elif state.get(step) == 1:
                name, path = step
                raise RefError(
                    f"{name}: $ref {refs[step][2]!r} at /{'/'.join(path)} leads back to itself through "
                    f"{len(stack)} reference(s); a payload schema cannot be recursive"
                )
            elif not state.get(step):
                state[step] = 1
                stack.append((step, iter(leads_to(step))))


def refuse_retrieval(uri: str) -> Any:
    """The retriever given to every validator: nothing outside the loaded set is read."""
    raise RefError(f"{uri!r} is outside the loaded schemas; nothing is fetched")


def registry(schemas: Mapping[str, Mapping[str, Any]]) -> Any:
    """A ``referencing.Registry`` of the loaded schemas that have an ``$id`` (and that
    retrieves nothing else), for the reference validator."""
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    def retrieve(uri: str) -> Any:
        from referencing.exceptions import NoSuchResource

        raise NoSuchResource(ref=uri)  # type: ignore[call-arg, unused-ignore]

    resources = [
        (s["$id"], Resource.from_contents(s, default_specification=DRAFT202012))
        for s in schemas.values()
        if isinstance(s, dict) and isinstance(s.get("$id"), str)
    ]
    return Registry(retrieve=retrieve).with_resources(resources)  # type: ignore[call-arg, unused-ignore]


def rs_options(schemas: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Options for jsonschema_rs validators: the loaded schemas as its registry, no
    network, and a retriever that refuses anything else."""
    rs = optional.jsonschema_rs
    if rs is None:
        return {}
    opts: dict[str, Any] = {"retriever": refuse_retrieval}
    with_id = [(s["$id"], s) for s in schemas.values() if isinstance(s, dict) and isinstance(s.get("$id"), str)]
    if with_id:
        try:
            opts["registry"] = rs.Registry(with_id, retriever=refuse_retrieval)
        except Exception:  # noqa: BLE001, S110 - a set it cannot register: refs stay local
            pass
    return opts


def _patterns(node: Any) -> Iterator[Any]:
    stack = [node]
    while stack:
        obj = stack.pop()
        if isinstance(obj, dict):
            if "pattern" in obj and not isinstance(obj.get("pattern"), (dict, list)):
                yield obj["pattern"]
            stack.extend(v for k, v in obj.items() if k not in _DATA_KEYWORDS and isinstance(v, (dict, list)))
        elif isinstance(obj, list):
            stack.extend(v for v in obj if isinstance(v, (dict, list)))


def check_schema(path: str, schema: Any) -> None:
    """Raise ``UsageError`` unless ``schema`` is a payload schema the engine can use."""
    import jsonschema  # type: ignore[import-untyped, unused-ignore]

    if not isinstance(schema, dict):
        raise UsageError(f"{path}: expected a JSON object (a payload's JSON Schema), found {json_type(schema)}")
    if too_deep(schema, MAX_SCHEMA_DEPTH):
        raise UsageError(f"{path}: nested more than {MAX_SCHEMA_DEPTH} levels deep; not a payload schema")
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise UsageError(f"{path}: not a valid JSON Schema: {exc.message[:300]}") from None
    except RecursionError:
        raise UsageError(f"{path}: nested too deep to check") from None
    for pattern in _patterns(schema):
        try:
            ecma.compile(pattern)
        except (TypeError, re.error) as exc:
            raise UsageError(f"{path}: pattern {str(pattern)[:80]!r} is not a usable regular expression: {exc}") from None


def load_schema_dir(folder: str) -> dict[str, dict[str, Any]]:
    """Schemas of a vendored ``generated/schemas`` folder, by wire name
    (``<wire_name>.schema.json``).  Raises ``UsageError`` naming the file for anything
    unreadable, not JSON, not a usable payload schema, or with a ``$ref`` that points
    outside the folder's schemas."""
    out: dict[str, dict[str, Any]] = {}
    files: dict[str, str] = {}
    try:
        names = sorted(os.listdir(folder))
    except OSError as exc:
        raise UsageError(f"{folder}: cannot list the schemas folder: {exc.strerror or exc}") from None
    for fname in names:
        if not fname.endswith(".schema.json"):
            continue
        path = os.path.join(folder, fname)
        try:
            with open(path, "rb") as fh:
                data = fh.read(MAX_SCHEMA_BYTES + 1)
            if len(data) > MAX_SCHEMA_BYTES:
                raise UsageError(f"{path}: larger than {MAX_SCHEMA_BYTES} bytes; not a payload schema")
            schema = json.loads(data)
        except OSError as exc:
            raise UsageError(f"{path}: cannot be read: {exc.strerror or exc}") from None
        except RecursionError:
            raise UsageError(f"{path}: nested too deep to read; not a payload schema") from None
        except ValueError as exc:
            raise UsageError(f"{path}: not a readable JSON document: {str(exc)[:200]}") from None
        check_schema(path, schema)
        wire = fname[: -len(".schema.json")]
        out[wire] = schema
        files[wire] = path
    try:
        check_refs(out)
        check_ref_cycles(out)
    except RefError as exc:
        wire = str(exc).split(":", 1)[0]
        raise UsageError(f"{files.get(wire, folder)}{str(exc)[len(wire):]}") from None
    return out
