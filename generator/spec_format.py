"""Stage 2: check each loaded file against the spec format's own JSON Schema.

The schema (``generator/schemas/spec.schema.json``) is the single description of the
format: editors use it for completion, and here it produces findings.  jsonschema's
messages are rewritten into what a maintainer needs: the exact key or value at fault, with
its file:line:column, and a fix ("did you mean ...?").

Speed: a valid file is the common case, so when the optional ``jsonschema_rs`` package is
installed it answers "valid?" first (about a hundred times faster than jsonschema on a
5,000-field spec); only an invalid file is walked by jsonschema to collect detailed
errors.  Both engines see the same schema and agree on ECMA-262 regex semantics (``$``
matches only at the very end, so ``"abc\\n"`` is not a safe id), so the results do not
depend on which one is installed.

Must not: check anything across files or resolve references (``resolve`` does), or
know any particular product.
"""

from __future__ import annotations

import difflib
import json
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported lazily at run time (see _validator)
    import jsonschema

from generator.diagnostics import Finding, error
from generator.kinds import kind_ids
from generator.load import RawFile
from generator.migrate.rules import KIND_RENAMES
from generator.validate.ecma import pattern_keyword as _pattern

try:  # optional accelerator; results are the same without it
    import jsonschema_rs
except ImportError:  # pragma: no cover - depends on the environment
    jsonschema_rs = None

SAFE_HELP = {
    "^[a-z][a-z0-9_]{0,62}$": "use lowercase letters, digits and underscores, starting with a letter (at most 63)",
    "^[A-Za-z][A-Za-z0-9_]{0,62}(\\.[A-Za-z][A-Za-z0-9_]{0,62}){0,3}$": "use letters, digits and underscores, starting with a letter, optionally dotted (e.g. ServiceSettings.SiteURL)",
    "^[a-z][a-z0-9-]{0,62}$": "lint rule ids are lowercase words joined by hyphens",
}
# What the ids under each top-level mapping are called, for "not a safe ... id" messages.
_ID_OF = {
    "editions": "edition id",
    "settings": "setting id",
    "features": "feature id",
    "sections": "section id",
    "categories": "category id",
}
_VERSION_PATTERN = "^[0-9]+(\\.[0-9]+){0,3}$"


@lru_cache(maxsize=1)
def spec_schema() -> dict:
    """The shipped spec-format schema."""
    text = resources.files("generator.schemas").joinpath("spec.schema.json").read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    """The detailed (pure-Python) validator.  Imported lazily: jsonschema costs ~90 ms
    to import, and a valid spec never needs it when jsonschema_rs is installed."""
    import jsonschema

    cls = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": _pattern})
    return cls(spec_schema())


@lru_cache(maxsize=1)
def _fast_validator():
    """jsonschema_rs's validator for the spec schema, or None when not installed."""
    if jsonschema_rs is None:
        return None
    try:
        return jsonschema_rs.Draft202012Validator(spec_schema())
    except Exception:  # noqa: BLE001 - fall back to the pure-Python path
        return None


def _suggest(word: str, choices) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


def _where_text(path: tuple) -> str:
    return "/".join(str(p) for p in path) if path else "the top level"


def _in(path: tuple) -> str:
    return f"in {_where_text(path)}" if path else "at the top level"


def _type_name(value) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "list", dict: "mapping"}.get(type(value), type(value).__name__)


# JSON Schema's type names as a spec author knows them from YAML.
_YAML_TYPE = {"array": "list", "object": "mapping", "null": "null (~)"}


def _a_type(want: str | list[str]) -> str:
    """"a list", "an integer", "a string or a list": a type with its article."""
    names = [_YAML_TYPE.get(w, w) for w in (want if isinstance(want, list) else [want])]
    return " or ".join(("an " if n[0] in "aeiou" else "a ") + n for n in names)


