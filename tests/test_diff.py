"""``gen diff``: the three kinds of sides agree, the bundled spec against itself is empty,
a dozen realistic edits give exactly the expected records, git revisions are read from
the object store, formats and exit codes; ``gen check --baseline`` and the docs'
Changes section.  (Each rule's own fixture pair is in tests/test_diff_rules.py.)"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.diff.compare import diff_catalogs
from generator.diff.sources import SourceError, catalog_of_spec, load_side
from generator.pipeline import check_spec

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "spec"
RULES_DIR = Path(__file__).parent / "diff_rules"

# (file, old text, new text): a dozen edits a maintainer makes between releases, plus one
# that changes only comments and layout.
EDITS = [
    # 1. a field added (with the version it is sent from)
    ("30_server_configuration.yaml", "      - {name: EnableCommands, kind: boolean}\n",
     ("      - {name: EnableCommands, kind: boolean}\n"
      "      - {name: EnableLinkPreviews, kind: boolean, product_versions: {min: \"5.7\"}}\n")),
    # 2. a field removed
    ("30_server_configuration.yaml", "      - {name: EnableTesting, kind: boolean}\n", ""),
    # 3. a kind widened to free text
    ("30_server_configuration.yaml", "      - {name: WebserverMode, kind: enumerated_integer}\n",
     "      - {name: WebserverMode, kind: string, personal_data_note: One of the server's own mode names.}\n"),
    # 4. a wire-key override changed (dropping it would no longer change the key: the
    #    shipped acronym list derives enable_oauth_service_provider too)
    ("30_server_configuration.yaml", "{name: EnableOAuthServiceProvider, kind: boolean, wire_key: enable_oauth_service_provider}",
     "{name: EnableOAuthServiceProvider, kind: boolean, wire_key: enable_o_auth_service_provider}"),
    # 5. a schedule made more frequent
    ("10_security_update_check.yaml", "    title: Security Update Check\n    schedule: every 24h\n",
     "    title: Security Update Check\n    schedule: every 12h\n"),
    # 6. an enumeration gains a value
    ("10_security_update_check.yaml", "values: [Enterprise, Team]", "values: [Enterprise, Team, Cloud]"),
    # 7. an enumeration loses a value
    ("40_license_plugins_usage.yaml", "values: [E10, E20]", "values: [E20]"),
    # 8. a payload limited to an edition
    ("20_deployment_configuration.yaml", "    wire_name: deployment_configuration\n",
     "    wire_name: deployment_configuration\n    edition: enterprise\n"),
    # 9. a new destination
    ("00_product.yaml", "    destination: api.segment.io\n", "    destination: telemetry.example.com\n"),
    # 10. an opt-out moved in the console
    ("00_product.yaml", "console_path: [System Console, Notifications, Email, Enable Security Alerts]",
     "console_path: [System Console, Environment, Security, Enable Security Alerts]"),
    # 11. an event removed
    ("50_events.yaml",
     "  - {type: event, wire_name: rhs_expand, title: Expanded the right-hand sidebar, section: diagnostic_information, category: advanced_feature_discovery, fields: []}\n",
     ""),
    # 12. an event added
    ("50_events.yaml",
     "  - {type: event, wire_name: post_pin, title: Pinned a message, section: diagnostic_information, category: advanced_feature_discovery, fields: []}\n",
     ("  - {type: event, wire_name: post_pin, title: Pinned a message, section: diagnostic_information, category: advanced_feature_discovery, fields: []}\n"
      "  - {type: event, wire_name: post_bookmark, title: Bookmarked a message, section: diagnostic_information, category: advanced_feature_discovery, product_versions: {min: \"5.7\"}, fields: []}\n")),
    # 13. wording only
    ("40_license_plugins_usage.yaml", "        description: license issue date\n", "        description: the date the license was issued\n"),
    # 14. comments and layout only: no record
    ("10_security_update_check.yaml", "payloads:\n", "# a comment a reviewer added\n\npayloads:   # trailing comment\n"),
]

# (rule, payload, field, before, after), in the order gen diff reports them.
EXPECTED = [
    ("opt-out-moved", None, None,
     {"setting": "ServiceSettings.EnableSecurityFixAlert", "console_path": ["System Console", "Notifications", "Email", "Enable Security Alerts"]},
     {"setting": "ServiceSettings.EnableSecurityFixAlert", "console_path": ["System Console", "Environment", "Security", "Enable Security Alerts"]}),
    ("destination-changed", None, None, "api.segment.io", "telemetry.example.com"),
    ("schedule-more-frequent", "security_update_check", None, "every 24h", "every 12h"),
    ("values-added", "security_update_check", "build_type", ["Enterprise", "Team"], ["Enterprise", "Team", "Cloud"]),
    ("edition-narrowed", "deployment_configuration", None, None, "enterprise"),
    ("kind-widened", "config_service", "webserver_mode", "enumerated_integer", "string"),
    ("field-wording-changed", "config_service", "webserver_mode", "", "One of the server's own mode names."),
    ("field-removed", "config_service", "enable_testing", "boolean", None),
    ("wire-key-changed", "config_service", "enable_o_auth_service_provider", "enable_oauth_service_provider", "enable_o_auth_service_provider"),
    ("field-added", "config_service", "enable_link_previews", None, "boolean"),
    ("field-wording-changed", "license", "issued_at", "license issue date", "the date the license was issued"),
    ("values-removed", "license", "short_name", ["E10", "E20"], ["E20"]),
    ("event-removed", "rhs_expand", None, "rhs_expand", None),
    ("event-added", "post_bookmark", None, None, "post_bookmark"),
]


def _edited_spec(tmp_path: Path, edits=EDITS) -> Path:
    dst = tmp_path / "spec"
    shutil.copytree(SPEC, dst)
    for name, old, new in edits:
        path = dst / name
        text = path.read_text("utf-8")
        assert text.count(old) == 1, f"edit no longer matches {name} exactly once: {old!r}"
        path.write_text(text.replace(old, new), "utf-8")
    return dst


def _run(*args: str, cwd: Path | None = None):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def bundled() -> dict:
    return catalog_of_spec(SPEC, "the bundled spec")


def test_bundled_spec_against_itself_is_empty_from_every_kind_of_side(bundled, tmp_path):
    for base in (str(SPEC), "HEAD", str(REPO / "generated" / "catalog.json"), str(REPO / "generated")):
        r = _run("diff", base, str(SPEC), "--spec", str(SPEC), "--format", "json", "--fail-on", "breaking,expanded,additive,reduced")
        assert r.exit_code == 0, (base, r.output)
        assert json.loads(r.output) == [], base


def test_catalog_side_equals_folder_side(tmp_path, bundled):
    edited = _edited_spec(tmp_path)
    folder_to_folder = diff_catalogs(bundled, catalog_of_spec(edited, "edited"))
    out = tmp_path / "out"
    r = _run("build", "--spec", str(edited), "--out", str(out))
    assert r.exit_code == 0, r.output
    base_cat = load_side(str(REPO / "generated" / "catalog.json"), SPEC).catalog
    head_cat = load_side(str(out / "catalog.json"), SPEC).catalog
    assert base_cat == bundled
    assert diff_catalogs(base_cat, head_cat) == folder_to_folder
    assert len(folder_to_folder) == len(EXPECTED)


def test_catalog_file_and_spec_folder_give_the_same_document(tmp_path):
    """Values the model keeps as tuples (a list-valued off value) compare equal to the
    lists a catalog.json holds."""
    from generator.targets.catalog import render

    spec_dir = tmp_path / "spec"
    shutil.copytree(RULES_DIR / "field-added" / "before", spec_dir)
    text = (spec_dir / "spec.yaml").read_text("utf-8")
    (spec_dir / "spec.yaml").write_text(text.replace("{setting: Telemetry.Errors}", "{setting: Telemetry.Errors, off_values: [[off, none]]}"))
    spec, findings = check_spec(spec_dir)
    assert spec is not None, findings
    (tmp_path / "catalog.json").write_bytes(render(spec)["catalog.json"])
    assert load_side(str(tmp_path / "catalog.json"), SPEC).catalog == load_side(str(spec_dir), SPEC).catalog


def test_a_dozen_realistic_edits_give_exactly_these_records(tmp_path, bundled):
    edited = _edited_spec(tmp_path)
    changes = diff_catalogs(bundled, catalog_of_spec(edited, "edited"))
    assert [(c.rule, c.payload, c.field, c.before, c.after) for c in changes] == EXPECTED
    records = {(c.rule, c.payload, c.field): c.as_dict() for c in changes}
    added = records["field-added", "config_service", "enable_link_previews"]
    assert added == {
        "rule": "field-added", "privacy": "expanded", "compatibility": "additive", "severity": "warning",
        "feature": "error_and_diagnostics_reporting", "section": "server_configuration",
        "payload": "config_service", "field": "enable_link_previews",
        "before": None, "after": "boolean",
        "message": "new field config_service.enable_link_previews (ServiceSettings.EnableLinkPreviews, Boolean)",
    }
    widened = records["kind-widened", "config_service", "webserver_mode"]
    assert (widened["privacy"], widened["compatibility"]) == ("expanded", "breaking")
    assert widened["message"] == "field config_service.webserver_mode is now Free-text string instead of Enumerated integer"
    assert records["event-removed", "rhs_expand", None]["message"] == "event 'rhs_expand' is no longer sent"


def test_json_records_carry_every_documented_key(tmp_path):
    edited = _edited_spec(tmp_path)
    r = _run("diff", str(SPEC), str(edited), "--format", "json")
    assert r.exit_code == 0
    records = json.loads(r.output)
    assert len(records) == len(EXPECTED)
    for rec in records:
        assert {"rule", "privacy", "compatibility", "payload", "field", "before", "after", "message"} <= set(rec)


def test_fail_on_sets_exit_1_only_for_the_named_classes(tmp_path):
    rules = RULES_DIR
    added = (str(rules / "field-added" / "before"), str(rules / "field-added" / "after"))  # expanded, additive
    wording = (str(rules / "field-wording-changed" / "before"), str(rules / "field-wording-changed" / "after"))
    assert _run("diff", *added).exit_code == 0
    assert _run("diff", *added, "--fail-on", "breaking").exit_code == 0
    assert _run("diff", *added, "--fail-on", "expanded").exit_code == 1
    assert _run("diff", *added, "--fail-on", "breaking,expanded").exit_code == 1
    assert _run("diff", *added, "--fail-on", "additive").exit_code == 1
    removed = (str(rules / "field-removed" / "before"), str(rules / "field-removed" / "after"))
    assert _run("diff", *removed, "--fail-on", "breaking").exit_code == 1
    assert _run("diff", *removed, "--fail-on", "expanded").exit_code == 0
    assert _run("diff", *wording, "--fail-on", "breaking,expanded,additive,reduced").exit_code == 0
    r = _run("diff", *added, "--fail-on", "breaking,sideways")
    assert r.exit_code == 2 and "sideways" in r.output


def test_usage_errors_exit_2_with_a_clear_message(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("hello")
    (tmp_path / "bad.json").write_text("[1, 2]")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "spec.yaml").write_text("spec_format: 2\nproduct: {id: x}\n")
    cases = [
        (["diff"], "name the BASE"),
        (["diff", "no-such-revision-xyz", "--spec", str(SPEC)], "neither a spec folder, a catalog.json, nor a revision"),
        (["diff", str(tmp_path / "notes"), str(SPEC)], "not a spec (no .yaml files)"),
        (["diff", str(SPEC / "00_product.yaml"), str(SPEC)], "is one spec file; give the spec folder that holds it"),
        (["diff", str(tmp_path / "bad.json"), str(SPEC)], "is not a telemetry catalogue"),
        (["diff", str(broken), str(SPEC)], "has errors"),
        (["diff", str(SPEC), "--spec", str(tmp_path / "absent")], "does not exist"),
    ]
    catalog = json.loads((REPO / "generated" / "catalog.json").read_text("utf-8"))
    del catalog["payloads"][2]["fields"][1]["wire_key"]
    (tmp_path / "damaged.json").write_text(json.dumps(catalog))
    catalog["features"][0]["opt_out"] = {"setting": "X"}
    (tmp_path / "opt.json").write_text(json.dumps(catalog))
    catalog["catalog_format"] = 99
    (tmp_path / "future.json").write_text(json.dumps(catalog))
    cases += [
        (["diff", str(tmp_path / "damaged.json"), str(SPEC)], 'at payloads/2/fields/1: "wire_key" is a required property'),
        (["diff", str(tmp_path / "future.json"), str(SPEC)], "has catalog_format 99; this gen reads format 2"),
        (["diff", str(tmp_path / "opt.json"), str(SPEC)], "not a valid catalogue (at features/0/opt_out:"),
    ]
    for args, text in cases:
        r = CliRunner().invoke(main, args)
        assert r.exit_code == 2, (args, r.output)
        assert text in r.output, (args, r.output)
        assert "Traceback" not in r.output


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def test_revisions_of_a_temporary_repository(tmp_path, monkeypatch):
    if shutil.which("git") is None:  # pragma: no cover - git is on every CI machine
        pytest.fail("git is needed for this test")
    repo = tmp_path / "repo"
    spec = repo / "telemetry" / "spec"
    spec.parent.mkdir(parents=True)
    shutil.copytree(RULES_DIR / "field-added" / "before", spec)
    _git(repo, "init", "-q")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "empty")
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "v1")
    _git(repo, "tag", "v1")
    shutil.copy(RULES_DIR / "field-added" / "after" / "spec.yaml", spec / "spec.yaml")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "v2")
    # The working tree gets an uncommitted edit; revisions must not see it, and nothing is
    # checked out (the edit and HEAD stay as they are).
    shutil.copy(RULES_DIR / "field-wording-changed" / "after" / "spec.yaml", spec / "spec.yaml")
    head_before = _git(repo, "rev-parse", "HEAD")
    r = _run("diff", "v1", "HEAD", "--spec", str(spec), "--format", "json")
    assert r.exit_code == 0, r.output
    assert [(c["rule"], c["payload"], c["field"]) for c in json.loads(r.output)] == [("field-added", "cfg_main", "theme")]
    r = _run("diff", "HEAD~1", "--spec", str(spec), "--format", "json")  # HEAD: the working tree's spec
    assert [c["rule"] for c in json.loads(r.output)] == ["field-wording-changed"]
    r = _run("diff", "HEAD", "HEAD", "--spec", str(spec), "--format", "json")
    assert json.loads(r.output) == []
    assert _git(repo, "rev-parse", "HEAD") == head_before
    assert _git(repo, "status", "--porcelain") == "M telemetry/spec/spec.yaml"
    # a revision without the spec folder, and one that does not exist
    r = CliRunner().invoke(main, ["diff", "HEAD~2", "--spec", str(spec)])
    assert r.exit_code == 2 and "has no folder 'telemetry/spec'" in r.output
    r = CliRunner().invoke(main, ["diff", "v9", "--spec", str(spec)])
    assert r.exit_code == 2 and "nor a revision of the git repository" in r.output
    (tmp_path / "repo-less").mkdir()
    with pytest.raises(SourceError, match="not inside a git repository"):
        load_side("HEAD", tmp_path / "repo-less")


def test_text_github_and_markdown_formats(tmp_path):
    edited = _edited_spec(tmp_path)
    text = _run("diff", str(SPEC), str(edited)).output
    assert "expanded  additive  field-added              config_service.enable_link_previews: new field" in text
    assert text.rstrip().endswith("14 change(s): 5 breaking, 7 privacy-expanding, 4 privacy-reducing")
    gh = _run("diff", str(SPEC), str(edited), "--format", "github").output.splitlines()
    assert len(gh) == len(EXPECTED)
    root = edited.as_posix()
    assert gh[0].startswith(f"::warning file={root}/00_product.yaml,title=gen diff%3A opt-out-moved (expanded%2C none)::feature security_update_check: ")
    assert any(line.startswith(f"::warning file={root}/30_server_configuration.yaml,title=gen diff%3A field-added") for line in gh)
    # a removed field: its payload's file; a removed event is in no head file, so the
    # annotation goes to the run
    assert any(line.startswith(f"::error file={root}/30_server_configuration.yaml,title=gen diff%3A field-removed (reduced%2C breaking)::config_service.enable_testing: ") for line in gh)
    assert any(line.startswith("::error title=gen diff%3A event-removed (reduced%2C breaking)::rhs_expand: ") for line in gh)
    assert any(line.startswith(f"::notice file={root}/40_license_plugins_usage.yaml,title=gen diff%3A field-wording-changed") for line in gh)
    md = _run("diff", str(SPEC), str(edited), "--format", "markdown").output
    diag = md.index("### Error and Diagnostics Reporting")
    sec = md.index("### Security Update Check")
    assert sec < diag
    security = md[sec:diag]
    # the docs' own sentence (phrases.opt_out_sentence), not a changelog wording of its own
    assert "To opt out, disable the feature in **System Console > Environment > Security > Enable Security Alerts**." in security
    assert "This version also sends:" not in security
    assert "Also changed:" in security
    assert "- `security_update_check.build_type` (BuildType) can now also be `\"Cloud\"`." in security
    assert "- `security_update_check` (Security update check) is now sent every 12h (before: every 24h)." in security
    errors = md[diag:]
    also = errors.index("This version also sends:")
    gone = errors.index("No longer sent:")
    assert also < gone
    assert "- `config_service.enable_link_previews`: ServiceSettings.EnableLinkPreviews (boolean)" in errors[also:gone]
    assert "- the event `post_bookmark`: Bookmarked a message (no fields)" in errors[also:gone]
    assert "- `config_service.enable_testing`: ServiceSettings.EnableTesting (boolean)" in errors[gone:]
    assert "- the event `rhs_expand`: Expanded the right-hand sidebar (no fields)" in errors[gone:]
    assert "- `config_service.webserver_mode` (ServiceSettings.WebserverMode) is now sent as: free-text string (before: enumerated integer)." in errors
    # consumer-only changes (a wire key) and wording are not end-user news
    assert "enable\\_o\\_auth" not in md and "issued" not in md
    same = _run("diff", str(SPEC), str(SPEC), "--format", "markdown").output
    assert "This version sends the same telemetry as the previous one." in same


def test_rules_listing_shows_every_rule_with_its_classification():
    from generator.diff.rules import RULES
    from generator.diff.versions import BASELINE_RULES

    out = _run("diff", "--rules").output.splitlines()
    assert len(out) == len(RULES) + len(BASELINE_RULES)
    assert out[0].split()[:5] == ["opt-out-removed", "feature", "expanded", "none", "warning"]
    assert any(line.split()[:5] == ["field-removed", "field", "reduced", "breaking", "error"] for line in out)
    assert any(line.split()[:3] == ["version-bump", "baseline", "error"] for line in out)


# -- versions --------------------------------------------------------------------------


def _with_version(spec_dir: Path, wire_line: str, version: str) -> None:
    path = spec_dir / "spec.yaml"
    text = path.read_text("utf-8")
    assert text.count(wire_line) == 1
    path.write_text(text.replace(wire_line, wire_line + f"    schema_version: {version}\n"), "utf-8")


@pytest.mark.parametrize(
    ("rule", "wire_line", "ok", "too_small", "needed"),
    [
        ("field-removed", "    group: MainSettings\n", "2.0.0", "1.1.0", "major"),
        ("field-added", "    group: MainSettings\n", "1.1.0", "1.0.1", "minor"),
        ("input-data-unused", "    group: MainSettings\n", "1.1.0", "1.0.9", "minor"),
        ("field-wording-changed", "    group: MainSettings\n", "1.0.1", "1.0.0", "patch"),
        ("schedule-more-frequent", "    group: ErrorSettings\n", "1.1.0", "1.0.5", "minor"),
        # a feature's or a section's change is in each of its payloads' schemas
        ("destination-changed", "    group: ErrorSettings\n", "1.1.0", "1.0.9", "minor"),
        ("section-wording-changed", "    group: ErrorSettings\n", "1.0.1", "1.0.0", "patch"),
    ],
)
def test_check_baseline_wants_the_bump_the_change_needs(tmp_path, rule, wire_line, ok, too_small, needed):
    before = RULES_DIR / rule / "before"
    for version, code in ((ok, 0), (too_small, 1)):
        head = tmp_path / version
        shutil.copytree(RULES_DIR / rule / "after", head)
        if version != "1.0.0":
            _with_version(head, wire_line, version)
        r = CliRunner().invoke(main, ["check", "--spec", str(head), "--no-output", "--baseline", str(before)])
        assert r.exit_code == code, (version, r.output)
        if code:
            assert "error[version-bump]: payload" in r.output
            assert f"needs a {needed} version bump" in r.output
            assert "set `version: " in r.output
            assert rule in r.output  # says why


def test_check_baseline_passes_when_nothing_changed_and_rejects_going_backwards(tmp_path):
    same = RULES_DIR / "field-added" / "before"
    r = CliRunner().invoke(main, ["check", "--spec", str(same), "--no-output", "--baseline", str(same)])
    assert r.exit_code == 0 and r.output.startswith("gen check: ") and r.output.count("\n") == 1  # the summary line only
    old = tmp_path / "old"
    shutil.copytree(same, old)
    _with_version(old, "    group: MainSettings\n", "2.0.0")
    r = CliRunner().invoke(main, ["check", "--spec", str(same), "--no-output", "--baseline", str(old)])
    assert r.exit_code == 1 and "lower than the baseline's 2.0.0" in r.output
    r = CliRunner().invoke(main, ["check", "--spec", str(same), "--no-output", "--baseline", "no-such-rev-xyz"])
    assert r.exit_code == 2 and "--baseline:" in r.output


def test_a_section_reworded_asks_a_patch_of_its_payloads_only(tmp_path):
    from generator.diff.versions import baseline_findings

    edited = _edited_spec(tmp_path, [("30_server_configuration.yaml", "    title: Server Configuration Settings\n",
                                      "    title: Server configuration settings\n")])
    spec, _ = check_spec(edited)
    found = baseline_findings(spec, catalog_of_spec(SPEC, "bundled"))
    flagged = {f.message.split("'")[1] for f in found}
    assert flagged == {p.wire_name for p in spec.payloads if p.section_id == "server_configuration"}
    assert all("needs a patch version bump (1.0.0 -> 1.0.1)" in f.message and f.code == "version-bump" for f in found)


def test_bundled_spec_checks_against_its_own_revision_and_catalog():
    for base in ("HEAD", str(REPO / "generated" / "catalog.json")):
        r = CliRunner().invoke(main, ["check", "--spec", str(SPEC), "--no-output", "--baseline", base])
        assert r.exit_code == 0, r.output


def test_a_version_bump_reaches_schema_id_catalogue_and_models_on_rebuild(tmp_path):
    spec_dir = tmp_path / "spec"
    shutil.copytree(RULES_DIR / "field-added" / "before", spec_dir)
    out = tmp_path / "out"
    assert _run("build", "--spec", str(spec_dir), "--out", str(out)).exit_code == 0
    _with_version(spec_dir, "    group: MainSettings\n", "1.1.0")
    assert _run("build", "--spec", str(spec_dir), "--out", str(out)).exit_code == 0  # reuses what it can
    schema = json.loads((out / "schemas" / "cfg_main.schema.json").read_text())
    assert schema["$id"] == "urn:telemetry:acme:schema:cfg_main:1.1.0"
    catalog = json.loads((out / "catalog.json").read_text())
    assert {p["wire_name"]: p["version"] for p in catalog["payloads"]} == {"cfg_main": "1.1.0", "cfg_error": "1.0.0", "cfg_crash_info": "1.0.0", "login_failed": "1.0.0"}
    init = (out / "models" / "__init__.py").read_text()
    assert '    "cfg_main": "1.1.0",\n' in init and '    "cfg_error": "1.0.0",\n' in init
    code = "import sys; sys.path.insert(0, sys.argv[1]); import models; print(models.CfgMain.SCHEMA_VERSION, models.CfgError.SCHEMA_VERSION)"
    r = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True, check=True)
    assert r.stdout.split() == ["1.1.0", "1.0.0"]


def test_added_field_without_versions_min_warns(tmp_path):
    r = CliRunner().invoke(main, ["check", "--spec", str(RULES_DIR / "field-added" / "after"), "--no-output", "--baseline",
                                  str(RULES_DIR / "field-added" / "before"), "--format", "json"])
    codes = [(f["code"], f["severity"], f["line"]) for f in json.loads(r.stdout)]
    assert ("added-field-versions-min", "warning", 76) in codes  # the Theme line of base.yaml plus the edit
    # with versions.min (the realistic edits give both of theirs), no warning
    edited = _edited_spec(tmp_path)
    for name in ("30_server_configuration.yaml",):
        p = edited / name
        p.write_text(p.read_text().replace("    group: ServiceSettings\n", "    group: ServiceSettings\n    schema_version: 2.0.0\n", 1))
    r = CliRunner().invoke(main, ["check", "--spec", str(edited), "--no-output", "--baseline", str(SPEC), "--format", "json"])
    found = json.loads(r.stdout)
    assert not [f for f in found if f["code"] == "added-field-versions-min"]
    flagged = {f["message"].split("'")[1] for f in found if f["code"] == "version-bump"}
    # its own changes, or its feature's: a new destination (error_and_diagnostics_reporting)
    # and a moved opt-out (security_update_check) are in every schema of the feature
    doc = catalog_of_spec(edited, "edited")
    features = {"error_and_diagnostics_reporting", "security_update_check"}
    in_features = {p["wire_name"] for p in doc["payloads"] if p["feature"] in features}
    assert {"deployment_configuration", "license", "security_update_check", "channel_switch"} <= flagged
    assert flagged == (in_features | {"deployment_configuration", "license"}) - {"config_service", "post_bookmark"}


def test_docs_changes_section_is_computed_from_version_limits(tmp_path):
    from generator.diff.history import version_history

    spec, _ = check_spec(SPEC)
    entries = version_history(spec)
    assert entries[0].heading == "Not sent after v5.5"
    assert entries[0].items[0] == "WebrtcSettings (Server Configuration Settings)"
    assert len(entries[0].items) == 3
    edited, _ = check_spec(_edited_spec(tmp_path))
    got = [(e.heading, e.items) for e in version_history(edited)]
    assert got == [
        ("Sent since v5.7", ("ServiceSettings.EnableLinkPreviews (ServiceSettings)",
                             "Bookmarked a message (Non-personally Identifiable Diagnostic Information event)")),
        ("Not sent after v5.5", entries[0].items),
    ]
    md = (REPO / "generated" / "docs" / "telemetry.md").read_text("utf-8")
    assert "## Changes\n\n- Not sent after v5.5: WebrtcSettings (Server Configuration Settings), " in md
    rst = (REPO / "generated" / "docs" / "telemetry.rst").read_text("utf-8")
    assert "Changes\n-------\n\n- Not sent after v5.5: WebrtcSettings (Server Configuration Settings), " in rst
    html = (REPO / "generated" / "docs" / "catalog.html").read_text("utf-8")
    assert '<h2 id="changes-h">Changes</h2>' in html
    assert "<li><strong>Not sent after v5.5</strong>: WebrtcSettings (Server Configuration Settings), " in html
