"""``gen infer`` never copies a person's data into the spec, and marks all it adds as
"unreviewed" (issue 21, points 3 and 4).

A value list is proposed only when each value was seen in several documents from
several inputs (``generator.infer.value_lists.ValuePolicy``), and never for a key whose
name or values look personal; the values it does not list are not quoted in the
``review:`` marker or the report either.  What it adds is ``unreviewed``: ``gen check``
fails on it (unless the governance policy says warning), ``gen build`` still writes,
and every output says "not yet reviewed", never "none".
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.infer import stats
from generator.infer.value_lists import ValuePolicy, key_looks_personal, listable, looks_personal

FIXTURE = Path(__file__).parent / "infer_fixture"


def gen(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def product(tmp_path: Path, monkeypatch) -> Path:
    shutil.copytree(FIXTURE / "spec", tmp_path / "spec")
    (tmp_path / "traffic").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _capture(folder: Path, name: str, rows: list[dict]) -> None:
    lines = [json.dumps({"payload": "build_error", "properties": r}) for r in rows]
    (folder / "traffic" / name).write_text("\n".join(lines) + "\n")


def test_user_names_and_home_folders_are_never_copied_into_the_spec(product: Path) -> None:
    """The issue's reproduction: two users' names seen twice each, and home folders."""
    rows = [{"user_name": n, "home_dir": f"/Users/{n}", "exit_code": 1, "build_stage": "link"} for n in ("alice", "bob", "alice", "bob")]
    _capture(product, "a.ndjson", rows)
    _capture(product, "b.ndjson", rows)  # two inputs, four documents per value: above every threshold
    res = gen("infer", "traffic", "--section", "config", "--write")
    assert res.exit_code in (0, 1), res.output
    text = (product / "spec" / "10_config.yaml").read_text()
    assert "alice" not in text and "bob" not in text and "/Users" not in text, text
    assert "alice" not in res.output and "/Users" not in res.output
    # the product's own fixed values are listed: they repeat, from both inputs
    assert "values: [link]" in text
    res = gen("build", "--out", "generated")
    assert res.exit_code == 1 and "unreviewed" in res.output  # built, and the run says why it fails
    out = product / "generated"
    everything = "".join(p.read_text() for p in out.rglob("*") if p.is_file() and p.suffix in (".json", ".md", ".rst", ".html", ".py"))
    assert "alice" not in everything and "/Users/" not in everything
    catalog = json.loads((out / "catalog.json").read_text())
    levels = {f["wire_key"]: f["personal_data"] for p in catalog["payloads"] if p["wire_name"] == "build_error" for f in p["fields"]}
    assert levels == {"user_name": "unreviewed", "home_dir": "unreviewed", "exit_code": "unreviewed", "build_stage": "unreviewed"}
    schema = json.loads((out / "schemas" / "build_error.schema.json").read_text())
    assert {k: v["x-telemetry"]["personal_data"] for k, v in schema["properties"].items()} == levels
    assert "enum" not in schema["properties"]["user_name"] and "enum" not in schema["properties"]["home_dir"]
    for doc in ("docs/telemetry.md", "docs/telemetry.rst"):
        page = (out / doc).read_text()
        assert page.count("Not yet reviewed for personal data") >= 4, doc
    html = (out / "docs" / "catalog.html").read_text()
    assert "Not yet reviewed for personal data" in html
    # the review request says so too
    res = gen("review", str(FIXTURE / "spec"), "spec", "--format", "json")
    items = [i for i in json.loads(res.stdout)["fields"] if i["payload"] == "build_error"]
    assert {i["personal_data"]["status"] for i in items} == {"unreviewed"}
    assert all(any("Nobody has reviewed it" in q for q in i["questions"]) for i in items)
    md = gen("review", str(FIXTURE / "spec"), "spec").stdout
    assert "not yet reviewed" in md and "Personal data:** none" not in md
    # gen check fails; the governance policy can lower it to a warning
    assert gen("check", "--out", "generated").exit_code == 1
    prod = product / "spec" / "00_product.yaml"
    prod.write_text(prod.read_text().replace("product:\n", "product:\n  governance_policy: {unreviewed: warning}\n", 1))
    assert gen("build", "--out", "generated").exit_code == 0
    res = gen("check", "--out", "generated", "--format", "json")
    assert res.exit_code == 0 and {f["severity"] for f in json.loads(res.stdout) if f["code"] == "unreviewed"} == {"warning"}


def _new_fields(report: dict) -> list[dict]:
    out = []
    for p in report["proposals"]:
        out += [p] if p["action"] == "new-field" else [f for f in p.get("fields", []) if f["action"] == "new-field"]
    return out


def test_values_from_one_input_or_seen_once_are_not_listed(product: Path) -> None:
    rows = [{"build_stage": s} for s in ("link", "compile", "link", "compile", "link", "compile")]
    _capture(product, "a.ndjson", rows)
    report = json.loads(gen("infer", "traffic", "--section", "config", "--format", "json").stdout)
    (new,) = _new_fields(report)
    assert new["changes"]["kind"] == "string" and "values" not in new["changes"]  # one input only
    assert "link" not in json.dumps(report["proposals"])
    report = json.loads(gen("infer", "traffic", "--section", "config", "--format", "json", "--min-value-sources", "1").stdout)
    (new,) = _new_fields(report)
    assert new["changes"]["values"] == ["compile", "link"]
    report = json.loads(gen("infer", "traffic", "--section", "config", "--format", "json", "--min-value-sources", "1",
                            "--min-value-documents", "4").stdout)
    (new,) = _new_fields(report)
    assert "values" not in new["changes"]  # each value seen in 3 documents only


def test_what_looks_personal():
    for key in ("user_name", "userName", "home_dir", "email", "hostname", "client_ip", "first_name", "DisplayName", "install_path"):
        assert key_looks_personal(key), key
    for key in ("driver_name", "plugin_name", "build_stage", "exit_code", "schema_version"):
        assert not key_looks_personal(key), key
    for value in ("alice@example.com", "/Users/alice", "~/code", "C:\\Users\\bob", "build.example.com", "10.0.0.1", "fe80::1"):
        assert looks_personal(value), value
    for value in ("link", "5.6.0", "postgres", "INFO", 3, True, "a b"):
        assert not looks_personal(value), value


def test_thresholds_count_documents_and_inputs_per_value():
    c = stats.Collector()
    c.add("a.ndjson", [("p", {"k": v}, i, None) for i, v in enumerate(["x", "x", "y"])])
    c.add("b.ndjson", [("p", {"k": "x"}, 1, None)])
    ks = c.payloads["p"].keys["k"]
    assert ks.seen("x") == (3, 2) and ks.seen("y") == (1, 1)
    assert listable("k", ks, ["x"], ValuePolicy(3, 2)) == ""
    assert listable("k", ks, ["x", "y"], ValuePolicy(3, 2))
    assert listable("k", ks, ["x", "y"], ValuePolicy(1, 1)) == ""
    assert listable("user", ks, ["x"], ValuePolicy(1, 1))