def _not_listed(err: jsonschema.ValidationError, path: tuple, what: str, where) -> Finding:
    """A value outside its key's list: for a field kind, ``unknown-kind`` with the kinds
    (and the format-2 name of a format-1 kind); elsewhere the values that key takes (a
    setting's ``control`` lists the controls, never the field kinds)."""
    is_kind = (path and path[-1] == "kind") or (len(path) >= 2 and path[-2] == "kinds")
    allowed = kind_ids() if is_kind else [str(x) for x in err.validator_value]
    hint = _suggest(err.instance, allowed)
    if is_kind and isinstance(err.instance, str) and err.instance in KIND_RENAMES:
        hint = f"format 1's kind {err.instance!r} is {KIND_RENAMES[err.instance]!r} in format 2 (`gen migrate` renames it)."
    if is_kind:
        return error("unknown-kind", f"unknown kind {err.instance!r}", where, (hint + " " if hint else "") + f"known kinds: {', '.join(allowed)}")
    message = f"{what}: {err.instance!r} is not one of the values `{path[-1] if path else 'this key'}` takes"
    return error("invalid-value", message, where, (hint + " " if hint else "") + f"allowed here: {', '.join(allowed)}")


def _describe(err: jsonschema.ValidationError, raw: RawFile) -> list[Finding]:
    path = tuple(err.absolute_path)
    where = raw.where(path)
    what = _where_text(path)
    v = err.validator
    if "propertyNames" in err.relative_schema_path:
        # jsonschema checks each key as an instance of its own, at the mapping's path.
        key = err.instance
        pattern = err.validator_value if v == "pattern" else ""
        parent = str(path[-1]) if path else ""
        return [
            error(
                "invalid-name",
                f"{key!r} is not a safe {_ID_OF.get(parent, 'name')} (in {what})",
                raw.key_where(path + (key,)),
                SAFE_HELP.get(pattern, f"names must match {pattern}") + "; ids become file names and identifiers",
            )
        ]
    if v == "additionalProperties":
        allowed = list(err.schema.get("properties", {}))
        extra = [k for k in err.instance if k not in allowed]
        out = []
        for key in extra:
            hint = _suggest(key, allowed)
            out.append(
                error(
                    "unknown-key",
                    f"unknown key {key!r} {_in(path)}",
                    raw.key_where(path + (key,)),
                    (hint + " " if hint else "") + f"allowed keys: {', '.join(allowed)}",
                )
            )
        return out
    if v == "enum":  # a value from a fixed list: the list that fits here, and the closest entry
        return [_not_listed(err, path, what, where)]
    if v == "pattern":
        if err.validator_value in SAFE_HELP:
            return [error("invalid-name", f"{what}: {err.instance!r} is not a safe name", where, SAFE_HELP[err.validator_value])]
        if err.validator_value == _VERSION_PATTERN:
            return [error("invalid-value", f"{what}: {err.instance!r} is not a version number", where, "write dotted numbers in quotes, e.g. \"5.10\"")]
        desc = err.schema.get("description", "")
        return [error("invalid-value", f"{what}: {err.instance!r} is not allowed here", where, f"expected {desc[:1].lower() + desc[1:]}" if desc else f"the value must match {err.validator_value}")]
    if v == "required":
        missing = [k for k in err.validator_value if k not in err.instance]
        keys = ", ".join(f"`{k}`" for k in missing)
        return [error("missing-key", f"{what} lacks required key{'s' if len(missing) > 1 else ''} {keys}", where, f"add {keys}")]
    if v == "type":
        want = err.validator_value
        got = _type_name(err.instance)
        help_ = f"write {_a_type(err.validator_value)} here"
        if want == "string" and isinstance(err.instance, (int, float)) and not isinstance(err.instance, bool):
            help_ = "put the value in quotes (YAML reads 5.10 as the number 5.1)"
        elif want == "string" and isinstance(err.instance, bool):
            help_ = "put the value in quotes (YAML reads yes/no/on/off/true/false as booleans)"
        return [error("wrong-type", f"{what} must be {_a_type(want)}, found {_a_type(got) if got != 'null' else got}", where, help_)]
    if v == "const" and path == ("spec_format",):
        return [
            error(
                "spec-format",
                f"unsupported spec_format {json.dumps(err.instance)}",
                where,
                "this generator reads `spec_format: 2` (and 1, the older format, migrated as it loads)",
            )
        ]
    if v == "uniqueItems" and isinstance(err.instance, list):
        seen: list = []
        for i, item in enumerate(err.instance):
            if any(item == s and type(item) is type(s) for s in seen):
                return [error("invalid-value", f"{what}: {item!r} is listed twice", raw.where(path + (i,)), "remove the repeated entry")]
            seen.append(item)
    return [error("invalid-value", f"{what}: {err.message}", where, "see docs/spec-reference.md")]


