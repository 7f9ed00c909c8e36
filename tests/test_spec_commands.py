"""``gen init``, ``gen schema``, ``gen --version`` and the summary of a clean ``gen check``."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

from click.testing import CliRunner

from generator.cli import main
from generator.schemas.build_spec_schema import SPEC_SCHEMA


def gen(*args: str):
    return CliRunner().invoke(main, list(args))


def test_init_writes_a_spec_that_builds_and_checks(tmp_path: Path) -> None:
    spec, out = tmp_path / "spec", tmp_path / "generated"
    r = gen("init", str(spec))
    assert r.exit_code == 0, r.output
    text = (spec / "spec.yaml").read_text(encoding="utf-8")
    assert text.count("\n#") + text.count("  # ") >= 10, "the starter spec explains itself in comments"
    assert json.loads((spec / "spec.schema.json").read_text(encoding="utf-8")) == SPEC_SCHEMA
    r = gen("check", "--spec", str(spec), "--no-output")
    assert r.exit_code == 0, r.output
    r = gen("build", "--spec", str(spec), "--out", str(out))
    assert r.exit_code == 0, r.output
    r = gen("check", "--spec", str(spec), "--out", str(out))
    assert r.exit_code == 0, r.output
    assert f"gen check: {spec}: 1 feature, 1 payload, 3 fields, 0 errors, 0 warnings" in r.output


def test_init_refuses_a_folder_with_files(tmp_path: Path) -> None:
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "mine.yaml").write_text("x: 1\n", encoding="utf-8")
    r = gen("init", str(tmp_path / "spec"))
    assert r.exit_code == 2 and "already exists" in r.output
    assert (tmp_path / "spec" / "mine.yaml").read_text(encoding="utf-8") == "x: 1\n"
    assert sorted(p.name for p in (tmp_path / "spec").iterdir()) == ["mine.yaml"]


def test_schema_prints_the_spec_format_schema() -> None:
    r = gen("schema")
    assert r.exit_code == 0 and json.loads(r.output) == SPEC_SCHEMA


def test_version() -> None:
    r = gen("--version")
    assert r.exit_code == 0 and r.output.strip() == f"gen {version('telemetry-spec-generator')}"


def test_check_summary_counts_findings(tmp_path: Path) -> None:
    spec = tmp_path / "spec"
    assert gen("init", str(spec)).exit_code == 0
    text = (spec / "spec.yaml").read_text(encoding="utf-8")
    (spec / "spec.yaml").write_text(text.replace("        values: [light, dark]\n", ""), encoding="utf-8")
    r = gen("check", "--spec", str(spec), "--no-output")
    assert r.exit_code == 0, r.output
    assert "1 feature, 1 payload, 3 fields, 0 errors, 1 warning" in r.output
