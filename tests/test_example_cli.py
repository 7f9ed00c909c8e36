"""The second bundled example (examples/cli-analytics/): a command-line tool's
analytics, shaped unlike Mattermost (events only, environment-variable and command
opt-outs, a field that may carry personal data, docs titled "Analytics").  It checks
clean, builds, passes ``gen check``, and its docs speak its own words in all formats."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import seed_facts
from click.testing import CliRunner

from generator.cli import main
from generator.pipeline import check_spec

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "examples" / "cli-analytics" / "spec"

# Wording of Mattermost's page (and of the generator's old fixed sentences) that must not
# appear in another product's docs, and words that assume a graphical settings screen.
MATTERMOST_PHRASES = (
    "The following data is sent",
    "when the specified event occurs",
    "The following information is sent",
    "Telemetry",
    "Mattermost",
    "System Console",
    "Enterprise Edition",
    "Why no personal data",
)
GUI_WORDS = ("disable the feature in", "console", "System Console", " > ")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli_example") / "generated"
    r = CliRunner().invoke(main, ["build", "--spec", str(SPEC), "--out", str(out)])
    assert r.exit_code == 0, r.output
    return out


def test_checks_clean() -> None:
    spec, findings = check_spec(SPEC)
    assert spec is not None and findings == [], [str(f) for f in findings]
    assert {p.type for p in spec.payloads} == {"event"}
    assert [f.personal_data for f in spec.fields if f.wire_key == "error_message"] == ["possible"]


def test_builds_and_passes_gen_check(built: Path) -> None:
    r = CliRunner().invoke(main, ["check", "--spec", str(SPEC), "--out", str(built)])
    assert r.exit_code == 0, r.output
    assert "2 features, 2 payloads, 11 fields, 0 errors, 0 warnings" in r.output


@pytest.mark.parametrize("doc", ["telemetry.md", "telemetry.rst", "catalog.html"])
def test_docs_speak_the_products_words(built: Path, doc: str) -> None:
    text = (built / "docs" / doc).read_text(encoding="utf-8")
    plain = re.sub(r"\\(.)", r"\1", text)  # markup escapes removed
    # the page script's wording table holds every label, used or not
    shown = re.sub(r'"labels":\{.*?\},"rows"', '"rows"', plain)
    for phrase in MATTERMOST_PHRASES + GUI_WORDS:
        if phrase == " > " and doc.endswith(".html"):
            assert 'class="sep"' not in shown  # the HTML's console-path separator
            continue
        assert phrase not in shown, f"{doc} says {phrase!r}"
    for must in (
        "Analytics",
        "POUROVER_NO_ANALYTICS",
        "any value except empty, 0, false, off or no",  # the variable's usual truthiness
        "pourover analytics off",
        "default unset",
        "May contain personal data",
        "Collected because",
        "path scrubbing, truncation",
        "Pseudonymous",
        "os_version",  # wire keys, with the acronym list: OSVersion, IPv6Enabled, CPUArch
        "ipv6_enabled",
        "cpu_arch",
        "optional",
    ):
        assert must in plain, f"{doc} lacks {must!r}"


def shared_sentences(text: str, facts: dict) -> list[str]:
    """The runs of words of ``text`` that are a whole sentence of the seed page (its
    sentences are committed as digests, ``seed_facts.sentence_digest``)."""
    words = text.split()
    digests = set(facts["sentence_digests"])
    found = []
    for k in facts["sentence_lengths"]:
        for i in range(len(words) - k + 1):
            run = " ".join(words[i : i + k]).rstrip(".:;")
            if seed_facts.sentence_digest(run) in digests:
                found.append(run)
    return found


def test_docs_share_no_sentence_with_the_mattermost_page(built: Path) -> None:
    facts = seed_facts.load()
    for doc in ("telemetry.md", "telemetry.rst"):
        text = (built / "docs" / doc).read_text(encoding="utf-8")
        shared = shared_sentences(text, facts)
        assert not shared, f"{doc} repeats the Mattermost page: {shared[:3]}"
    # The check itself: the bundled spec's docs do repeat the page.
    mattermost = (ROOT / "generated" / "docs" / "telemetry.md").read_text(encoding="utf-8")
    assert len(shared_sentences(mattermost, facts)) >= 5


def test_html_filters_fit_the_product(built: Path) -> None:
    html = (built / "docs" / "catalog.html").read_text(encoding="utf-8")
    assert 'id="f-edition"' not in html  # no editions in this spec, so no edition filter
    assert 'id="f-pd"' in html
    assert "<title>Pourover: Analytics</title>" in html


def _producer(tmp_path: Path, body: str) -> str:
    path = tmp_path / "producer.py"
    path.write_text(body, encoding="utf-8")
    return f"{path}:produce"


# A producer written to the real rules: the variable is set unless empty, 0, false, off
# or no (any case); the command switches everything off too.
GOOD = '''
def produce(settings):
    value = settings.get("POUROVER_NO_ANALYTICS")
    off = (value is not None and str(value).lower() not in ("", "0", "false", "off", "no")) or settings.get("analytics_off") is True
    out = []
    if not off:
        out.append(("install", {"analytics_id": "abc", "package": "wget", "os_version": "Ubuntu 22.04",
                                "cpu_arch": "arm64", "installed_at": "2024-01-01T00:00:00Z"}))
        out.append(("build_error", {"analytics_id": "abc", "package": "wget", "error_message": "x",
                                    "failed_at": 1700000000, "build_options": ["--HEAD"]}))
    return out
'''


def _suite(built: Path, producer: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEMETRY_", "PYTEST_", "PYTHON"))}
    env.update(PYTHONDONTWRITEBYTECODE="1", TELEMETRY_PRODUCER=producer)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "conformance", "-k", "opt_out", "-q", "-p", "no:cacheprovider"],
        cwd=built, env=env, capture_output=True, text=True, check=False, timeout=300,
    )


def test_opt_out_contract_honours_each_kind(built: Path, tmp_path: Path) -> None:
    """The suite's opt-out contract tries every way to opt out of each feature: the
    variable at values its truthiness counts as set ("1", "true", "yes", "on", ...; never
    "0" or "false", which a real tool reads as not set), and the command."""
    ok = _suite(built, _producer(tmp_path, GOOD))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # A producer that honours only "1" breaks the variable's truthiness.
    bad = _suite(built, _producer(tmp_path, GOOD.replace(
        'str(value).lower() not in ("", "0", "false", "off", "no")', 'value == "1"')))
    assert bad.returncode == 1
    assert "with POUROVER_NO_ANALYTICS = 'true' ('Install Analytics' switched off) the producer still sends: install" in bad.stdout
    # One that ignores the command (the second way to opt out of install analytics).
    bad = _suite(built, _producer(tmp_path, GOOD.replace(' or settings.get("analytics_off") is True', "")))
    assert bad.returncode == 1
    assert "with analytics_off = True ('Install Analytics' switched off)" in bad.stdout
    assert "with analytics_off = True ('Build Error Reports' switched off)" in bad.stdout


HISTORY = ROOT / "examples" / "cli-analytics" / "tests"


def test_a_fields_personal_data_level_moves_through_the_releases(tmp_path: Path) -> None:
    """examples/cli-analytics/tests/: BuildOptions was unreviewed in v4.0, none in v4.1,
    possible now.  gen diff classifies each move, gen review asks about the raise, and
    gen check --baseline wants the schema version bumped for it."""
    import json

    def diff(base: Path, head: Path) -> list[dict]:
        r = CliRunner().invoke(main, ["diff", str(base), str(head), "--format", "json"])
        return [c for c in json.loads(r.stdout) if c["field"] == "build_options"]

    v40, v41 = HISTORY / "v4.0" / "spec", HISTORY / "v4.1" / "spec"
    lowered = diff(v40, v41)
    assert [(c["rule"], c["privacy"], c["before"], c["after"]) for c in lowered if c["rule"].startswith("personal-data")] == [
        ("personal-data-lowered", "reduced", "unreviewed", "none")]
    raised = diff(v41, SPEC)
    assert [(c["rule"], c["privacy"], c["before"], c["after"]) for c in raised if c["rule"].startswith("personal-data")] == [
        ("personal-data-raised", "expanded", "none", "possible")]
    r = CliRunner().invoke(main, ["review", str(v41), str(SPEC), "--format", "json"])
    (item,) = json.loads(r.stdout)["fields"]
    assert (item["wire_key"], item["personal_data"]["status"]) == ("build_options", "possible")
    assert "personal-data-raised" in [c["rule"] for c in item["changes"]]
    # v4.0's spec fails gen check (unreviewed) but still diffs and builds
    assert CliRunner().invoke(main, ["check", "--spec", str(v40), "--no-output"]).exit_code == 1
    # the current spec bumped build_error's version for the raise; without it, --baseline asks
    assert CliRunner().invoke(main, ["check", "--spec", str(SPEC), "--no-output", "--baseline", str(v41)]).exit_code == 0
    copy = tmp_path / "spec"
    import shutil

    shutil.copytree(SPEC, copy)
    ev = copy / "10_events.yaml"
    ev.write_text(ev.read_text().replace("version: 1.3.0", "version: 1.2.0"))
    r = CliRunner().invoke(main, ["check", "--spec", str(copy), "--no-output", "--baseline", str(v41)])
    assert r.exit_code == 1 and "needs a minor version bump (1.2.0 -> 1.3.0)" in r.output, r.output
