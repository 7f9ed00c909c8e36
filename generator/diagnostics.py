"""Findings: errors and lint results as values with locations, never exceptions.

Every stage returns findings instead of raising; the CLI collects them all and prints
them together as text (``file:line:column: severity[code]: message`` plus a ``help:``
line), JSON records, or GitHub Actions annotations.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from generator.model import Location

ERROR = "error"
WARNING = "warning"
NOTE = "note"
_SEVERITY_ORDER = {ERROR: 0, WARNING: 1, NOTE: 2}


@dataclass(frozen=True)
class Finding:
    """One problem: a stable ``code`` (error code or lint rule id), where, what, how to fix."""

    code: str
    severity: str
    message: str
    location: Location
    help: str = ""

    def sort_key(self) -> tuple:
        loc = self.location
        return (loc.file, loc.line, loc.column, self.code, self.message)

    def as_dict(self) -> dict:
        loc = self.location
        return {
            "file": loc.file,
            "line": loc.line,
            "column": loc.column,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "help": self.help,
        }


def error(code: str, message: str, location: Location, help: str = "") -> Finding:
    return Finding(code, ERROR, message, location, help)


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == ERROR for f in findings)


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Stable, location-ordered, duplicates dropped."""
    return sorted(set(findings), key=Finding.sort_key)


def format_text(findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        lines.append(f"{f.location}: {f.severity}[{f.code}]: {f.message}")
        if f.help:
            lines.append(f"  help: {f.help}")
    errors = sum(1 for f in findings if f.severity == ERROR)
    warnings = sum(1 for f in findings if f.severity == WARNING)
    if findings:
        lines.append(f"{errors} error(s), {warnings} warning(s)")
    return "\n".join(lines) + ("\n" if lines else "")


def format_json(findings: list[Finding]) -> str:
    return json.dumps([f.as_dict() for f in findings], indent=2, ensure_ascii=False) + "\n"


def _gh_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def format_github(findings: list[Finding], root: str = "") -> str:
    """GitHub Actions workflow commands (``::error file=...,line=...::message``)."""
    out = []
    for f in findings:
        level = {"error": "error", "warning": "warning"}.get(f.severity, "notice")
        path = f"{root.rstrip('/')}/{f.location.file}" if root else f.location.file
        props = [f"file={_gh_escape(path, True)}"]
        if f.location.line:
            props.append(f"line={f.location.line}")
            props.append(f"col={f.location.column}")
        props.append(f"title={_gh_escape(f.code, True)}")
        msg = f.message + (f" (help: {f.help})" if f.help else "")
        out.append(f"::{level} {','.join(props)}::{_gh_escape(msg)}")
    return "\n".join(out) + ("\n" if out else "")


FORMATTERS = {"text": format_text, "json": format_json, "github": format_github}
