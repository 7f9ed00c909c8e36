"""telemetry-spec-generator: describe a product's telemetry once, in YAML, and generate
JSON Schemas, pydantic models, privacy docs, a conformance suite and a catalogue from it.

The command line is ``gen`` (``generator.cli``).  The public Python API is
``generator.api``, re-exported here:

* ``check_spec(folder)`` -> ``(Spec | None, [Finding])``: load, validate, resolve, lint;
* ``load_spec(folder)`` -> ``Spec``, raising ``SpecError`` (with the findings) on errors;
* ``build_files(spec)`` -> ``{path: bytes}``: every output file, in memory (not
  ``build``: that name is the ``generator.build`` module);
* ``build_into(spec, folder)`` / ``check_output(spec, folder)``: write like ``gen build``,
  compare like ``gen check``;
* ``validate_payloads(spec, documents)`` -> ``[DocumentResult]``: ``gen validate``'s checks.

Everything else in the package is internal and may change.  The names are resolved on
first use, so ``import generator`` stays cheap (``gen`` imports it before anything else).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "DocumentResult",
    "SpecError",
    "build_files",
    "build_into",
    "check_output",
    "check_spec",
    "load_spec",
    "validate_payloads",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from generator import api

        return getattr(api, name)
    raise AttributeError(f"module 'generator' has no attribute {name!r}")
