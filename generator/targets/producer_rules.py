"""What the producer targets (``go``, ``typescript``) share: the validation rules of a
payload, read from its JSON Schema, and the opt-outs, read from the model.

Both emitters print the same rule table, so the Go and the TypeScript validators cannot
drift from each other, and the table is derived from ``json_schema.payload_schema`` (not
from the kinds table a second time), so they cannot drift from the schema either: a
keyword this module does not know raises instead of being left out.  A rule is data
(type, enumeration, bounds, lengths, pattern, list items, required); the runtime each
target ships interprets it the way the payload engine's reference validator does.

Patterns: the schemas' patterns are ECMA-262 (``generator.validate.ecma``).  Go's
``regexp`` (RE2) and ECMA-262 read a pattern alike only within a subset, which
``portable_subset_problem`` checks construct by construct: literals, escaped
punctuation, ``\\d``/``\\w`` (ASCII in both), classes of those and ranges, groups,
alternation, the greedy and lazy quantifiers (counts up to 1000, RE2's limit) and the
``^``/``$`` anchors (text anchors in both without the ``m`` flag; ``$`` is the end of the
text in both, so the schemas' trailing ``(?!\\n)`` guard, which RE2 cannot read, is
dropped for Go).  Outside the subset (``.``, ``\\s``, ``\\b``, lookaround, back
references, ``\\u``...) the emitters refuse the pattern rather than guess.  Regular
languages over code points with no lookaround match the same strings whatever the engine,
and the TypeScript runtime uses the ``u`` flag (code points, as Python and Go do).

Owns: the rule table and the opt-out data of the producer targets; the Go/ECMA pattern
subset.  Must not: render text for one language (``targets.go``/``targets.typescript``
do), or keep a second copy of the opt-out rule (it reads ``OptOut`` from the model).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from generator.model import Feature, Payload, Spec
from generator.privacy import ENV_NOT_SET
from generator.targets.json_schema import always_present, value_schema

#: Keywords of a property schema that are documentation, not rules.
_ANNOTATIONS = frozenset({"description", "title", "x-telemetry", "examples", "default", "$comment"})
#: Keywords a rule carries.
_RULES = frozenset({"type", "enum", "minimum", "maximum", "minLength", "maxLength", "pattern", "items", "minItems", "maxItems"})
JSON_TYPES = ("boolean", "integer", "number", "string", "array")
GUARD = "(?!\\n)"  # json_schema's trailing-newline guard (``ecma.portable_pattern``)
RE2_MAX_REPEAT = 1000


@dataclass(frozen=True)
class Rule:
    """What one value must be: ``type`` (a JSON type), ``enum`` (allowed values, or
    None), numeric bounds, string lengths (code points), ``pattern`` (ECMA-262), list
    lengths and ``items`` (the rule of each item).  ``key`` and ``required`` concern a
    payload's property (empty and False for list items)."""

    key: str
    type: str
    required: bool = False
    enum: tuple[Any, ...] | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    min_items: int | None = None
    max_items: int | None = None
    items: Rule | None = None


def rule_of(key: str, prop: dict, required: bool) -> Rule:
    """The rule of one property schema; raises ValueError on a keyword it does not know
    (a validator that silently skipped it would accept what the schema rejects)."""
    unknown = set(prop) - _RULES - _ANNOTATIONS
    if unknown:
        raise ValueError(f"property {key!r}: the producer targets do not implement {sorted(unknown)}")
    jtype = prop.get("type")
    if jtype not in JSON_TYPES:
        raise ValueError(f"property {key!r}: unsupported type {jtype!r}")
    pattern = prop.get("pattern")
    if pattern is not None:
        problem = portable_subset_problem(pattern)
        if problem:
            raise ValueError(f"property {key!r}: pattern {pattern!r} {problem}")
    items = prop.get("items")
    return Rule(
        key=key,
        type=jtype,
        required=required,
        enum=tuple(prop["enum"]) if "enum" in prop else None,
        minimum=prop.get("minimum"),
        maximum=prop.get("maximum"),
        min_length=prop.get("minLength"),
        max_length=prop.get("maxLength"),
        pattern=pattern,
        min_items=prop.get("minItems"),
        max_items=prop.get("maxItems"),
        items=rule_of("", items, False) if items is not None else None,
    )


def payload_rules(payload: Payload) -> tuple[Rule, ...]:
    """Every field's rule, in spec order, from the payload's JSON Schema properties
    (``json_schema.value_schema``: a property's schema without its documentation;
    ``required`` as the schema's ``required`` list says)."""
    by_kind: dict[tuple, Rule] = {}  # (one schema per kind and value list: read it once)
    out = []
    for f in payload.fields:
        required = always_present(payload, f)
        shape = (f.kind.id, f.values, required)
        rule = by_kind.get(shape)
        if rule is None:
            rule = by_kind[shape] = rule_of("", value_schema(f), required)
        out.append(replace(rule, key=f.wire_key))
    return tuple(out)


