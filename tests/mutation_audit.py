"""Mutation audit: break one behaviour on purpose, run the tests that must catch it,
restore; for every breakage listed in ``BREAKAGES`` (not a test module: pytest does not
collect it, and it changes files while it runs).

    python tests/mutation_audit.py                 # every breakage, its catching tests
    python tests/mutation_audit.py -k fsync        # breakages whose name contains "fsync"
    python tests/mutation_audit.py --full          # the whole suite for each breakage
    python tests/mutation_audit.py --list          # names and catching tests only

A breakage is a text replacement (``old`` -> ``new``, first occurrence; or, with
``regex``, every match of a regular expression) in one file.  The file is restored afterwards, also on Ctrl-C; run it on a clean worktree and
check ``git status`` when it is done.  The result per breakage is ``caught`` (the
catching tests failed; the first failing assertion is shown), ``NOT CAUGHT`` (they
passed: a blind spot, fix the tests) or ``STALE`` (the ``old`` text is gone: the code
moved, update the entry).  Exit status 1 when anything is not caught or stale.

docs/testing.md explains the habit and lists the breakages with the test that catches
each; keep the two in step.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Breakage:
    name: str
    file: str
    old: str
    new: str
    tests: tuple[str, ...]  # pytest node ids or files that must fail
    regex: bool = False  # ``old`` is a regular expression; every match is replaced


BREAKAGES = [
    # --- the six of issue #16 -----------------------------------------------------------
    Breakage(
        "writer: both os.fsync calls removed",
        "generator/outdir.py",
        r"os\.fsync\((ffd|fd)\)",
        "None",
        ("tests/test_output_folder.py::test_every_file_is_on_disk_before_the_rename_that_puts_it_in_place",),
        regex=True,
    ),
    Breakage(
        "writer: no syncfs before the journal",
        "generator/writer.py",
        "        if not SYNC_EACH:\n            try:\n                folder.sync_all()",
        "        if False:\n            try:\n                folder.sync_all()",
        ("tests/test_output_folder.py::test_every_file_is_on_disk_before_the_rename_that_puts_it_in_place",),
    ),
    Breakage(
        "gen build exits 0 on a spec with errors",
        "generator/cli.py",
        'click.echo("gen build: spec has errors; nothing was written", err=True)\n        sys.exit(1)',
        'click.echo("gen build: spec has errors; nothing was written", err=True)\n        sys.exit(0)',
        ("tests/test_cli.py::test_build_of_a_spec_with_errors_exits_1_and_changes_nothing",),
    ),
    Breakage(
        "committed generated/: additionalProperties true in one schema",
        "generated/schemas/config_service.schema.json",
        '"additionalProperties": false',
        '"additionalProperties": true',
        ("tests/test_committed_tree.py",),
    ),
    Breakage(
        "committed generated/: text appended to telemetry.rst",
        "generated/docs/telemetry.rst",
        r"\Z",
        "An appended line.\n",
        ("tests/test_committed_tree.py::test_committed_generated_is_what_the_spec_produces",),
        regex=True,
    ),
    Breakage(
        "catalogue field_groups.kinds built from a set()",
        "generator/targets/catalog.py",
        '"kinds": list(g.kinds)',
        '"kinds": list(set(g.kinds))',
        ("tests/test_determinism.py::test_targets_are_identical_under_many_hash_seeds",),
    ),
    Breakage(
        "GitHub annotations: newlines in messages left unescaped",
        "generator/diagnostics.py",
        '.replace("\\n", "%0A")',
        "",
        (
            "tests/test_cli.py::test_github_annotation_escapes_newlines_and_separators",
            "tests/test_cli.py::test_github_annotation_escapes_a_multi_line_message",
        ),
    ),
    Breakage(
        "msgspec whole-line fast path disabled (no decoders built)",
        "generator/validate/check.py",
        "self._lines = LineDecoders(self.schemas) if usable else False",
        "self._lines = False",
        ("tests/test_validate_cmd.py::test_valid_lines_take_the_whole_line_fast_path",),
    ),
    Breakage(
        "msgspec whole-line fast path disabled (no payload gets a struct)",
        "generator/validate/fast.py",
        '    props = schema.get("properties")\n    if (',
        '    props = schema.get("properties")\n    if True or (',
        ("tests/test_validate_cmd.py::test_whole_line_decoders_never_accept_what_the_schema_rejects",),
    ),
    # --- the quiet substitutions and skips ------------------------------------------------
    Breakage(
        "bundled spec broken (unknown key in the product)",
        "spec/00_product.yaml",
        "product:\n",
        "product:\n  no_such_key: 1\n",
        (
            "tests/test_catalog.py::test_bundled_catalog_is_valid_and_complete",
            "tests/test_determinism.py::test_two_folders_two_hash_seeds_identical_bytes",
            "tests/test_conformance.py::test_generated_suite_passes_on_the_bundled_spec",
        ),
    ),
    Breakage(
        "CI detection back to CI == 'true' only",
        "tests/_ci.py",
        "return value.strip().lower() not in _OFF",
        'return value == "true"',
        ("tests/test_ci_rule.py",),
    ),
    Breakage(
        "seed tests read the page outside the repository again",
        "tests/seed_facts.py",
        'return json.loads(FACTS.read_text(encoding="utf-8"))',
        'return extract(PAGE.read_text(encoding="utf-8"))',
        ("tests/test_ci_rule.py::test_seed_tests_pass_under_ci_where_there_is_no_seed_page",),
    ),
    Breakage(
        ".ci/run no longer runs gen check",
        ".ci/run",
        "\ngen check\n",
        "\n",
        ("tests/test_committed_tree.py::test_ci_runs_gen_check_after_the_install_and_before_the_tests",),
    ),
    # --- further breakages ----------------------------------------------------------------
    Breakage(
        "schemas allow undeclared keys (generator)",
        "generator/targets/json_schema.py",
        '"additionalProperties": False,',
        '"additionalProperties": True,',
        ("tests/test_json_schema.py", "tests/test_agreement.py"),
    ),
    # (Not listed: extra="ignore" in templates/models/_base.py.  Every generated class
    # also sets extra='forbid' itself, from its schema's additionalProperties: false, so
    # that change alone alters no behaviour and no test can catch it.)
    Breakage(
        "models convert types (strict mode off)",
        "generator/templates/models/_base.py",
        "strict=True,",
        "strict=False,",
        ("tests/test_agreement.py", "tests/test_models.py"),
    ),
    Breakage(
        "duplicate YAML keys accepted (the last one wins)",
        "generator/load.py",
        "                if value in top.value:\n",
        "                if False:\n",
        ("tests/test_load.py", "tests/test_cases.py"),
    ),
    Breakage(
        "rst: '*' in spec text no longer escaped",
        "generator/targets/escape.py",
        '_RST_ALWAYS = frozenset("\\\\*`|_@")',
        '_RST_ALWAYS = frozenset("\\\\`|_@")',
        ("tests/test_docs_rst.py",),
    ),
    Breakage(
        "gen check exits 0 when generated/ differs",
        "generator/cli.py",
        "    sys.exit(0 if outcome.ok else 1)",
        "    sys.exit(0)",
        ("tests/test_writer.py::test_hand_edit_fails_check_with_a_unified_diff",
         "tests/test_committed_tree.py::test_ci_fails_on_a_hand_edited_tree_before_the_tests"),
    ),
    Breakage(
        "an internal error exits 1 instead of 3",
        "generator/cli.py",
        "            sys.exit(3)",
        "            sys.exit(1)",
        ("tests/test_cli.py::test_internal_error_is_a_short_message_and_exit_3",),
    ),
    Breakage(
        "conftest no longer turns skips into failures under CI",
        "tests/conftest.py",
        "    if report.skipped and in_ci()",
        "    if False and report.skipped and in_ci()",
        ("tests/test_ci_rule.py::test_under_ci_every_kind_of_skip_fails",),
    ),
    Breakage(
        "YAML alias bomb no longer refused by the node budget",
        "generator/load.py",
        "            if count > limit:\n                raise too_many(mark, alias=True)",
        "            if False:\n                raise too_many(mark, alias=True)",
        ("tests/test_load.py::test_billion_laughs_is_refused_under_a_memory_limit",),
    ),
    Breakage(
        "unused lint suppressions no longer reported",
        "generator/lint.py",
        "elif id(by_scope[s.scope][s.rule]) not in used:",
        "elif False:",
        ("tests/test_cases.py",),
    ),
    Breakage(
        "conformance vectors: the undeclared-key vector carries no undeclared key",
        "generator/targets/conformance.py",
        '{**base, extra: "leak"},',
        "{**base},",
        ("tests/test_conformance.py::test_vectors_agree_with_the_schemas_and_name_their_problem",),
    ),
    Breakage(
        "HTML catalogue: Content-Security-Policy allows any source",
        "generator/targets/docs_html.py",
        "\"default-src 'none'; \"",
        '"default-src *; "',
        ("tests/test_docs_html.py",),
    ),
    Breakage(
        "gen validate exits 0 when payloads fail",
        "generator/validate/report.py",
        "        return not self.failing",
        "        return True",
        ("tests/test_validate_cmd.py",),
    ),
    Breakage(
        "catalogue: uses_input_data inverted",
        "generator/targets/catalog.py",
        '"uses_input_data": f.uses_input_data,',
        '"uses_input_data": not f.uses_input_data,',
        ("tests/test_catalog.py::test_minimal_catalog_resolves_inheritance",),
    ),
    Breakage(
        "gen validate --jobs: merged tallies lose the untabulated problems' count",
        "generator/validate/report.py",
        "        self.problems_dropped += later.problems_dropped",
        "        pass",
        ("tests/test_validate_cmd.py::test_jobs_count_problems_beyond_the_table_as_a_serial_run_does",),
    ),
    Breakage(
        "parsed spec files: an entry is used without its checksum",
        "generator/parsed_cache.py",
        "if not body.startswith(_MAGIC) or hashlib.sha256(key.encode() + body).digest() != digest:",
        "if not body.startswith(_MAGIC):",
        ("tests/test_parsed_cache.py::test_an_entry_that_does_not_verify_or_is_not_one_is_parsed_again",),
    ),
    Breakage(
        "parsed spec files: gen build never reuses one",
        "generator/parsed_cache.py",
        "        raw = _parse(key, rel, blob) if blob is not None else None",
        "        raw = None",
        ("tests/test_parsed_cache.py::test_a_verifying_entry_is_used_by_gen_build_but_never_by_gen_check",),
    ),
]


def _first_error(output: str) -> str:
    """The first failing test and the first ``E`` line of its report."""
    failed = next((ln for ln in output.splitlines() if ln.startswith(("FAILED ", "ERROR "))), "")
    where = next((ln for ln in output.splitlines() if re.match(r"^\S+\.py:\d+: ", ln)), "")
    e_line = next((ln.strip() for ln in output.splitlines() if ln.startswith("E ")), "")
    return " | ".join(x for x in (failed[:160], where, e_line[:200]) if x)


def run(b: Breakage, full: bool) -> tuple[str, str]:
    path = ROOT / b.file
    original = path.read_bytes()
    text = original.decode("utf-8")
    if b.regex:
        broken, n = re.subn(b.old, lambda m: b.new, text)
    else:
        broken, n = text.replace(b.old, b.new, 1), text.count(b.old)
    if n == 0:
        return "STALE", f"{b.file} no longer contains the text to replace"
    path.write_bytes(broken.encode("utf-8"))
    try:
        targets = ["tests/"] if full else list(b.tests)
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-rfE", *targets],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )
    finally:
        path.write_bytes(original)
    out = proc.stdout + proc.stderr
    if proc.returncode == 0:
        return "NOT CAUGHT", out.strip().splitlines()[-1] if out.strip() else ""
    if proc.returncode not in (1, 2):
        return "ERROR", out[-2000:]
    return "caught", _first_error(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-k", default="", help="only breakages whose name contains this text")
    ap.add_argument("--full", action="store_true", help="run the whole suite for each breakage")
    ap.add_argument("--list", action="store_true", help="list the breakages and their tests")
    args = ap.parse_args()
    chosen = [b for b in BREAKAGES if args.k.lower() in b.name.lower()]
    if args.list:
        for b in chosen:
            print(f"{b.name}\n    {b.file}\n    caught by: {', '.join(b.tests)}")
        return 0
    bad = 0
    for b in chosen:
        t = time.monotonic()
        verdict, detail = run(b, args.full)
        bad += verdict != "caught"
        print(f"[{verdict}] {b.name} ({time.monotonic() - t:.0f} s)\n    {detail}", flush=True)
    print(f"{len(chosen) - bad} of {len(chosen)} breakages caught")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
