"""``gen infer``: captured traffic -> a reviewable, comment-preserving spec edit.

The end-to-end cases run on ``tests/infer_fixture``: a product whose spec was written
from stale docs and whose traffic differs from it in every way the command handles
(three rename patterns, wrong kinds, extra keys, unknown payloads, unseen keys,
malformed lines, partial presence), in every input form (envelopes, Segment track
messages, bare objects named by their file, a .json array).
"""

from __future__ import annotations

import difflib
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.infer import edit, stats
from generator.infer.command import collect
from generator.load import load_text
from generator.pipeline import check_spec

FIXTURE = Path(__file__).parent / "infer_fixture"
INPUT_PROBLEMS = {"malformed-json", "not-an-object", "no-payload-name", "unsupported-message", "too-large", "unreadable", "too-deep"}


@pytest.fixture()
def product(tmp_path: Path, monkeypatch) -> Path:
    shutil.copytree(FIXTURE / "spec", tmp_path / "spec")
    shutil.copytree(FIXTURE / "traffic", tmp_path / "traffic")
    monkeypatch.chdir(tmp_path)
    return tmp_path


# The fixtures here are small captures from one file each, made to exercise kind
# inference: their runs list values seen once from one input (the thresholds of
# generator.infer.value_lists at 1).  tests/test_infer_privacy.py tests the defaults.
PERMISSIVE = ("--min-value-documents", "1", "--min-value-sources", "1")


def gen(*args: str, input: str | None = None):
    if args and args[0] == "infer" and "--min-value-sources" not in args:
        args = (*args, *PERMISSIVE)
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.yaml"))}


def _report(*args: str) -> dict:
    res = gen("infer", "traffic", "--format", "json", *args)
    return json.loads(res.stdout)


def _actions(report: dict) -> dict[tuple, dict]:
    out = {}
    for p in report["proposals"]:
        out[(p["action"], p["payload"], p["key"])] = p
        for f in p.get("fields", []):
            out[(f["action"], f["payload"], f["key"])] = f
    return out


# ------------------------------------------------------------------ the verification of the issue


def test_write_then_validate_check_and_a_second_run_on_the_fixture(product: Path) -> None:
    before = _files(product / "spec")
    res = gen("infer", "traffic", "--section", "config", "--write")
    assert res.exit_code == 0, res.output
    assert "edit(s) written to 1 file(s): 10_config.yaml" in res.output
    after = _files(product / "spec")
    assert after != before

    # gen validate on the same traffic: every document of a payload conforms; what fails
    # are exactly the lines that are no document (malformed, not an object, ...).
    res = gen("validate", "traffic", "--format", "json")
    report = json.loads(res.stdout)
    assert report["conforming"] == 38
    assert all(p["failing"] == 0 and not p["problems"] for p in report["payloads"].values()), report["payloads"]
    assert report["unknown_payloads"] == []
    assert {f["problems"][0]["problem"] for f in report["failures"]} <= INPUT_PROBLEMS
    assert report["failing"] == 4

    # gen build writes the output (so a maintainer can look at it) but fails, and so
    # does gen check: what infer added is "unreviewed", never "none".
    res = gen("build", "--out", "generated")
    assert res.exit_code == 1 and (product / "generated" / "catalog.json").is_file(), res.output
    catalog = json.loads((product / "generated" / "catalog.json").read_text())
    levels = {f["qualified_name"]: f["personal_data"] for p in catalog["payloads"] for f in p["fields"]}
    assert levels["WebSettings.SiteName"] == "unreviewed"
    res = gen("check", "--out", "generated", "--format", "json")
    assert res.exit_code == 1, res.output
    findings = json.loads(res.stdout)
    assert {f["code"] for f in findings} == {"needs-review", "unreviewed"}
    assert {f["severity"] for f in findings if f["code"] == "unreviewed"} == {"error"}
    # The product's governance policy lowers it to a warning: gen check then passes.
    prod = product / "spec" / "00_product.yaml"
    prod.write_text(prod.read_text().replace("product:\n", "product:\n  governance_policy: {unreviewed: warning}\n", 1))
    assert gen("build", "--out", "generated").exit_code == 0
    res = gen("check", "--out", "generated", "--format", "json")
    assert res.exit_code == 0, res.output
    findings = json.loads(res.stdout)
    assert findings and {f["code"] for f in findings} == {"needs-review", "unreviewed"}
    assert {f["severity"] for f in findings} == {"warning"}
    after = _files(product / "spec")
    loud = [f for f in findings if f["message"].startswith("FREE TEXT")]
    assert {f["message"].split("'")[1] for f in loud} == {"WebSettings.PluginIds", "WebSettings.SiteName"}

    # The second run proposes nothing and changes nothing.
    res = gen("infer", "traffic", "--section", "config", "--write")
    assert res.exit_code == 0, res.output
    assert "nothing to change" in res.output
    assert _files(product / "spec") == after
    second = _report("--section", "config")
    assert [p["action"] for p in second["proposals"]] == ["unseen"]

    # Every comment line of the original files is still there, in order.
    for rel, data in before.items():
        old = [line for line in data.decode().splitlines() if line.strip().startswith("#")]
        new = [line for line in after[rel].decode().splitlines() if line.strip().startswith("#")]
        assert new == old, rel


