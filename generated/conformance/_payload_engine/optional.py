"""The optional speed-up libraries of the payload engine, imported once, here only.

``orjson`` (parsing), ``jsonschema_rs`` (compiled ``is_valid``) and ``msgspec`` (parse
and check a whole line in one call) are each only ever a shortcut to "this document
conforms"; each name below is None when its library is absent, and every other module
reads it through this module at call time (``optional.orjson``), so setting one to None
here switches that shortcut off everywhere (the tests and the benchmark do).  This
module must import nothing else and hold no other state.
"""

from __future__ import annotations

from typing import Any

# Typed as Any: each is a module or None, and is read as ``optional.name`` at call time.
orjson: Any
jsonschema_rs: Any
msgspec: Any
try:
    import orjson as _orjson
    orjson = _orjson
except ImportError:  # pragma: no cover - exercised by the generated suite's tests
    orjson = None
try:
    import jsonschema_rs as _jsonschema_rs
    jsonschema_rs = _jsonschema_rs
except ImportError:  # pragma: no cover - exercised by the generated suite's tests
    jsonschema_rs = None
try:
    import msgspec as _msgspec
    import msgspec.json as _msgspec_json  # noqa: F401 - the submodule the line decoders use
    msgspec = _msgspec
except ImportError:  # pragma: no cover - exercised by the generated suite's tests
    msgspec = None
