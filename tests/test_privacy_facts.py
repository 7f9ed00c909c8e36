"""The privacy facts (``generator.privacy.FACTS``) drive ``gen diff``, ``gen review`` and
``gen check --baseline`` alike.

* Table-driven: for every fact and every direction it can move in, one edit of a
  catalogue; ``gen diff`` must report exactly the rule the fact names for that direction,
  classified as the direction says (wider: expanded, narrower: reduced, other: the fact's
  ``other_privacy``).  The expected class is derived from the model, never written here.
* Property (seeded ``random``): random specs, one random single-fact edit each; diff,
  review and baseline must agree: the diff's rule is the fact's, the review lists exactly
  the fields an expanded change reaches (with the question the rule raises) and nothing
  otherwise, and the baseline asks every reached payload for the bump the change needs.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import pytest
import yaml

from generator.diff.compare import diff_catalogs
from generator.diff.rules import BY_ID
from generator.diff.sources import catalog_of_spec, normalised
from generator.diff.versions import BUMPS, baseline_findings, change_class
from generator.kinds import KINDS
from generator.lint import RULE_IDS
from generator.pipeline import check_spec
from generator.privacy import (
    BY_FACT,
    EXPANDED,
    FACTS,
    NARROWER,
    OTHER,
    PD_LEVELS,
    WIDER,
    rule_privacy,
)
from generator.review import QUESTIONS, review_request
from generator.targets.catalog import catalog


@pytest.fixture(scope="module")
def base_catalog(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("base")
    (folder / "spec.yaml").write_text((Path(__file__).parent / "diff_rules" / "base.yaml").read_text("utf-8"), "utf-8")
    return catalog_of_spec(folder, "base")


def _payload(cat: dict, wire: str) -> dict:
    return next(p for p in cat["payloads"] if p["wire_name"] == wire)


def _field(cat: dict, wire: str, key: str) -> dict:
    return next(f for f in _payload(cat, wire)["fields"] if f["wire_key"] == key)


def _feature(cat: dict, fid: str) -> dict:
    return next(f for f in cat["features"] if f["id"] == fid)


def _set(getter, key, before, after):
    """An edit: ``getter(cat)[key]`` is ``before`` in the base side and ``after`` in the head."""

    def edit(b: dict, a: dict) -> None:
        for cat, value in ((b, before), (a, after)):
            if value is not _KEEP:
                getter(cat)[key] = copy.deepcopy(value)

    return edit


_KEEP = object()
MSG = lambda c: _field(c, "cfg_crash_info", "message")
UPTIME = lambda c: _field(c, "cfg_main", "uptime")
MODE = lambda c: _field(c, "cfg_main", "mode")
MAIN = lambda c: _payload(c, "cfg_main")
CRASHES = lambda c: _feature(c, "crashes")
ENV_WAY = {"setting": "ACME_NO_CRASH_UPLOAD", "kind": "environment_variable", "console_path": [], "command": "", "flag": "",
           "key": "", "file": "", "off_value": "1", "off_values": ["1"], "not_possible": "", "cost": ""}
CMD_WAY = {**ENV_WAY, "setting": "ACME_CMD", "kind": "command", "command": "acme analytics off", "off_values": [True]}


def _gov(key: str, before, after):
    return lambda b, a: (MSG(b)["governance"].__setitem__(key, before), MSG(a)["governance"].__setitem__(key, after))


#: (fact, direction) -> the edit that moves the fact that way, and nothing else.
EDITS = {
    ("personal_data", WIDER): _set(MSG, "personal_data", _KEEP, "unreviewed"),
    ("personal_data", NARROWER): _set(MSG, "personal_data", _KEEP, "pseudonymous"),
    ("collected_because", OTHER): _set(MSG, "collected_because", _KEEP, "It names the failing file."),
    ("reduction", WIDER): _set(MSG, "reduction", _KEEP, ["truncation"]),
    ("reduction", NARROWER): _set(MSG, "reduction", _KEEP, ["truncation", "path_scrubbing", "hashing"]),
    ("kind", WIDER): _set(UPTIME, "kind", "version", "version_text"),
    ("kind", NARROWER): _set(UPTIME, "kind", _KEEP, "enumerated_integer"),
    ("kind", OTHER): _set(UPTIME, "kind", _KEEP, "timestamp_ms"),
    ("values", WIDER): _set(MODE, "values", _KEEP, [0, 1, 2, 3]),
    ("values", NARROWER): _set(MODE, "values", _KEEP, [0, 1]),
    ("uses_input_data", WIDER): _set(UPTIME, "uses_input_data", False, True),
    ("uses_input_data", NARROWER): _set(UPTIME, "uses_input_data", True, False),
    ("field_edition", WIDER): _set(UPTIME, "edition", "pro", None),
    ("field_edition", NARROWER): _set(UPTIME, "edition", None, "pro"),
    ("field_versions", WIDER): _set(UPTIME, "versions", {"max": "3.0"}, {}),
    ("field_versions", NARROWER): _set(UPTIME, "versions", {}, {"min": "2.0"}),
    ("expires", WIDER): _gov("expires", {"kind": "date", "value": "2030-01-01", "reason": ""}, {"kind": "never", "reason": "r", "value": "never"}),
    ("expires", NARROWER): _gov("expires", None, {"kind": "version", "value": "9.0", "reason": ""}),
    ("expires", OTHER): _gov("expires", {"kind": "never", "value": "never", "reason": "a"}, {"kind": "never", "value": "never", "reason": "b"}),
    ("review_trail", OTHER): _gov("owners", [], ["@acme/crash"]),
    ("schedule", WIDER): _set(MAIN, "schedule", _KEEP, "every 1h"),
    ("schedule", NARROWER): _set(MAIN, "schedule", _KEEP, "every 7d"),
    ("schedule", OTHER): _set(MAIN, "schedule", _KEEP, "on event"),
    ("edition", WIDER): _set(MAIN, "edition", "pro", None),
    ("edition", NARROWER): _set(MAIN, "edition", None, "pro"),
    ("versions", WIDER): _set(MAIN, "versions", {"min": "2.0"}, {"min": "1.0"}),
    ("versions", NARROWER): _set(MAIN, "versions", {}, {"max": "9.0"}),
    ("feature", OTHER): _set(MAIN, "feature", _KEEP, "errors"),
    ("destination", OTHER): _set(CRASHES, "destination", _KEEP, "metrics.example.net"),
    ("sender", OTHER): _set(CRASHES, "sender", _KEEP, "server"),
    ("opt_outs", WIDER): _set(CRASHES, "opt_outs", [ENV_WAY, CMD_WAY], [ENV_WAY]),
    ("opt_outs", NARROWER): _set(CRASHES, "opt_outs", [ENV_WAY], [ENV_WAY, CMD_WAY]),
    ("opt_outs", OTHER): _set(CRASHES, "opt_outs", [ENV_WAY], [{**ENV_WAY, "setting": "ACME_OPT_OUT"}]),
    ("off_values", WIDER): _set(CRASHES, "opt_outs", [{**ENV_WAY, "off_values": "set"}], [ENV_WAY]),
    ("off_values", NARROWER): _set(CRASHES, "opt_outs", [ENV_WAY], [{**ENV_WAY, "off_values": "any_non_empty"}]),
    ("off_values", OTHER): _set(CRASHES, "opt_outs", [ENV_WAY], [{**ENV_WAY, "off_values": ["0"]}]),
}


def test_every_direction_of_every_fact_has_an_edit():
    """The table covers the model: each fact's every direction that names a rule."""
    wanted = {(f.id, d) for f in FACTS for d in (WIDER, NARROWER, OTHER) if f.rule(d)}
    assert set(EDITS) == wanted
    assert {BY_FACT[f].rule(d) for f, d in EDITS} == set(rule_privacy())