def test_untouched_lines_are_byte_identical(product: Path) -> None:
    before = _files(product / "spec")
    assert gen("infer", "traffic", "--section", "config", "--write").exit_code == 0
    after = _files(product / "spec")
    assert after["00_product.yaml"] == before["00_product.yaml"]
    old = before["10_config.yaml"].splitlines(keepends=True)
    new = after["10_config.yaml"].splitlines(keepends=True)
    changed = []
    for tag, i1, i2, _j1, _j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        assert tag != "delete", old[i1:i2]
        if tag == "replace":
            changed += [line.decode().strip() for line in old[i1:i2]]
    # Only the lines of changed flow-style fields, and the one changed value of a block
    # field, were rewritten; every other original line survives byte for byte.
    names = ["WebServerMode", "Forward80To443", "MaxUsersPerTeam", "DriverName", "SchemaVersion", "EnableLegacyEditor", "EnableCommands"]
    assert sorted(changed) == sorted([next(line.decode().strip() for line in old if f"{{name: {n}," in line.decode()) for n in names]
                                     + ["kind: boolean"])
    survivors = [line for line in old if line.decode().strip() not in changed]
    it = iter(new)
    assert all(any(line == n for n in it) for line in survivors)  # in order, byte-identical


def test_proposals_on_the_fixture(product: Path) -> None:
    report = _report("--section", "config")
    got = _actions(report)
    renames = {k[2]: p["changes"] for k, p in got.items() if k[0] == "rename"}
    assert renames == {
        "webserver_mode": {"wire_key": "webserver_mode"},
        "forward_80_to_443": {"wire_key": "forward_80_to_443"},
        "isdefault_username_attribute": {"wire_key": "isdefault_username_attribute"},
    }
    kinds = {k[2]: p["changes"] for k, p in got.items() if k[0] == "kind"}
    assert kinds == {
        # a changed kind is judged again: its personal-data level is unreviewed
        "max_users_per_team": {"kind": "integer", "personal_data": "unreviewed"},
        "driver_name": {"kind": "enumerated_string", "values": ["mysql", "postgres"], "personal_data": "unreviewed"},
        "schema_version": {"kind": "version", "personal_data": "unreviewed"},
        "console_level": {"kind": "enumerated_string", "values": ["DEBUG", "ERROR", "INFO"], "personal_data": "unreviewed"},
    }
    assert all(p["changes"]["personal_data"] == "unreviewed" for k, p in got.items() if k[0] == "new-field")
    new = {k[2]: (p["changes"]["kind"], p["changes"].get("required", True), p["free_text"]) for k, p in got.items() if k[0] == "new-field"}
    assert new == {
        "isdefault_site_url": ("setting_is_default", True, False),
        "last_restart": ("timestamp_ms", True, False),
        "max_file_size": ("integer", True, False),
        "plugin_ids": ("string_list", True, True),
        "proxy_timeout": ("integer", False, False),
        "site_name": ("string", True, True),
        "policy": ("enumerated_string", True, False),
        "size_mb": ("integer", True, False),
        "enabled_at": ("timestamp_ms", True, False),
        "plugin_id": ("enumerated_string", True, False),
    }
    assert got[("new-field", "cfg_web", "isdefault_site_url")]["changes"]["name"] == "SiteUrl"
    assert "wire_key" not in got[("new-field", "cfg_web", "isdefault_site_url")]["changes"]
    assert {k[1] for k in got if k[0] == "new-payload"} == {"cfg_cache", "plugin_enabled"}
    assert got[("new-payload", "cfg_cache", None)]["changes"] == {
        "type": "record", "wire_name": "cfg_cache", "section": "config",
        "inferred": "gen infer: payload not in the spec, seen in 6 document(s), first at traffic/cache.json[0]"}
    assert {k[2] for k in got if k[0] == "unseen"} == {"enable_legacy_editor"}
    assert {k[2] for k in got if k[0] == "required"} == {"enable_legacy_editor", "enable_commands"}
    assert [r["problem"] for r in report["unreadable"]] == ["no-payload-name", "unsupported-message", "malformed-json", "not-an-object"]
    stats_web = report["payloads"]["cfg_web"]["keys"]
    assert stats_web["proxy_timeout"]["presence"] == 0.5
    assert stats_web["max_users_per_team"]["numeric_range"] == [50, 61]
    assert stats_web["site_name"]["string_lengths"] == [18, 19]
    assert stats_web["forward_80_to_443"]["types"] == {"boolean": 12}


