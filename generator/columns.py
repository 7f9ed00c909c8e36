"""The warehouse column a wire key becomes: one rule, for the warehouse targets and lint.

Format 2 lets a wire key be any JSON object key (what the product really sends:
``os.name``, ``Colour Scheme``, ``_id``), but a warehouse column cannot be: Avro names are
``[A-Za-z_][A-Za-z0-9_]*``, BigQuery's are the same (at most 300 characters, compared
without case, some ``_`` prefixes reserved), Spark refuses spaces and ``,;{}()=`` in a
Parquet column, and every table begins with the envelope's ``_payload``, ``_received_at``,
``_source_file``, ``_source_line`` and ``_source_item``.

``column_name(key)`` is the key itself when all of them accept it as it is (ASCII
letters, digits and underscores, not starting with a digit, not an envelope name or a
reserved prefix).  Otherwise each character they refuse is written ``_x<hex code>_`` and
each underscore ``__`` (``os.name`` -> ``os_x2e_name``, ``Colour Scheme`` ->
``Colour_x20_Scheme``, ``build_info.os`` -> ``build__info_x2e_os``, ``1st`` ->
``_x31_st``, ``_payload`` -> ``_x5f_payload``): readable, reversible (so two such keys
never share a column), and a function of the key alone, so adding or removing another
field never renames a column.  A name over BigQuery's 300 characters keeps its first
287 and a digest of the key.

Two keys of one payload whose columns are equal without case (``Foo`` and ``foo``;
BigQuery and Spark SQL compare names without case) cannot share a table: the
``warehouse-column-clash`` lint rule reports it (``clashes``).  Standard library only.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable

#: The envelope columns every table begins with (``generator.targets.warehouse``).
ENVELOPE_NAMES = ("_payload", "_received_at", "_source_file", "_source_line", "_source_item")
#: Column-name prefixes BigQuery reserves (compared without case).
RESERVED_PREFIXES = ("_TABLE_", "_FILE_", "_PARTITION", "_ROW_TIMESTAMP", "__ROOT__", "_COLIDENTIFIER",
                     "_CHANGE_SEQUENCE_NUMBER", "_CHANGE_TYPE", "_CHANGE_TIMESTAMP")
MAX_NAME = 300  # BigQuery's limit

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_KEEP = re.compile(r"[A-Za-z0-9_]")


_ENVELOPE_UPPER = frozenset(n.upper() for n in ENVELOPE_NAMES)


def _reserved(name: str) -> bool:
    upper = name.upper()
    return upper in _ENVELOPE_UPPER or upper.startswith(RESERVED_PREFIXES)


def _escape(ch: str) -> str:
    return f"_x{ord(ch):x}_"


@functools.lru_cache(maxsize=1 << 16)  # (lint asks for every key of every payload; keys repeat)
def column_name(key: str) -> str:
    """The warehouse column of the wire key ``key`` (see the module docstring)."""
    if _PLAIN.match(key) and not _reserved(key) and len(key) <= MAX_NAME:
        return key
    parts = ["__" if ch == "_" else ch if _KEEP.match(ch) else _escape(ch) for ch in key]
    if parts and (key[0].isdigit() or _reserved(key) or _reserved("".join(parts))):
        parts[0] = _escape(key[0])
    name = "".join(parts) or "_x_"
    if len(name) > MAX_NAME:
        name = name[: MAX_NAME - 13] + "_" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
    return name


def clashes(keys: Iterable[str]) -> list[tuple[str, str, str]]:
    """Each key whose column equals (without case) an envelope column's or an earlier
    key's: ``(key, the other key or envelope column, the column)``, in order."""
    seen = {name.lower(): name for name in ENVELOPE_NAMES}
    out = []
    for key in keys:
        name = column_name(key)
        other = seen.get(name.lower())
        if other is not None:
            out.append((key, other, name))
        else:
            seen[name.lower()] = key
    return out
