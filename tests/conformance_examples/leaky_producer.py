"""Example producers for the fixture spec that break the contract the generated
conformance suite enforces, one way each; the suite must fail on both.

``ignores_opt_out`` keeps sending crash reports when ``Crash.Mode`` is ``"off"``;
``adds_undeclared_key`` sends a key the spec does not declare (a privacy leak).
"""

from __future__ import annotations

from good_producer import config_service, crash_report


def ignores_opt_out(settings: dict) -> list:
    """Honours the usage opt-out but not the crash-report one."""
    out: list = [("crash_report", crash_report())]
    if settings.get("Usage.Enable", True):
        out.append(("config_service", config_service()))
    return out


def adds_undeclared_key(settings: dict) -> list:
    """Honours both opt-outs, but slips the site's host name into the config payload."""
    out: list = []
    if settings.get("Usage.Enable", True):
        out.append(("config_service", {**config_service(), "site_hostname": "chat.example.com"}))
    if settings.get("Crash.Mode", "full") != "off":
        out.append(("crash_report", crash_report()))
    return out
