"""The resolved model (generator.model, built by generator.resolve) is immutable and
self-contained: everything a target needs is resolved onto each payload and field, so no
later stage re-reads YAML or re-derives inheritance.

Fixture: tests/cases/ok_inheritance/spec/spec.yaml (one payload per inheritance path).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import MappingProxyType

import pytest

from generator import model
from generator.kinds import Kind
from generator.model import Edition, Location, Schedule, Spec, Versions
from generator.pipeline import check_spec

CASES = Path(__file__).parent / "cases"


@pytest.fixture(scope="module")
def spec() -> Spec:
    spec, findings = check_spec(CASES / "ok_inheritance" / "spec")
    assert spec is not None and findings == [], findings
    return spec


def _field(spec: Spec, payload: str, name: str):
    return next(f for f in spec.payload(payload).fields if f.name == name)


# ------------------------------------------------------------ immutability
def _walk(obj, path="spec"):
    """Yield (path, value) for every value reachable from the model, Kind excepted (a
    shared constant from generator.kinds, checked separately)."""
    yield path, obj
    if isinstance(obj, Kind):
        return
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            if f.name == "_index":  # lookup cache, not data
                continue
            yield from _walk(getattr(obj, f.name), f"{path}.{f.name}")
    elif isinstance(obj, (tuple, list, set, frozenset)):
        for i, v in enumerate(obj):
            yield from _walk(v, f"{path}[{i}]")
    elif isinstance(obj, (dict, MappingProxyType)):
        for k, v in obj.items():
            yield from _walk(v, f"{path}[{k!r}]")


def test_model_holds_no_mutable_containers(spec: Spec) -> None:
    for path, value in _walk(spec):
        assert not isinstance(value, (list, dict, set)), f"{path} is a mutable {type(value).__name__}"


def test_every_model_object_is_a_frozen_dataclass(spec: Spec) -> None:
    seen = set()
    for path, value in _walk(spec):
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            assert type(value).__dataclass_params__.frozen, path
            seen.add(type(value).__name__)
    assert {"Spec", "Product", "Edition", "Setting", "Feature", "OptOut", "Section", "Category", "Schedule", "Payload", "Field", "Versions", "Location", "Kind"} <= seen


@pytest.mark.parametrize(
    ("get", "attr", "value"),
    [
        (lambda s: s, "payloads", ()),
        (lambda s: s.product, "name", "x"),
        (lambda s: s.features[0], "opt_out", None),
        (lambda s: s.features[0].opt_out, "cost", ""),
        (lambda s: s.sections[0], "schedule", None),
        (lambda s: s.sections[1].categories[0], "edition", None),
        (lambda s: s.payloads[0], "wire_name", "x"),
        (lambda s: s.payloads[0].fields[0], "description", "x"),
        (lambda s: s.payloads[0].fields[0].versions, "min", "1"),
        (lambda s: s.payloads[0].fields[0].location, "line", 1),
        (lambda s: s.settings[0], "default", None),
        (lambda s: s.editions[0], "title", "x"),
        (lambda s: s.payloads[0].fields[0].kind, "id", "x"),
    ],
)
def test_assignment_raises(spec: Spec, get, attr: str, value) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(get(spec), attr, value)


def test_sequences_are_tuples(spec: Spec) -> None:
    assert type(spec.payloads) is tuple and type(spec.payloads[0].fields) is tuple
    assert type(spec.features[0].purposes) is tuple
    assert type(spec.settings[0].console_path) is tuple
    assert spec.settings[0].default == ("daily", "weekly")  # a YAML list, frozen
    assert spec.features[0].opt_out.off_value == ()
    assert _field(spec, "new_event", "Plain").notes == ("a note",)
    assert type(spec.fields) is tuple


def test_kind_schema_fragments_are_read_only(spec: Spec) -> None:
    kind = spec.payloads[0].fields[0].kind
    assert isinstance(kind.json_schema, MappingProxyType)
    with pytest.raises(TypeError):
        kind.json_schema["type"] = "string"  # type: ignore[index]


# ------------------------------------------------------------ inheritance is resolved
ENTERPRISE = Edition("enterprise", "Enterprise Edition")
PRO = Edition("pro", "Pro Edition")


def test_edition_comes_from_section_payload_category_or_field(spec: Spec) -> None:
    assert _field(spec, "config_plain", "Inherits").edition == ENTERPRISE  # from the section
    assert _field(spec, "config_plain", "OwnEdition").edition == PRO  # its own wins
    assert spec.payload("config_pro").edition == PRO  # payload overrides section
    assert _field(spec, "config_pro", "FromPayload").edition == PRO
    assert spec.payload("old_event").edition == ENTERPRISE  # from the event category
    assert _field(spec, "old_event", "FromCategory").edition == ENTERPRISE
    assert _field(spec, "new_event", "Plain").edition is None
    assert _field(spec, "config_crash", "Count").edition is None


def test_versions_are_intersected_down_the_tree(spec: Spec) -> None:
    assert _field(spec, "config_plain", "Inherits").versions == Versions()
    assert _field(spec, "config_plain", "OwnVersions").versions == Versions("4.0", None)
    assert _field(spec, "config_pro", "FromPayload").versions == Versions("5.0", "7.0")
    assert _field(spec, "config_pro", "Narrower").versions == Versions("6.0", "7.0")
    assert _field(spec, "config_pro", "Wider").versions == Versions("5.0", "7.0")
    assert spec.payload("old_event").versions == Versions(None, "5.5")  # from the category
    assert _field(spec, "old_event", "FromCategory").versions == Versions(None, "5.5")
    assert _field(spec, "old_event", "Newer").versions == Versions("5.0", "5.5")
    assert _field(spec, "new_event", "Plain").versions == Versions("6.0", None)
    assert _field(spec, "old_event", "FromCategory").versions.text() == "only in v5.5 and earlier"


def test_schedule_and_opt_out_are_on_every_payload_and_field(spec: Spec) -> None:
    daily = Schedule("every 24h", "every", "24h", 86400, "once every 24 hours")
    for wire in ("config_plain", "config_pro"):
        p = spec.payload(wire)
        assert p.schedule == daily and p.opt_out_setting == "Stats.Enable"
        assert all(f.schedule == daily and f.opt_out_setting == "Stats.Enable" for f in p.fields)
    event = spec.payload("old_event")
    assert event.schedule.trigger == "event" and event.schedule.interval is None
    assert event.type == "event" and event.category_id == "old"
    crash = spec.payload("config_crash")
    assert crash.schedule == Schedule("every 90m", "every", "90m", 5400, "once every 90 minutes")
    assert crash.opt_out_setting is None and crash.fields[0].opt_out_setting is None


def test_fields_know_where_they_belong(spec: Spec) -> None:
    f = _field(spec, "config_pro", "Narrower")
    assert (f.payload, f.section_id, f.feature_id) == ("config_pro", "daily", "stats")
    assert f.qualified_name == "ProSettings.Narrower" and f.wire_key == "narrower"
    assert f.location == Location("spec.yaml", 63, 9)
    count = _field(spec, "config_crash", "Count")
    assert (count.section_id, count.feature_id) == ("crashes", "crash")
    assert count.uses_input_data is True and count.required is True


def test_model_does_not_import_the_yaml_stages() -> None:
    """Targets import the model; it must not pull in loading or validation."""
    source = Path(model.__file__).read_text()
    for stage in ("generator.load", "generator.spec_format", "generator.resolve", "yaml", "jsonschema"):
        assert f"import {stage}" not in source and f"from {stage} " not in source
