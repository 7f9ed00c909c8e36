"""The ``gen`` command line: click commands only.

Owns parsing options, printing findings in the chosen format, and exit codes: 0 clean,
1 findings (spec errors, generated/ out of date, a build that could not write, payloads
that do not conform), 2 usage errors (bad options, missing folders).  No traceback
reaches the user: unexpected exceptions are reported as an internal error with exit 3.
It must do no work at import time (importing it starts no process and reads no file)
and leave the work itself to ``generator.pipeline``, ``generator.build`` and the
payload checker.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from generator import diagnostics, interrupt
from generator.cli_output import emit as _emit
from generator.cli_output import spec_or_exit as _spec_or_exit
from generator.diagnostics import has_errors

FORMATS = click.Choice(sorted(diagnostics.FORMATTERS))
spec_option = click.option(
    "--spec",
    "spec_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("spec"),
    show_default=True,
    help="Folder of spec YAML files.",
)
out_option = click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("generated"),
    show_default=True,
    help="Folder of generated files.",
)
format_option = click.option(
    "--format",
    "fmt",
    type=FORMATS,
    default="text",
    show_default=True,
    help="How findings are printed: text, json records, or GitHub Actions annotations.",
)


class _Group(click.Group):
    """Turns any unexpected exception into a short message and exit 3."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            # The reader went away (`gen schema | head`): stop quietly, as Unix tools do,
            # with the code a shell reports for SIGPIPE; stdout goes to /dev/null so the
            # interpreter's last flush cannot fail again.
            import os

            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(141)
        except Exception as exc:
            if interrupt.requested():  # an interrupted library's own exception: exit 130 quietly
                raise
            click.echo(
                f"gen: internal error: {type(exc).__name__}: {exc}\n"
                "This is a bug in the generator, not in your spec; please report it "
                "(re-run with GEN_DEBUG=1 for a traceback).",
                err=True,
            )
            import os

            if os.environ.get("GEN_DEBUG"):
                raise
            sys.exit(3)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="telemetry-spec-generator", message="gen %(version)s")
def main() -> None:
    """Describe a product's telemetry once (YAML under spec/) and generate everything
    else from it: JSON Schemas, pydantic models, privacy docs, a conformance suite, a
    catalogue and a manifest (under generated/).

    \b
    Typical use:
      gen check              validate + lint the spec; verify generated/ is current
      gen build              regenerate generated/ from the spec
      gen validate FILE...   check captured payloads against the spec's schemas
      gen diff main          what changed since main, for privacy and for consumers
      gen infer FILE...      propose a reviewable spec edit from captured traffic
    Exit codes: 0 clean, 1 findings, 2 usage error, 3 internal error (a bug); 141 when the reader of its output went away (`gen schema | head`).
    """


@main.command()
@spec_option
@out_option
@format_option
@click.option("--no-output", is_flag=True, help="Only validate and lint the spec; do not compare generated/.")
@click.option("--baseline", default=None, metavar="REV",
              help="Also check payload schema versions against a git revision (or spec folder, or catalog.json).")
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD", help="Judge date expiries as of this date (never the clock).")
@click.option("--product-version", "product_version", default=None, metavar="V", help="Judge version expiries for this product version.")
def check(spec_dir: Path, out_dir: Path, fmt: str, no_output: bool, baseline: str | None,
          as_of: str | None, product_version: str | None) -> None:
    """Validate and lint the spec, then verify that OUT holds exactly what the spec
    produces (no drift, no hand edits, no stray files).  This is what CI runs.

    Expired and soon-expiring fields are judged only against --as-of and
    --product-version, so the same spec and options always give the same result."""
    from generator.governance import parse_as_of

    try:
        when = parse_as_of(as_of, product_version) if as_of or product_version else None
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    spec, findings = _spec_or_exit(spec_dir, fmt, when)
    if baseline is not None and spec is not None:
        from generator.diff.command import baseline_findings

        findings = findings + baseline_findings(spec, spec_dir, baseline)
    if spec is None or has_errors(findings):
        _emit(findings, fmt, spec_dir)
        sys.exit(1)
    from generator.spec_commands import summary_line

    spec_summary = f"gen check: {spec_dir}: {summary_line(spec, findings)}"
    if no_output:
        _emit(findings, fmt, spec_dir)
        click.echo(spec_summary, err=True)
        return
    from generator.build import compare_output

    _finish(compare_output(spec, out_dir), findings, fmt, spec_dir, spec_summary)


