"""Runs the spec stages in order: load, validate, resolve, lint.

The CLI and the tests call ``check_spec``; targets receive only the resolved ``Spec``.
"""

from __future__ import annotations

from pathlib import Path

from generator.diagnostics import Finding, sort_findings
from generator.lint import lint
from generator.model import Spec
from generator.resolve import load_resolved


def check_spec(spec_dir: Path) -> tuple[Spec | None, list[Finding]]:
    """The resolved spec (None if it has errors) and every finding, sorted by location."""
    resolved, findings = load_resolved(Path(spec_dir))
    if resolved is not None:
        findings = findings + lint(resolved)
    return (resolved.spec if resolved else None), sort_findings(findings)
