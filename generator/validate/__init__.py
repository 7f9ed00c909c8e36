"""The payload engine behind ``gen validate``: checks captured telemetry payloads against
their JSON Schemas, fast, and says why not.

The generated conformance suite runs the same engine: the conformance target vendors
this package, file for file, into ``generated/conformance/_payload_engine/``.  So every
module here imports only the standard library, ``jsonschema`` and its siblings (by
relative import), never ``generator``; ``orjson``, ``jsonschema_rs`` and ``msgspec``
are optional speed-ups (``optional``).  One module per job:

* ``problems``: the vocabulary (problem kinds, ``Problem``, ``Where``);
* ``inputs``: sources, discovery, batching, line blocks, parsing;
* ``identification``: which payload a document is (every path uses it);
* ``fast``: compiled "does it conform?" checks (msgspec, jsonschema_rs, Python);
* ``diagnose``: why not, key by key, by the reference validator;
* ``check``: ``Checker`` and the hot loop over a unit of work;
* ``report``: ``Tally`` and the text and JSON reports;
* ``parallel``: ``check_sources`` and ``--jobs``;
* ``schemas``: loading a schemas folder; what ``$ref`` may reach;
* ``versions``: what one product version must and must not send;
* ``ecma``: the ECMA-262 regex dialect of ``pattern``;
* ``optional``: the optional speed-up libraries.

The names below are the engine's public API (``gen validate``, ``gen infer``, the
conformance suite, tests and benchmarks use them).  Each is loaded from its module on
first use (``__getattr__``), so importing one module of the package (``spec_format``
imports ``ecma``) does not load the whole engine and its speed-up libraries.
"""

from __future__ import annotations

import importlib
from typing import Any

_PUBLIC = {
    "check": ("Checker", "check_batch"),
    "identification": ("identify", "identify_shape"),
    "inputs": ("MAX_DOCUMENT_BYTES", "MAX_JSON_FILE_BYTES", "Batch", "Source", "UsageError",
               "batches", "line_blocks", "parse", "sources"),
    "parallel": ("check_sources",),
    "problems": ("INPUT_PROBLEMS", "MAX_DEPTH", "PAYLOAD_PROBLEMS", "Problem", "Where", "json_type",
                 "too_deep"),
    "report": ("MAX_FAILURES", "MAX_TABLE", "Tally", "format_failure", "format_text", "write_report"),
    "schemas": ("load_schema_dir",),
    "versions": ("parse_version",),
}
_HOME = {name: module for module, names in _PUBLIC.items() for name in names}


def __getattr__(name: str) -> Any:
    """A public name, loaded from its module on first use."""
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME))
