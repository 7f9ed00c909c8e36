"""The JSON Schema and the pydantic model of a payload accept and reject the same payloads.

Two targets describe one wire contract; if they disagree, a sender that checks with one
and a receiver that checks with the other lose data or leak it.  Hypothesis generates
payloads -- valid ones from each property's schema, then mutated: a required key dropped,
an undeclared key added, a value of the wrong JSON type, ``null``, an out-of-enum value,
int64 edge values, ``1.0`` for an integer, over-long strings, pattern-breaking strings --
and the test asserts that ``jsonschema`` (draft 2020-12) and the model agree, both on the
Python value and on its JSON text.  It runs on every payload of the bundled spec and on
randomly generated specs (rendered, imported from a temporary folder).

The generator does not decide what *should* be valid: it only makes sure both outcomes
are common, and the tests below it pin the expected answers for known cases.
"""

from __future__ import annotations

import json
import re

import jsonschema
import pydantic
import pytest
from _build_helpers import bundled_spec, import_models, spec_docs, write_spec
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from generator.pipeline import check_spec
from generator.targets import json_schema, models

INT64 = (2**63 - 1, -(2**63), 2**63, -(2**63) - 1, 2**64)
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**65), 2**65),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=10),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=5,
)


def _base_pattern(pattern: str) -> str:
    """The pattern without the trailing ``(?!\\n)`` guard (hypothesis's regex strategy
    generates for ``$`` as an end anchor anyway)."""
    return pattern.removesuffix("(?!\\n)")


def valid_value(prop: dict) -> st.SearchStrategy:
    """Values the property's schema intends to allow."""
    if "enum" in prop:
        values = st.sampled_from(prop["enum"])
        if prop["type"] == "integer":  # JSON Schema: 2.0 is the integer 2
            return values | values.map(float)
        return values
    t = prop["type"]
    if t == "boolean":
        return st.booleans()
    if t == "integer":
        lo = prop.get("minimum")
        ints = st.integers(min_value=lo, max_value=2**64) | st.sampled_from([v for v in INT64 if lo is None or v >= lo])
        return ints | st.integers(min_value=lo or -(10**6), max_value=10**6).map(float)
    if t == "number":
        return st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**64), 2**64)
    if t == "string":
        if "pattern" in prop:
            s = st.from_regex(_base_pattern(prop["pattern"]), fullmatch=True)
        else:
            s = st.text(max_size=20)
        if "maxLength" in prop:
            n = prop["maxLength"]
            s = s.filter(lambda v: len(v) <= n) | st.just("x" * n)
        return s
    if t == "array":
        item = valid_value(prop["items"])
        return st.lists(item, max_size=4)
    raise AssertionError(f"no strategy for {prop}")


def odd_value(prop: dict) -> st.SearchStrategy:
    """Values near or across the property's edges (valid or not; the validators decide)."""
    t = prop.get("type")
    options = [
        JSON_VALUES,
        st.sampled_from([None, True, False, 0, 1, -1, 1.0, 1.5, -0.0, "1", "true", "", [], {}, *INT64, 1e300]),
    ]
    if "enum" in prop:
        options.append(st.sampled_from(prop["enum"]).map(lambda v: v + "x" if isinstance(v, str) else (not v) if isinstance(v, bool) else v + 7))
    if t == "string":
        n = prop.get("maxLength", 64)
        options.append(st.integers(n - 1, n + 2).map(lambda k: "a" * k))
        if "pattern" in prop:
            base = st.from_regex(_base_pattern(prop["pattern"]), fullmatch=True)
            options.append(
                base.flatmap(
                    lambda v: st.sampled_from([v + "\n", "\n" + v, v + " ", v + "\u00e9", v[:-1], v + "!", v * 70])
                )
            )
    if t == "array":
        options.append(st.lists(JSON_SCALARS, max_size=3))
        options.append(st.just(["a"] * (prop.get("maxItems", 5) + 1)))
        options.append(st.lists(st.text(min_size=4095, max_size=4097, alphabet="ab"), min_size=1, max_size=1))
    return st.one_of(options)