def test_unknown_payloads_are_listed_without_a_section(product: Path) -> None:
    before = _files(product / "spec")
    res = gen("infer", "traffic", "--write")
    assert res.exit_code == 1  # the unknown payloads need a maintainer
    assert "payload 'cfg_cache' is not in the spec: 6 document(s), first at traffic/cache.json[0]" in res.output
    assert "payload 'plugin_enabled' is not in the spec" in res.output
    text = (product / "spec" / "10_config.yaml").read_text()
    assert "cfg_cache" not in text and "webserver_mode" in text
    assert _files(product / "spec") != before


def test_diff_shows_what_write_writes_and_writes_nothing(product: Path) -> None:
    before = _files(product / "spec")
    res = gen("infer", "traffic", "--section", "config", "--diff")
    assert res.exit_code == 1  # proposed, not applied
    assert _files(product / "spec") == before
    diff = res.stdout
    assert diff.startswith("--- a/10_config.yaml\n+++ b/10_config.yaml\n")
    assert "17 edit(s) proposed" in res.stderr
    assert gen("infer", "traffic", "--section", "config", "--write").exit_code == 0
    new = (product / "spec" / "10_config.yaml").read_text().splitlines(keepends=True)
    old = before["10_config.yaml"].decode().splitlines(keepends=True)
    assert "".join(difflib.unified_diff(old, new, "a/10_config.yaml", "b/10_config.yaml")) == diff


def test_stdin_and_payload_option(product: Path) -> None:
    lines = "\n".join(json.dumps({"enable_console": True, "console_level": "INFO", "rotate": i}) for i in range(3))
    res = gen("infer", "-", "--payload", "cfg_log", "--format", "json", input=lines + "\n")
    report = json.loads(res.stdout)
    assert report["payloads"]["cfg_log"]["documents"] == 3
    got = _actions(report)
    assert got[("new-field", "cfg_log", "rotate")]["changes"]["kind"] == "integer"


@pytest.mark.parametrize(
    "args, message",
    [
        (["traffic", "--write", "--diff"], "exclude each other"),
        (["nope.ndjson"], "no such file or folder: nope.ndjson"),
        (["traffic", "--section", "nope"], "--section 'nope' is not a section"),
        (["traffic", "--category", "signin"], "--category needs --section"),
        (["traffic", "--section", "config", "--category", "signin"], "--section 'config' has no event categories"),
        (["traffic", "--payload", "nope"], "--payload 'nope' is not a payload"),
        ([], "name at least one file"),
    ],
)
def test_usage_errors(product: Path, args: list[str], message: str) -> None:
    before = _files(product / "spec")
    res = gen("infer", *args)
    assert res.exit_code == 2
    assert message in res.output
    assert _files(product / "spec") == before


