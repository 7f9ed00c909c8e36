"""Target: ``catalog.json``, the whole resolved spec as one machine-readable document.

Other tools (a data-warehouse loader, a review bot, a dashboard) read this instead of
re-implementing the spec's inheritance rules: every payload and field carries its
resolved schedule, opt-out setting, edition and version limits and governance
(owners, approval links, expiry), and refers to features,
sections and categories by id.  Its shape is fixed by ``generator/schemas/
catalog.schema.json`` (shipped in the package and checked in the tests); ``catalog_format``
changes when that shape changes incompatibly.

Where something is written in the spec is given as the spec file's name relative to the
spec folder, without line numbers: a comment added to a spec file must not change the
catalogue, and no absolute path may leak into a committed output.

Must not: include line numbers, absolute paths or anything not in the model.
"""

from __future__ import annotations

from typing import Any

from generator.json_output import dumps
from generator.kinds import KINDS
from generator.model import (
    Category,
    Edition,
    Feature,
    Field,
    Location,
    OptOut,
    Payload,
    Schedule,
    Section,
    Setting,
    Spec,
    Versions,
)
from generator.targets.json_schema import kind_fragment, schema_id, schema_path

PATH = "catalog.json"
CATALOG_FORMAT = 2  # 2: features carry opt_outs (every way), fields may be "unreviewed" (this round)
SCHEMA_RESOURCE = "schemas/catalog.schema.json"


def _source(loc: Location) -> str:
    return loc.file


def _edition(e: Edition | None) -> str | None:
    return e.id if e else None


def _versions(v: Versions) -> dict[str, str]:
    return v.as_dict()


def _schedule(s: Schedule) -> dict[str, Any]:
    return {"id": s.id, "trigger": s.trigger, "interval": s.interval, "seconds": s.seconds, "text": s.text}


def _setting(s: Setting) -> dict[str, Any]:
    return {
        "id": s.id,
        "kind": s.kind,
        "console_path": list(s.console_path),
        "command": s.command,
        "flag": s.flag,
        "key": s.key,
        "file": s.file,
        "default": s.default,
        "description": s.description,
        "source": _source(s.location),
    }


def _opt_out(o: OptOut) -> dict[str, Any]:
    return {**o.as_dict(), "cost": o.cost}


def _feature(f: Feature) -> dict[str, Any]:
    ways = [_opt_out(o) for o in f.opt_outs]
    return {
        "id": f.id,
        "title": f.title,
        "description": f.description,
        "purposes": list(f.purposes),
        "sender": f.sender,
        "destination": f.destination,
        "opt_out": ways[0] if ways else None,
        "opt_outs": ways,
        "governance": f.governance.as_dict(),
        "source": _source(f.location),
    }


def _category(c: Category) -> dict[str, Any]:
    return {
        "id": c.id,
        "title": c.title,
        "description": c.description,
        "edition": _edition(c.edition),
        "versions": _versions(c.versions),
        "source": _source(c.location),
    }


def _section(s: Section) -> dict[str, Any]:
    return {
        "id": s.id,
        "title": s.title,
        "feature": s.feature_id,
        "schedule": _schedule(s.schedule),
        "edition": _edition(s.edition),
        "description": s.description,
        "field_groups": [{"title": g.title, "kinds": list(g.kinds), "note": g.note} for g in s.field_groups],
        "categories": [_category(c) for c in s.categories],
        "governance": s.governance.as_dict(),
        "source": _source(s.location),
    }


def _field(f: Field, shared: dict | None = None) -> dict[str, Any]:
    """A field's entry.  ``shared``: when given, a field's versions and governance dicts
    are made once per value (keyed by the frozen value itself, never by identity) and
    shared between entries (most fields share both), which
    takes about 40% off rendering the catalogue of 20,000 fields; only ``render``, which
    serializes the document at once, passes one (other readers may change theirs)."""
    if shared is None:
        versions, governance = _versions(f.versions), f.governance.as_dict()
    else:
        versions = shared.get(("v", f.versions))
        if versions is None:
            versions = shared[("v", f.versions)] = _versions(f.versions)
        governance = shared.get(("g", f.governance))
        if governance is None:
            governance = shared[("g", f.governance)] = f.governance.as_dict()
    return {
        "name": f.name,
        "qualified_name": f.qualified_name,
        "wire_key": f.wire_key,
        "kind": f.kind.id,
        "description": f.description,
        "values": list(f.values),
        "required": f.required,
        "uses_input_data": f.uses_input_data,
        "personal_data": f.personal_data,
        "personal_data_note": f.personal_data_note,
        "collected_because": f.collected_because,
        "reduction": list(f.reduction),
        "notes": list(f.notes),
        "edition": _edition(f.edition),
        "versions": versions,
        "governance": governance,
        "source": _source(f.location),
    }


def _payload(spec: Spec, p: Payload, shared: dict | None = None) -> dict[str, Any]:
    return {
        "wire_name": p.wire_name,
        "type": p.type,
        "title": p.title,
        "group": p.group,
        "description": p.description,
        "model_name": p.model_name,
        "schema": schema_path(p),
        "schema_id": schema_id(spec, p),
        "version": p.version,
        "feature": p.feature_id,
        "section": p.section_id,
        "category": p.category_id,
        "schedule": p.schedule.id,
        "opt_out_setting": p.opt_out_setting,
        "edition": _edition(p.edition),
        "versions": _versions(p.versions),
        "fields": [_field(f, shared) for f in p.fields],
        "governance": p.governance.as_dict(),
        "source": _source(p.location),
    }


def catalog(spec: Spec, shared: dict | None = None) -> dict[str, Any]:
    """The catalogue document (a dict in output key order)."""
    pr = spec.product
    used = {f.kind.id for f in spec.fields}
    return {
        "catalog_format": CATALOG_FORMAT,
        "spec_format": spec.format_version,
        "product": {
            "id": pr.id,
            "name": pr.name,
            "summary": pr.summary,
            "privacy_policy": {"title": pr.privacy_policy_title, "url": pr.privacy_policy_url},
            "purposes_intro": pr.purposes_intro,
            "purposes": list(pr.purposes),
            "guarantees": list(pr.guarantees),
            "schema_base_uri": pr.schema_base_uri,
            "governance": pr.governance.as_dict(),
            "source": _source(pr.location),
        },
        "kinds": [
            {
                "id": k.id,
                "title": k.title,
                "label": k.label,
                "json_schema": kind_fragment(k),
                "used": k.id in used,
            }
            for k in KINDS.values()
        ],
        "editions": [{"id": e.id, "title": e.title} for e in spec.editions],
        "settings": [_setting(s) for s in spec.settings],
        "features": [_feature(f) for f in spec.features],
        "sections": [_section(s) for s in spec.sections],
        "payloads": [_payload(spec, p, shared) for p in spec.payloads],
    }


def catalog_schema() -> dict[str, Any]:
    """The catalogue's own JSON Schema (``generator/schemas/catalog.schema.json``)."""
    import importlib.resources
    import json

    text = importlib.resources.files("generator").joinpath(SCHEMA_RESOURCE).read_text("utf-8")
    return json.loads(text)


def render(spec: Spec) -> dict[str, bytes]:
    """``catalog.json``."""
    return {PATH: dumps(catalog(spec, shared={}))}
