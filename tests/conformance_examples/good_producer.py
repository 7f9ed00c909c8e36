"""An example producer for the fixture spec (``spec/`` beside this file) that keeps the
opt-out contract: the generated conformance suite passes on it.

A downstream project names a function like ``payloads`` with ``TELEMETRY_PRODUCER``;
the suite calls it with a settings mapping and checks what it would send.  It returns a
mix of the accepted shapes (a ``(name, properties)`` pair, an envelope, a Segment track
message) to show all three.
"""

from __future__ import annotations


def config_service() -> dict:
    """What the server reports about its configuration (all declared keys)."""
    return {
        "enable_commands": True,
        "connection_security": 1,
        "isdefault_site_url": False,
        "enable_developer": False,
        "plugins": 3,
        "max_users": 250,
        "ratio": 0.75,
        "driver": "postgres",
        "server_version": "5.6.0",
        "installation_id": "4xp9fdt77pncbef59f4k1qe83o",
    }


def crash_report() -> dict:
    return {"error_code": "E_PANIC", "modules": ["store", "api"], "version": "5.6.0"}


def payloads(settings: dict) -> list:
    """The payloads the server would send with ``settings`` ({setting id: value})."""
    out: list = []
    if settings.get("Usage.Enable", True):
        out.append(("config_service", config_service()))
    if settings.get("Crash.Mode", "full") != "off":
        out.append({"payload": "crash_report", "properties": crash_report()})
        out.append({"type": "track", "event": "crash_report", "userId": "server", "properties": crash_report()})
    return out