@st.composite
def payloads(draw, schema: dict):
    """A payload for ``schema``: usually valid, often mutated in one or more ways."""
    props = schema["properties"]
    required = set(schema["required"])
    out = {}
    for key, prop in props.items():
        if key in required or draw(st.booleans()):
            out[key] = draw(valid_value(prop))
    for _ in range(draw(st.integers(0, 2))):
        mutation = draw(st.sampled_from(["drop", "extra", "odd", "odd", "odd"]))
        if mutation == "drop" and out:
            out.pop(draw(st.sampled_from(sorted(out))))
        elif mutation == "extra":
            key = draw(st.one_of(st.text(max_size=8), st.sampled_from(["class_", "model_config", "__class__", "X"])))
            out[key] = draw(JSON_SCALARS)
        elif mutation == "odd" and props:
            key = draw(st.sampled_from(sorted(props)))
            out[key] = draw(odd_value(props[key]))
    return out


def agree(schema: dict, model: type[pydantic.BaseModel], payload: dict) -> bool:
    """Assert both validators give the same answer (on the value and on its JSON text);
    returns that answer."""
    by_schema = jsonschema.Draft202012Validator(schema).is_valid(payload)
    try:
        model.model_validate(payload)
        by_model = True
    except pydantic.ValidationError:
        by_model = False
    assert by_schema == by_model, f"schema says {by_schema}, model says {by_model} for {payload!r}"
    text = json.dumps(payload)
    by_schema_text = jsonschema.Draft202012Validator(schema).is_valid(json.loads(text))
    try:
        model.model_validate_json(text)
        by_model_text = True
    except pydantic.ValidationError:
        by_model_text = False
    assert by_schema_text == by_model_text == by_schema, f"JSON text {text!r}: schema {by_schema_text}, model {by_model_text}"
    return by_schema


# --- the bundled spec ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    spec = bundled_spec()
    files = models.render(spec)
    package = import_models(files, tmp_path_factory.mktemp("agree"), "agree_bundled")
    schemas = {p.wire_name: json_schema.payload_schema(spec, p) for p in spec.payloads}
    return spec, schemas, package.MODELS


def test_every_payload_valid_example_is_accepted_by_both(bundled):
    """A payload built from each kind's edge-valid examples passes both (and not vacuously:
    dropping a required key or adding one fails both)."""
    spec, schemas, registry = bundled
    for p in spec.payloads:
        payload = {}
        for f in p.fields:
            payload[f.wire_key] = f.values[0] if f.values else f.kind.valid_examples[-1]
        assert agree(schemas[p.wire_name], registry[p.wire_name], payload) is True, p.wire_name
        assert agree(schemas[p.wire_name], registry[p.wire_name], {**payload, "undeclared_key": 1}) is False
        for f in p.fields:
            wrong = {**payload, f.wire_key: f.kind.invalid_example}
            assert agree(schemas[p.wire_name], registry[p.wire_name], wrong) is False, (p.wire_name, f.wire_key)
            assert agree(schemas[p.wire_name], registry[p.wire_name], {**payload, f.wire_key: None}) is False
            if f.required:
                short = {k: v for k, v in payload.items() if k != f.wire_key}
                assert agree(schemas[p.wire_name], registry[p.wire_name], short) is False


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_bundled_spec_schema_and_model_agree(bundled, data):
    spec, schemas, registry = bundled
    wire = data.draw(st.sampled_from([p.wire_name for p in spec.payloads]), label="payload")
    payload = data.draw(payloads(schemas[wire]), label="value")
    agree(schemas[wire], registry[wire], payload)


# --- random specs -------------------------------------------------------------------------