@pytest.mark.parametrize(("fact_id", "direction"), sorted(EDITS), ids=[f"{f}-{d}" for f, d in sorted(EDITS)])
def test_each_fact_edit_is_reported_by_its_rule_with_the_derived_class(base_catalog, fact_id, direction):
    fact = BY_FACT[fact_id]
    before, after = copy.deepcopy(base_catalog), copy.deepcopy(base_catalog)
    EDITS[fact_id, direction](before, after)
    changes = diff_catalogs(before, after)
    assert [c.rule for c in changes] == [fact.rule(direction)], [c.as_dict() for c in changes]
    expected = {WIDER: "expanded", NARROWER: "reduced"}.get(direction, fact.other_privacy)
    assert changes[0].privacy == expected == BY_ID[changes[0].rule].privacy


def test_every_expanded_rule_raises_a_question():
    expanded = {r for r, rule in BY_ID.items() if rule.privacy == EXPANDED}
    assert expanded <= set(QUESTIONS), sorted(expanded - set(QUESTIONS))


# --- property: random specs, one random single-fact edit ---------------------------------

KIND_IDS = sorted(KINDS)


def _random_doc(rng: random.Random) -> dict:
    """A small spec with every privacy fact stated explicitly on every field."""
    payloads = []
    n = rng.randint(1, 3)
    for i in range(n):
        fields = []
        for j in range(rng.randint(1, 4)):
            kind = rng.choice(KIND_IDS)
            f = {
                "name": f"F{i}x{j}",
                "wire_key": f"f{i}x{j}",  # (an is-default kind would derive another)
                "kind": kind,
                "description": "A datum.",
                "uses_input_data": rng.random() < 0.5,
                "personal_data": rng.choice(PD_LEVELS),
                "collected_because": "It is needed.",
                "reduction": ["truncation"],
            }
            if KINDS[kind].enumerable and rng.random() < 0.6:
                f["values"] = [True, False] if KINDS[kind].json_schema["type"] == "boolean" else (
                    [0, 1, 2] if KINDS[kind].json_schema["type"] == "integer" else ["a", "b"])
            if rng.random() < 0.3:
                f["edition"] = "pro"
            if rng.random() < 0.3:
                f["versions"] = {"max": "5.0"}
            if rng.random() < 0.5:
                f["expires"] = "2031-01-01"
            if rng.random() < 0.3:
                f["required"] = False
            fields.append(f)
        section = rng.choice(["rec", "ev", "rec2"])
        p = {"section": section, "fields": fields}
        if section == "ev":
            p["event"] = f"ev_{i}"
        else:
            p["wire_name"] = f"rec_{i}"
        if rng.random() < 0.3:
            p["edition"] = "pro"
        if rng.random() < 0.3:
            p["versions"] = {"min": "2.0"}
        payloads.append(p)
    return {
        "spec_format": 1,
        "product": {"id": "prop", "name": "Prop", "summary": "S.", "lint_ignore": sorted(RULE_IDS),
                    "privacy_policy": {"url": "https://example.test/p"}},
        "editions": {"pro": {"title": "Pro"}},
        "settings": {
            "T.Enable": {"console_path": ["Admin", "Enable"], "default": True},
            "T.Extra": {"console_path": ["Admin", "Extra"], "default": True},
            "PROP_NO_TRACK": {"kind": "environment_variable"},
            "PROP_CMD": {"kind": "command", "command": "prop analytics off"},
        },
        "features": {
            "usage": {"title": "Usage", "sender": "server", "destination": "Prop Inc.",
                      "opt_outs": [{"setting": "T.Enable"}, {"setting": "PROP_NO_TRACK", "off_values": ["1", "yes"]}]},
            "extra": {"title": "Extra", "sender": "client", "destination": "Prop Inc.", "opt_out": {"setting": "T.Extra"}},
        },
        "sections": {
            "rec": {"feature": "usage", "title": "Records", "schedule": "every 24h"},
            "ev": {"feature": "usage", "title": "Events", "schedule": "on event"},
            "rec2": {"feature": "extra", "title": "More records", "schedule": "every 24h"},
        },
        "payloads": payloads,
    }


