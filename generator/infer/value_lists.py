"""Which observed values ``gen infer`` may copy into the spec (as a ``values:`` list, or
quoted in a ``review:`` marker or a report line), and which it must never copy.

A spec is committed, published and turned into docs and schemas (an ``enum`` lists
every value), so a captured value copied into it is disclosed.  A value is copied only
when it is evidently one of a product's fixed set, not a person's data:

* every value of the key was seen in at least ``min_documents`` documents (default 3)
  coming from at least ``min_sources`` inputs (default 2: files, or standard input),
  so no one-off value (a user's name typed once) is listed;
* the key's name does not look personal (``PERSONAL_KEY_WORDS``: a user, e-mail, path,
  folder, host, address, ...; a person's name such as ``first_name``);
* no value looks personal (``looks_personal``: an e-mail address, a file path, a host
  name, an IP address).

The thresholds are a ``ValuePolicy`` (``gen infer --min-value-documents N
--min-value-sources N``).  Otherwise the field is proposed as free text (without
values) and its values are only counted, never quoted.

Must not: know the spec or propose edits (``propose`` does).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from generator.infer.stats import KeyStats


@dataclass(frozen=True)
class ValuePolicy:
    """How often each value must have been seen before ``gen infer`` lists it."""

    min_documents: int = 3
    min_sources: int = 2


DEFAULT_POLICY = ValuePolicy()

#: Words of a key (split at ``_`` and case changes) that make its values personal-looking.
PERSONAL_KEY_WORDS = frozenset({
    "user", "users", "username", "login", "author", "owner", "person", "email", "mail", "firstname", "lastname",
    "fullname", "nickname", "displayname", "path", "paths", "dir", "directory", "folder", "home", "cwd",
    "filename", "host", "hostname", "ip", "addr", "address", "phone", "account", "machine", "computer", "url", "uri",
})
#: Words that make ``name`` a person's name (``first_name``, ``display_name``), where a
#: ``driver_name`` or ``plugin_name`` is a product's.
PERSON_NAME_WORDS = frozenset({"first", "last", "full", "given", "family", "display", "real", "nick", "contact", "customer", "member"})
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_PATH = re.compile(r"(~|/|\\\\|[A-Za-z]:[\\/]).*|.*[\\/](Users|home|Documents|AppData)[\\/].*")
_HOST = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\.?")
_IPV4 = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}")
_IPV6 = re.compile(r"[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*")


def key_looks_personal(key: str) -> bool:
    """Whether a key's name says its values are about a person or their machine."""
    words = {w.lower() for w in _WORDS.findall(key)}
    return bool(words & PERSONAL_KEY_WORDS) or ("name" in words and bool(words & PERSON_NAME_WORDS))


def looks_personal(value: Any) -> bool:
    """Whether a value reads like an e-mail address, a file path, a host name or an IP
    address (what identifies a person or their machine)."""
    if not isinstance(value, str):
        return False
    return any(p.fullmatch(value) for p in (_EMAIL, _PATH, _HOST, _IPV4, _IPV6))


def listable(key: str, ks: KeyStats, values: Iterable[Any], policy: ValuePolicy) -> str:
    """Why ``values`` of ``key`` may not be copied into the spec ("" when they may)."""
    if key_looks_personal(key):
        return "the key's name looks personal"
    vals = list(values)
    if any(looks_personal(v) for v in vals):
        return "some values look personal (e-mail, path, host or address)"
    for v in vals:
        docs, sources = ks.seen(v)
        if docs < policy.min_documents or sources < policy.min_sources:
            return (f"some values were seen in fewer than {policy.min_documents} documents "
                    f"or from fewer than {policy.min_sources} inputs")
    return ""