def go_pattern(pattern: str) -> str:
    """The Go ``regexp`` source of a schema pattern (see the module docstring)."""
    return pattern.removesuffix(GUARD)


# --------------------------------------------------------------------------- the subset

_PUNCT = set("\\^$.|?*+()[]{}/")  # ECMA-262's escapable syntax characters (the ``u`` flag)
_CLASS_ESCAPES = set("dwDW")


def portable_subset_problem(pattern: str) -> str:
    """Why ``pattern`` may read differently in Go's regexp and ECMA-262 ("" when it is
    within the subset both read alike; see the module docstring)."""
    src = go_pattern(pattern)
    i, n, depth = 0, len(src), 0
    prev_atom = False
    while i < n:
        c = src[i]
        if c == "\\":
            if i + 1 >= n:
                return "ends with a lone backslash"
            nxt = src[i + 1]
            if nxt not in _PUNCT and nxt not in _CLASS_ESCAPES:
                return f"uses the escape \\{nxt}, outside the subset Go and ECMA-262 read alike"
            i, prev_atom = i + 2, True
            continue
        if c == "[":
            end, problem = _class_end(src, i)
            if problem:
                return problem
            i, prev_atom = end, True
            continue
        if c == ".":
            return "uses '.', which Go and ECMA-262 read differently (line terminators)"
        if c == "(":
            if src.startswith("(?", i) and not src.startswith("(?:", i):
                return "uses a group form other than (...) and (?:...)"
            depth += 1
            i += 3 if src.startswith("(?:", i) else 1
            prev_atom = False
            continue
        if c == ")":
            depth -= 1
            if depth < 0:
                return "has an unbalanced ')'"
            i, prev_atom = i + 1, True
            continue
        if c in "*+?":
            if not prev_atom:
                return f"has a quantifier {c!r} with nothing to repeat"
            i += 2 if src.startswith("?", i + 1) else 1
            prev_atom = False
            continue
        if c == "{":
            end = src.find("}", i)
            body = src[i + 1 : end] if end > 0 else ""
            parts = body.split(",")
            if end < 0 or not prev_atom or len(parts) > 2 or not parts[0].isdigit() or not all(p.isdigit() for p in parts[1:] if p):
                return "has a '{' that is not a counted quantifier"
            if any(int(p) > RE2_MAX_REPEAT for p in parts if p):
                return f"repeats more than {RE2_MAX_REPEAT} times (Go's limit)"
            i = end + 1
            i += 1 if src.startswith("?", i) else 0
            prev_atom = False
            continue
        if c in "}]":
            return f"has an unescaped {c!r}"
        prev_atom = c not in "^$|"
        i += 1
    return "has an unbalanced '('" if depth else ""


def _class_end(src: str, start: int) -> tuple[int, str]:
    """The index after the class opening at ``start``, or a reason it is outside the
    subset."""
    i = start + 1
    if src.startswith("^", i):
        i += 1
    if src.startswith("]", i):
        return i, "has an empty class or one starting with ']'"
    while i < len(src):
        c = src[i]
        if c == "]":
            return i + 1, ""
        if c == "[":
            return i, "has '[' inside a class"
        if c == "\\":
            nxt = src[i + 1 : i + 2]
            if nxt not in _PUNCT and nxt not in _CLASS_ESCAPES and nxt != "-":  # (\- only in a class)
                return i, f"uses the escape \\{nxt} in a class, outside the subset"
            i += 2
            continue
        i += 1
    return i, "has an unterminated class"


# --------------------------------------------------------------------------- opt-outs


@dataclass(frozen=True)
class OptOutRule:
    """One way a producer decides that a feature is off, as data: read ``setting`` from
    the environment (``source`` "environment") or the product's settings ("settings");
    the feature is off when the value is one of ``off_values`` (JSON equality: an
    environment variable's text matches only a text value), or when ``off_rule`` (a
    rule of ``generator.privacy.OFF_RULES``: ``any_non_empty``, or ``set``, the
    truthiness of ``privacy.ENV_NOT_SET``) says so; a command or flag (``kind``) is off
    once run or passed (its lookup says true).  ``setting`` empty: this way cannot
    switch it off (``not_possible`` says why, or no opt-out is declared)."""

    feature: str
    setting: str
    kind: str
    source: str
    off_values: tuple[Any, ...]
    off_rule: str
    not_possible: str
    default: Any = None  # the setting's default (settings only; None: none)

    @property
    def any_non_empty(self) -> bool:
        return self.off_rule == "any_non_empty"