_ELEMENT_MAPS = frozenset({"editions", "settings", "features", "sections", "phrases"})


def _element_of(path: tuple) -> tuple | None:
    """The element an error at ``path`` belongs to (a field, a payload, an event
    category, or an entry of a top-level mapping); None when it is about the file as a
    whole (the top level, ``product``, ``outputs``, a block that is not a mapping)."""
    n = len(path)
    if path[:1] == ("payloads",) and n >= 2 and isinstance(path[1], int):
        if n >= 4 and path[2] == "fields" and isinstance(path[3], int):
            return path[:4]
        return path[:2]
    if path[:1] == ("sections",) and n >= 4 and path[2] == "categories":
        return path[:4]
    if path[:1] and path[0] in _ELEMENT_MAPS and n >= 2:
        return path[:2]
    return None


def invalid_elements(raw: RawFile) -> frozenset[tuple] | None:
    """The elements of ``raw`` that fail the format (see ``_element_of``), so the
    resolver can leave them out and still check the rest of the file in the same run;
    None when an error is about the file as a whole.  A missing ``spec_format`` leaves
    the file's content readable."""
    out = set()
    for err in _validator().iter_errors(raw.data):
        path = tuple(err.absolute_path)
        if "propertyNames" in err.relative_schema_path:
            path = path + (err.instance,)
        elif err.validator == "required" and not path and err.validator_value == ["spec_format"]:
            continue
        element = _element_of(path)
        if element is None:
            return None
        out.add(element)
    return frozenset(out)


def _fast_verdict(data) -> bool | None:
    """The accelerator's answer to "is ``data`` valid?", or None without one."""
    fast = _fast_validator()
    if fast is None:
        return None
    try:
        return bool(fast.is_valid(data))
    except Exception:  # noqa: BLE001 - e.g. a value it cannot convert: take the slow path
        return None


def validate_file(raw: RawFile, accelerate: bool = True) -> list[Finding]:
    """All schema findings for one file (every error, not just the first).

    ``accelerate=False`` skips the optional fast validity check (tests use it to prove
    both paths give the same findings).
    """
    verdict = _fast_verdict(raw.data) if accelerate else None
    if verdict:
        return []
    findings: list[Finding] = []
    if "spec_format" not in raw.data:
        findings.append(
            error(
                "spec-format",
                "missing `spec_format`",
                raw.where(()),
                "start every spec file with `spec_format: 2`",
            )
        )
    for err in _validator().iter_errors(raw.data):
        if err.validator == "required" and not err.absolute_path and err.validator_value == ["spec_format"]:
            continue  # reported above, with a better message
        findings.extend(_describe(err, raw))
    if not findings and verdict is False:
        # The engines disagree (should not happen): report the fast engine's view
        # rather than let an invalid file through.
        for err in _fast_validator().iter_errors(raw.data):
            path = tuple(err.instance_path)
            findings.append(error("invalid-value", f"{_where_text(path)}: {err.message}", raw.where(path), "see docs/spec-reference.md"))
    return findings
