"""Name derivation: the wire-naming conventions a spec declares, applied in one place.

The resolver derives every wire name and key here (unless the spec overrides it), and
the model derives class names here, so no target has its own idea of a name.

Must not: know any particular product's names; a product's irregular names are
overrides in its spec, not cases here.
"""

from __future__ import annotations

import re
from functools import lru_cache

# A word boundary: lower/digit -> upper (`siteURL` -> site|URL), or the last capital of an
# acronym that starts a new word (`APITeam` -> API|Team).
_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


@lru_cache(maxsize=65536)
def snake_case(name: str) -> str:
    """``SiteURL`` -> ``site_url``, ``EnableAPITeamDeletion`` -> ``enable_api_team_deletion``.

    Acronyms stay whole (``TLSCertFile`` -> ``tls_cert_file``), a digit ends a word
    (``AmazonS3SSL`` -> ``amazon_s3_ssl``), and dots
    (``GlobalRelaySettings.CustomerType``) become underscores.  Pure and cached: a spec
    derives thousands of keys.
    """
    out = "_".join(_BOUNDARY.sub("_", part) for part in name.split(".")).lower()
    if "__" in out:
        out = re.sub(r"_+", "_", out)
    return out.strip("_")


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
