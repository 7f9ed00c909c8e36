"""What every `gen` command prints and reads first: findings in the chosen format, and
the checked spec.  Kept apart from ``generator.cli`` so that commands in their own
modules (``generator.infer.command``, ...) use it without importing the CLI (no import
cycle).  It must not define commands or exit.
"""

from __future__ import annotations

from pathlib import Path

import click

from generator import diagnostics


def emit(findings, fmt: str, spec_dir: Path, output=()) -> None:
    """Print spec findings (paths relative to ``spec_dir``) and output-folder findings
    (paths as the user named the folder) together, in one document for json."""
    findings, output = list(findings), list(output)
    if fmt == "github":
        text = diagnostics.format_github(findings, root=spec_dir.as_posix()) + diagnostics.format_github(output)
    else:
        text = diagnostics.FORMATTERS[fmt](findings + output)
    if fmt == "json":
        click.echo(text, nl=False)
    elif text:
        click.echo(text, nl=False, err=fmt == "text")


def spec_or_exit(spec_dir: Path, fmt: str, as_of=None, parsed=None):
    """The checked spec and its findings (``pipeline.check_spec``, reusing ``parsed``
    files when given); a usage error when the folder does not exist."""
    from generator.pipeline import check_spec

    if not spec_dir.is_dir():
        raise click.UsageError(f"spec folder '{spec_dir}' does not exist (use --spec DIR)")
    given = {k: v for k, v in (("as_of", as_of), ("parsed", parsed)) if v is not None}
    return check_spec(spec_dir, **given)
