"""The bundled Mattermost spec encodes every fact of the page it was written from.

The seed page (``shared/seeds/000_e845a4544a31fba0.txt``, the reStructuredText telemetry
page of the Mattermost docs, outside this repository) is read by ``seed_facts.py``,
which commits its facts to ``tests/data/seed_facts.json``: the settings lists, sections,
categories, opt-outs, versions, and digests of its sentences.  What the page lists is
then looked up in the *resolved* model of ``spec/``, so the check does not trust the
spec files to describe themselves: a setting dropped from the YAML, put in the wrong
group, or given a kind other than its list's fails here.  Where the page is present,
``test_committed_facts_are_the_pages`` extracts afresh and compares, so the committed
facts cannot drift from it; a clone anywhere runs everything else.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
import seed_facts
from _build_helpers import ROOT

from generator.diagnostics import ERROR
from generator.pipeline import check_spec

SPEC_DIR = ROOT / "spec"

SECTION = "server_configuration"
LISTS = ("type", "count", "is_default")
# The kind each list's item types map to.
KIND_OF = {
    "type": {"enum": "enumerated_integer", "bool": "boolean", "int": "integer"},
    "count": {"int": "count"},
    "is_default": {"bool": "setting_is_default"},
}
# The one repetition the page has; encoded once, with a note.
EXPECTED_DUPLICATES = [("type", "ServiceSettings", "ConnectionSecurity")]


# -- the page's facts --------------------------------------------------------------------
@pytest.fixture(scope="module")
def facts() -> dict:
    return seed_facts.load()


@pytest.fixture(scope="module")
def seed_settings(facts) -> dict[str, list[tuple[str, str, str, bool]]]:
    return {lst: [tuple(item) for item in items] for lst, items in facts["settings"].items()}


if seed_facts.PAGE.is_file():  # collected only where the page is (the main checkout, CI)

    def test_committed_facts_are_the_pages():
        """``tests/data/seed_facts.json`` is exactly what ``seed_facts.py`` extracts from
        the page now; refresh it with ``python tests/seed_facts.py`` when the page changes."""
        fresh = seed_facts.dumps(seed_facts.extract(seed_facts.PAGE.read_text(encoding="utf-8")))
        committed = seed_facts.FACTS.read_text(encoding="utf-8")
        assert committed == fresh, "tests/data/seed_facts.json is stale: run python tests/seed_facts.py"


def test_the_settings_parser_is_strict():
    """The extraction's settings parser: stray separators, a missing colon, a version
    mark; and a piece it cannot read fails instead of being skipped."""
    block = "**A**: enum One, bool  Two; int Three, **B** (only in v5.5 and earlier): bool Four; **C** bool Five"
    assert seed_facts.parse_settings_list(block) == [
        ["A", "enum", "One", False], ["A", "bool", "Two", False], ["A", "int", "Three", False],
        ["B", "bool", "Four", True], ["C", "bool", "Five", False],
    ]
    with pytest.raises(AssertionError):
        seed_facts.parse_settings_list("**A**: enum One, nonsense here")


def _in_page(facts: dict, text: str) -> bool:
    """Every sentence of ``text`` is a sentence of the page (compared by digest)."""
    found = seed_facts.sentences(text)
    digests = set(facts["sentence_digests"])
    return bool(found) and all(seed_facts.sentence_digest(s) in digests for s in found)


def _seed_duplicates(seed_settings) -> list[tuple[str, str, str]]:
    counts = Counter((lst, g, n) for lst in LISTS for g, _, n, _ in seed_settings[lst])
    return sorted(k for k, c in counts.items() if c > 1)


# -- the resolved spec -------------------------------------------------------------------
@pytest.fixture(scope="module")
def spec():
    model, findings = check_spec(SPEC_DIR)
    errors = [f"{f.location}: {f.code}: {f.message}" for f in findings if f.severity == ERROR]
    assert model is not None and not errors, "spec does not resolve:\n" + "\n".join(errors)
    return model


def _config_payloads(spec) -> dict:
    out = {}
    for p in spec.payloads:
        if p.section_id == SECTION:
            assert p.group, f"payload {p.wire_name} of {SECTION} has no settings group"
            assert p.group not in out, f"settings group {p.group} has two payloads"
            out[p.group] = p
    return out


def _norm(text: str) -> str:
    return " ".join(text.split()).rstrip(".:").strip()


# -- server configuration ----------------------------------------------------------------
def test_parser_reads_the_whole_page(seed_settings):
    # The parser itself: these totals are fixed from the page, so a parser change that
    # loses or invents items fails here as well as in the cross-check inside it.
    assert len(seed_settings["type"]) == 190
    assert len(seed_settings["count"]) == 3
    assert len(seed_settings["is_default"]) == 80


def test_only_known_duplicate_in_seed(seed_settings):
    assert _seed_duplicates(seed_settings) == EXPECTED_DUPLICATES


@pytest.mark.parametrize("lst", LISTS)
def test_every_seed_setting_is_a_field_of_its_group(seed_settings, spec, lst):
    payloads = _config_payloads(spec)
    missing = []
    for group, typ, name, _ in seed_settings[lst]:
        kind = KIND_OF[lst][typ]
        p = payloads.get(group)
        if p is None or not any(f.name == name and f.kind.id == kind for f in p.fields):
            missing.append(f"{group}.{name} ({kind})")
    assert not missing, (
        f"{len(missing)} setting(s) of the {lst!r} list are not in the spec: {missing}"
    )


@pytest.mark.parametrize("lst", LISTS)
def test_field_counts_per_list_match_seed(seed_settings, spec, lst):
    kinds = set(KIND_OF[lst].values())
    seed = Counter((g, n) for g, _, n, _ in seed_settings[lst])
    dups = sum(c - 1 for c in seed.values())
    assert dups == sum(1 for d in EXPECTED_DUPLICATES if d[0] == lst)
    in_spec = [
        (p.group, f.name)
        for p in _config_payloads(spec).values()
        for f in p.fields
        if f.kind.id in kinds
    ]
    assert len(in_spec) == len(set(in_spec)), "a setting is encoded twice"
    assert len(in_spec) == len(seed_settings[lst]) - dups
    assert set(in_spec) == set(seed)


def test_config_payloads_are_exactly_the_seed_groups(seed_settings, spec):
    groups = {g for lst in LISTS for g, *_ in seed_settings[lst]}
    assert set(_config_payloads(spec)) == groups


def test_seed_order_is_kept_within_each_group(seed_settings, spec):
    payloads = _config_payloads(spec)
    for lst in LISTS:
        kinds = set(KIND_OF[lst].values())
        expected: dict[str, list[str]] = {}
        for g, _, n, _ in seed_settings[lst]:
            if n not in expected.setdefault(g, []):
                expected[g].append(n)
        for g, names in expected.items():
            got = [f.name for f in payloads[g].fields if f.kind.id in kinds]
            assert got == names, f"{g} ({lst}) is not in the page's order"


def test_duplicate_is_noted(spec):
    service = _config_payloads(spec)["ServiceSettings"]
    (field,) = [f for f in service.fields if f.name == "ConnectionSecurity"]
    assert any("twice" in n for n in field.notes)


def test_version_limited_groups(seed_settings, spec):
    limited = {g for lst in LISTS for g, _, _, lim in seed_settings[lst] if lim}
    assert limited == {"WebrtcSettings"}
    payloads = _config_payloads(spec)
    for g, p in payloads.items():
        if g in limited:
            assert p.versions.max == "5.5" and p.versions.min is None
            assert all(f.versions.max == "5.5" for f in p.fields)
        else:
            assert not p.versions.limited, f"{g} should not be version-limited"


def test_config_wire_names_and_keys(spec):
    payloads = _config_payloads(spec)
    assert payloads["ServiceSettings"].wire_name == "config_service"
    keys = {
        f.name + ("/d" if f.kind.id == "setting_is_default" else ""): f.wire_key
        for f in payloads["ServiceSettings"].fields
    }
    assert keys["SiteURL/d"] == "isdefault_site_url"
    assert keys["EnableAPITeamDeletion"] == "enable_api_team_deletion"
    assert keys["EnableOAuthServiceProvider"] == "enable_oauth_service_provider"
    metrics = {(f.wire_key, f.kind.id) for f in payloads["MetricsSettings"].fields}
    assert {
        ("block_profile_rate", "enumerated_integer"),
        ("isdefault_block_profile_rate", "setting_is_default"),
    } <= metrics
    export = {f.wire_key for f in payloads["MessageExportSettings"].fields}
    assert "global_relay_settings_customer_type" in export


def test_field_groups_and_no_input_note(facts, spec):
    section = spec.section(SECTION)
    assert section.schedule.id == "every 24h"
    assert "config.json" in section.description
    by_title = {g.title: g for g in section.field_groups}
    assert set(by_title["Type values (enumerated integer and enumerated boolean)"].kinds) == set(
        KIND_OF["type"].values()
    )
    assert by_title["Counts (integer)"].kinds == ("count",)
    (isdef,) = [g for g in section.field_groups if g.kinds == ("setting_is_default",)]
    assert "remains default (true) or non-default (false)" in isdef.title
    assert facts["settings_note"] == "No input data is used" == isdef.note
    assert all(
        not f.uses_input_data
        for p in _config_payloads(spec).values()
        for f in p.fields
        if f.kind.id == "setting_is_default"
    )


# -- security update check ---------------------------------------------------------------
def test_security_update_check_items(facts, spec):
    items = facts["security_update_check"]["items"]
    assert len(items) == 11
    (payload,) = spec.payloads_of("security_update_check")
    assert len(payload.fields) == 11
    descriptions = [_norm(re.sub(r"\s*\([^)]*\)", "", f.description)) for f in payload.fields]
    assert descriptions == items
    # The parentheticals are kept in the descriptions, word for word.
    parens = facts["security_update_check"]["parenthetical_digests"]
    assert len(parens) == 2
    in_spec = {seed_facts.sentence_digest(_norm(p)) for f in payload.fields
               for p in re.findall(r"\(([^)]*)\)", " ".join(f.description.split()))}
    assert set(parens) <= in_spec
    assert payload.schedule.id == "every 24h"
    assert facts["security_update_check"]["schedule"] == "once every 24 hours"


def test_opt_outs_follow_the_page(facts, spec):
    paths = [f["opt_out_path"] for f in facts["features"]]
    assert len(paths) == 2
    by_title = {f.title: f for f in spec.features}
    assert [f["title"] for f in facts["features"]] == list(by_title)
    security = by_title["Security Update Check"]
    errors = by_title["Error and Diagnostics Reporting"]
    assert security.opt_out.console_path_text == paths[0]
    assert errors.opt_out.console_path_text == paths[1]
    assert _in_page(facts, security.opt_out.cost)
    assert security.destination == facts["security_update_check"]["destination"] == "Mattermost Inc."
    assert (errors.sender, errors.destination) == ("client", "api.segment.io")
    assert facts["error_reporting"] == {"sender": "client", "destination": "api.segment.io"}


def test_product_facts(facts, spec):
    product = spec.product
    assert product.privacy_policy_url == facts["privacy_policy_url"]
    assert len(facts["purposes"]) == 4
    assert list(product.purposes) == facts["purposes"]
    assert _in_page(facts, product.summary)
    assert not _in_page(facts, product.summary.replace("security", "safety"))  # digests tell
    text = " ".join(product.guarantees)
    for fact in ("encrypted in transit", "personally identifiable information", "message contents"):
        assert fact in text


# -- the other 24-hour sections ----------------------------------------------------------
def test_24h_sections_follow_the_page(facts, spec):
    daily = [h for h in facts["sections"] if h["schedule"] == "once every 24 hours"]
    assert len(daily) == 5
    sections = {s.title: s for s in spec.sections}
    for h in daily:
        assert h["title"] in sections, f"no section titled {h['title']!r}"
        s = sections[h["title"]]
        assert s.schedule.id == "every 24h"
        assert s.feature_id == "error_and_diagnostics_reporting"
        assert (s.edition is not None and s.edition.title == "Enterprise Edition") == h["enterprise"]


def test_24h_field_counts(spec):
    def fields(section_id):
        (p,) = spec.payloads_of(section_id)
        return p.fields

    assert len(fields("deployment_configuration")) == 6
    assert len(fields("commercial_license")) == 8
    assert len(fields("plugin_configuration")) == 4
    assert len(fields("aggregated_usage_statistics")) == 10
    (short,) = [f for f in fields("commercial_license") if "E10 vs E20" in f.description]
    assert short.values == ("E10", "E20")


def test_sections_are_in_page_order(facts, spec):
    positions = [facts["headings"].index(s.title) for s in spec.sections]
    assert positions == sorted(positions)


# -- events ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def seed_categories(facts) -> dict[str, list[dict]]:
    return facts["categories"]


def _categories(spec, section_id) -> dict:
    return {c.title: c for c in spec.section(section_id).categories}


def test_category_titles_and_editions(seed_categories, spec):
    assert len(seed_categories["error_information"]) == 2
    assert len(seed_categories["diagnostic_information"]) == 10
    for section_id, bullets in seed_categories.items():
        cats = _categories(spec, section_id)
        assert [c.title for c in spec.section(section_id).categories] == [b["title"] for b in bullets]
        for bullet in bullets:
            c = cats[bullet["title"]]
            assert (c.edition is not None and c.edition.id == "enterprise") == bullet["enterprise"], bullet["title"]
            events = [
                p for p in spec.payloads if p.section_id == section_id and p.category_id == c.id
            ]
            assert events, f"category {bullet['title']!r} has no events"
            for e in events:
                assert e.type == "event" and e.schedule.id == "on event"
                assert e.edition == c.edition


STOP = {
    "a",
    "an",
    "the",
    "or",
    "and",
    "of",
    "to",
    "for",
    "in",
    "from",
    "by",
    "with",
    "on",
    "either",
    "those",
    "it",
}
# Words of the page that are encoded other than as a word of an event title.
ENCODED_OTHERWISE = {
    "authroized": "typo on the page; the title says 'Authorized'",
    "vice": "'or vice versa': the reverse switches are their own events",
    "versa": "'or vice versa': the reverse switches are their own events",
    "only": "'(only in v5.5 and earlier)' is the events' versions.max",
    "v5": "'(only in v5.5 and earlier)' is the events' versions.max",
    "5": "'(only in v5.5 and earlier)' is the events' versions.max",
    "earlier": "'(only in v5.5 and earlier)' is the events' versions.max",
    "provides": "lead verb of the Permissions Discovery text",
}


def _variants(word: str) -> set[str]:
    out = {word}
    if len(word) > 3 and word.endswith("es"):
        out.add(word[:-2])
    if len(word) > 3 and word.endswith("s"):
        out.add(word[:-1])
    return out


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def test_every_word_of_every_event_clause_is_encoded(seed_categories, spec):
    """A dropped clause ("updated team name") leaves words no event title carries."""
    for section_id, bullets in seed_categories.items():
        cats = _categories(spec, section_id)
        for bullet in bullets:
            c = cats[bullet["title"]]
            events = [
                p for p in spec.payloads if p.section_id == section_id and p.category_id == c.id
            ]
            hay = set()
            for e in events:
                for w in _words(e.title) + [w for f in e.fields for w in _words(f.description)]:
                    hay |= _variants(w)
            missing = [
                w
                for w in bullet["words"]
                if w not in STOP and w not in ENCODED_OTHERWISE and not (_variants(w) & hay)
            ]
            assert not missing, f"{bullet['title']}: words of the page in no event: {missing}"


def test_event_lead_texts(facts, spec):
    cats = _categories(spec, "error_information")
    for c in cats.values():
        assert c.description and _in_page(facts, c.description)
    assert (
        spec.section("diagnostic_information").description
        == "Boolean when the following events occur"
    )


def test_version_limited_events(spec):
    webrtc = [p for p in spec.payloads if p.type == "event" and "WebRTC" in p.title]
    assert len(webrtc) == 2
    assert all(p.versions.max == "5.5" for p in webrtc)
    others = [p for p in spec.payloads if p.type == "event" and p not in webrtc]
    assert not any(p.versions.limited for p in others)


def test_event_fields(spec):
    for p in spec.payloads:
        if p.category_id == "mobile_app_errors":
            assert [f.kind.id for f in p.fields] == [
                "string",
                "string_list",
                "string",
                "string",
                "version",
            ]
        if p.category_id == "mobile_performance":
            assert [f.kind.id for f in p.fields] == ["integer"]
        if p.category_id == "plugin_discovery":
            assert p.fields and all(f.kind.id == "count" for f in p.fields)
    perms = [p for p in spec.payloads if p.category_id == "permissions_discovery"]
    assert len(perms) == 1
    assert [f.kind.id for f in perms[0].fields] == ["pseudonymous_id"] + ["string_list"] * 4 + [
        "count"
    ]
    assert not any("authroized" in p.title for p in spec.payloads)


def test_permission_fields_are_the_pages_list(facts, spec):
    items = facts["permissions"]
    (p,) = [p for p in spec.payloads if p.category_id == "permissions_discovery"]
    assert [f.description for f in p.fields] == items
