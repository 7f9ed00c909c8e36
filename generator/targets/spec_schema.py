"""Target: the spec format's own JSON Schema, copied into the output for editors.

A YAML language server pointed at ``generated/spec.schema.json`` completes and checks
spec files (``# yaml-language-server: $schema=../generated/spec.schema.json``).
"""

from __future__ import annotations

from generator.model import Spec
from generator.schemas.build_spec_schema import render as _render


def render(spec: Spec) -> dict[str, bytes]:
    return {"spec.schema.json": _render().encode("utf-8")}
