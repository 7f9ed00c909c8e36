"""The ``gen diff`` command: argument handling, output and exit codes only.

Reading the two sides is ``generator.diff.sources``; finding changes is
``generator.diff.compare``; printing is ``generator.diff.formats``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

FAIL_CLASSES = ("breaking", "additive", "expanded", "reduced")


def _is_spec(folder: Path) -> bool:
    return any(folder.glob("*.yaml")) or any(folder.glob("*.yml"))


def _fail_on(value: str | None) -> frozenset[str]:
    if not value:
        return frozenset()
    wanted = {v.strip() for v in value.split(",") if v.strip()}
    unknown = sorted(wanted - set(FAIL_CLASSES))
    if unknown:
        raise click.BadParameter(f"unknown class {', '.join(unknown)}; use any of {','.join(FAIL_CLASSES)}", param_hint="--fail-on")
    return frozenset(wanted)


@click.command("diff")
@click.argument("base", required=False)
@click.argument("head", required=False)
@click.option(
    "--spec",
    "spec_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("spec"),
    show_default=True,
    help="The working spec folder: HEAD when none is given, and the folder whose files are read at a revision.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github", "markdown"]),
    default="text",
    show_default=True,
    help="text for people, json records, GitHub annotations, or a Markdown changelog fragment for end users.",
)
@click.option("--fail-on", "fail_on", default=None, metavar="CLASSES",
              help="Exit 1 when a change is of any of these classes (comma-separated: breaking, additive, expanded, reduced).")
@click.option("--rules", "list_rules", is_flag=True, help="List the change rules (id, scope, privacy, compatibility, severity, purpose) and exit.")
def diff_command(base: str | None, head: str | None, spec_dir: Path, fmt: str, fail_on: str | None, list_rules: bool) -> None:
    """Show what changed between two versions of the spec, classified for privacy
    (expanded / reduced / none) and for consumers (breaking / additive / none).

    BASE and HEAD are each a spec folder, a git revision of the repository the spec
    lives in (read from git's object store; nothing is checked out), or a catalog.json
    (or a generated/ folder holding one).  HEAD defaults to the working spec (--spec).

    \b
    Examples:
      gen diff main                       working spec against branch main
      gen diff v5.5 v5.6 --format markdown
      gen diff old/generated/catalog.json new/generated/catalog.json
      gen diff main --fail-on breaking,expanded     (exit 1 for CI)
    """
    from generator.diff import formats, rules
    from generator.diff.compare import diff_catalogs
    from generator.diff.sources import SourceError, load_sides

    if list_rules:
        from generator.diff.versions import BASELINE_RULES

        click.echo(rules.rules_table(), nl=False)
        for r in BASELINE_RULES:  # run by `gen check --baseline REV`
            click.echo(f"{r.id:<24} {'baseline':<8} {r.severity:<8} {r.purpose}")
        return
    classes = _fail_on(fail_on)
    if base is None:
        raise click.UsageError("name the BASE to compare against: a spec folder, a git revision, or a catalog.json")
    try:
        before, after = load_sides(base, head, spec_dir)
    except SourceError as exc:
        raise click.UsageError(str(exc)) from None
    changes = diff_catalogs(before.catalog, after.catalog)
    head_arg = head if head is not None else str(spec_dir)
    root = Path(head_arg).as_posix() if Path(head_arg).is_dir() and _is_spec(Path(head_arg)) else ""
    click.echo(formats.FORMATTERS[fmt](changes, before.catalog, after.catalog, root=root), nl=False)
    hit = any(c.privacy in classes or c.compatibility in classes for c in changes)
    sys.exit(1 if hit else 0)


def baseline_findings(spec, spec_dir: Path, baseline: str) -> list:
    """``gen check --baseline REV``: the version-bump and added-field findings of the
    working spec against ``baseline`` (a revision, spec folder or catalog.json); an
    unreadable baseline is a usage error (exit 2)."""
    from generator.diff.sources import SourceError, load_side
    from generator.diff.versions import baseline_findings as findings_of

    try:
        base = load_side(baseline, spec_dir)
    except SourceError as exc:
        raise click.UsageError(f"--baseline: {exc}") from None
    return findings_of(spec, base.catalog)
