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
    assert "2 features, 2 payloads, 10 fields, 0 errors, 0 warnings" in r.output


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
        "any non-empty value",
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


GOOD = '''
def produce(settings):
    out = []
    if not settings.get("POUROVER_NO_ANALYTICS"):
        out.append(("install", {"analytics_id": "abc", "package": "wget", "os_version": "Ubuntu 22.04",
                                "cpu_arch": "arm64", "installed_at": "2024-01-01T00:00:00Z"}))
    if not settings.get("analytics_off"):
        out.append(("build_error", {"analytics_id": "abc", "package": "wget", "error_message": "x",
                                    "failed_at": 1700000000}))
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
    """The suite's opt-out contract tries every off value of each kind: any non-empty
    value of the environment variable (including "0" and "false"), and the command."""
    ok = _suite(built, _producer(tmp_path, GOOD))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # A producer that treats "0" and "false" as "analytics on" breaks "any non-empty value".
    bad = _suite(built, _producer(tmp_path, GOOD.replace(
        'if not settings.get("POUROVER_NO_ANALYTICS"):',
        'if settings.get("POUROVER_NO_ANALYTICS") in (None, "", "0", "false"):')))
    assert bad.returncode == 1
    assert "with POUROVER_NO_ANALYTICS = '0' ('Install Analytics' switched off) the producer still sends: install" in bad.stdout
    # One that ignores the command.
    bad = _suite(built, _producer(tmp_path, GOOD.replace('if not settings.get("analytics_off"):', "if True:")))
    assert bad.returncode == 1
    assert "with analytics_off = True ('Build Error Reports' switched off)" in bad.stdout
