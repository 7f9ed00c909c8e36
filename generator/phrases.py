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


#: The phrase that words each off rule of ``generator.privacy.OFF_RULES``.
OFF_RULE_PHRASES: Mapping[str, str] = {"any_non_empty": "any_non_empty", "set": "off_rule_set"}


def value_text(value: Any) -> str:
    """A setting's or field's value as a reader sees it (JSON spelling: true, false,
    null, 3, "x")."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def off_values_words(off_values: Any, say: Callable[..., Any], code: Callable[[str], Any]) -> Any:
    """The values that switch an opt-out off, in words: each listed value as code,
    joined by ``values_or``; or the wording of an off rule (``OFF_RULE_PHRASES``).  ``say(key, **values)`` fills a phrase in the output
    format (values already formatted), ``code`` formats a value as inline code."""
    if isinstance(off_values, str):
        return say(OFF_RULE_PHRASES[off_values])
    return say("values_or").join(code(value_text(v)) for v in off_values or ())


def opt_out_sentence(way: Mapping[str, Any], say: Callable[..., Any], code: Callable[[str], Any], strong: Callable[[str], Any]) -> Any:
    """How to opt out one way, in the words of its kind ("To opt out, set the
    environment variable X to ..."): the one sentence the docs (every format), the
    changelog of ``gen diff`` and ``gen review`` print.  ``way`` is an opt-out as data
    (``OptOut.as_dict``, the catalogue's form); ``say``, ``code`` and ``strong`` fill a
    phrase, format inline code and strong emphasis in the output format."""
    kind = way.get("kind")
    if kind == "not_possible" or not way.get("setting"):
        return say("opt_out_not_possible", reason=way.get("not_possible") or "")
    path = " > ".join(way.get("console_path") or ())
    off = way.get("off_values")
    if kind == "console_setting":
        if isinstance(off, list) and len(off) == 1 and off[0] is False:
            return say("opt_out_console_disable", path=strong(path))
        return say("opt_out_console_set", path=strong(path), values=off_values_words(off, say, code))
    if kind == "environment_variable":
        return say("opt_out_environment_variable", setting=code(way["setting"]), values=off_values_words(off, say, code))
    if kind == "command":
        return say("opt_out_command", command=code(way.get("command") or ""))
    if kind == "config_key":
        key = code(way.get("key") or "")
        if way.get("file"):
            return say("opt_out_config_key_file", key=key, file=code(way["file"]), values=off_values_words(off, say, code))
        return say("opt_out_config_key", key=key, values=off_values_words(off, say, code))
    return say("opt_out_cli_flag", flag=code(way.get("flag") or ""))
