"""Warehouse columns of wire keys that are no column name (``generator.columns``).

Format 2 lets a wire key be any JSON key (``os.name``, ``Colour Scheme``, ``_id``); Avro,
BigQuery and Spark's Parquet refuse most of them as column names, and every table begins
with the envelope's ``_payload`` ... columns.  Shown here: the rule on examples; on a
seeded stream of random keys, every column is a name all three accept, a key that
needed no change keeps it, and every other one decodes back to its key (so two keys never
share a column unless the lint rule says so); and, on seeded random payloads, the
``warehouse-column-clash`` lint error appears exactly when a generated BigQuery table
would hold one column twice, while every table without it parses as Avro (fastavro).
"""

from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path

import pytest

from generator.columns import ENVELOPE_NAMES, MAX_NAME, RESERVED_PREFIXES, clashes, column_name
from generator.pipeline import check_spec
from generator.targets import warehouse_avro, warehouse_bigquery, warehouse_spark

CASES = Path(__file__).parent / "cases"
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@pytest.mark.parametrize(("key", "column"), [
    ("max_users", "max_users"),
    ("enable_X_to_leave_channels_from_LHS", "enable_X_to_leave_channels_from_LHS"),
    ("_id", "_id"),
    ("os.name", "os_x2e_name"),
    ("Colour Scheme", "Colour_x20_Scheme"),
    ("build_info.os", "build__info_x2e_os"),
    ("1st", "_x31_st"),
    ("_payload", "_x5f_payload"),
    ("_PAYLOAD", "_x5f_PAYLOAD"),
    ("_TABLE_suffix", "_x5f_TABLE__suffix"),
    ("_ROOT_.x", "_x5f_ROOT___x2e_x"),  # (escaped, it would begin with BigQuery's __ROOT__)
    ("prénom", "pr_xe9_nom"),
    ("", "_x_"),
])
def test_a_key_s_column(key, column):
    assert column_name(key) == column


def _decode(name: str) -> str:
    """The inverse of ``column_name`` for a key it had to change."""
    out, i = [], 0
    while i < len(name):
        if name[i] != "_":
            out.append(name[i])
            i += 1
        elif name[i + 1] == "_":
            out.append("_")
            i += 2
        else:
            assert name[i + 1] == "x", name
            end = name.index("_", i + 2)
            out.append(chr(int(name[i + 2:end], 16)))
            i = end + 1
    return "".join(out)


_ALPHABET = "abcXYZ019_. -/$é\u03a9\U0001f600"


def _random_key(rng: random.Random) -> str:
    if rng.random() < 0.1:
        return rng.choice([*ENVELOPE_NAMES, "_table_x", "__root__y", "_file_", "x" * 200, "\u03a9" * 200])
    return "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 12)))


def test_every_column_is_a_name_all_warehouses_accept_and_decodes_to_its_key():
    rng = random.Random(2612)
    for _ in range(5000):
        key = _random_key(rng)
        name = column_name(key)
        assert NAME.match(name) and len(name) <= MAX_NAME, (key, name)
        assert name.lower() not in {n.lower() for n in ENVELOPE_NAMES}, (key, name)
        assert not name.upper().startswith(RESERVED_PREFIXES), (key, name)
        if name != key and key and len(key) < 40:  # ("" is "_x_"; a long one ends in a digest)
            assert _decode(name) == key, (key, name)


def _spec_with(tmp_path: Path, keys: list[str], ignore: tuple[str, ...] = ()) -> Path:
    spec = tmp_path / "spec"
    shutil.copytree(CASES / "lint_wire_key_convention" / "spec", spec)
    rules = ", ".join(("wire-key-convention", *ignore))
    fields = "".join(
        f"      - {{name: Field{i}, kind: {'integer' if i % 3 else 'boolean'}, "
        f"wire_key: {json.dumps(key, ensure_ascii=False)}, description: Field {i}., lint_ignore: [{rules}]}}\n"
        for i, key in enumerate(keys)
    )
    (spec / "payloads.yaml").write_text(
        "spec_format: 2\npayloads:\n  - type: record\n    group: MainSettings\n    section: config\n    fields:\n"
        + fields + "  - type: event\n    wire_name: signed_in\n    section: events\n    category: signin\n"
        "    fields: []\n", "utf-8")
    return spec


def test_the_clash_rule_and_the_generated_tables_agree(tmp_path):
    """Seeded random payloads (keys that clash by case, by escaping, or not at all): the
    lint error names exactly the keys whose BigQuery column repeats an earlier one
    (without case); a table without a clash has distinct names in all three targets,
    and parses as Avro."""
    import fastavro

    rng = random.Random(7)
    seen_clash = seen_clean = 0
    for round_ in range(40):
        keys: list[str] = []
        while len(keys) < rng.randint(2, 8):
            key = _random_key(rng)
            roll = rng.random()
            if keys and roll < 0.2:
                key = rng.choice(keys).swapcase()  # a case variant
            elif keys and roll < 0.3:
                key = column_name(rng.choice(keys))  # an escaped column, as a plain key
            if key and key not in keys:  # (the format refuses an empty key)
                keys.append(key)
        spec, findings = check_spec(_spec_with(tmp_path / str(round_), keys))
        clashing = [f for f in findings if f.code == "warehouse-column-clash"]
        assert (spec is None) == bool(clashing), [f.message for f in findings]
        if spec is None:  # the same spec with the error suppressed: what the tables would be
            spec, findings = check_spec(_spec_with(tmp_path / f"{round_}-ignored", keys, ("warehouse-column-clash",)))
            assert spec is not None, [f.message for f in findings]
        payload = spec.payload("cfg_main")
        [bigquery] = warehouse_bigquery.unit(spec, payload).values()
        columns = [c["name"] for c in json.loads(bigquery)]
        repeated = [n for i, n in enumerate(columns) if n.lower() in {m.lower() for m in columns[:i]}]
        assert len(clashing) == len(repeated) == len(clashes(keys)), (keys, columns, [f.message for f in clashing])
        if clashing:
            seen_clash += 1
            assert all(f.severity == "error" for f in clashing)
            continue
        seen_clean += 1
        [avro] = [json.loads(b) for b in warehouse_avro.unit(spec, payload).values()]
        fastavro.parse_schema(avro)
        [spark] = [json.loads(b) for b in warehouse_spark.unit(spec, payload).values()]
        assert [f["name"] for f in avro["fields"]] == [f["name"] for f in spark["fields"]] == columns
        keys_back = [f["metadata"].get("wire_key") for f in spark["fields"]]
        assert keys_back == [None] * len(ENVELOPE_NAMES) + keys
        for f, key in zip(avro["fields"][len(ENVELOPE_NAMES):], keys):
            assert (f"Wire key: {json.dumps(key, ensure_ascii=False)}." in f["doc"]) == (f["name"] != key)
    assert seen_clash >= 5 and seen_clean >= 5  # both outcomes were exercised