def test_an_edit_that_would_break_the_spec_writes_nothing(product: Path, monkeypatch) -> None:
    before = _files(product / "spec")

    def broken(proposals, files, locations, section_file):
        return {"10_config.yaml": b"spec_format: 2\npayloads: [{type: record, section: nowhere}]\n"}, []

    monkeypatch.setattr(edit, "plan", broken)
    res = gen("infer", "traffic", "--section", "config", "--write")
    assert res.exit_code == 3
    assert "nothing was written" in res.output
    assert _files(product / "spec") == before


def test_removing_the_marker_brings_back_the_description_rules(product: Path) -> None:
    assert gen("infer", "traffic", "--section", "config", "--write").exit_code == 0
    path = product / "spec" / "10_config.yaml"
    text = re.sub(r', inferred: "(?:[^"\\]|\\.)*"', "", path.read_text())  # in flow mappings
    assert "inferred:" in text
    path.write_text("\n".join(line for line in text.splitlines() if not line.strip().startswith("inferred:")) + "\n")
    assert "inferred:" not in path.read_text()
    _, findings = check_spec(product / "spec")
    codes = {(f.code, f.message.split("'")[1]) for f in findings}
    assert ("field-description", "WebSettings.SiteName") in codes
    # the marker gone, its explicit level stays: still not reviewed, never "none"
    assert ("unreviewed", "WebSettings.SiteName") in codes
    path.write_text(path.read_text().replace("personal_data: unreviewed", "personal_data: none"))
    _, findings = check_spec(product / "spec")
    codes = {(f.code, f.message.split("'")[1]) for f in findings}
    assert ("free-text-personal-data", "WebSettings.SiteName") in codes


# ------------------------------------------------------------------ statistics


def _stats(rows: list[dict], name: str = "p") -> stats.PayloadStats:
    c = stats.Collector()
    c.add("f", [(name, r, i + 1, None) for i, r in enumerate(rows)])
    return c.payloads[name]


def test_stats_keep_true_apart_from_one_and_count_types() -> None:
    ps = _stats([{"a": True}, {"a": 1}, {"a": 1.0}, {"a": "x", "b": None}])
    a = ps.keys["a"]
    assert a.json_types == {"boolean": 1, "integer": 1, "number": 1, "string": 1}
    assert a.distinct == [True, 1, 1.0, "x"]
    assert a.numeric_range == (1, 1.0)
    assert ps.keys["b"].present == 1 and ps.documents == 4


def test_stats_summarise_past_the_bound_and_keep_ranges(monkeypatch) -> None:
    monkeypatch.setattr(stats, "VALUES_BOUND", 4)
    ps = _stats([{"n": i, "v": f"1.{i}.0", "s": "x" * i} for i in range(1, 10)])
    assert ps.keys["n"].distinct is None and ps.keys["n"].numeric_range == (1, 9)
    assert ps.keys["v"].distinct is None and ps.keys["v"].versions_only
    assert ps.keys["s"].string_lengths == (1, 9) and not ps.keys["s"].versions_only
    long = _stats([{"t": "y" * 300}])
    assert long.keys["t"].distinct is None and long.keys["t"].string_lengths == (300, 300)


def test_stats_tables_are_capped(monkeypatch) -> None:
    monkeypatch.setattr(stats, "MAX_KEYS", 3)
    monkeypatch.setattr(stats, "MAX_PAYLOADS", 1)
    c = stats.Collector()
    c.add("f", [("p", {f"k{i}": i for i in range(5)}, 1, None), ("q", {"a": 1}, 2, None)])
    assert sorted(c.payloads["p"].keys) == ["k0", "k1", "k2"] and c.payloads["p"].keys_dropped == 2
    assert list(c.payloads) == ["p"] and c.payloads_dropped == 1
    monkeypatch.setattr(stats, "MAX_PAYLOADS", 10)
    monkeypatch.setattr(stats, "MAX_TOTAL_KEYS", 4)
    c.add("f", [("r", {"a": 1, "b": 2, "x" * 257: 3}, 3, None), ("y" * 257, {"a": 1}, 4, None)])
    assert sorted(c.payloads) == ["p", "r"] and c.payloads_dropped == 2
    assert sorted(c.payloads["r"].keys) == ["a"] and c.payloads["r"].keys_dropped == 2


