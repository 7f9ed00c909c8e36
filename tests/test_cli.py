"""The ``gen`` command line: exit codes (0 clean, 1 spec errors, 2 usage errors, 3
internal error), the three finding formats, help texts, and never a traceback.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import generator.pipeline
from generator.cli import main
from generator.pipeline import check_spec

CASES = Path(__file__).parent / "cases"
REPO = Path(__file__).resolve().parents[1]
OK = CASES / "ok_base" / "spec"
BAD = CASES / "err_many_files" / "spec"
WARN_ONLY = CASES / "lint_empty_section" / "spec"


def run(*args: str):
    return CliRunner().invoke(main, list(args))


# ------------------------------------------------------------ exit codes
def test_clean_spec_exits_0_and_prints_one_summary_line() -> None:
    r = run("check", "--no-output", "--spec", str(OK))
    assert r.exit_code == 0, r.output
    assert r.stdout == ""
    assert re.fullmatch(r"gen check: \S+: \d+ features?, \d+ payloads?, \d+ fields?, 0 errors, 0 warnings\n", r.stderr)


def test_spec_errors_exit_1_with_every_finding_on_stderr() -> None:
    r = run("check", "--no-output", "--spec", str(BAD))
    assert r.exit_code == 1
    _, findings = check_spec(BAD)
    for f in findings:
        assert f"{f.location}: {f.severity}[{f.code}]: {f.message}\n  help: {f.help}\n" in r.stderr
    assert r.stderr.endswith(f"{len(findings)} error(s), 0 warning(s)\n")
    assert r.stdout == ""


@pytest.mark.parametrize("extra", [[], ["--check"]])
def test_build_of_a_spec_with_errors_exits_1_and_changes_nothing(tmp_path: Path, extra: list[str]) -> None:
    out = tmp_path / "out"
    r = run("build", "--spec", str(BAD), "--out", str(out), *extra)
    assert r.exit_code == 1, r.output
    _, findings = check_spec(BAD)
    assert f"{len(findings)} error(s), 0 warning(s)\n" in r.stderr
    assert r.stderr.endswith("gen build: spec has errors; nothing was written\n")
    assert not out.exists()
    # Over an earlier build: the same exit code, and not a byte changes.
    assert run("build", "--spec", str(OK), "--out", str(out)).exit_code == 0
    before = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert run("build", "--spec", str(BAD), "--out", str(out), *extra).exit_code == 1
    assert {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} == before


def test_warnings_alone_do_not_fail() -> None:
    r = run("check", "--no-output", "--spec", str(WARN_ONLY))
    assert r.exit_code == 0
    assert "warning[empty-section]" in r.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--no-output", "--spec", "/nonexistent/spec"],
        ["check", "--no-output", "--spec", str(OK / "product.yaml")],  # a file, not a folder
        ["check", "--no-output", "--spec", str(OK), "--format", "xml"],
        ["check", "--no-such-option"],
        ["no-such-command"],
        ["build", "--spec", "/nonexistent/spec", "--out", "/nonexistent/out"],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    r = run(*args)
    assert r.exit_code == 2, r.output
    assert "Usage:" in r.stderr or "Error:" in r.stderr
    assert "Traceback" not in r.output


def test_missing_spec_folder_says_how_to_fix() -> None:
    r = run("check", "--spec", "/nonexistent/spec")
    assert "spec folder '/nonexistent/spec' does not exist" in r.stderr
    assert "--spec DIR" in r.stderr


def test_no_output_only_checks_the_spec(tmp_path: Path) -> None:
    """With --no-output, OUT is not looked at: a missing output folder is fine."""
    r = run("check", "--no-output", "--spec", str(OK), "--out", str(tmp_path / "missing"))
    assert r.exit_code == 0
    assert not (tmp_path / "missing").exists()


def test_internal_error_is_a_short_message_and_exit_3(monkeypatch) -> None:
    def boom(spec_dir):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(generator.pipeline, "check_spec", boom)
    monkeypatch.delenv("GEN_DEBUG", raising=False)
    r = run("check", "--no-output", "--spec", str(OK))
    assert r.exit_code == 3
    assert "gen: internal error: RuntimeError: simulated failure" in r.stderr
    assert "This is a bug in the generator, not in your spec" in r.stderr
    assert "Traceback" not in r.output
    assert not isinstance(r.exception, RuntimeError)  # handled, not escaped


# ------------------------------------------------------------ formats
def test_json_gives_the_same_findings_as_records() -> None:
    r = run("check", "--no-output", "--spec", str(BAD), "--format", "json")
    assert r.exit_code == 1
    records = json.loads(r.stdout)
    _, findings = check_spec(BAD)
    assert records == [f.as_dict() for f in findings]
    assert set(records[0]) == {"file", "line", "column", "severity", "code", "message", "help"}
    assert r.stderr == ""


def test_json_of_a_clean_spec_is_an_empty_list() -> None:
    r = run("check", "--no-output", "--spec", str(OK), "--format", "json")
    assert r.exit_code == 0
    assert json.loads(r.stdout) == []


def test_github_annotations() -> None:
    r = run("check", "--no-output", "--spec", str(BAD), "--format", "github")
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    _, findings = check_spec(BAD)
    assert len(lines) == len(findings)
    root = BAD.as_posix()
    first = findings[0]
    assert lines[0].startswith(
        f"::error file={root}/{first.location.file},line={first.location.line},col={first.location.column},title={first.code}::"
    )
    assert all(line.startswith("::error file=") for line in lines)
    w = run("check", "--no-output", "--spec", str(WARN_ONLY), "--format", "github")
    assert w.exit_code == 0
    assert w.stdout.startswith(f"::warning file={WARN_ONLY.as_posix()}/more.yaml,line=3,col=3,title=empty-section::")


def test_github_annotation_escapes_newlines_and_separators(tmp_path: Path) -> None:
    """GitHub's workflow-command rules: in the message ``%``, CR and LF become ``%25``,
    ``%0D``, ``%0A``; in a property (file, title) ``:`` and ``,`` too.  A spec file whose
    name holds all of them goes through the whole pipeline; each finding stays one line."""
    spec = tmp_path / "spec"
    spec.mkdir()
    (spec / "a\nb%,c:d.yaml").write_text("spec_format: 2\nproduct:\n  sumary: x\n", "utf-8")
    r = run("check", "--no-output", "--spec", str(spec), "--format", "github")
    assert r.exit_code == 1, r.output
    root = spec.as_posix()
    lines = r.stdout.split("\n")
    assert lines[-1] == "" and len(lines) == 3, r.stdout  # two findings, one line each
    assert lines[0].startswith(f"::error file={root}/a%0Ab%25%2Cc%3Ad.yaml,line=3,col=3,title=missing-key::")
    assert lines[1].startswith(f"::error file={root}/a%0Ab%25%2Cc%3Ad.yaml,line=3,col=3,title=unknown-key::")


def test_github_annotation_escapes_a_multi_line_message(monkeypatch) -> None:
    """A message and help that span lines (as a wrapped library error can) stay in one
    annotation, escaped exactly; ``:`` and ``,`` in the message are left alone."""
    from generator.diagnostics import Finding
    from generator.model import Location

    found = [
        Finding("multi-line", "error", "first\nsecond\r\nthird 100% a:b,c", Location("x.yaml", 2, 5), "do\nthis"),
        Finding("odd,code:x", "warning", "%0A is not a newline", Location("y.yaml", 0, 0)),
    ]
    monkeypatch.setattr(generator.pipeline, "check_spec", lambda spec_dir: (None, found))
    r = run("check", "--no-output", "--spec", str(OK), "--format", "github")
    assert r.exit_code == 1
    root = OK.as_posix()
    assert r.stdout == (
        f"::error file={root}/x.yaml,line=2,col=5,title=multi-line::first%0Asecond%0D%0Athird 100%25 a:b,c (help: do%0Athis)\n"
        f"::warning file={root}/y.yaml,title=odd%2Ccode%3Ax::%250A is not a newline\n"
    )


# ------------------------------------------------------------ help
def test_main_help() -> None:
    r = run("--help")
    assert r.exit_code == 0
    for word in ("check", "build", "rules", "targets", "Exit codes"):
        assert word in r.output


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_subcommand_explains_itself(command: str) -> None:
    r = run(command, "--help")
    assert r.exit_code == 0, r.output
    assert r.output.startswith(f"Usage: main {command}") or r.output.startswith("Usage: ")
    doc = main.commands[command].help or ""
    assert doc.strip(), f"{command} has no help text"
    params = {p.name for p in main.commands[command].params}
    if "spec_dir" in params:
        assert "--spec" in r.output
    if "out_dir" in params:
        assert "--out" in r.output


def test_check_and_build_take_spec_and_out() -> None:
    for command in ("check", "build"):
        r = run(command, "--help")
        assert "--spec DIRECTORY" in r.output and "--out DIRECTORY" in r.output
        assert "[default: spec]" in r.output and "[default: generated]" in r.output


def test_targets_lists_the_registry() -> None:
    from generator.targets import TARGETS

    r = run("targets")
    assert r.exit_code == 0
    for t in TARGETS:
        assert t.name in r.output


# ------------------------------------------------------------ a real process
def test_real_process_exit_codes_and_no_traceback(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))

    def gen(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "generator.cli", *args], check=False, capture_output=True, text=True, env=env, timeout=120)

    assert gen("check", "--no-output", "--spec", str(OK)).returncode == 0
    bad = gen("check", "--no-output", "--spec", str(BAD))
    assert bad.returncode == 1 and "error[" in bad.stderr
    usage = gen("check", "--spec", str(tmp_path / "nope"))
    assert usage.returncode == 2
    for p in (bad, usage):
        assert "Traceback" not in p.stderr + p.stdout


def test_github_annotation_paths_are_normalised() -> None:
    """Annotations name files relative to where CI runs, without `./` or `a/../`."""
    from generator.diagnostics import Finding, format_github
    from generator.model import Location

    f = Finding("unknown-key", "error", "m", Location("a.yaml", 1, 2))
    assert format_github([f], root=".").startswith("::error file=a.yaml,")
    assert format_github([f], root="spec/").startswith("::error file=spec/a.yaml,")
    assert format_github([f], root="x/../spec").startswith("::error file=spec/a.yaml,")


def test_a_reader_that_goes_away_is_not_an_internal_error():
    """``gen schema | head``: the pipe's reader closes early; gen stops quietly with the
    shell's SIGPIPE code (141), never "internal error" (it said so, exit 3)."""
    gen = Path(sys.executable).with_name("gen")
    p = subprocess.Popen([str(gen), "schema"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()
    err = p.stderr.read()
    p.stderr.close()
    assert p.wait(timeout=60) == 141
    assert b"internal error" not in err and b"Traceback" not in err


_SWALLOWING_CHILD = """
import atexit, os, signal, sys, time
import click
import generator.cli
from generator import console, interrupt

interrupt.GRACE_SECONDS = 2.0
MODULES = sys.argv[2]
atexit.register(lambda: print("cleaned up"))  # an exit that is not the watchdog's runs it

class Panic(BaseException):  # as pyo3's PanicException: not an Exception
    pass

@click.command()
@click.argument("mode")
def go(mode):
    if mode == "import":  # a module whose initialisation prints a panic if interrupted
        sys.path.insert(0, MODULES)
        import native_like
        time.sleep(30)
    try:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C lands in a library's code...
        time.sleep(30)
    except:  # noqa: E722 - ...that has a bare except around an optional import
        if mode == "exception":
            raise RuntimeError("import failed")
        if mode == "base":
            raise Panic("failed to import a stdlib module: SystemExit(130)")
    if mode == "finish":
        print("done")
        return
    sys.stdin.buffer.read()  # mode "block": a stream that never ends

group = generator.cli._Group()
group.add_command(go)
generator.cli.main = group
sys.argv = ["gen", "go", sys.argv[1]]
console.main()
"""


_NATIVE_LIKE = """
import os, signal, sys, time
try:
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.3)
except BaseException as exc:
    sys.stderr.write(f"thread panicked at src/lib.rs: failed to import: {exc!r}\\n")
    raise
"""


@pytest.mark.parametrize("mode", ["block", "finish", "exception", "base", "import"])
def test_ctrl_c_that_library_code_swallows_or_converts_still_ends_with_130(mode, tmp_path):
    """Ctrl-C raises into whatever code runs; a bare ``except:`` may swallow it (the run
    went on reading a stream that never ends: CI hung) and a native extension may turn
    it into its own exception (a traceback, exit 1). Either way the command ends with
    exit 130, "interrupted" once, and no traceback; a swallowed one within the grace. One
    that comes while a module is imported waits until the import is over (a native
    extension's initialisation printed a Rust panic)."""
    import tempfile

    env = dict(os.environ, PYTHONPATH=str(REPO))
    with tempfile.TemporaryFile() as out_f, tempfile.TemporaryFile() as err_f:
        (tmp_path / "native_like.py").write_text(_NATIVE_LIKE)
        p = subprocess.Popen([sys.executable, "-c", _SWALLOWING_CHILD, mode, str(tmp_path)], stdin=subprocess.PIPE,
                             stdout=out_f, stderr=err_f, env=env)
        try:
            p.wait(timeout=60)  # standard input stays open: "block" cannot end by itself
        finally:
            p.kill()
            p.stdin.close()
        out_f.seek(0)
        err_f.seek(0)
        out, err = out_f.read(), err_f.read()
    assert p.returncode == 130, (mode, p.returncode, err)
    assert err.decode().count("interrupted") == 1, err
    assert b"Traceback" not in err and b"internal error" not in err and b"panicked" not in err, err
    assert out == {"block": b"", "finish": b"done\ncleaned up\n"}.get(mode, b"cleaned up\n")
