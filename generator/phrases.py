"""The fixed wording of the docs, schemas and models, as data.

Every sentence the generator prints that is not a spec fact comes from a phrase: the
defaults ship in ``generator/data/phrases.json`` (neutral English), and a spec's
top-level ``phrases:`` mapping overrides any of them (a translation of the docs is one
spec file of phrases).  A phrase may hold ``{name}`` placeholders that the caller fills.

Must not: know any product, or escape for a markup format (``fill`` takes the format's
escaper: phrase text is spec data too).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def _load() -> dict[str, str]:
    text = resources.files("generator").joinpath("data/phrases.json").read_text("utf-8")
    return json.loads(text)


DEFAULTS: Mapping[str, str] = _load()
# The spec format's description of each phrase key: its default text.
PHRASE_HELP: dict[str, str] = {k: f"Default: {v!r}." for k, v in DEFAULTS.items()}


def placeholders(text: str) -> set[str]:
    """The ``{name}`` placeholders of a phrase."""
    return set(_PLACEHOLDER.findall(text))


def merged(overrides: Mapping[str, str]) -> dict[str, str]:
    """The defaults with a spec's overrides applied."""
    return {**DEFAULTS, **overrides}


def fill(text: str, escape: Callable[[str], Any], **values: Any) -> str:
    """The phrase with each ``{name}`` replaced by ``values[name]``; the phrase's own
    text goes through ``escape`` (markup the caller built is passed in already escaped,
    as ``values``).  Unknown placeholders are kept as written."""
    out, at = [], 0
    for m in _PLACEHOLDER.finditer(text):
        out.append(str(escape(text[at : m.start()])))
        name = m.group(1)
        out.append(str(values[name]) if name in values else str(escape(m.group(0))))
        at = m.end()
    out.append(str(escape(text[at:])))
    return "".join(out)


def plain(text: str, **values: Any) -> str:
    """The phrase filled with plain text (for schemas, models and the resolver)."""
    return fill(text, lambda s: s, **values)
