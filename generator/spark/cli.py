"""The ``gen validate`` options of the Spark engine, turned into a run.

``validate_on_spark`` is what the validate command calls for ``--engine spark``: it
checks the option combination, finds the payloads' Spark schemas when ``--output``
needs them (from the spec, or from a vendored ``generated/`` folder beside
``--schemas``), runs ``generator.spark.job`` and turns what can go wrong into the CLI's
answers: a usage error (exit 2) for bad options, a missing PySpark or a Spark that will
not start; a plain message and exit 3 for a job that fails.  No traceback either way.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click


def tables_of_spec(spec) -> dict[str, dict]:
    """Every payload's generated Spark schema (JSON form), from the resolved spec."""
    from generator.targets.warehouse_spark import spark_schema

    return {p.wire_name: spark_schema(p) for p in spec.payloads}


def tables_of_folder(schemas_dir: Path) -> dict[str, dict]:
    """The Spark schemas vendored beside a ``generated/schemas`` folder
    (``generated/warehouse/spark/<wire name>.json``)."""
    folder = schemas_dir.parent / "warehouse" / "spark"
    out = {}
    if folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            try:
                out[path.name[: -len(".json")]] = json.loads(path.read_bytes())
            except (OSError, ValueError) as exc:
                raise click.UsageError(f"{path}: not a readable JSON document: {exc}") from None
    return out


def validate_on_spark(schemas: dict, paths, payload, engine: str, master, output, spec, schemas_dir):
    """Run ``gen validate --engine spark`` and return the engine's tally."""
    if engine != "spark":
        raise click.UsageError("--master and --output go with --engine spark")
    try:
        from generator.spark import job
    except ImportError as exc:  # pragma: no cover - job imports only the engine
        raise click.UsageError(str(exc)) from None
    tables = None
    if output is not None:
        tables = tables_of_spec(spec) if spec is not None else tables_of_folder(Path(schemas_dir))
    try:
        return job.validate(schemas, paths, payload, master, output, tables)
    except (job.SparkUnavailable, job.engine.UsageError) as exc:
        raise click.UsageError(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - a failed job: said plainly, exit 3
        java = getattr(exc, "java_exception", None)  # py4j: the JVM's own message says more
        text = str(java.getMessage() if java is not None else exc).strip().splitlines()
        click.echo(f"gen validate: the Spark job failed: {text[0] if text else type(exc).__name__}", err=True)
        if output is not None:
            click.echo(f"gen validate: nothing was kept under {output}", err=True)
        sys.exit(3)