def _fields(doc):
    return [(p, f) for p in doc["payloads"] for f in p["fields"]]


def _edit(rng: random.Random, doc: dict):
    """One random single-fact edit of ``doc`` in place: (fact id, direction, scope
    key), or None when the drawn edit does not apply to this spec."""
    fact_id = rng.choice([f.id for f in FACTS])
    fits = {
        "values": lambda f: "values" in f and KINDS[f["kind"]].json_schema["type"] != "boolean",
        "kind": lambda f: "values" not in f,
    }.get(fact_id, lambda f: True)
    candidates = [(p, f) for p, f in _fields(doc) if fits(f)]
    if not candidates:
        return None
    p, f = rng.choice(candidates)
    wire = p.get("wire_name") or p.get("event")
    field_at = ("field", wire, f["name"])
    if fact_id == "personal_data":
        level = rng.choice([lv for lv in PD_LEVELS if lv != f["personal_data"]])
        d = WIDER if PD_LEVELS.index(level) > PD_LEVELS.index(f["personal_data"]) else NARROWER
        f["personal_data"] = level
        return fact_id, d, field_at
    if fact_id == "collected_because":
        f["collected_because"] = "Another reason."
        return fact_id, OTHER, field_at
    if fact_id == "reduction":
        if rng.random() < 0.5:
            f["reduction"] = ["truncation", "hashing"]
            return fact_id, NARROWER, field_at
        f.pop("reduction")
        return fact_id, WIDER, field_at
    if fact_id == "kind":
        if "values" in f:
            return None
        new = rng.choice([k for k in KIND_IDS if k != f["kind"]])
        d = BY_FACT["kind"].directions(f["kind"], new)[0]
        f["kind"] = new
        return fact_id, d, field_at
    if fact_id == "values":
        if "values" not in f or KINDS[f["kind"]].json_schema["type"] == "boolean":
            return None
        if rng.random() < 0.5:
            f["values"] = f["values"][:-1]
            return fact_id, NARROWER, field_at
        f["values"] = f["values"] + ([3] if isinstance(f["values"][0], int) else ["c"])
        return fact_id, WIDER, field_at
    if fact_id == "uses_input_data":
        f["uses_input_data"] = not f["uses_input_data"]
        return fact_id, WIDER if f["uses_input_data"] else NARROWER, field_at
    if fact_id == "field_edition":
        if p.get("edition"):
            return None
        d = WIDER if f.pop("edition", None) else NARROWER
        if d == NARROWER:
            f["edition"] = "pro"
        return fact_id, d, field_at
    if fact_id == "field_versions":
        if f.pop("versions", None):
            return fact_id, WIDER, field_at
        f["versions"] = {"max": "4.0"}
        return fact_id, NARROWER, field_at
    if fact_id == "expires":
        if f.pop("expires", None):
            return fact_id, WIDER, field_at
        f["expires"] = "2029-01-01"
        return fact_id, NARROWER, field_at
    if fact_id == "review_trail":
        f["owners"] = ["@prop/team"]
        return fact_id, OTHER, field_at
    payload_at = ("payload", wire)
    if fact_id == "schedule":
        if p["section"] == "ev":
            return None
        sec = doc["sections"][p["section"]]
        sec["schedule"] = rng.choice(["every 1h", "every 7d"])
        d = WIDER if sec["schedule"] == "every 1h" else NARROWER
        return fact_id, d, ("section", p["section"])
    if fact_id == "edition":
        if p.pop("edition", None):
            return fact_id, WIDER, payload_at
        if any(x.get("edition") for x in p["fields"]):
            return None  # a field's own limit would follow it
        p["edition"] = "pro"
        return fact_id, NARROWER, payload_at
    if fact_id == "versions":
        if any(x.get("versions") for x in p["fields"]):
            return None
        if p.pop("versions", None):
            return fact_id, WIDER, payload_at
        p["versions"] = {"max": "9.0"}
        return fact_id, NARROWER, payload_at
    if fact_id == "feature":
        if p["section"] == "ev":
            return None
        p["section"] = "rec2" if p["section"] == "rec" else "rec"
        return fact_id, OTHER, payload_at
    feature_at = ("feature", "usage")
    usage = doc["features"]["usage"]
    if fact_id in ("destination", "sender"):
        usage[fact_id] = "elsewhere"
        return fact_id, OTHER, feature_at
    if fact_id == "opt_outs":
        choice = rng.choice([WIDER, NARROWER, OTHER])
        if choice == WIDER:
            usage["opt_outs"] = usage["opt_outs"][:1]
        elif choice == NARROWER:
            usage["opt_outs"].append({"setting": "PROP_CMD"})
        else:
            usage["opt_outs"][0] = {"setting": "T.Extra"}
        return fact_id, choice, feature_at
    if fact_id == "off_values":
        choice = rng.choice([WIDER, NARROWER, OTHER])
        usage["opt_outs"][1]["off_values"] = {WIDER: ["1"], NARROWER: "set", OTHER: ["0"]}[choice]
        return fact_id, choice, feature_at
    raise AssertionError(fact_id)


