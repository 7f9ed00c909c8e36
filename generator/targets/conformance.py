"""Target: a conformance test suite downstream projects run from the vendored folder.

``generated/conformance/`` is a pytest suite that needs only pytest, jsonschema and
pydantic: it never imports ``generator``.  It holds

* ``vectors/<wire name>.json``: test vectors derived here from the spec and
  ``generator.kinds``: valid ones (every field present at each of its edge values; the
  optional fields absent) and invalid ones, each with the reason it must fail and the
  problem a checker must name (an undeclared key, a wrong JSON type or ``null`` per
  field, a value outside an enumeration or a kind's bounds, a missing required key);
* ``index.json``: payload -> feature, opt-out setting and its off/on values, schema file,
  model name, vectors file; the suite's only view of the spec;
* the test modules (copied from ``generator/templates/conformance/``), which check both
  the JSON Schemas (``../schemas``) and the pydantic models (``../models``) against every
  vector, check captured traffic, and check a producer's opt-out behaviour;
* ``_payload_engine/``: a verbatim copy of the ``generator.validate`` package, the same
  engine ``gen validate`` runs, so the suite and the command report the same problems.

Every decision (which values, which reasons, which order) is made here in Python; the
test modules only read the JSON this target writes.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import jinja2

from generator.json_output import dumps
from generator.kinds import Kind
from generator.model import Feature, Field, OptOut, Payload, Spec
from generator.phrases import off_values_words, plain, value_text
from generator.privacy import OFF_SAMPLES
from generator.targets.json_schema import always_present, schema_path
from generator.validate import ecma
from generator.validate.problems import json_type

OUT = "conformance"
ENGINE = "_payload_engine"  # the vendored copy of generator/validate/, inside OUT
INDEX_FORMAT = 1
#: The test modules and support files copied as they are (no template logic).
STATIC_FILES = ("conftest.py", "test_vectors.py", "test_captured.py", "test_opt_out.py", "pytest.ini")
#: Rendered with jinja2 (they print spec data).
TEMPLATES = ("README.md",)
UNDECLARED_KEY = "undeclared_key"


# --------------------------------------------------------------------------- values


def examples(field: Field) -> list[Any]:
    """The values a valid vector gives ``field``: its listed values, else its kind's
    edge values."""
    return list(field.values) if field.values else list(field.kind.valid_examples)


def outside_enumeration(field: Field) -> Any | None:
    """A value of the right JSON type that the field's enumeration does not list (None
    when every value of the type is listed, e.g. both booleans)."""
    if not field.values:
        return None
    jtype = field.kind.json_schema.get("type")
    values = list(field.values)
    if jtype == "boolean":
        rest = [b for b in (True, False) if b not in values]
        return rest[0] if rest else None
    if jtype == "integer":
        ints = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
        return max(ints) + 1 if ints else 0
    if jtype == "string":
        candidate = "not-a-listed-value"
        while candidate in values:
            candidate += "_"
        return candidate
    return None


def _pattern_violation(pattern: str) -> str | None:
    for candidate in (" ", "", "not valid!", "\n", "-" * 300):
        try:
            if ecma.compile(pattern).search(candidate) is None:
                return candidate
        except re.error:
            return None
    return None


def bound_violations(kind: Kind) -> list[tuple[str, Any, str]]:
    """Values of the right JSON type that break one of the kind's other constraints:
    ``(id suffix, value, why)``."""
    frag = kind.json_schema
    out = []
    if "minimum" in frag:
        out.append(("below_minimum", frag["minimum"] - 1, f"below the minimum {frag['minimum']}"))
    if "maxLength" in frag:
        n = frag["maxLength"]
        out.append(("too_long", "x" * (n + 1), f"{n + 1} characters, longer than {n}"))
    if "pattern" in frag:
        bad = _pattern_violation(frag["pattern"])
        if bad is not None:
            out.append(("pattern", bad, f"{bad!r} does not match {frag['pattern']}"))
    return out


def _a(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


# --------------------------------------------------------------------------- vectors


def _vector(vid: str, text_key: str, text: str, props: Any, expect: dict | None = None) -> dict:
    out = {"id": vid, text_key: text, "properties": props}
    if expect is not None:
        out["expect"] = expect
    return out


def valid_vectors(payload: Payload) -> list[dict]:
    """Every field present at its first example; then one vector per further edge value
    (field ``i`` takes its ``n``-th example, wrapping); then only the required fields."""
    fields = payload.fields
    if not fields:
        return [_vector("empty", "description", "the payload declares no properties", {})]
    ex = {f.wire_key: examples(f) for f in fields}
    out = [
        _vector(
            "all_fields",
            "description",
            "every declared key, each at its first listed or edge value",
            {k: _plain(v[0]) for k, v in ex.items()},
        )
    ]
    widest = max(len(v) for v in ex.values())
    for n in range(1, widest):
        out.append(
            _vector(
                f"edge_{n}",
                "description",
                f"every declared key at its edge value #{n + 1} (wrapping around shorter lists)",
                {k: _plain(v[n % len(v)]) for k, v in ex.items()},
            )
        )
    optional = [f.wire_key for f in fields if not always_present(payload, f)]
    if optional:
        out.append(
            _vector(
                "optional_absent",
                "description",
                "only the required keys; optional ones absent: " + ", ".join(optional),
                {k: _plain(v[0]) for k, v in ex.items() if k not in optional},
            )
        )
    return out


def _undeclared_key(payload: Payload) -> str:
    taken = {f.wire_key for f in payload.fields}
    key = UNDECLARED_KEY
    while key in taken:
        key += "_"
    return key


def invalid_vectors(payload: Payload) -> list[dict]:
    """The ways a payload must be rejected, each with a ``reason`` and the problem a
    checker has to report (``expect``: problem kind and key)."""
    base = {f.wire_key: _plain(examples(f)[0]) for f in payload.fields}
    extra = _undeclared_key(payload)
    out = [
        _vector(
            "undeclared_key",
            "reason",
            f"carries the undeclared key {extra!r}: anything undeclared is a possible privacy leak",
            {**base, extra: "leak"},
            {"problem": "undeclared-key", "key": extra},
        ),
        _vector(
            "not_an_object",
            "reason",
            "the properties are a JSON array, not an object",
            [],
            {"problem": "not-an-object", "key": None},
        ),
    ]
    for f in payload.fields:
        k = f.wire_key
        jtype = f.kind.json_schema.get("type")
        wrong = f.kind.invalid_example
        out.append(
            _vector(
                f"wrong_type:{k}",
                "reason",
                f"{k!r} is {_a(json_type(wrong))} ({wrong!r}); the kind {f.kind.id} needs {_a(jtype)}",
                {**base, k: _plain(wrong)},
                {"problem": "type-mismatch", "key": k},
            )
        )
        out.append(
            _vector(
                f"null:{k}",
                "reason",
                f"{k!r} is null; {'a required key must be' if always_present(payload, f) else 'an optional key is either absent or'} {_a(jtype)}",
                {**base, k: None},
                {"problem": "type-mismatch", "key": k},
            )
        )
        bad = outside_enumeration(f)
        if bad is not None:
            out.append(
                _vector(
                    f"not_in_enum:{k}",
                    "reason",
                    f"{k!r} is {bad!r}, which its enumeration {list(f.values)!r} does not list",
                    {**base, k: bad},
                    {"problem": "value-not-allowed", "key": k},
                )
            )
        if not f.values:
            for suffix, value, why in bound_violations(f.kind):
                out.append(
                    _vector(
                        f"{suffix}:{k}",
                        "reason",
                        f"{k!r} is {why}",
                        {**base, k: value},
                        {"problem": "invalid-value", "key": k},
                    )
                )
        if always_present(payload, f):  # (a field limited to fewer versions than its payload may be absent)
            out.append(
                _vector(
                    f"missing:{k}",
                    "reason",
                    f"the required key {k!r} is missing",
                    {kk: v for kk, v in base.items() if kk != k},
                    {"problem": "missing-key", "key": k},
                )
            )
    return out


def vectors(payload: Payload) -> dict:
    """The vectors file of one payload."""
    return {
        "payload": payload.wire_name,
        "schema": schema_path(payload),
        "model": payload.model_name,
        "valid": valid_vectors(payload),
        "invalid": invalid_vectors(payload),
    }


# --------------------------------------------------------------------------- compact files
#
# A vectors file describes rather than spells out (issue: a 20,000-field spec wrote
# 145 MB of vectors): a long string that repeats one short unit is written
# ``{"repeat": unit, "times": n}``, and a vector that differs from the payload's ``base``
# (every field at its first example) in a few keys is written as that difference
# (``"set": {...}`` and/or ``"drop": [...]`` instead of ``properties``); an
# ``expect`` whose key is the id's suffix (``wrong_type:<key>``) is written as just its
# problem; a reason is the number of a template in the file's ``texts`` (its parts,
# joined by the id's suffix in single quotes: most reasons differ only in the key);
# each vector is one line.  The suite's ``conftest.py``
# (``expand_vectors``) expands them to exactly the vectors ``vectors`` returns; a test
# holds the two equal.

REPEAT_MIN = 32  # shorter strings are written out


def _describe(value: Any) -> Any:
    """A property value as the file writes it (see above)."""
    if isinstance(value, str) and len(value) >= REPEAT_MIN:
        for size in range(1, 9):
            unit = value[:size]
            if len(value) % size == 0 and unit * (len(value) // size) == value:
                return {"repeat": unit, "times": len(value) // size}
        return value
    if isinstance(value, list):
        return [_describe(v) for v in value]
    if isinstance(value, dict):  # (no kind has object values; kept unambiguous anyway)
        return {"literal": value}
    return value


_ABSENT = object()


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON values (``True`` is not ``1``)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def _patch(base: dict, props: Any) -> dict | None:
    """``{"set": ..., "drop": ...}`` turning ``base`` into ``props`` with the same key
    order, or None when ``props`` is not such a variation."""
    if not isinstance(props, dict):
        return None
    get = base.get
    # (``is`` first: a variation shares the base's untouched values, so most keys are
    # settled without a comparison)
    changed = {k: v for k, v in props.items() if get(k, _ABSENT) is not v and not _same(get(k, _ABSENT), v)}
    drop = [k for k in base if k not in props]
    rebuilt = dict(base)
    rebuilt.update(changed)
    for k in drop:
        del rebuilt[k]
    if list(rebuilt) != list(props) or len(changed) + len(drop) > max(1, len(props) // 2):
        return None
    patch: dict = {}
    if changed:
        patch["set"] = {k: _describe(v) for k, v in changed.items()}
    if drop:
        patch["drop"] = drop
    return patch


def vectors_file(doc: dict) -> bytes:
    """The bytes of a vectors file: ``compact(doc)`` with one vector per line (the
    vectors are data for the suite, not prose: indenting each one tripled the folder)."""
    import json

    def line(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    out = compact(doc)
    head = ",\n".join(f"  {line(k)}: {line(out[k])}" for k in ("payload", "schema", "model", "base", "texts"))
    groups = []
    for group in ("valid", "invalid"):
        rows = ",\n".join(f"    {line(v)}" for v in out[group])
        groups.append(f'  "{group}": [\n{rows}\n  ]' if rows else f'  "{group}": []')
    return ("{\n" + head + ",\n" + ",\n".join(groups) + "\n}\n").encode("utf-8")


def compact(doc: dict) -> dict:
    """The vectors file of ``vectors(payload)`` (see above)."""
    base = doc["valid"][0]["properties"] if doc["valid"] and doc["valid"][0]["id"] == "all_fields" else {}
    out = {k: doc[k] for k in ("payload", "schema", "model")}
    out["base"] = {k: _describe(v) for k, v in base.items()}
    out["texts"] = texts = []
    numbers: dict[tuple[str, ...], int] = {}

    def text_number(text: str, vec_id: str) -> int:
        # A reason as a template: split at its key, quoted as the id's suffix.
        key = vec_id.partition(":")[2]
        token = f"'{key}'"
        parts = tuple(text.split(token)) if key and repr(key) == token else (text,)
        if parts not in numbers:
            numbers[parts] = len(texts)
            texts.append(list(parts))
        return numbers[parts]

    for group in ("valid", "invalid"):
        rows = []
        for vec in doc[group]:
            row = {k: v for k, v in vec.items() if k != "properties"}
            if isinstance(row.get("reason"), str):
                row["reason"] = text_number(row["reason"], vec["id"])
            expect = row.get("expect")
            if expect is not None and set(expect) == {"problem", "key"} and vec["id"].partition(":")[2] == expect["key"]:
                row["expect"] = expect["problem"]  # the key is the id's suffix
            patch = _patch(base, vec["properties"])
            if patch is not None:
                row.update(patch or {"set": {}})  # (no "properties": a variation of the base)
            else:
                props = vec["properties"]
                row["properties"] = {k: _describe(v) for k, v in props.items()} if isinstance(props, dict) else props
            rows.append(row)
        out[group] = rows
    return out


# --------------------------------------------------------------------------- index


def on_value(feature: Feature) -> Any:
    """The value of a feature's (first) opt-out setting that leaves it switched on."""
    return way_on_value(feature.opt_out) if feature.opt_out is not None else None


