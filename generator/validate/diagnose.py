"""Diagnosis: why a payload's properties fail its schema, key by key.

Runs only on documents a fast check rejected.  The reference validator is the
``jsonschema`` package's Draft 2020-12 validator with ECMA-262 patterns (``ecma``); it
has the last word on every document, so a disagreement between a fast check and the
reference always ends in the reference's verdict.  This module reads no input and keeps
no tally.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from . import ecma
from .fast import fast_validator, is_number
from .problems import (
    INVALID,
    MISSING,
    NOT_ALLOWED,
    NOT_OBJECT,
    TYPE_MISMATCH,
    UNDECLARED,
    Problem,
    json_type,
    short,
)

# Root keywords that can make an undeclared key legal or a declared one required
# conditionally: schemas using them are diagnosed by the reference validator alone.
_NOT_SIMPLE = frozenset({
    "patternProperties", "unevaluatedProperties", "propertyNames", "dependentRequired",
    "dependentSchemas", "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "$ref",
    "$dynamicRef",
})


@lru_cache(maxsize=1)
def _reference_class() -> Any:
    import jsonschema  # type: ignore[import-untyped, unused-ignore]
    import jsonschema.validators  # type: ignore[import-untyped, unused-ignore]

    base = jsonschema.Draft202012Validator
    types = base.TYPE_CHECKER.redefine("number", lambda _checker, value: is_number(value))
    return jsonschema.validators.extend(base, {"pattern": ecma.pattern_keyword}, type_checker=types)


def fast_or_reference(schema: Mapping[str, Any], rs_options: Mapping[str, Any] | None = None) -> Callable[[Any], bool]:
    """The fastest ``is_valid`` for a schema: ``fast.fast_validator``'s, else the
    reference validator's."""
    return fast_validator(schema, rs_options) or reference_validator(schema).is_valid


def reference_validator(schema: Mapping[str, Any], registry: Any = None) -> Any:
    """The reference validator of a schema (jsonschema, ECMA-262 patterns); ``registry``
    (a ``referencing.Registry``) is what its ``$ref``s may reach."""
    cls = _reference_class()
    return cls(schema) if registry is None else cls(schema, registry=registry)


class Diagnosis:
    """Explains why one payload's properties failed its schema, key by key.

    For the usual shape (an object schema with ``properties``, ``required`` and
    ``additionalProperties: false``) undeclared and missing keys come from set
    arithmetic and only the failing properties are run through the reference
    validator, so even a stream where every document fails is diagnosed quickly.  Any
    other schema shape (or a disagreement between the fast and the reference validator)
    falls back to the reference validator on the whole document.
    """

    def __init__(self, schema: Mapping[str, Any], registry: Any = None, rs_options: Mapping[str, Any] | None = None):
        self.schema = schema
        self.registry = registry
        self.rs_options = rs_options
        props = schema.get("properties")
        self.simple = (
            isinstance(props, dict)
            and schema.get("additionalProperties") is False
            and schema.get("type") == "object"
            and not (set(schema) & _NOT_SIMPLE)
        )
        self.props: Mapping[str, Any] = props if isinstance(props, dict) else {}
        self.required = [k for k in schema.get("required", ()) if isinstance(k, str)]
        self._prop_fast: dict[str, Callable[[Any], bool]] = {}
        self._prop_ref: dict[str, Any] = {}
        self._whole: Any = None

    def _sub(self, key: str) -> dict[str, Any]:
        sub = dict(self.props[key]) if isinstance(self.props[key], dict) else {}
        if "$defs" in self.schema:
            sub.setdefault("$defs", self.schema["$defs"])
        return sub

    def _prop_ok(self, key: str, value: Any) -> bool:
        check = self._prop_fast.get(key)
        if check is None:
            check = self._prop_fast[key] = fast_or_reference(self._sub(key), self.rs_options)
        try:
            return check(value)
        except Exception:  # noqa: BLE001 - e.g. a lone surrogate jsonschema_rs cannot take
            return False

    def _classify(self, key: str, value: Any) -> list[Problem]:
        ref = self._prop_ref.get(key)
        if ref is None:
            ref = self._prop_ref[key] = reference_validator(self._sub(key), self.registry)
        return [problem_from_error(key, value, err) for err in ref.iter_errors(value)]

    def problems(self, props: Any) -> list[Problem]:
        """Everything wrong with ``props`` ([] when the reference validator accepts it)."""
        if not isinstance(props, dict):
            return [Problem(NOT_OBJECT, None, f"properties are {json_type(props)}")]
        out: list[Problem] = []
        if self.simple:
            declared = self.props
            out.extend(Problem(UNDECLARED, k) for k in props if k not in declared)
            out.extend(Problem(MISSING, k) for k in self.required if k not in props)
            for k, v in props.items():
                if k in declared and not self._prop_ok(k, v):
                    out.extend(self._classify(k, v))
            if out:
                return out
        if self._whole is None:
            self._whole = reference_validator(self.schema, self.registry)
        for err in self._whole.iter_errors(props):
            out.extend(_problems_from_root_error(props, self.props, err))
        return out  # empty: a fast validator disagreed; the reference has the last word


def problem_from_error(key: str, value: Any, err: Any) -> Problem:
    """A reference-validator error inside property ``key`` as a problem."""
    where = "".join(f"[{p}]" for p in err.absolute_path)
    name = f"{key}{where}"
    inst = err.instance
    v, vv = err.validator, err.validator_value
    if v == "type":
        expected = " or ".join(vv) if isinstance(vv, list) else str(vv)
        got = json_type(inst)
        if got in ("number", "integer") and "number" in expected:  # the values policy
            return Problem(TYPE_MISMATCH, name, f"expected a number within a 64-bit float's range, got {short(inst)}")
        return Problem(TYPE_MISMATCH, name, f"expected {expected}, got {got}")
    if v in ("enum", "const"):
        allowed = vv if v == "enum" else [vv]
        return Problem(NOT_ALLOWED, name, f"{short(inst)} is not one of {short(allowed, 80)}")
    if v == "pattern":
        return Problem(INVALID, name, f"{short(inst)} does not match {vv}")
    if v in ("maxLength", "minLength"):
        n = len(inst) if isinstance(inst, str) else "?"
        word = "longer" if v == "maxLength" else "shorter"
        return Problem(INVALID, name, f"{n} characters, {word} than the limit {vv}")
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return Problem(INVALID, name, f"{short(inst)} is outside {v} {vv}")
    if v in ("maxItems", "minItems"):
        n = len(inst) if isinstance(inst, list) else "?"
        return Problem(INVALID, name, f"{n} items, {v} is {vv}")
    return Problem(INVALID, name, f"fails {v!r} {short(vv, 40)}")


def _problems_from_root_error(props: dict[str, Any], declared: Mapping[str, Any], err: Any) -> list[Problem]:
    path = list(err.absolute_path)
    if path:
        key = str(path[0])
        sub = type(err)(err.message, validator=err.validator, validator_value=err.validator_value,
                        instance=err.instance, path=path[1:])
        return [problem_from_error(key, props.get(key), sub)]
    if err.validator in ("additionalProperties", "unevaluatedProperties"):
        return [Problem(UNDECLARED, k) for k in props if k not in declared] or [
            Problem(UNDECLARED, None, err.message[:200])
        ]
    if err.validator == "required":
        return [Problem(MISSING, k) for k in err.validator_value if k not in props]
    if err.validator == "type":
        return [Problem(NOT_OBJECT, None, f"properties are {json_type(props)}")]
    return [Problem(INVALID, None, f"fails {err.validator!r}")]