def _catalog(doc: dict, folder: Path):
    folder.mkdir(parents=True)
    (folder / "spec.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
    spec, findings = check_spec(folder)
    assert spec is not None, [str(f) for f in findings]
    return spec, normalised(catalog(spec))


def _reached(scope: tuple, head: dict, head_doc: dict) -> set[str]:
    """The payloads (wire names) a change at ``scope`` is in."""
    if scope[0] in ("field", "payload"):
        return {scope[1]}
    if scope[0] == "section":
        return {p["wire_name"] for p in head["payloads"] if p["section"] == scope[1]}
    return {p["wire_name"] for p in head["payloads"] if p["feature"] == scope[1]}


def test_random_single_fact_edits_agree_in_diff_review_and_baseline(tmp_path):
    rng = random.Random(21)
    done: dict[tuple[str, str], int] = {}
    attempts = 0
    while sum(done.values()) < 90 and attempts < 600:
        attempts += 1
        doc = _random_doc(rng)
        head_doc = copy.deepcopy(doc)
        drawn = _edit(rng, head_doc)
        if drawn is None:
            continue
        fact_id, direction, scope = drawn
        fact = BY_FACT[fact_id]
        n = sum(done.values())
        _, base = _catalog(doc, tmp_path / f"b{n}")
        spec, head = _catalog(head_doc, tmp_path / f"a{n}")
        changes = diff_catalogs(base, head)
        where = json.dumps([fact_id, direction, scope])
        rule = fact.rule(direction)
        # diff: exactly the fact's rule (a payload-level limit may also show on its fields)
        assert {c.rule for c in changes} == {rule}, (where, [c.as_dict() for c in changes])
        privacy = {WIDER: "expanded", NARROWER: "reduced"}.get(direction, fact.other_privacy)
        assert {c.privacy for c in changes} == {privacy}, where
        # review: the reached fields exactly when expanded, each with the rule's question
        payloads = _reached(scope, head, head_doc)
        items = review_request(base, head)
        if privacy == EXPANDED:
            if scope[0] == "field":
                key = next(f["wire_key"] for p in head["payloads"] if p["wire_name"] == scope[1]
                           for f in p["fields"] if f["name"] == scope[2])
                want = {(scope[1], key)}
            else:
                want = {(p["wire_name"], f["wire_key"]) for p in head["payloads"] if p["wire_name"] in payloads for f in p["fields"]}
            assert {(i["payload"], i["wire_key"]) for i in items} == want, where
            for i in items:
                assert rule in [c["rule"] for c in i["changes"]] and QUESTIONS[rule] in i["questions"], where
        else:
            assert items == [], where
        # baseline: each reached payload asks for the bump the change needs
        bump = BUMPS[change_class(changes[0])]
        if privacy != "none":  # a privacy change is never a mere patch
            assert bump in ("minor", "major"), where
        asked = {f.message.split("'")[1]: f.message for f in baseline_findings(spec, base) if f.code == "version-bump"}
        assert set(asked) == payloads, where
        assert all(f"needs a {bump} version bump" in m for m in asked.values()), (where, asked)
        done[fact_id, direction] = done.get((fact_id, direction), 0) + 1
    # every fact and direction the edits can draw was drawn
    assert {f for f, _ in done} == {f.id for f in FACTS}, sorted(done)


# --- opt-out wording: one phrase set for docs, changelog and review ------------------------


def test_changelog_and_review_word_an_opt_out_as_the_docs_do(tmp_path):
    """From "any non-empty value" to ["1"]: the changelog says so in the docs' words (no
    "null", no backslash inside a code span), its feature line is the docs' sentence,
    and the review request uses the same sentence."""
    from generator.diff.formats import format_markdown
    from generator.targets import docs_md

    text = (Path(__file__).parent / "diff_rules" / "base.yaml").read_text("utf-8")
    sides = {}
    for label, off in (("before", "any_non_empty"), ("after", '["1"]')):
        folder = tmp_path / label
        folder.mkdir()
        (folder / "spec.yaml").write_text(text.replace('off_values: ["1"]}', f"off_values: {off}}}"), "utf-8")
        sides[label] = folder
    before, after = catalog_of_spec(sides["before"], "b"), catalog_of_spec(sides["after"], "a")
    changes = diff_catalogs(before, after)
    assert [c.rule for c in changes] == ["opt-out-value-changed"]
    md = format_markdown(changes, before, after)
    assert 'It is now switched off by `"1"` (before: any non-empty value).' in md
    assert "null" not in md
    assert not [span for span in md.split("`")[1::2] if "\\" in span], md
    sentence = 'To opt out, set the environment variable `ACME_NO_CRASH_UPLOAD` to `"1"`.'
    assert sentence in md
    spec, _ = check_spec(sides["after"])
    assert sentence in docs_md.render(spec)["docs/telemetry.md"].decode()
    # the review request of a change that widens the feature words its opt-out alike
    wider = json.loads(json.dumps(after))
    _feature(wider, "crashes")["destination"] = "elsewhere"
    items = review_request(after, wider)
    assert items and all(sentence in i["opt_out_text"] for i in items)


def test_off_rule_set_is_the_documented_truthiness():
    from generator.privacy import ENV_NOT_SET, env_is_set, switches_off

    assert ENV_NOT_SET == ("", "0", "false", "off", "no")
    for value in ("1", "true", "TRUE", "yes", "on", "x", " 0"):
        assert env_is_set(value) and switches_off("set", value), value
    for value in ("", "0", "false", "FALSE", "Off", "no", "NO", None):
        assert not env_is_set(value) and not switches_off("set", value), value
    assert switches_off("any_non_empty", "0") and not switches_off("any_non_empty", "")
    assert switches_off(["1"], "1") and not switches_off([False], 0)