def way_on_value(opt: OptOut) -> Any:
    """The value of one way's setting that leaves the feature switched on: the other
    boolean, else the setting's default when that is not an off value (None: unknown,
    or an environment variable, which is on while unset)."""
    if opt.setting is None or opt.off_rule:
        return None  # none to set (an environment variable is on while unset)
    if opt.setting.kind in ("command", "cli_flag"):
        return False  # the command not run, the flag not passed
    if len(opt.off_values) == 1 and isinstance(opt.off_value, bool):
        return not opt.off_value
    if opt.setting.default not in opt.off_values:
        return opt.setting.default
    return None


def _way(opt: OptOut) -> dict:
    """One way to opt out as the suite reads it: the model's data, its on value, and
    for an off rule the values that must switch it off (``privacy.OFF_SAMPLES``: for
    ``set`` only values the environment-variable truthiness counts as set)."""
    out = {**opt.as_dict(), "on_value": way_on_value(opt)}
    if opt.off_rule:
        out["off_samples"] = list(OFF_SAMPLES[opt.off_rule])
    return out


def index(spec: Spec) -> dict:
    """``index.json``: what the suite needs to know about every payload and feature."""
    features = {}
    for feat in spec.features:
        ways = [_way(o) for o in feat.opt_outs]
        features[feat.id] = {
            "title": feat.title,
            "opt_out": ways[0] if ways else None,
            "opt_outs": ways,
            "payloads": [p.wire_name for p in spec.payloads if p.feature_id == feat.id],
        }
    return {
        "index_format": INDEX_FORMAT,
        "product": {"id": spec.product.id, "name": spec.product.name},
        "payloads": {
            p.wire_name: {
                "type": p.type,
                "feature": p.feature_id,
                "section": p.section_id,
                "opt_out_setting": p.opt_out_setting,
                "schema": schema_path(p),
                "model": p.model_name,
                "vectors": f"vectors/{p.wire_name}.json",
            }
            for p in spec.payloads
        },
        "features": features,
        "settings": {s.id: {"default": s.default} for s in spec.settings},
    }


