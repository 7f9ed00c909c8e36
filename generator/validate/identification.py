"""Payload identification: which payload a parsed document is, and where its properties are.

Three shapes name a payload: an envelope ``{"payload": NAME, "properties": {...}}``, a
Segment ``track`` message ``{"event": NAME, "properties": {...}}`` (other Segment message
types are reported as unsupported), and a bare property object, named by the caller's
default (``--payload``, the file name or the folder).  Every path of the engine, the hot
loop included, identifies documents with ``identify_shape`` so that they can never
disagree on what a document is.  This module checks no property and reads no input.
"""

from __future__ import annotations

from typing import Any

from .problems import NO_NAME, NOT_OBJECT, UNSUPPORTED, Problem, json_type, short

ENVELOPE, TRACK, BARE = "payload", "event", "bare"  # the shapes, named by their tag key
_SEGMENT_OTHER = frozenset({"identify", "page", "screen", "group", "alias"})
_NO_NAME_HELP = (
    'use {"payload": NAME, "properties": {...}}, a Segment track message, a file or '
    "folder named after the payload, or --payload NAME"
)


def identify_shape(doc: Any, default_name: str | None) -> tuple[str | None, Any, Problem | None, str | None]:
    """``identify`` plus the shape that named the payload (``ENVELOPE``, ``TRACK``,
    ``BARE``; None when there is a problem)."""
    if not isinstance(doc, dict):
        return None, None, Problem(NOT_OBJECT, None, json_type(doc)), None
    if "properties" in doc:
        name = doc.get("payload")
        if isinstance(name, str):
            return name, doc["properties"], None, ENVELOPE
        name = doc.get("event")
        if isinstance(name, str):
            mtype = doc.get("type", "track")
            if mtype != "track":
                return name, None, Problem(UNSUPPORTED, None, f"Segment message type {short(mtype)}"), None
            return name, doc["properties"], None, TRACK
    mtype = doc.get("type")
    if isinstance(mtype, str) and mtype in _SEGMENT_OTHER and ("messageId" in doc or "userId" in doc or "anonymousId" in doc):
        return None, None, Problem(UNSUPPORTED, None, f"Segment {mtype!r} message (only track messages carry payloads)"), None
    if default_name is None:
        return None, None, Problem(NO_NAME, None, _NO_NAME_HELP), None
    return default_name, doc, None, BARE


def identify(doc: Any, default_name: str | None) -> tuple[str | None, Any, Problem | None]:
    """Which payload a parsed document is, and its properties: ``(name, properties,
    None)``, or ``(name or None, None, problem)`` when it cannot be told.

    ``{"payload": name, "properties": {...}}`` and ``{"event": name, "properties":
    {...}}`` (a Segment ``track`` message) name themselves; anything else is a bare
    property object named by ``default_name``.
    """
    return identify_shape(doc, default_name)[:3]
