"""Name derivation: the wire-naming conventions a spec declares, applied in one place.

The resolver derives every wire name and key here (unless the spec overrides it), and
the model derives class names here, so no target has its own idea of a name.

Must not: know any particular product's names; a product's irregular names are
overrides in its spec, not cases here.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources


def default_acronyms() -> tuple[str, ...]:
    """The acronyms shipped as package data (``generator/data/conventions.json``)."""
    text = resources.files("generator").joinpath("data/conventions.json").read_text("utf-8")
    return tuple(json.loads(text)["acronyms"])


_DEFAULT_ACRONYMS = default_acronyms()
# A word that is not a listed acronym: a capitalised or lowercase word, a run of capitals
# before a capitalised word ("TLS" in "TLSCert"), a run of capitals, or a number.
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?=[A-Z][a-z])|[A-Z]+|[0-9]+")
_NEEDS_SCAN = re.compile(r"[A-Z]{2}|[0-9]")
_CAPS_WORD = re.compile(r"[A-Z]{2,}(?=[A-Z][a-z]|[0-9]|$)")


@lru_cache(maxsize=64)
def _by_first(acronyms: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """The acronyms by first character, longest first (a lookup per position)."""
    out: dict[str, list[str]] = {}
    for a in sorted(set(acronyms), key=lambda a: (-len(a), a)):
        out.setdefault(a[0], []).append(a)
    return {k: tuple(v) for k, v in out.items()}


def _ends_word(part: str, j: int, table: dict[str, tuple[str, ...]]) -> bool:
    """Whether a word may end before ``part[j]``: at the end, before a digit, a
    capitalised word, a lone final capital, an unlisted acronym or a listed one."""
    if j >= len(part) or part[j].isdigit():
        return True
    if part[j].isupper() and (j + 1 == len(part) or part[j + 1].islower()):
        return True
    if _CAPS_WORD.match(part, j):  # an unlisted acronym follows ("S3" + "SSE")
        return True
    return _acronym_at(part, j, table) is not None


def _acronym_at(part: str, i: int, table: dict[str, tuple[str, ...]]) -> str | None:
    for a in table.get(part[i], ()):  # longest first
        if part.startswith(a, i) and _ends_word(part, i + len(a), table):
            return a
    return None


@lru_cache(maxsize=65536)
def words(name: str, acronyms: tuple[str, ...] = _DEFAULT_ACRONYMS, numbers: str = "separate") -> tuple[str, ...]:
    """The words of a documented name: listed acronyms stay whole (``IPv6Enabled`` ->
    IPv6, Enabled; ``JSONAPIVersion`` -> JSON, API, Version), other runs of capitals end
    before a capitalised word (``TLSCertFile``), and a number is a word of its own
    (``Forward80To443`` -> Forward, 80, To, 443) unless it follows a single capital
    (``SignV2``).  With ``numbers="attached"`` a number always joins the word before it
    (``Forward80To443`` -> Forward80, To443).  Dots and underscores separate."""
    if not _NEEDS_SCAN.search(name):  # no run of capitals, no digit: no acronym can apply
        return tuple(w for part in re.split(r"[._]+", name) for w in _WORD.findall(part))
    table = _by_first(acronyms)
    out: list[str] = []
    for part in re.split(r"[._]+", name):
        i = 0
        while i < len(part):
            a = _acronym_at(part, i, table)
            if a is not None:
                out.append(a)
                i += len(a)
                continue
            m = _WORD.match(part, i)
            if m is None:  # a character no word holds: skip it (not a safe name anyway)
                i += 1
                continue
            word, at = m.group(0), i
            i = m.end()
            after = out[-1] if at > 0 else ""  # the word before, in this part
            if word.isdigit() and after and (numbers == "attached" or (len(after) == 1 and after.isupper())):
                out[-1] += word
            else:
                out.append(word)
    return tuple(out)


def snake_case(name: str, acronyms: tuple[str, ...] = _DEFAULT_ACRONYMS, numbers: str = "separate") -> str:
    """``SiteURL`` -> ``site_url``, ``IPv6Enabled`` -> ``ipv6_enabled``,
    ``OAuth2Token`` -> ``oauth2_token``, ``Forward80To443`` -> ``forward_80_to_443``,
    ``GlobalRelaySettings.CustomerType`` -> ``global_relay_settings_customer_type``
    (see ``words``).  Pure and cached: a spec derives thousands of keys."""
    return "_".join(words(name, acronyms, numbers)).lower()


def payload_wire_name(group: str, prefix: str, strip_suffix: str, acronyms: tuple[str, ...] = _DEFAULT_ACRONYMS, numbers: str = "separate") -> str:
    """``ServiceSettings`` with prefix ``config_`` and suffix ``Settings`` -> ``config_service``."""
    base = group
    if strip_suffix and base.endswith(strip_suffix) and base != strip_suffix:
        base = base[: -len(strip_suffix)]
    return prefix + snake_case(base, acronyms, numbers)


def field_wire_key(name: str, is_default: bool, is_default_prefix: str, acronyms: tuple[str, ...] = _DEFAULT_ACRONYMS, numbers: str = "separate") -> str:
    """A value's key is its name in snake_case; an is-default boolean's gets the prefix."""
    key = snake_case(name, acronyms, numbers)
    return is_default_prefix + key if is_default else key


def pascal_case(wire_name: str) -> str:
    """``config_service`` -> ``ConfigService`` (pydantic class names)."""
    return "".join(p[:1].upper() + p[1:] for p in wire_name.split("_") if p)


# Device names Windows reserves in every folder, with any extension and in any case
# (`con.schema.json` cannot be checked out there).
_WINDOWS_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{dev}{n}" for dev in ("com", "lpt") for n in range(10)]
)

# Names the generated models package defines next to the payload classes, which a
# payload's class name must not take: ``MODELS`` is the registry in ``models/__init__``
# (``m_o_d_e_l_s`` would become a class ``MODELS`` that the registry shadows).  Names of
# imported helpers (``Field``, ``BaseModel``, ...) are not here: the models target
# renames those classes safely.
GENERATED_IDENTIFIERS = frozenset({"MODELS"})


def windows_reserved(name: str) -> bool:
    """Whether a file named ``name`` (or ``name.<anything>``) cannot exist on Windows:
    ``con``, ``NUL.txt``, ``Com1.schema.json``; trailing dots and spaces are ignored
    there too."""
    stem = name.split(".", 1)[0].rstrip(" ").lower()
    return stem in _WINDOWS_RESERVED
