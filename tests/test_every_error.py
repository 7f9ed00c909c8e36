"""Every error in one run: each stage runs on what the earlier stages could read.

``tests/cases/err_every_stage`` plants mistakes in loading, the format, references and
lint; one ``check_spec`` reports every one of them (its golden ``expected.txt`` holds
the exact lines), every unknown reference comes with a did-you-mean, and a help line
lists what fits where the error is.
"""

from __future__ import annotations

from pathlib import Path

from generator.pipeline import check_spec

CASE = Path(__file__).parent / "cases" / "err_every_stage" / "spec"

LOAD = {"duplicate-key"}
FORMAT = {"unknown-key", "unknown-kind", "invalid-value"}
REFERENCES = {"unknown-reference"}
LINT = {"field-description", "free-text-personal-data"}


def test_one_run_reports_every_stage() -> None:
    spec, findings = check_spec(CASE)
    assert spec is None
    codes = [f.code for f in findings]
    assert len(findings) >= 6
    for stage in (LOAD, FORMAT, REFERENCES, LINT):
        assert stage & set(codes), f"no finding of {sorted(stage)} in {codes}"
    assert set(codes) == LOAD | FORMAT | REFERENCES | LINT


def test_unknown_references_suggest_what_is_declared() -> None:
    _, findings = check_spec(CASE)
    refs = {f.message: f.help for f in findings if f.code == "unknown-reference"}
    assert refs["opt-out setting 'Telemetry.Enabled' is not declared"].startswith("did you mean 'Telemetry.Enable'?")
    assert refs["payload names section 'confg', which is not declared"].startswith("did you mean 'config'?")
    assert "none is declared" in refs["edition 'enterprise' is not declared"]


def test_help_lists_what_fits_where_the_error_is() -> None:
    """A setting's unknown control lists the controls (never the field kinds); a field's
    unknown kind lists the kinds, and names the format-2 kind of a format-1 one."""
    _, findings = check_spec(CASE)
    control = next(f for f in findings if "control" in f.message)
    assert control.help.startswith("did you mean 'environment_variable'?")
    assert "cli_flag" in control.help and "timestamp_ms" not in control.help
    kind = next(f for f in findings if f.code == "unknown-kind")
    assert "'timestamp_ms' in format 2" in kind.help and "string_list" in kind.help