@main.command()
@spec_option
@out_option
@format_option
@click.option("--check", "check_only", is_flag=True, help="Do not write; fail with a diff if OUT is not what the spec produces.")
def build(spec_dir: Path, out_dir: Path, fmt: str, check_only: bool) -> None:
    """Generate every target from the spec into OUT.

    Everything is rendered in memory first; if the spec has errors or any target fails,
    nothing in OUT changes.  Files are replaced atomically; files an earlier build wrote
    and this one does not are removed (unless edited since); files the generator never
    wrote are left alone.  Builds into one folder take turns (a lock in OUT/.gen-cache).
    """
    from generator.build import build_output, compare_output
    from generator.parsed_cache import ParsedFiles

    # A build reuses the parsed spec files of the folder it builds into; ``--check``
    # (like ``gen check``) parses afresh.
    parsed = None if check_only else ParsedFiles(out_dir)
    spec, findings = _spec_or_exit(spec_dir, fmt, parsed=parsed)
    from generator.lint import BUILDS_ANYWAY

    if spec is None or has_errors([f for f in findings if f.code not in BUILDS_ANYWAY]):
        _emit(findings, fmt, spec_dir)
        if fmt == "text":
            click.echo("gen build: spec has errors; nothing was written", err=True)
        sys.exit(1)
    # Errors of BUILDS_ANYWAY rules (an unreviewed field) are printed and fail the run,
    # but the output is written, so a maintainer can look at what would ship.
    outcome = compare_output(spec, out_dir) if check_only else build_output(spec, out_dir, parsed=parsed)
    if parsed is not None:
        parsed.close()
    _finish(outcome, findings, fmt, spec_dir)


def _finish(outcome, spec_findings, fmt: str, spec_dir: Path, spec_summary: str = "") -> None:
    """Print a build's or comparison's findings after the spec's; exit 0 or 1."""
    _emit(spec_findings, fmt, spec_dir, outcome.findings)
    if spec_summary:
        click.echo(spec_summary, err=True)
    if fmt == "text":
        if outcome.summary:
            click.echo(outcome.summary, err=True)
        for diff in outcome.diffs:
            click.echo(diff, err=True)
    sys.exit(0 if outcome.ok and not has_errors(spec_findings) else 1)


@main.command()
@click.argument("paths", nargs=-1, metavar="PATH...")
@spec_option
@click.option(
    "--schemas",
    "schemas_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Check against a vendored generated/schemas folder instead of the spec.",
)
@click.option("--payload", default=None, metavar="NAME", help="Payload of bare property objects (e.g. on standard input).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="A human summary, or one JSON report for tools.")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=1, show_default=True,
              help="Processes to check with (0: one per core); worth it for large inputs.")
@click.option("--engine", "engine_name", type=click.Choice(["local", "spark"]), default="local", show_default=True,
              help="Check here, or as a PySpark job (pip install '.[spark]'; see docs/spark.md).")
@click.option("--master", default=None, metavar="URL", help="--engine spark: the Spark master (default local[*]).")
@click.option("--output", default=None, metavar="DIR",
              help="--engine spark: write conforming payloads and an error table as Parquet under DIR.")
@click.option("--product-version", default=None, metavar="V",
              help="Also check what version V sends: no payload or field outside its version range, "
                   "every required field inside it.")
@click.option("--allow-empty", is_flag=True, help="Pass when no documents are found (by default an empty "
              "capture fails: it proves nothing).")
