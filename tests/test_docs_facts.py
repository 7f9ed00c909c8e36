"""Every docs format shows the same facts for every field, in every layout (a section
with ``field_groups`` or without; record tables, lists and event groups) (issue 21,
point 5).

The facts come from the model (wire key, kind, values, optional, the field's own version
and edition limits, its personal-data level with the reasons and reductions, or why it
holds none, and its own governance); the test parses each output -- the
reStructuredText and Markdown pages line by line, the HTML catalogue's JSON rows -- and
checks that each carries each fact, not how it is worded.  Specs: the golden ``ok_*``
cases, both bundled specs, and seeded random specs (with and without field groups,
every personal-data level).
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
import yaml
from test_privacy_facts import _random_doc

from generator.kinds import KINDS
from generator.phrases import plain, value_text
from generator.pipeline import check_spec
from generator.targets import docs_html, docs_md, docs_rst

ROOT = Path(__file__).resolve().parents[1]
SPECS = [*sorted(p / "spec" for p in (ROOT / "tests" / "cases").glob("ok_*")), ROOT / "spec", ROOT / "examples" / "cli-analytics" / "spec"]


def _lines(text: str, fmt: str) -> list[str]:
    """The page's lines as plain text: escapes, code marks and emphasis removed."""
    out = []
    for line in text.splitlines():
        line = re.sub(r"\\(.)", r"\1", line)
        line = line.replace("``", "").replace("`", "").replace("**", "")
        out.append(" ".join(line.split()))
    return out


def _html_rows(html: str) -> tuple[dict, dict]:
    m = re.search(r'<script type="application/json" id="catalog-data">(.*?)</script>', html, re.DOTALL)
    data = json.loads(m.group(1))
    rows = {}
    for r in data["rows"]:
        if r["t"] == "f":
            rows.setdefault((r["p"], r["w"]), []).append(r)
    return data, rows


def _facts(spec, payload, f) -> list[str]:
    """What every format must say about field ``f`` of ``payload``, as plain text."""
    ph = dict(spec.phrases)
    facts = [f.wire_key, *map(value_text, f.values)]
    if not f.required:
        facts.append(ph["optional"])
    if f.versions != payload.versions and f.versions.text(ph):
        facts.append(f.versions.text(ph))
    if f.personal_data != "none":
        facts.append(ph["pd_" + f.personal_data])
        if f.collected_because:
            facts.append(" ".join(f.collected_because.split()))
        facts += [ph["reduction_" + r] for r in f.reduction]
    elif f.personal_data_note:
        facts.append(" ".join(f.personal_data_note.split()))
    feature = spec.feature(f.feature_id)
    if f.governance != feature.governance and f.governance.owners:
        facts.append(", ".join(f.governance.owners))
    return [x.rstrip(".") for x in facts]  # (a sentence's full stop is wording)


def _check(spec) -> int:
    md = _lines(docs_md.render(spec)["docs/telemetry.md"].decode(), "md")
    rst = _lines(docs_rst.render(spec)["docs/telemetry.rst"].decode(), "rst")
    data, rows = _html_rows(docs_html.render(spec)["docs/catalog.html"].decode())
    ph = dict(spec.phrases)
    checked = 0
    for p in spec.payloads:
        for f in p.fields:
            facts = _facts(spec, p, f)
            kind = KINDS[f.kind.id]
            kinds = (kind.label, kind.title[:1].lower() + kind.title[1:], kind.title)
            key_phrase = plain(ph["wire_key"], key=f.wire_key)
            for fmt, lines in (("md", md), ("rst", rst)):
                candidates = [ln for ln in lines if f.name in ln and (key_phrase in ln or f"| {f.wire_key} |" in ln)]
                assert candidates, (fmt, p.wire_name, f.wire_key)
                ok = [ln for ln in candidates if all(x in ln for x in facts) and any(k in ln for k in kinds)]
                assert ok, (fmt, p.wire_name, f.wire_key, [x for x in facts if not any(x in ln for ln in candidates)], candidates[:2])
            (row, *_) = rows[(p.wire_name, f.wire_key)]
            shown = [row["w"], *row.get("vals", ()), ph["optional"] if row.get("opt") else "", row["v"],
                     data["personal_datas"][row["pl"]] if "personal_datas" in data else data["personal_data"][row["pl"]],
                     row.get("pdw", ""), row.get("pdr", ""), row.get("pd", ""), row.get("ow", "")]
            text = " | ".join(" ".join(str(x).split()) for x in shown)
            missing = [x for x in facts if x not in text and not (x == f.versions.text(ph) and row["v"] == x)]
            assert not missing, ("html", p.wire_name, f.wire_key, missing, text)
            assert data["kinds"][row["k"]] == f.kind.title
            checked += 1
    return checked


@pytest.mark.parametrize("spec_dir", SPECS, ids=lambda p: p.parent.name)
def test_every_format_carries_every_fact_of_every_field(spec_dir: Path) -> None:
    spec, findings = check_spec(spec_dir)
    assert spec is not None, [str(x) for x in findings]
    assert _check(spec)


def test_random_specs_with_and_without_field_groups(tmp_path: Path) -> None:
    rng = random.Random(5)
    for i in range(8):
        doc = _random_doc(rng)
        for f in (f for p in doc["payloads"] for f in p["fields"]):
            f["name"] = f["name"] + "x"  # (names longer than a value)
            if rng.random() < 0.3:
                f["owners"] = ["@team/x"]
            if f["personal_data"] == "none" and rng.random() < 0.5:
                f["personal_data_note"] = "Counted, never typed."
        if i % 2:  # field groups over every kind in the record sections
            for sid in ("rec", "rec2"):
                doc["sections"][sid]["field_groups"] = [
                    {"title": "Some", "kinds": sorted(KINDS)[:8]},
                    {"title": "Others", "kinds": sorted(KINDS)[8:], "note": "The rest."},
                ]
        folder = tmp_path / f"s{i}"
        folder.mkdir()
        (folder / "spec.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
        spec, findings = check_spec(folder)
        assert spec is not None, [str(x) for x in findings]
        _check(spec)
