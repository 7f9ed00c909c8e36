"""The ECMA-262 regex dialect of JSON Schema's ``pattern``: the one place that knows it.

JSON Schema patterns are ECMA-262 regular expressions; Python's ``re`` reads most of
them alike but not all.  Every part of the project that writes or runs a pattern goes
through here: the schema target writes ``portable_pattern``; the payload engine's fast
checks, its reference validator and the spec-format validator run ``compile`` (and
``pattern_keyword`` for jsonschema).  The differences handled:

* ``$`` (outside a class) is the end of the input in ECMA-262, while Python's also
  matches before a final newline: it becomes ``\\Z``;
* ``\\d``, ``\\w``, ``\\b`` are ASCII in ECMA-262 and Unicode in Python: patterns run with
  the ASCII flag, and ``\\s``/``\\S`` (Unicode in both) are spelled out so the flag does
  not narrow them;
* ``.`` matches neither ``\\r`` nor U+2028/U+2029 in ECMA-262: it is spelled out;
* named groups ``(?<name>...)`` and ``\\k<name>`` become Python's ``(?P<name>...)`` and
  ``(?P=name)``; ``[]`` (nothing) and ``[^]`` (any character) are spelled out.

Not translated (an ECMA pattern using them may still read differently): ``\\S`` inside a
character class, ``\\cX``, ``\\u{...}``, and flags.  Patterns run on Python's
backtracking engine, so callers that check ``maxLength`` must do so first and skip the
pattern of a value that is too long (``pattern_keyword`` does): a telemetry value is
short, a hostile one is not.  This module imports nothing outside the standard library.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_ECMA_SPACE = "\\t\\n\\x0b\\x0c\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"


def portable_pattern(pattern: str) -> str:
    """A pattern as a schema file should carry it: one that every engine reads alike.

    A final ``$`` becomes ``$(?!\\n)``, which means the same in ECMA-262 and also forbids
    the trailing newline Python's ``$`` would allow, so pydantic's ``python-re`` engine,
    ``jsonschema`` and ECMA engines agree.  Idempotent.
    """
    if pattern.endswith("$") and not _escaped(pattern, len(pattern) - 1):
        return pattern + "(?!\\n)"
    return pattern


def _escaped(text: str, index: int) -> bool:
    slashes = 0
    while index - slashes - 1 >= 0 and text[index - slashes - 1] == "\\":
        slashes += 1
    return slashes % 2 == 1


def python_pattern(pattern: str) -> str:
    """The Python ``re`` source of an ECMA-262 pattern (see the module docstring)."""
    out = ["(?a)"]
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt == "s":
                out.append(_ECMA_SPACE if in_class else f"[{_ECMA_SPACE}]")
            elif nxt == "S" and not in_class:
                out.append(f"[^{_ECMA_SPACE}]")
            elif nxt == "k" and not in_class and pattern.startswith("<", i + 2) and ">" in pattern[i + 3:]:
                end = pattern.index(">", i + 3)
                out.append(f"(?P={pattern[i + 3:end]})")
                i = end + 1
                continue
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
            out.append(c)
        elif c == "[":
            if pattern.startswith("]", i + 1):  # ECMA's empty class: matches nothing
                out.append("(?!)")
                i += 2
                continue
            if pattern.startswith("^]", i + 1):  # ECMA's [^]: any character
                out.append("[\\s\\S]")
                i += 3
                continue
            in_class = True
            out.append(c)
            if pattern.startswith("^", i + 1):
                out.append("^")
                i += 1
        elif c == "$":
            out.append("\\Z")
        elif c == ".":
            out.append("[^\\n\\r\\u2028\\u2029]")
        elif c == "(" and pattern.startswith("?<", i + 1) and not pattern.startswith(("?<=", "?<!"), i + 1):
            out.append("(?P<")
            i += 3
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


@lru_cache(maxsize=512)
def compile(pattern: str) -> re.Pattern[str]:
    """An ECMA-262 pattern compiled for Python's ``re`` (raises ``re.error``)."""
    return re.compile(python_pattern(pattern))


def pattern_keyword(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
    """jsonschema's ``pattern`` keyword with ECMA-262 semantics, for
    ``jsonschema.validators.extend``.  A string already longer than the schema's
    ``maxLength`` is not matched: ``maxLength`` reports it, and matching a huge hostile
    value on a backtracking engine could take hours."""
    import jsonschema  # type: ignore[import-untyped, unused-ignore]

    if not validator.is_type(instance, "string"):
        return
    limit = schema.get("maxLength") if isinstance(schema, dict) else None
    if type(limit) is int and len(instance) > limit:
        return
    try:
        found = compile(pattern).search(instance)
    except re.error as exc:
        yield jsonschema.ValidationError(f"{pattern!r} is not a usable pattern: {exc}")
        return
    if found is None:
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")