def validate(paths: tuple[str, ...], spec_dir: Path, schemas_dir: Path | None, payload: str | None,
             fmt: str, jobs: int, engine_name: str, master: str | None, output: str | None,
             product_version: str | None, allow_empty: bool) -> None:
    """Check captured payloads against the spec's schemas.

    PATH is a .json file (one document or an array), an .ndjson/.jsonl file (one
    document per line), a folder of them, or - for NDJSON on standard input.  A document
    is {"payload": NAME, "properties": {...}}, a Segment track message ({"event": NAME,
    "properties": {...}}), or a bare property object named by --payload, its file name
    (NAME.ndjson) or its folder (NAME/).  Reports undeclared keys, type mismatches,
    missing keys, invalid values, unknown payload names and unreadable documents, with
    file:line.  Exit 0 when everything conforms, 1 when something does not or when no
    document was found (unless --allow-empty).
    """
    import json
    import os

    from generator import validate as engine

    if not paths:
        raise click.UsageError("name at least one file, folder, or - for standard input")
    spec = None
    if schemas_dir is not None:
        if not schemas_dir.is_dir():
            raise click.UsageError(f"schemas folder '{schemas_dir}' does not exist")
        try:
            schemas = engine.load_schema_dir(str(schemas_dir))
        except engine.UsageError as exc:
            raise click.UsageError(str(exc)) from None
        if not schemas:
            raise click.UsageError(f"no *.schema.json files in '{schemas_dir}'")
    else:
        spec, findings = _spec_or_exit(spec_dir, "text")
        if spec is None:  # errors (an unreviewed field alone leaves a spec to validate with)
            _emit([f for f in findings if f.severity == diagnostics.ERROR], "text", spec_dir)
            click.echo("gen validate: the spec has errors; fix them first (see `gen check`)", err=True)
            sys.exit(1)
        from generator.targets.json_schema import payload_schema

        schemas = {p.wire_name: payload_schema(spec, p) for p in spec.payloads}
    if payload is not None and payload not in schemas:
        raise click.UsageError(f"--payload {payload!r} is not a payload of the spec")
    if engine_name == "spark" or master or output:
        if product_version is not None:
            raise click.UsageError("--product-version is not supported with --engine spark yet")
        from generator.spark.cli import validate_on_spark

        tally = validate_on_spark(schemas, paths, payload, engine_name, master, output, spec, schemas_dir)
    else:
        try:
            checker = engine.Checker(schemas, product_version)
        except ValueError as exc:
            raise click.UsageError(f"--product-version: {exc}") from None
        try:
            srcs = engine.sources(paths, checker.names, payload)
        except engine.UsageError as exc:
            raise click.UsageError(str(exc)) from None
        tally = engine.check_sources(checker, srcs, jobs=jobs or os.cpu_count() or 1)
    if fmt == "json":
        report = json.dumps(tally.as_dict(allow_empty), indent=2) + "\n"
    else:
        report = engine.format_text(tally, allow_empty=allow_empty)
    engine.write_report(report, "gen validate")
    sys.exit(0 if tally.passes(allow_empty) else 1)


@main.command()
def rules() -> None:
    """List the lint rules: id, severity and purpose."""
    from generator.lint import RULES

    for r in RULES:
        click.echo(f"{r.id:<26} {r.severity:<8} {r.purpose}")


@main.command()
def targets() -> None:
    """List the build targets."""
    from generator.targets import TARGETS

    for t in TARGETS:
        click.echo(f"{t.name:<14} {t.description}")


from generator.diff.command import diff_command  # click commands in their own modules

main.add_command(diff_command)

from generator.infer.command import infer

main.add_command(infer)

from generator.spec_commands import init, migrate, schema  # click commands in their own module

main.add_command(init)
main.add_command(schema)
main.add_command(migrate)

from generator.review import review_command

main.add_command(review_command)

from generator.collect.command import collect

main.add_command(collect)

if __name__ == "__main__":  # pragma: no cover
    main()
