"""Target: one JSON Schema (draft 2020-12) per payload, under ``schemas/``.

The schema is the wire contract downstream services validate against, so it says
exactly what may be sent and nothing more: every field is a property of its kind's JSON
type (``generator.kinds``), enumerated fields list their values, required fields are
``required`` (unless limited to fewer versions than their payload: ``always_present``) and ``additionalProperties: false`` rejects anything undeclared (that is the
privacy guarantee).  What a reader or a tool needs to know about *why* the payload exists
travels along as annotations (``x-telemetry``): feature, section, schedule, opt-out,
edition and version limits, per payload and per field; each field's governance
(owners, approval links, expiry).

Keys are written in a fixed, readable order (not sorted), so the bytes depend only on the
spec.  Other targets reuse ``payload_schema`` (the models target feeds these schemas to
datamodel-code-generator) and ``schema_path``.  This module owns the schema of a payload
and nothing else: JSON serialisation is ``generator.json_output``'s, and it keeps no
state between calls (no cache another target could read).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from generator.json_output import dumps
from generator.kinds import Kind
from generator.model import Edition, Field, Payload, Spec, Versions
from generator.phrases import plain
from generator.validate.ecma import portable_pattern

DRAFT = "https://json-schema.org/draft/2020-12/schema"

#: Annotation key used on schemas and properties for the spec's metadata.
ANNOTATION = "x-telemetry"


def schema_path(payload: Payload) -> str:
    """Where a payload's schema lives in the output: ``schemas/<wire name>.schema.json``."""
    return f"schemas/{payload.wire_name}.schema.json"


def schema_id(spec: Spec, payload: Payload) -> str:
    """The stable ``$id``: the product's schema base URI, the wire name and the
    payload's schema version.

    An http(s) base names a file a server can publish
    (``<base><wire name>/<version>.schema.json``); a URN base (the default) names the
    payload and version (``<base><wire name>:<version>``).
    """
    base = spec.product.schema_base_uri
    if base.startswith(("http://", "https://")):
        return f"{base}{payload.wire_name}/{payload.version}.schema.json"
    return f"{base}{payload.wire_name}:{payload.version}"


def kind_fragment(kind: Kind) -> dict[str, Any]:
    """A kind's JSON Schema fragment as the schemas print it: plain dicts and lists,
    patterns made portable."""
    return _portable(kind.json_schema)


def _portable(fragment: Any) -> Any:
    if isinstance(fragment, Mapping):
        out = {}
        for key, value in fragment.items():
            if key == "pattern" and isinstance(value, str):
                out[key] = portable_pattern(value)
            else:
                out[key] = _portable(value)
        return out
    if isinstance(fragment, (list, tuple)):
        return [_portable(v) for v in fragment]
    return fragment


def _edition(edition: Edition | None) -> dict[str, str] | None:
    return {"id": edition.id, "title": edition.title} if edition else None


def _versions(versions: Versions) -> dict[str, str]:
    return versions.as_dict()


def field_description(field: Field) -> str:
    """The property's description: the spec's words, else the kind and documented name,
    so every property is described (schema tooling shows it as help text)."""
    title = field.kind.title
    return field.description or f"{field.qualified_name} ({title[:1].lower()}{title[1:]})."


def value_schema(field: Field) -> dict[str, Any]:
    """What a property's value must be: the kind's fragment and the field's ``enum``
    (``property_schema`` without its documentation; the producer targets' rules)."""
    prop = kind_fragment(field.kind)
    if field.values:
        prop["enum"] = list(field.values)
    return prop


def property_schema(field: Field) -> dict[str, Any]:
    """One property: the kind's fragment, the field's ``enum``, description, metadata."""
    prop = value_schema(field)
    prop["description"] = field_description(field)
    prop[ANNOTATION] = {
        "kind": field.kind.id,
        "name": field.qualified_name,
        "edition": _edition(field.edition),
        "versions": _versions(field.versions),
        "required": field.required,
        "uses_input_data": field.uses_input_data,
        # one of generator.privacy.PD_LEVELS: "unreviewed" until someone judged it
        "personal_data": field.personal_data,
        "governance": field.governance.as_dict(),
    }
    if field.personal_data_note:
        prop[ANNOTATION]["personal_data_note"] = field.personal_data_note
    if field.collected_because:
        prop[ANNOTATION]["collected_because"] = field.collected_because
    if field.reduction:
        prop[ANNOTATION]["reduction"] = list(field.reduction)
    return prop