def test_stats_of_lists() -> None:
    ps = _stats([{"l": ["a", "bb"]}, {"l": []}, {"l": ["ccc"]}])
    ks = ps.keys["l"]
    assert ks.item_types == {str: 3} and ks.items_max == 2 and ks.string_lengths == (1, 3)


def test_collect_reads_every_form_through_the_engine(product: Path) -> None:
    c, problems = collect(["traffic"], frozenset({"cfg_web", "cfg_log"}))
    assert {n: p.documents for n, p in c.payloads.items()} == {"cfg_web": 12, "cfg_log": 12, "plugin_enabled": 8, "cfg_cache": 6}
    assert problems.failing_documents == 4


# ------------------------------------------------------------------ targeted edits


def _text(source: str, path: str = "s.yaml") -> edit.SpecText:
    raw, findings = load_text(source.replace("\r\n", "\n"), path)
    assert not findings, findings
    return edit.SpecText(raw, source.encode())


def test_edit_flow_mapping_keeps_comments_and_spacing() -> None:
    src = "payloads:\n  - fields:\n      - { name: A, kind: boolean }  # keep me\n      - {name: B, kind: integer, values: [1, 2]}\n"
    st = _text(src)
    st.set_keys(("payloads", 0, "fields", 0), [("kind", "integer"), ("review", "why: it's so")])
    st.set_keys(("payloads", 0, "fields", 1), [("kind", "string"), ("values", None)])
    out = st.result().decode()
    assert out == ("payloads:\n  - fields:\n      - { name: A, kind: integer, review: \"why: it's so\" }  # keep me\n"
                   "      - {name: B, kind: string}\n")


def test_edit_block_mapping_crlf_and_bom() -> None:
    src = "\ufeffpayloads:\r\n  - section: s\r\n    fields:\r\n      - name: A\r\n        kind: boolean  # was bool\r\n\r\n  # next\r\n"
    raw, _ = load_text(src[1:].replace("\r\n", "\n"), "s.yaml")
    st = edit.SpecText(raw, src.encode())
    st.set_keys(("payloads", 0, "fields", 0), [("kind", "version"), ("required", False)])
    st.append_items(("payloads", 0, "fields"), ("payloads", 0), "fields", [{"name": "B", "kind": "integer"}])
    out = st.result().decode()
    assert out == ("\ufeffpayloads:\r\n  - section: s\r\n    fields:\r\n      - name: A\r\n        kind: version  # was bool\r\n"
                   "        required: false\r\n      - name: B\r\n        kind: integer\r\n\r\n  # next\r\n")


def test_edit_appends_fields_and_payloads_where_missing() -> None:
    st = _text("spec_format: 1\npayloads:\n  - event: e\n    section: s\n")
    st.append_items(("payloads", 0, "fields"), ("payloads", 0), "fields", [{"name": "A", "kind": "boolean"}])
    assert st.result().decode() == "spec_format: 1\npayloads:\n  - event: e\n    section: s\n    fields:\n      - name: A\n        kind: boolean\n"
    st = _text("spec_format: 1  # no payloads yet\n")
    st.append_items(("payloads",), (), "payloads", [{"wire_name": "w", "section": "s", "fields": [{"name": "A", "kind": "boolean"}]}])
    out = st.result().decode()
    assert out == ("spec_format: 1  # no payloads yet\n\npayloads:\n  - wire_name: w\n    section: s\n    fields:\n"
                   "      - name: A\n        kind: boolean\n")
    raw, findings = load_text(out, "x.yaml")
    assert not findings and raw.data["payloads"][0]["fields"][0]["name"] == "A"


def test_edit_refuses_what_it_cannot_change_in_place() -> None:
    st = _text("payloads:\n  - fields:\n      - name: A\n        kind: integer\n        values:\n          - 1\n")
    with pytest.raises(edit.EditError, match="block list"):
        st.set_keys(("payloads", 0, "fields", 0), [("values", (1, 2))])
    st = _text("payloads:\n  - fields:\n      - name: A\n        kind: integer\n        review: >-\n          folded\n")
    with pytest.raises(edit.EditError, match="cannot change the value of `review` in place"):
        st.set_keys(("payloads", 0, "fields", 0), [("review", "new")])
    st = _text("payloads:\n  - fields: [{name: A, kind: integer}]\n")
    with pytest.raises(edit.EditError, match="flow list"):
        st.append_items(("payloads", 0, "fields"), ("payloads", 0), "fields", [{"name": "B", "kind": "integer"}])


