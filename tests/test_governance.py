"""Governance (owners, approval links, expiry): inheritance onto every field, what the
catalogue, the JSON Schemas and the three docs formats show, `gen check --as-of /
--product-version` (never the clock), and `gen review`'s data-review request.

The lint rules themselves have golden cases (tests/cases/lint_missing_owner, ...,
lint_suppress_governance, err_governance), run by test_cases.py and test_lint.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from docs_fixtures import bundled_spec

from generator.cli import main
from generator.governance import AsOf, expiry_state, parse_as_of
from generator.model import Expiry, Location
from generator.pipeline import check_spec
from generator.review import review_request
from generator.targets import catalog, docs_html, docs_md, docs_rst, docs_view, json_schema

CASES = Path(__file__).parent / "cases"
REVIEW = Path(__file__).parent / "review_fixture"


def _spec(path: Path):
    spec, findings = check_spec(path)
    assert spec is not None, findings
    return spec


def test_each_part_is_inherited_separately_innermost_first() -> None:
    spec = _spec(REVIEW / "after")
    fields = {f.name: f for f in spec.fields}
    own = fields["MaxUsers"].governance
    assert own.owners == ("@acme/limits",)  # its own
    assert own.tickets == ("https://bugs.acme.example/7",)
    assert own.reviews == ("https://reviews.acme.example/usage-2026",)  # the feature's
    assert (own.expires.kind, own.expires.value, own.expires.scope) == ("version", "10.0", ("field", "cfg_main", "max_users"))
    inherited = fields["Region"].governance
    assert inherited.owners == ("telemetry@acme.example",)  # the product's
    assert (inherited.expires.kind, inherited.expires.value, inherited.expires.scope) == ("date", "2027-06-30", ("feature", "usage"))
    # Every level of the model carries its resolved governance.
    assert spec.product.governance.owners == ("telemetry@acme.example",)
    assert spec.feature("usage").governance.expires.value == "2027-06-30"
    assert spec.section("config").governance == spec.feature("usage").governance
    assert spec.payload("cfg_main").governance == spec.feature("usage").governance


def test_catalogue_and_schema_annotations_carry_each_fields_governance() -> None:
    spec = _spec(REVIEW / "after")
    doc = catalog.catalog(spec)
    field = next(f for f in doc["payloads"][0]["fields"] if f["wire_key"] == "max_users")
    expected = {
        "owners": ["@acme/limits"],
        "reviews": ["https://reviews.acme.example/usage-2026"],
        "tickets": ["https://bugs.acme.example/7"],
        "expires": {"kind": "version", "value": "10.0", "reason": ""},
    }
    assert field["governance"] == expected
    assert doc["product"]["governance"]["owners"] == ["telemetry@acme.example"]
    import jsonschema

    jsonschema.Draft202012Validator(catalog.catalog_schema()).validate(json.loads(catalog.render(spec)["catalog.json"]))
    schema = json_schema.payload_schema(spec, spec.payload("cfg_main"))
    assert schema["properties"]["max_users"]["x-telemetry"]["governance"] == expected


def test_bundled_spec_docs_show_owner_and_expiry_without_inventing_facts() -> None:
    spec = bundled_spec()
    assert spec.product.governance.owners == ("Mattermost Inc.",)
    e = spec.product.governance.expires
    assert (e.kind, e.reason) == ("never", "documented product behaviour")
    assert not spec.product.governance.reviews and not spec.product.governance.tickets
    assert all(f.governance == spec.product.governance for f in spec.fields)
    line = "Owners: Mattermost Inc.; expires: never (documented product behaviour)."
    md = docs_md.render(spec)["docs/telemetry.md"].decode()
    rst = docs_rst.render(spec)["docs/telemetry.rst"].decode()
    html = docs_html.render(spec)["docs/catalog.html"].decode()
    for text in (md, rst, html):
        assert text.count(line) == len(spec.features), text[:200]
    rows = docs_html.catalog_data(docs_view.build_view(spec))["rows"]
    fields = [r for r in rows if r["t"] == "f"]
    assert fields and all(r["ow"] == "Mattermost Inc." and r["x"] == "never (documented product behaviour)" for r in fields)
    assert not any("xd" in r for r in fields)  # no expiry date: "expires before" hides them all


def test_a_field_that_differs_from_its_feature_shows_its_own_governance() -> None:
    spec = _spec(REVIEW / "after")
    md = docs_md.render(spec)["docs/telemetry.md"].decode()
    rst = docs_rst.render(spec)["docs/telemetry.rst"].decode()
    mark = "Owners: @acme/limits; approved in: https://reviews.acme.example/usage-2026, https://bugs.acme.example/7; expires: v10.0"
    for text in (md, rst):
        assert mark.replace("@", "") in text.replace("\\", "").replace("@", ""), text
    assert "Owners: telemetry@acme.example; approved in: https://reviews.acme.example/usage-2026; expires: 2027-06-30." in md


def _expiry(kind: str, value: str) -> Expiry:
    return Expiry(kind, value, "", ("product",), Location("x"))


@pytest.mark.parametrize(
    ("kind", "value", "as_of", "state"),
    [
        ("date", "2026-06-01", AsOf(parse_as_of("2026-06-01", None).date), "expired"),
        ("date", "2026-06-02", AsOf(parse_as_of("2026-06-01", None).date), "expiring"),
        ("date", "2026-07-02", AsOf(parse_as_of("2026-06-01", None).date), ""),
        ("date", "2026-06-02", AsOf(None, "99.0"), ""),  # a date needs --as-of
        ("version", "9.10", AsOf(None, "9.9"), "expiring"),  # numbers, not text
        ("version", "9.10", AsOf(None, "9.10.1"), "expired"),
        ("version", "10", AsOf(None, "9.2"), ""),
        ("version", "9.3", AsOf(parse_as_of("2099-01-01", None).date), ""),  # a version needs --product-version
        ("never", "never", AsOf(parse_as_of("2099-01-01", None).date, "99"), ""),
    ],
)
def test_expiry_state(kind: str, value: str, as_of: AsOf, state: str) -> None:
    assert expiry_state(_expiry(kind, value), as_of, 30, 1) == state


def test_gen_check_judges_expiry_only_against_the_command_line(tmp_path: Path) -> None:
    spec = tmp_path / "spec"
    shutil.copytree(CASES / "lint_expired" / "spec", spec)
    runner = CliRunner()
    plain = runner.invoke(main, ["check", "--no-output", "--spec", str(spec)])
    assert plain.exit_code == 0, plain.output  # no clock: nothing is judged
    dated = runner.invoke(main, ["check", "--no-output", "--spec", str(spec), "--as-of", "2026-06-01"])
    assert dated.exit_code == 1
    assert "error[expired]: field 'MainSettings.EnableThing' expired" in dated.stderr
    assert "MainSettings.Legacy" not in dated.stderr  # a version expiry needs --product-version
    versioned = runner.invoke(main, ["check", "--no-output", "--spec", str(spec), "--product-version", "9.2"])
    assert versioned.exit_code == 1 and "MainSettings.Legacy" in versioned.stderr and "EnableThing" not in versioned.stderr
    early = runner.invoke(main, ["check", "--no-output", "--spec", str(spec), "--as-of", "2026-01-01", "--product-version", "9.0"])
    assert early.exit_code == 0, early.output


@pytest.mark.parametrize(("args", "text"), [
    (["--as-of", "2026-13-01"], "--as-of '2026-13-01' is not a date"),
    (["--as-of", "tomorrow"], "write YYYY-MM-DD"),
    (["--product-version", "v9"], "--product-version 'v9' is not a version"),
])
def test_bad_as_of_is_a_usage_error(args: list[str], text: str) -> None:
    r = CliRunner().invoke(main, ["check", "--no-output", "--spec", str(CASES / "ok_base" / "spec"), *args])
    assert r.exit_code == 2 and text in r.stderr and "Traceback" not in r.output


# -- gen review --------------------------------------------------------------------------

ITEM_KEYS = {
    "payload", "wire_key", "name", "status", "changes", "description", "purposes", "kind", "values",
    "personal_data", "opt_out", "opt_outs", "opt_out_text", "schedule", "sender", "destination", "edition", "versions", "governance", "questions",
}


def _review_json() -> dict:
    r = CliRunner().invoke(main, ["review", str(REVIEW / "before"), str(REVIEW / "after"), "--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_review_lists_exactly_the_new_and_widened_fields_with_every_item() -> None:
    doc = _review_json()
    got = {(f["wire_key"], f["status"]) for f in doc["fields"]}
    assert got == {("theme", "widened"), ("max_users", "new"), ("region", "new")}  # not enable_thing (wording)
    for f in doc["fields"]:
        assert set(f) == ITEM_KEYS
        assert f["description"] and f["schedule"] == "once every 24 hours"
        assert f["purposes"] == {"feature": "Usage Reporting", "description": "Helps us see which options are used.",
                                 "purposes": ["to decide which options to keep"]}
        opt = f["opt_out"]
        assert (opt["setting"], opt["console_path"], opt["cost"]) == (
            "Telemetry.Enable", ["Admin", "Telemetry", "Enable"], "You will not get tailored tips.")
        assert (f["sender"], f["destination"]) == ("server", "Acme Inc.")
        assert f["governance"]["owners"] and f["governance"]["expires"]
        assert len(f["questions"]) >= 4 and all(q.endswith(("?", ".")) for q in f["questions"])
    by_key = {f["wire_key"]: f for f in doc["fields"]}
    theme = by_key["theme"]
    assert [c["rule"] for c in theme["changes"]] == ["kind-widened"]
    assert theme["kind"] == {"id": "string", "title": theme["kind"]["title"]}
    assert theme["personal_data"]["free_text"] is True
    assert theme["personal_data"]["note"] == "Theme names come from a fixed list shipped with the product."
    assert any("widening" in q for q in theme["questions"])
    assert by_key["region"]["values"] == ["eu", "us"]
    assert by_key["region"]["governance"]["expires"] == {"kind": "date", "value": "2027-06-30", "reason": ""}
    assert by_key["max_users"]["governance"]["owners"] == ["@acme/limits"]


def test_review_markdown_shows_every_item_for_each_field() -> None:
    r = CliRunner().invoke(main, ["review", str(REVIEW / "before"), str(REVIEW / "after")])
    assert r.exit_code == 0
    md = r.stdout
    assert md.count("\n## ") == 3
    for label in ("What it is", "Change", "Why it is collected", "Kind", "Personal data", "Opt-out",
                  "Schedule", "Destination", "Owners", "Approvals", "Expiry"):
        assert md.count(f"- **{label}:**") == 3, label
    assert md.count("Questions for the reviewer:") == 3
    assert "enable_thing" not in md
    assert "`cfg_main.max_users` (MainSettings.MaxUsers): new" in md
    assert "v10.0" in md and "ticket https://bugs.acme.example/7" in md


def test_review_of_a_wording_only_change_lists_nothing(tmp_path: Path) -> None:
    after = tmp_path / "after"
    shutil.copytree(REVIEW / "before", after)
    p = after / "payloads.yaml"
    p.write_text(p.read_text().replace("Whether the thing is on.", "Whether the thing is switched on."))
    spec_b, spec_a = catalog.catalog(_spec(REVIEW / "before")), catalog.catalog(_spec(after))
    assert review_request(spec_b, spec_a) == []
    r = CliRunner().invoke(main, ["review", str(REVIEW / "before"), str(after)])
    assert r.exit_code == 0 and "No field is new or widened" in r.stdout


def test_review_of_a_new_payload_or_a_wider_feature_lists_the_fields_it_reaches(tmp_path: Path) -> None:
    after = tmp_path / "after"
    shutil.copytree(REVIEW / "before", after)
    prod = after / "product.yaml"
    prod.write_text(prod.read_text().replace("destination: Acme Inc.", "destination: Partner Analytics Ltd."))
    pay = after / "payloads.yaml"
    pay.write_text(pay.read_text() + "  - type: record\n    group: ExtraSettings\n    section: config\n    fields:\n"
                   "      - {name: Size, kind: integer, description: The size.}\n")
    items = review_request(catalog.catalog(_spec(REVIEW / "before")), catalog.catalog(_spec(after)))
    got = {(i["payload"], i["wire_key"], i["status"]): [c["rule"] for c in i["changes"]] for i in items}
    assert got == {
        ("cfg_main", "enable_thing", "widened"): ["destination-changed"],
        ("cfg_main", "mode", "widened"): ["destination-changed"],
        ("cfg_main", "theme", "widened"): ["destination-changed"],
        ("cfg_extra", "size", "new"): ["destination-changed", "payload-added"],
    }


def test_review_usage_errors() -> None:
    r = CliRunner().invoke(main, ["review", "/nonexistent/folder", str(REVIEW / "after")])
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_review_reads_either_catalogue_shape_of_an_opt_out() -> None:
    """A console setting with one off_value, a setting of another kind with off_values,
    and a feature that cannot be switched off (as the any-product catalogue has them)."""
    from generator.privacy import opt_out_ways
    from generator.review import _opt_out_text

    def text(opt):
        return _opt_out_text(opt, opt_out_ways({"opt_out": opt}))

    # The docs' own sentence, with code spans holding no backslashes.
    assert text({"setting": "X.Enable", "console_path": ["Admin", "X"], "off_value": False, "cost": "c"}) == (
        "To opt out, disable the feature in **Admin > X**. (setting `X.Enable`; cost: c)")
    assert text({"setting": "DO_NOT_TRACK", "kind": "environment_variable", "console_path": [],
                 "off_values": "any_non_empty", "cost": ""}) == (
        "To opt out, set the environment variable `DO_NOT_TRACK` to any non-empty value. (setting `DO_NOT_TRACK`; cost: not stated)")
    assert text({"setting": "HOMEBREW_NO_ANALYTICS", "kind": "environment_variable", "off_values": "set"}).startswith(
        "To opt out, set the environment variable `HOMEBREW_NO_ANALYTICS` to any value except empty, 0, false, off or no")
    assert text({"setting": None, "kind": "not_possible", "not_possible": "Crash reports are required."}) == (
        "none: Crash reports are required.")
    assert text(None) == "none: this data cannot be switched off"


def test_review_lists_a_field_collected_for_longer(tmp_path: Path) -> None:
    """An expiry moved later or to never widens collection in time; moved earlier, it
    does not."""
    after = tmp_path / "after"
    shutil.copytree(REVIEW / "before", after)
    p = after / "payloads.yaml"
    p.write_text(p.read_text()
                 .replace("description: The mode.}", "description: The mode., governance: {expires: 2028-01-01}}")
                 .replace("description: Whether a custom theme is set.}", "description: Whether a custom theme is set., governance: {expires: never, expiry_reason: Core.}}")
                 .replace("description: Whether the thing is on.}", "description: Whether the thing is on., governance: {expires: 2027-01-01}}"))
    items = review_request(catalog.catalog(_spec(REVIEW / "before")), catalog.catalog(_spec(after)))
    assert [(i["wire_key"], i["status"], [c["rule"] for c in i["changes"]]) for i in items] == [
        ("mode", "widened", ["expiry-extended"]),
        ("theme", "widened", ["expiry-extended"]),
    ]
    assert items[0]["changes"][0]["message"] == "field cfg_main.mode is now collected until 2028-01-01 instead of 2027-06-30"


EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "cli-analytics" / "spec"


def test_second_example_has_owners_reviews_and_real_expiries_in_its_docs() -> None:
    spec = _spec(EXAMPLE)
    assert spec.product.governance_policy.owners == spec.product.governance_policy.approvals == "error"
    for f in spec.fields:  # every field is owned, approved and ends
        g = f.governance
        assert g.owners and (g.reviews or g.tickets) and g.expires is not None and g.expires.kind != "never"
    md = docs_md.render(spec)["docs/telemetry.md"].decode()
    rst = docs_rst.render(spec)["docs/telemetry.rst"].decode()
    for text in (md, rst):
        assert "expires: v5.0." in text and "expires: 2027-09-30." in text
        assert "2025-11-error-message-scrubbing" in text and "expires: 2026-12-31" in text  # the field's own mark
    rows = docs_html.catalog_data(docs_view.build_view(spec))["rows"]
    assert {r["w"]: r.get("xd") for r in rows if r["t"] == "f" and r["p"] == "build_error"} == {
        "analytics_id": "2027-09-30", "package": "2027-09-30", "error_message": "2026-12-31", "failed_at": "2027-09-30",
        "build_options": "2027-06-30"}


def test_second_example_expires_as_its_readme_says() -> None:
    runner = CliRunner()
    base = ["check", "--no-output", "--spec", str(EXAMPLE)]
    soon = runner.invoke(main, [*base, "--as-of", "2026-12-01"])
    assert soon.exit_code == 0 and "warning[expiring]: field 'ErrorMessage' expires soon" in soon.stderr
    late = runner.invoke(main, [*base, "--as-of", "2026-12-31", "--product-version", "5.0"])
    assert late.exit_code == 1
    assert late.stderr.count("error[expired]") == 7  # the 6 install fields at v5.0, ErrorMessage by date