def always_present(payload: Payload, field: Field) -> bool:
    """Whether the version-independent schema lists the field in ``required``.

    The one meaning of version limits, everywhere: a payload limited to some versions is
    sent only by those versions, and a field limited to some versions is sent only by
    those; ``required: true`` in the spec means "present in every payload sent by a
    version the field exists in".  A schema that knows no product version can therefore
    require a field only if it exists in every version its payload does; a field whose
    range is narrower than its payload's is optional here (its ``x-telemetry`` keeps
    ``required`` and ``versions``, so a version-aware check can still demand it).
    """
    return field.required and field.versions == payload.versions


def payload_description(spec: Spec, payload: Payload) -> str:
    """The spec's description of the payload, else one sentence naming its section."""
    if payload.description:
        return payload.description
    section = spec.section(payload.section_id)
    key = "schema_event" if payload.type == "event" else "schema_record"
    return plain(spec.phrase(key), wire=payload.wire_name, section=section.title, schedule=section.schedule.text)


def payload_annotation(spec: Spec, payload: Payload) -> dict[str, Any]:
    """The payload's ``x-telemetry`` block: why, when and under which switch it is sent."""
    feature = spec.feature(payload.feature_id)
    section = spec.section(payload.section_id)
    category = None
    if payload.category_id is not None:
        category = next(c for c in section.categories if c.id == payload.category_id)
    opt_out = None
    if feature.opt_out is not None:
        opt_out = feature.opt_out.as_dict()
    schedule = payload.schedule
    return {
        "payload_type": payload.type,
        "group": payload.group or None,
        "feature": {"id": feature.id, "title": feature.title},
        "section": {"id": section.id, "title": section.title},
        "category": {"id": category.id, "title": category.title} if category else None,
        "schedule": {
            "trigger": schedule.trigger,
            "interval": schedule.interval,
            "seconds": schedule.seconds,
            "text": schedule.text,
        },
        "sender": feature.sender,
        "destination": feature.destination,
        "opt_out": opt_out,
        "opt_outs": [o.as_dict() for o in feature.opt_outs],
        "edition": _edition(payload.edition),
        "versions": _versions(payload.versions),
    }


def payload_schema(spec: Spec, payload: Payload) -> dict[str, Any]:
    """The JSON Schema of one payload, as a dict in output key order."""
    return {
        "$schema": DRAFT,
        "$id": schema_id(spec, payload),
        "title": payload.title,
        "description": payload_description(spec, payload),
        "type": "object",
        "properties": {f.wire_key: property_schema(f) for f in payload.fields},
        "required": [f.wire_key for f in payload.fields if always_present(payload, f)],
        "additionalProperties": False,
        ANNOTATION: payload_annotation(spec, payload),
    }


def schemas_of(spec: Spec) -> dict[str, dict[str, Any]]:
    """Every payload's schema by wire name, in spec order (computed on each call: this
    module keeps no cache another target could read)."""
    return {p.wire_name: payload_schema(spec, p) for p in spec.payloads}


def unit(spec: Spec, payload: Payload) -> dict[str, bytes]:
    """The ``units`` hook: one payload's schema file."""
    return {schema_path(payload): dumps(payload_schema(spec, payload))}


def shared(spec: Spec) -> dict[str, bytes]:
    """The ``units`` hook: no file is shared by several payloads."""
    return {}


def render(spec: Spec) -> dict[str, bytes]:
    """Every payload's schema, keyed by ``schema_path``."""
    from generator.targets import render_units

    return render_units(sys.modules[__name__], spec)[0]
