"""Name derivation: the wire-naming conventions a spec declares, applied in one place."""

from __future__ import annotations

import re

_ACRONYM_WORD = re.compile(r"([A-Z]+)([A-Z][a-z])")
_LOWER_UPPER = re.compile(r"([a-z0-9])([A-Z])")


def snake_case(name: str) -> str:
    """``SiteURL`` -> ``site_url``, ``EnableAPITeamDeletion`` -> ``enable_api_team_deletion``.

    Acronyms stay whole; dots (``GlobalRelaySettings.CustomerType``) become underscores.
    """
    parts = []
    for part in name.split("."):
        part = _ACRONYM_WORD.sub(r"\1_\2", part)
        part = _LOWER_UPPER.sub(r"\1_\2", part)
        parts.append(part.lower())
    return re.sub(r"_+", "_", "_".join(parts)).strip("_")


def payload_wire_name(group: str, prefix: str, strip_suffix: str) -> str:
    """``ServiceSettings`` with prefix ``config_`` and suffix ``Settings`` -> ``config_service``."""
    base = group
    if strip_suffix and base.endswith(strip_suffix) and base != strip_suffix:
        base = base[: -len(strip_suffix)]
    return prefix + snake_case(base)


def field_wire_key(name: str, is_default: bool, is_default_prefix: str) -> str:
    """A value's key is its name in snake_case; an is-default boolean's gets the prefix."""
    key = snake_case(name)
    return is_default_prefix + key if is_default else key


def pascal_case(wire_name: str) -> str:
    """``config_service`` -> ``ConfigService`` (pydantic class names)."""
    return "".join(p[:1].upper() + p[1:] for p in wire_name.split("_") if p)
