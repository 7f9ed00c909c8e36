"""The privacy docs' "Changes" section, computed from the spec's version limits.

Every payload, event, event category and field with its own ``versions.min`` or
``versions.max`` says when it started or stopped being sent.  ``version_history`` turns
those limits into lines, newest version first: "Sent since v6.0: ..." and "Not sent
after v5.5: WebrtcSettings (Server Configuration Settings), ...".  A limit that is only
inherited (an event inside a limited category, a field of a limited payload) is not
repeated.  Pure: reads the model, returns data for the docs targets to print.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from generator.diff.compare import version_key
from generator.model import Spec, Versions
from generator.phrases import DEFAULTS, plain


@dataclass(frozen=True)
class HistoryEntry:
    """One line of the Changes section: the version, the heading ("Not sent after
    v5.5") and the things it names, in spec order."""

    version: str
    heading: str
    items: tuple[str, ...]


def version_history(spec: Spec, ph: Mapping[str, str] = DEFAULTS) -> tuple[HistoryEntry, ...]:
    """The Changes entries of ``spec``, newest version first; "Sent since" before "Not
    sent after" for one version.  The wording is the spec's phrases (``changes_*``)."""
    since: dict[str, list[str]] = {}
    until: dict[str, list[str]] = {}

    def note(own: Versions, parent: Versions, label: str) -> None:
        if own.min and own.min != parent.min:
            since.setdefault(own.min, []).append(label)
        if own.max and own.max != parent.max:
            until.setdefault(own.max, []).append(label)

    none = Versions()
    for section in spec.sections:
        for cat in section.categories:
            note(cat.versions, none, f"{cat.title} ({plain(ph['changes_events'], section=section.title)})")
    for p in spec.payloads:
        section = spec.section(p.section_id)
        parent = none
        if p.category_id is not None:
            parent = next((c.versions for c in section.categories if c.id == p.category_id), none)
        what = plain(ph["changes_event"], section=section.title) if p.type == "event" else section.title
        note(p.versions, parent, f"{p.title or p.wire_name} ({what})")
        for f in p.fields:
            note(f.versions, p.versions, f"{f.qualified_name} ({p.title or p.wire_name})")
    entries = []
    for v in sorted(set(since) | set(until), key=version_key, reverse=True):
        if v in since:
            entries.append(HistoryEntry(v, plain(ph["changes_sent_since"], version=v), tuple(since[v])))
        if v in until:
            entries.append(HistoryEntry(v, plain(ph["changes_not_sent_after"], version=v), tuple(until[v])))
    return tuple(entries)