@settings(max_examples=35, deadline=None, suppress_health_check=list(HealthCheck))
@given(doc=spec_docs(), data=st.data())
def test_random_specs_schema_and_model_agree(tmp_path_factory, doc, data):
    folder = tmp_path_factory.mktemp("rspec")
    spec, findings = check_spec(write_spec(doc, folder / "spec"))
    assert spec is not None, [str(f) for f in findings]
    assume(spec.payloads)
    package = import_models(models.render(spec), folder)
    assert set(package.MODELS) == {p.wire_name for p in spec.payloads}
    for p in spec.payloads:
        cls = getattr(package, models.export_name(p))
        assert package.MODELS[p.wire_name] is cls
    for _ in range(15):
        p = data.draw(st.sampled_from(spec.payloads), label="payload")
        schema = json_schema.payload_schema(spec, p)
        agree(schema, package.MODELS[p.wire_name], data.draw(payloads(schema), label="value"))


# --- pinned answers for the cases the base class exists for -------------------------------


@pytest.fixture(scope="module")
def edge_models(tmp_path_factory):
    doc = {
        "spec_format": 2,
        "product": {"id": "edge", "name": "Edge", "summary": "S.", "privacy_policy": {"title": "P", "url": "https://e.test/p"}},
        "features": {"f": {"title": "F", "description": "D.", "sender": "server", "destination": "D", "lint_ignore": ["feature-opt-out"]}},
        "sections": {"s": {"feature": "f", "title": "S", "schedule": "every 1d", "description": "D."}},
        "payloads": [
            {
                "type": "record", "wire_name": "edge_cases",
                "section": "s",
                "fields": [
                    {"name": "N", "kind": "integer", "description": "n"},
                    {"name": "E", "kind": "enumerated_integer", "values": [0, 1, 2], "description": "e"},
                    {"name": "C", "kind": "count", "description": "c"},
                    {"name": "B", "kind": "boolean", "description": "b"},
                    {"name": "I", "kind": "pseudonymous_id", "description": "i"},
                    {"name": "V", "kind": "version", "description": "v", "required": False},
                    {"name": "X", "kind": "number", "description": "x", "required": False},
                ],
            }
        ],
    }
    folder = tmp_path_factory.mktemp("edge")
    spec, findings = check_spec(write_spec(doc, folder / "spec"))
    assert spec is not None, [str(f) for f in findings]
    package = import_models(models.render(spec), folder)
    return json_schema.payload_schema(spec, spec.payloads[0]), package.MODELS["edge_cases"]


GOOD = {"n": 1, "e": 2, "c": 0, "b": True, "i": "abc"}


@pytest.mark.parametrize(
    "change, valid",
    [
        ({}, True),
        ({"n": 1.0}, True),  # JSON Schema: a zero fraction is an integer
        ({"e": 2.0}, True),
        ({"n": 2**63 - 1}, True),
        ({"n": -(2**63)}, True),
        ({"n": 2**70}, True),  # JSON has no integer limit; neither does the schema
        ({"n": 1.5}, False),
        ({"n": True}, False),  # pydantic's lax mode would take these three
        ({"n": "1"}, False),
        ({"b": 1}, False),
        ({"e": 3}, False),
        ({"e": True}, False),  # True == 1 in Python, not in JSON
        ({"c": -1}, False),
        ({"i": "abc\n"}, False),  # Python's `$` would allow the newline
        ({"i": "a" * 65}, False),
        ({"v": "5.6.0-rc1"}, True),
        ({"v": None}, False),  # optional means "may be left out", not "may be null"
        ({"x": 1}, True),
        ({"x": True}, False),
        ({"zz": 1}, False),
    ],
)
def test_pinned_cases(edge_models, change, valid):
    schema, model = edge_models
    assert agree(schema, model, {**GOOD, **change}) is valid


def test_dropping_a_required_key_fails_both(edge_models):
    schema, model = edge_models
    payload = dict(GOOD)
    del payload["n"]
    assert agree(schema, model, payload) is False


def test_patterns_are_portable():
    """Every pattern the schemas use means the same in ECMA-262 and in Python's ``re``:
    the trailing anchor rejects a final newline in both."""
    for p in ("^[a-z]+$", "^a\\$", "x"):
        out = json_schema.portable_pattern(p)
        assert json_schema.portable_pattern(out) == out
        assert re.search(out, "abc\n") is None or not p.endswith("+$")
    assert json_schema.portable_pattern("^a\\$") == "^a\\$"