@pytest.mark.parametrize("value", ["plain", "yes", "a: b", "# x", "ünï", "tab\there", "\u2028", "'q'", "", "5.1", "null"])
def test_scalars_round_trip(value: str) -> None:
    raw, findings = load_text(f"k: {edit.scalar(value)}\nl: {edit.flow([value, 1, True])}\n", "x.yaml")
    assert not findings
    assert raw.data == {"k": value, "l": [value, 1, True]}


def test_fields_shared_through_an_anchor_are_left_for_the_maintainer(product: Path) -> None:
    (product / "spec" / "10_config.yaml").write_text(
        "spec_format: 2\npayloads:\n  - type: record\n    wire_name: cfg_a\n    section: config\n    fields: &shared\n"
        "      - {name: Mode, kind: boolean, description: The mode.}\n"
        "  - type: record\n    wire_name: cfg_b\n    section: config\n    fields: *shared\n")
    before = _files(product / "spec")
    lines = [{"payload": "cfg_a", "properties": {"mode": 1}}, {"payload": "cfg_b", "properties": {"mode": 2, "extra": True}}]
    (product / "t.ndjson").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    res = gen("infer", "t.ndjson", "--write")
    assert res.exit_code == 1
    assert res.output.count("NOT APPLIED") == 3
    assert "the field is shared through a YAML anchor or alias; edit it by hand" in res.output
    assert "the payload's fields are shared through a YAML anchor or alias; add the field by hand" in res.output
    assert _files(product / "spec") == before


SCENARIOS = {
    # declared field (flow style), values sent -> what the field must become
    "values-extended": ("{name: Mode, kind: enumerated_integer, values: [0, 1], description: M.}", [0, 1, 2, 1],
                        "{name: Mode, kind: enumerated_integer, values: [0, 1, 2], description: M., inferred: "),
    "to-boolean": ("{name: Mode, kind: integer, description: M.}", [True, False, True],
                   "{name: Mode, kind: boolean, description: M., personal_data: unreviewed, inferred: "),
    "to-timestamp": ("{name: Mode, kind: boolean, description: M.}", [1700000000000, 1700000000001],
                     "{name: Mode, kind: timestamp_ms, description: M., personal_data: unreviewed, inferred: "),
    "to-free-text": ("{name: Mode, kind: integer, description: M.}", ["a b", "c d", "e f"],
                     "{name: Mode, kind: string, description: M., personal_data: unreviewed, inferred: \"gen infer: FREE TEXT (may carry personal data): kind integer -> string"),
    "to-string-list": ("{name: Mode, kind: boolean, description: M.}", [["a"], ["b", "c"]],
                       "{name: Mode, kind: string_list, description: M., personal_data: unreviewed, inferred: \"gen infer: FREE TEXT"),
    "enum-to-boolean": ("{name: Mode, kind: enumerated_integer, values: [0, 1], description: M.}", [True, False],
                        "{name: Mode, kind: boolean, description: M., personal_data: unreviewed, inferred: "),
    "is-default-to-integer": ("{name: Mode, kind: setting_is_default, description: M.}", [3, 4],
                              "{name: Mode, kind: integer, description: M., wire_key: isdefault_mode, personal_data: unreviewed, inferred: "),
}


@pytest.mark.parametrize("case", sorted(SCENARIOS))
def test_corrections_make_the_traffic_conform(product: Path, case: str) -> None:
    declared, values, expected = SCENARIOS[case]
    key = "isdefault_mode" if "setting_is_default" in declared else "mode"
    (product / "spec" / "10_config.yaml").write_text(
        f"spec_format: 2\npayloads:\n  - type: record\n    wire_name: cfg_x\n    section: config\n    fields:\n      - {declared}  # note\n")
    (product / "t.ndjson").write_text("".join(json.dumps({"payload": "cfg_x", "properties": {key: v}}) + "\n" for v in values))
    assert gen("validate", "t.ndjson").exit_code == 1
    res = gen("infer", "t.ndjson", "--write")
    assert res.exit_code == 0, res.output
    line = (product / "spec" / "10_config.yaml").read_text().splitlines()[-1]
    assert line.startswith("      - " + expected), line
    assert line.endswith("}  # note")
    assert gen("validate", "t.ndjson").exit_code == 0
    assert gen("infer", "t.ndjson", "--write").output.endswith("nothing to change\n")