# --------------------------------------------------------------------------- render


def _template_env() -> jinja2.Environment:
    from generator.targets.docs_jinja import make_environment

    return make_environment("conformance", "conformance")


def _cell(text: str) -> str:
    """Text for a Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def readme_context(spec: Spec) -> dict:
    """What README.md prints: the product, and each feature's opt-out, in spec order."""
    rows = []
    def say(key: str, **values: Any) -> str:
        return plain(spec.phrase(key), **values)

    for feat in spec.features:
        ways = [o for o in feat.opt_outs if o.setting is not None]
        rows.append(
            {
                "id": feat.id,
                "title": _cell(feat.title),
                "setting": _cell(" or ".join(o.setting.id for o in ways)) if ways else None,
                # each way's off values in the docs' words (phrases.off_values_words)
                "off_value": _cell("; ".join(
                    off_values_words(o.off_rule or list(o.off_values), say, value_text) for o in ways)) if ways else None,
                "payloads": sum(1 for p in spec.payloads if p.feature_id == feat.id),
            }
        )
    from generator.targets.package import package_name

    return {
        "product": spec.product.name,
        "package": package_name(spec),
        "payload_count": len(spec.payloads),
        "features": rows,
    }


def engine_files() -> dict[str, bytes]:
    """The ``generator.validate`` package as it is, by file name: the suite's copy of the
    engine."""
    package = resources.files("generator.validate")
    return {
        entry.name: entry.read_bytes()
        for entry in sorted(package.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".py") and entry.is_file()
    }


def render(spec: Spec) -> dict[str, bytes]:
    """The suite: index, vectors, test modules, README and the engine copy."""
    import sys

    from generator.targets import render_units

    return dict(sorted(render_units(sys.modules[__name__], spec)[0].items()))


def unit(spec: Spec, payload: Payload) -> dict[str, bytes]:
    """The ``units`` hook: one payload's vectors file."""
    return {f"{OUT}/vectors/{payload.wire_name}.json": vectors_file(vectors(payload))}


def shared(spec: Spec) -> dict[str, bytes]:
    """The ``units`` hook: the index, test modules, README and the engine copy."""
    files: dict[str, bytes] = {f"{OUT}/index.json": dumps(index(spec))}
    folder = resources.files("generator").joinpath("templates", "conformance")
    for name in STATIC_FILES:
        files[f"{OUT}/{name}"] = folder.joinpath(name + ".tmpl").read_bytes()
    env = _template_env()
    ctx = readme_context(spec)
    for name in TEMPLATES:
        files[f"{OUT}/{name}"] = env.get_template(name + ".j2").render(**ctx).encode("utf-8")
    for name, data in engine_files().items():
        files[f"{OUT}/{ENGINE}/{name}"] = data
    return dict(sorted(files.items()))
