"""The spec-authoring commands: ``gen init`` (a starter spec), ``gen schema`` (the spec
format's JSON Schema), ``gen migrate`` (a format-1 spec rewritten as format 2, by
``generator.migrate``) and the one-line summary a successful ``gen check`` prints.

Owns only these commands' behaviour; ``generator.cli`` registers them with one line
each.  Must not: build, compare or write generated output (``generator.build`` does),
or know any particular product (the starter spec is package data).
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

import click

from generator.diagnostics import ERROR, WARNING, Finding
from generator.model import Spec

_STARTER = "data/init/spec.yaml"


def _starter() -> str:
    return resources.files("generator").joinpath(_STARTER).read_text("utf-8")


def spec_schema_text() -> str:
    """The spec format's JSON Schema, as shipped in the package."""
    from generator.schemas.build_spec_schema import render

    return render()


def summary_line(spec: Spec, findings: list[Finding]) -> str:
    """``gen check``'s line after a clean spec: "spec/: 3 features, 136 payloads, 475
    fields, 0 errors, 2 warnings"."""
    errors = sum(1 for f in findings if f.severity == ERROR)
    warnings = sum(1 for f in findings if f.severity == WARNING)
    n_fields = sum(len(p.fields) for p in spec.payloads)

    def n(count: int, word: str) -> str:
        return f"{count} {word}{'' if count == 1 else 's'}"

    return ", ".join(
        (n(len(spec.features), "feature"), n(len(spec.payloads), "payload"), n(n_fields, "field"), n(errors, "error"), n(warnings, "warning"))
    )


@click.command()
@click.argument("directory", required=False, default="spec", type=click.Path(path_type=Path))
def init(directory: Path) -> None:
    """Write a small, commented, working spec into DIRECTORY (default: spec/), with the
    spec format's JSON Schema next to it for editors.  Refuses a folder that already
    holds files."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise click.UsageError(f"'{directory}' already exists and is not an empty folder; choose a new one (gen init DIR)")
    # Read what is shipped before creating anything: a broken install (package data
    # missing) is reported as such, and leaves no empty folder behind.
    try:
        starter, schema_text = _starter(), spec_schema_text()
    except OSError as exc:
        click.echo(
            f"gen init: the starter spec is missing from the installed package ({_STARTER} in "
            f"{resources.files('generator')}): {exc.strerror or exc}; reinstall the package "
            "(pip install --force-reinstall telemetry-spec-generator)",
            err=True,
        )
        sys.exit(2)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "spec.yaml").write_text(starter, encoding="utf-8")
        (directory / "spec.schema.json").write_text(schema_text, encoding="utf-8")
    except OSError as exc:
        click.echo(f"gen init: cannot write {directory}: {exc.strerror or exc}", err=True)
        sys.exit(2)
    click.echo(f"gen init: wrote {directory / 'spec.yaml'} and {directory / 'spec.schema.json'}")
    opt = f" --spec {directory}" if directory != Path("spec") else ""
    click.echo(f"next: edit it, then `gen build{opt}` to generate, and `gen check{opt}` in CI")


@click.command()
def schema() -> None:
    """Print the spec format's JSON Schema (draft 2020-12), e.g. for an editor:
    ``gen schema > spec/spec.schema.json``."""
    click.echo(spec_schema_text(), nl=False)


@click.command()
@click.option("--spec", "spec_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("spec"),
              show_default=True, help="Folder of spec YAML files.")
@click.option("--write", is_flag=True, help="Rewrite the files in place (default: print the change as a unified diff).")
def migrate(spec_dir: Path, write: bool) -> None:
    """Rewrite a format-1 spec as spec format 2, keeping comments, order and every
    untouched line byte for byte.  Without --write, print the change as a unified diff.
    docs/spec-reference.md lists every change ("format 1 -> format 2").  Exit 0 when
    the spec is (now) in format 2, 1 when a file cannot be read or a change must be
    made by hand (the other files are migrated)."""
    import difflib

    from generator.diagnostics import format_text, has_errors
    from generator.migrate.text import run
    from generator.spec_write import write_spec_files

    if not spec_dir.is_dir():
        raise click.UsageError(f"spec folder '{spec_dir}' does not exist (use --spec DIR)")
    result = run(spec_dir)
    if result.findings:
        click.echo(format_text(result.findings), nl=False, err=True)
    if write and result.files:
        write_spec_files(spec_dir, result.files)
        click.echo(f"gen migrate: rewrote {len(result.files)} file(s) as spec format 2", err=True)
    else:
        for rel in sorted(result.files):
            old = (spec_dir / rel).read_bytes().decode("utf-8-sig").splitlines(keepends=True)
            new = result.files[rel].decode("utf-8-sig").splitlines(keepends=True)
            click.echo("".join(difflib.unified_diff(old, new, f"a/{rel}", f"b/{rel}")), nl=False)
    sys.exit(1 if has_errors(result.findings) else 0)