def test_a_block_values_list_is_left_for_the_maintainer(product: Path) -> None:
    spec = product / "spec" / "10_config.yaml"
    spec.write_text("spec_format: 2\npayloads:\n  - type: record\n    wire_name: cfg_x\n    section: config\n    fields:\n"
                    "      - name: Mode\n        kind: enumerated_integer\n        values:\n          - 0\n          - 1\n"
                    "        description: M.\n")
    before = spec.read_bytes()
    (product / "t.ndjson").write_text("".join(json.dumps({"payload": "cfg_x", "properties": {"mode": v}}) + "\n" for v in (0, 2)))
    res = gen("infer", "t.ndjson", "--write")
    assert res.exit_code == 1
    assert "NOT APPLIED: 10_config.yaml:9: `values` is a block list; change it by hand to [0, 1, 2]" in res.output
    assert spec.read_bytes() == before


def test_bare_objects_of_a_new_payload_named_by_payload_and_section(product: Path) -> None:
    res = gen("infer", "-", "--payload", "cfg_new", "--section", "config", "--write", input='{"a": 1}\n{"a": 2}\n')
    assert res.exit_code == 0, res.output
    assert "  - type: record\n    wire_name: cfg_new\n    section: config\n" in (product / "spec" / "10_config.yaml").read_text()


def test_unknown_payloads_become_events_in_an_event_section(product: Path) -> None:
    with (product / "spec" / "00_product.yaml").open("a") as fh:
        fh.write("  events:\n    feature: usage\n    title: Events\n    schedule: on event\n    description: What happened.\n")
    res = gen("infer", "traffic", "--section", "events", "--write")
    assert res.exit_code == 0, res.output
    # The section has no payloads yet: they go to the file declaring it, under a new `payloads:`.
    text = (product / "spec" / "00_product.yaml").read_text()
    assert "    description: What happened.\n\npayloads:\n  - type: event\n    wire_name: cfg_cache\n    section: events\n" in text
    assert "  - type: event\n    wire_name: plugin_enabled\n    section: events\n" in text
    spec, findings = check_spec(product / "spec")
    assert spec is not None and {f.code for f in findings} == {"needs-review", "unreviewed"}
    assert spec.payload("plugin_enabled").type == "event"
    report = json.loads(gen("validate", "traffic", "--format", "json").stdout)
    assert report["conforming"] == 38 and report["failing"] == 4


def test_unknown_payloads_become_events_of_a_category(product: Path) -> None:
    with (product / "spec" / "00_product.yaml").open("a") as fh:
        fh.write("  events:\n    feature: usage\n    title: Events\n    schedule: on event\n"
                 "    categories:\n      plugins: {title: Plugins}\n      admin: {title: Admin}\n")
    res = gen("infer", "traffic", "--section", "events")
    assert res.exit_code == 2 and "has event categories; name one with --category (plugins, admin)" in res.output
    res = gen("infer", "traffic", "--section", "events", "--category", "plugins", "--write")
    assert res.exit_code == 0, res.output
    assert "  - type: event\n    wire_name: plugin_enabled\n    section: events\n    category: plugins\n" in (product / "spec" / "00_product.yaml").read_text()
    spec, findings = check_spec(product / "spec")
    assert spec is not None and spec.payload("plugin_enabled").category_id == "plugins"
    assert {f.code for f in findings} == {"needs-review", "unreviewed", "empty-category"}  # admin has no events yet


def test_edit_appends_in_the_style_of_the_last_item() -> None:
    st = _text("payloads:\n  - section: s\n    fields:\n      - {name: A, kind: boolean}  # a\n\n  # next payload\n")
    st.append_items(("payloads", 0, "fields"), ("payloads", 0), "fields", [{"name": "B", "kind": "integer", "review": "x: y"}])
    assert st.result().decode() == ("payloads:\n  - section: s\n    fields:\n      - {name: A, kind: boolean}  # a\n"
                                    "      - {name: B, kind: integer, review: \"x: y\"}\n\n  # next payload\n")
