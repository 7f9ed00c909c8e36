"""``gen collect``: a local endpoint speaking Segment's tracking API that checks every
payload as the product sends it.

Loads the schemas as ``gen validate`` does (the spec, or ``--schemas DIR``), opens the
capture, serves until ``--until-idle`` seconds pass without a message or SIGTERM/SIGINT
arrives, then prints the report (``gen validate``'s, plus what only the collector saw)
and exits 0 when the verdict passes, 1 when a class named by ``--fail-on`` has
something, 2 for usage errors (a port it cannot listen on, a capture it cannot open).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

# Only click at import time: `gen` imports this module for every command.
FAIL_ON_HELP = ("Comma-separated classes that fail the run: problems, unknown, not-payload, unreadable, "
                "rejected, opt-out, empty (default: all of them).")


def _fail_on(value: str | None) -> tuple[str, ...]:
    from generator.collect.state import FAIL_CLASSES

    if value is None:
        return tuple(FAIL_CLASSES)
    names = tuple(n.strip() for n in value.split(",") if n.strip())
    bad = [n for n in names if n not in FAIL_CLASSES]
    if bad:
        raise click.UsageError(f"--fail-on: unknown class(es) {', '.join(bad)}; choose from {', '.join(FAIL_CLASSES)}")
    return names


def _schemas(spec_dir: Path, schemas_dir: Path | None) -> dict:
    from generator import validate as engine

    if schemas_dir is not None:
        if not schemas_dir.is_dir():
            raise click.UsageError(f"schemas folder '{schemas_dir}' does not exist")
        try:
            schemas = engine.load_schema_dir(str(schemas_dir))
        except engine.UsageError as exc:
            raise click.UsageError(str(exc)) from None
        if not schemas:
            raise click.UsageError(f"no *.schema.json files in '{schemas_dir}'")
        return schemas
    from generator.pipeline import check_spec
    from generator.targets.json_schema import payload_schema

    if not spec_dir.is_dir():
        raise click.UsageError(f"spec folder '{spec_dir}' does not exist (use --spec DIR)")
    spec, findings = check_spec(spec_dir)
    if spec is None or any(f.severity == "error" for f in findings):
        click.echo("gen collect: the spec has errors; fix them first (see `gen check`)", err=True)
        sys.exit(1)
    return {p.wire_name: payload_schema(spec, p) for p in spec.payloads}


@click.command()
@click.option("--spec", "spec_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("spec"),
              show_default=True, help="Folder of spec YAML files.")
@click.option("--schemas", "schemas_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Check against a vendored generated/schemas folder instead of the spec.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8780, show_default=True,
              help="Port to listen on (0: any free port; the one taken is printed).")
@click.option("--capture", "capture_path", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("capture.ndjson"), show_default=True,
              help="NDJSON file every accepted message is appended to (gen validate, gen infer and "
                   "--engine spark read it).")
@click.option("--fail-on", "fail_on", default=None, metavar="CLASSES", help=FAIL_ON_HELP)
@click.option("--write-key", default=None, metavar="K", help="Accept only this write key (default: any).")
@click.option("--product-version", default=None, metavar="V",
              help="Also check what version V sends, as gen validate --product-version does.")
@click.option("--until-idle", type=click.FloatRange(min=0, min_open=True), default=None, metavar="S",
              help="Stop after S seconds without a request, print the report and exit (for CI).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="The report printed at the end: a human summary, or the JSON of GET /report.")
def collect(spec_dir: Path, schemas_dir: Path | None, host: str, port: int, capture_path: Path,
            fail_on: str | None, write_key: str | None, product_version: str | None, until_idle: float | None,
            fmt: str) -> None:
    """Run a local endpoint speaking Segment's HTTP tracking API (POST /v1/batch,
    /v1/track, ...) that checks each track message against the spec as it arrives.

    Point the product's Segment client at http://HOST:PORT.  Every accepted message is
    appended to the capture before it is answered; GET / is a live page, GET /report
    the JSON report; POST /_control/opt-out says the product is now opted out (messages
    arriving then are violations).  On SIGTERM, Ctrl-C or --until-idle it prints the
    report and exits 0 (passes) or 1 (a --fail-on class has something), like gen validate.
    """
    import json

    from generator.collect.capture import Capture
    from generator.collect.server import Settings, serve
    from generator.collect.state import LiveState, text_report
    from generator.validate import Checker
    from generator.validate.report import write_report

    classes = _fail_on(fail_on)
    schemas = _schemas(spec_dir, schemas_dir)
    try:
        checker = Checker(schemas, product_version)
    except ValueError as exc:
        raise click.UsageError(f"--product-version: {exc}") from None
    try:
        capture = Capture(str(capture_path))
    except OSError as exc:
        raise click.UsageError(f"cannot open the capture '{capture_path}': {exc.strerror or exc}") from None
    try:
        state = LiveState(checker, capture, classes)

        def ready(bound_host: str, bound_port: int) -> None:
            click.echo(f"gen collect: listening on http://{bound_host}:{bound_port} (live page: /, report: "
                       f"/report); appending to {capture_path}", err=True)

        try:
            why = serve(state, Settings(host, port, write_key, until_idle), ready)
        except OSError as exc:
            raise click.UsageError(str(exc)) from None
    finally:
        capture.close()
    click.echo(f"gen collect: stopped ({why})", err=True)
    report = json.dumps(state.report(), indent=2) + "\n" if fmt == "json" else text_report(state)
    write_report(report, "gen collect")
    sys.exit(0 if state.verdict()[0] else 1)
