"""Findings: errors and lint results as values with locations, never exceptions.

Every stage returns findings instead of raising; the CLI collects them all and prints
them together as text (``file:line:column: severity[code]: message`` plus a ``help:``
line), JSON records, or GitHub Actions annotations.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass

from generator.model import Location

ERROR = "error"
WARNING = "warning"
NOTE = "note"
_SEVERITY_ORDER = {ERROR: 0, WARNING: 1, NOTE: 2}

# Every error code the spec stages emit (lint rule ids are listed in generator.lint).
# docs/spec-reference.md has one table row per entry; tests keep the three in sync.
CODES: dict[str, str] = {
    # Stage 1, loading (generator.load)
    "no-spec": "The spec folder does not exist or holds no .yaml/.yml files.",
    "too-many-files": "More spec files than the loader accepts (2,000).",
    "unreadable": "A spec file cannot be read (permissions, or not a regular file: a fifo, a device).",
    "unsafe-path": "A link in the spec folder (a YAML file or a folder), or a path the spec names that leaves the spec folder or goes through a link; links are never followed.",
    "file-too-large": "A file is larger than 8 MiB; it is refused from its size, unread.",
    "spec-too-large": "All files together pass 64 MiB.",
    "not-utf8": "A file is not UTF-8 text or contains NUL bytes (binary data).",
    "empty-file": "A file is empty or holds only comments.",
    "yaml-syntax": "The YAML cannot be parsed (also: several documents in one file, undefined or repeated anchors, control characters).",
    "yaml-depth": "Nesting deeper than 64 levels.",
    "yaml-too-many-nodes": "A file (aliases expanded) has more than 250,000 nodes, or all files more than 500,000: an alias bomb or not a spec.",
    "yaml-recursive-alias": "An alias refers to a node that contains it.",
    "yaml-tag": "A tag other than plain strings, numbers, booleans, null, lists and mappings (`!!python/object`, `!!binary`, `!include`, ...).",
    "yaml-merge-key": "A merge key (`<<`); write the keys out.",
    "yaml-key": "A mapping key that is a list, a mapping or an alias.",
    "yaml-value": "A non-finite number (`.nan`, `.inf`), or a value that does not fit its tag (`!!int ten`).",
    "duplicate-key": "The same key twice in one mapping (YAML would silently keep the last).",
    "control-character": "Spec text or a key holds a control character (ESC, BS, DEL, C1, bidirectional override), usually from a YAML escape.",
    "top-level-type": "A file whose top level is not a mapping (a list, a string, a number, null).",
    # Stage 2, the spec format's JSON Schema (generator.spec_format)
    "spec-format": "`spec_format` is missing or not 2 (or 1, the older format, migrated as it loads).",
    "old-spec-format": "The spec is in format 1; it is migrated in memory as it loads (warning, once per spec). `gen migrate --write` rewrites it as format 2.",
    "migrate-by-hand": "`gen migrate` cannot make a change in place (e.g. a key on the line of a list's dash that must move); make it by hand.",
    "unknown-key": "A key the format does not have (with a did-you-mean suggestion).",
    "unknown-kind": "A field kind (or `field_groups` kind) that is not in the kinds table.",
    "invalid-name": "An id, name, wire name or wire key that could not be a safe file name or identifier (also derived ones).",
    "missing-key": "A required key is missing (also: an event without `category` in a section with categories; a record payload without `group` or `wire_name`, an event payload without `wire_name`).",
    "wrong-type": "A value of the wrong type (e.g. an unquoted version number read as a number).",
    "invalid-value": "A value the format does not allow (pattern, length, repeated list entry, value not fitting its kind, event/record payload in the wrong kind of section, ...).",
    # Stage 3, resolving across files (generator.resolve)
    "missing-product": "No file declares `product`.",
    "duplicate-id": "An id (or `product`) declared in more than one place.",
    "unknown-reference": "A reference to an opt-out setting, feature, section, event category or edition that no file declares.",
    "duplicate-field": "The same field name twice in one payload (a value and an is-default field may share a name).",
    "duplicate-wire-key": "Two fields of one payload with the same wire key (derived or overridden).",
    "duplicate-wire-name": "Two payloads with the same wire name.",
    "duplicate-model-name": "Two payload wire names that give the same model class name (`a_b` and `a__b`).",
    "invalid-versions": "`versions.min` after `versions.max`, or a range outside the enclosing payload's or category's.",
    # Stage 4, lint (generator.lint); the rules themselves are in docs/lint-rules.md
    "unknown-rule": "`lint_ignore` names a rule that does not exist.",
    "unused-suppression": "A `lint_ignore` entry that suppresses nothing (warning).",
}


@dataclass(frozen=True)
class Finding:
    """One problem: a stable ``code`` (error code or lint rule id), where, what, how to fix."""

    code: str
    severity: str
    message: str
    location: Location
    help: str = ""

    def sort_key(self) -> tuple:
        """Order of reports: by file, line, column, then code and message."""
        loc = self.location
        return (loc.file, loc.line, loc.column, self.code, self.message)

    def as_dict(self) -> dict:
        """The JSON record of ``--format json``."""
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
    """An error finding (the stages' shorthand)."""
    return Finding(code, ERROR, message, location, help)


def has_errors(findings: list[Finding]) -> bool:
    """Whether any finding is an error (warnings and notes do not fail a run)."""
    return any(f.severity == ERROR for f in findings)


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Stable, location-ordered, duplicates dropped."""
    return sorted(set(findings), key=Finding.sort_key)


def format_text(findings: list[Finding]) -> str:
    """``file:line:column: severity[code]: message`` plus a ``help:`` line each, then a count."""
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
    """A JSON list of records (``Finding.as_dict``), for tools."""
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
        path = posixpath.normpath(f"{root}/{f.location.file}") if root else f.location.file
        props = [f"file={_gh_escape(path, True)}"]
        if f.location.line:
            props.append(f"line={f.location.line}")
            props.append(f"col={f.location.column}")
        props.append(f"title={_gh_escape(f.code, True)}")
        msg = f.message + (f" (help: {f.help})" if f.help else "")
        out.append(f"::{level} {','.join(props)}::{_gh_escape(msg)}")
    return "\n".join(out) + ("\n" if out else "")


FORMATTERS = {"text": format_text, "json": format_json, "github": format_github}