def opt_out_rules_of(feature: Feature) -> tuple[OptOutRule, ...]:
    """Each of a feature's ways to opt out as the producer targets print it, from
    ``OptOut.as_dict`` (the model's own data form); a feature declaring none has one
    rule that never applies.  A named off rule the targets do not implement raises."""
    if not feature.opt_outs:
        return (OptOutRule(feature.id, "", "none", "", (), "", "no opt-out is declared"),)
    out = []
    for opt in feature.opt_outs:
        data = opt.as_dict()
        setting = data["setting"] or ""
        kind = data["kind"]
        rule = data["off_values"] if isinstance(data["off_values"], str) else ""
        if rule and rule not in IMPLEMENTED_OFF_RULES:
            raise ValueError(f"feature {feature.id!r}: the producer targets do not implement the off rule {rule!r}")
        if kind in ("command", "cli_flag"):
            off: tuple[Any, ...] = (True,)  # run, passed
            rule = ""
        else:
            off = () if rule or not setting else tuple(data["off_values"])
        source = "" if not setting else ("environment" if kind == "environment_variable" else "settings")
        default = opt.setting.default if opt.setting is not None and source == "settings" else None
        out.append(OptOutRule(feature.id, setting, kind, source, off, rule, data["not_possible"], default))
    return tuple(out)


def opt_out_rules(spec: Spec) -> tuple[OptOutRule, ...]:
    """Every way to opt out of every feature, in spec order."""
    return tuple(r for f in spec.features for r in opt_out_rules_of(f))


#: The named off rules the Go and TypeScript runtimes implement.
IMPLEMENTED_OFF_RULES = frozenset({"any_non_empty", "set"})
#: The values of an environment variable that leave it "not set" (the ``set`` rule).
NOT_SET = ENV_NOT_SET


def comment(text: str) -> str:
    """Spec text for a ``//`` line comment in Go or TypeScript: one line (every line
    terminator either language knows becomes a space)."""
    for ch in "\r\n\u2028\u2029\u0085\x0b\x0c":
        text = text.replace(ch, " ")
    return " ".join(text.split())


# --------------------------------------------------------------------------- names
#
# Every identifier a payload file declares is built from its payload's class name
# (``Payload.model_name``, PascalCase without '_') so that the per-payload files of one
# package never collide: ``X`` (the payload), ``X_Field`` (an enumeration), ``X_Field_V``
# (its values), and lower-case parts for the rest (``X_name``, ``X_key_Field``,
# ``validateX``).  A class name the shared file already uses gets a trailing '_'.

#: Exported names the shared Go and TypeScript files declare.
SHARED_NAMES = frozenset({
    "Problem", "Problems", "ProblemKind", "Check", "CheckJSON", "OptOut", "OptOuts",
    "TelemetryOff", "PayloadNames", "Features", "Rule", "PayloadRules", "JsonType",
    "Payloads", "PayloadName", "FeatureId", "ProductName", "Send",
    "ProblemUndeclaredKey", "ProblemTypeMismatch", "ProblemMissingKey", "ProblemValueNotAllowed",
    "ProblemInvalidValue", "ProblemNotAnObject", "ProblemUnknownPayload", "ProblemMalformedJSON",
})
#: Methods of a Go payload struct, which no field may be named.
GO_METHODS = frozenset({"Validate", "Properties", "MarshalJSON", "WireName"})


def type_name(payload: Payload) -> str:
    """The payload's type name in Go and TypeScript."""
    name = payload.model_name
    return name + "_" if name in SHARED_NAMES else name


def field_names(payload: Payload) -> dict[str, str]:
    """Each field's Go/TypeScript member name by wire key: PascalCase, a method's name or
    a repeat suffixed (``AB``, ``AB_2``)."""
    out: dict[str, str] = {}
    taken: set[str] = set(GO_METHODS)
    for f in payload.fields:
        base = "".join(p[:1].upper() + p[1:] for p in f.wire_key.split("_") if p)
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}_{n}"
        taken.add(name)
        out[f.wire_key] = name
    return out


def value_names(values: tuple[Any, ...]) -> list[str]:
    """A name for each enumerated value (ASCII letters and digits, starting upper-case
    or with a digit; repeats suffixed ``_2``)."""
    out: list[str] = []
    taken: set[str] = set()
    for v in values:
        if isinstance(v, bool):
            base = "True" if v else "False"
        elif isinstance(v, int):
            base = f"Neg{-v}" if v < 0 else str(v)
        else:
            words = "".join(ch if ch.isascii() and ch.isalnum() else " " for ch in str(v)).split()
            base = "".join(w[:1].upper() + w[1:] for w in words) or "Empty"
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}_{n}"
        taken.add(name)
        out.append(name)
    return out
