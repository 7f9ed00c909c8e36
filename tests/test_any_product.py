"""Any product, not only the bundled one (issue 10): kinds, conventions, wording,
opt-outs and personal data for a product shaped unlike Mattermost."""

from __future__ import annotations

import jsonschema
import pytest

from generator.kinds import KINDS


def _ok(kind: str, value) -> bool:
    return jsonschema.Draft202012Validator(dict(KINDS[kind].json_schema)).is_valid(value)


@pytest.mark.parametrize(
    "kind, value, ok",
    [
        ("version", "5.6.0", True),
        ("version", "Ubuntu 22.04", False),  # the strict kind refuses real-world text ...
        ("version_text", "Ubuntu 22.04", True),  # ... which the free kind takes
        ("version_text", "13.4.1 (22F82)", True),
        ("version_text", "", False),
        ("version_text", 22.04, False),
        ("timestamp_ms", 1543622400000, True),
        ("timestamp_ms", "2018-12-01T00:00:00Z", False),
        ("timestamp_seconds", 1543622400, True),
        ("timestamp_seconds", -1, False),
        ("timestamp_seconds", 1.5, False),
        ("timestamp_rfc3339", "2018-12-01T00:00:00Z", True),
        ("timestamp_rfc3339", "2018-12-01T00:00:00.5+01:00", True),
        ("timestamp_rfc3339", "2018-12-01 00:00:00", False),
        ("timestamp_rfc3339", "yesterday", False),
        ("timestamp_rfc3339", 1543622400, False),
    ],
)
def test_version_and_timestamp_kinds(kind: str, value, ok: bool) -> None:
    assert _ok(kind, value) is ok


def test_kind_titles_have_no_parentheses() -> None:
    """Docs print "(`Name`, <kind title>)": a title with its own parentheses nests them."""
    assert not [k.id for k in KINDS.values() if "(" in k.title]


# --- no product in the package -------------------------------------------------------

from pathlib import Path

from generator.pipeline import check_spec

ROOT = Path(__file__).resolve().parents[1]


def _bundled_words() -> set[str]:
    """Words and sentences that are the bundled product's: its name, editions, console
    path steps, feature and section titles, destinations, and the fixed sentences of
    its page that the generator once printed for everyone."""
    spec, _ = check_spec(ROOT / "spec")
    words = {spec.product.name, *(e.title for e in spec.editions), *(f.title for f in spec.features)}
    words |= {f.destination for f in spec.features} | {s.title for s in spec.sections}
    words |= {step for s in spec.settings for step in s.console_path}
    words |= {"The following data is sent", "when the specified event occurs", "System Console", "api.segment.io"}
    return {w for w in words if len(w) > 3}


def _package_text_files():
    for folder in ("templates", "data"):
        for path in sorted((ROOT / "generator" / folder).rglob("*")):
            if path.is_file() and path.suffix not in (".pyc",):
                yield path


def test_package_templates_and_data_hold_no_product_english() -> None:
    words = _bundled_words()
    assert "Mattermost" in words and "System Console" in words
    hits = []
    for path in _package_text_files():
        text = path.read_text(encoding="utf-8")
        hits += [f"{path.relative_to(ROOT)}: {w!r}" for w in sorted(words) if w in text]
    assert not hits, "product-specific wording in the package:\n" + "\n".join(hits)


def test_a_translation_is_one_file_of_phrases(tmp_path: Path) -> None:
    """Every phrase can be set from the spec; a German file changes the docs' wording
    without touching a template."""
    import shutil

    from generator.phrases import DEFAULTS
    from generator.targets import docs_md

    spec_dir = tmp_path / "spec"
    shutil.copytree(ROOT / "examples" / "cli-analytics" / "spec", spec_dir)
    text = (spec_dir / "00_product.yaml").read_text(encoding="utf-8")
    (spec_dir / "00_product.yaml").write_text(text.split("\nphrases:")[0] + "\n", encoding="utf-8")
    de = {"title": "Analysedaten", "schedule_heading": "Gesendet {schedule}:", "schedule_on_event": "bei einem Ereignis",
          "opt_out_environment_variable": "Zum Abschalten die Umgebungsvariable {setting} auf {values} setzen.",
          "off_rule_set": "einen beliebigen Wert außer leer, 0, false, off oder no", "pd_possible": "Kann personenbezogene Daten enthalten"}
    assert set(de) <= set(DEFAULTS)
    lines = ["spec_format: 2", "phrases:"] + [f"  {k}: {v!r}" for k, v in de.items()]
    (spec_dir / "90_de.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    spec, findings = check_spec(spec_dir)
    assert spec is not None and findings == [], findings
    md = docs_md.render(spec)["docs/telemetry.md"].decode("utf-8")
    assert md.startswith("# Analysedaten\n")
    assert "### Gesendet bei einem Ereignis:" in md
    assert "Zum Abschalten die Umgebungsvariable `POUROVER_NO_ANALYTICS` auf einen beliebigen Wert außer leer, 0, false, off oder no setzen." in md
    assert "Kann personenbezogene Daten enthalten." in md


def test_a_phrase_with_an_unknown_placeholder_is_refused(tmp_path: Path) -> None:
    import shutil

    spec_dir = tmp_path / "spec"
    shutil.copytree(ROOT / "examples" / "cli-analytics" / "spec", spec_dir)
    (spec_dir / "90_bad.yaml").write_text("spec_format: 2\nphrases:\n  sent_by: 'From {sendr}.'\n", encoding="utf-8")
    (spec_dir / "91_typo.yaml").write_text("spec_format: 2\nphrases:\n  titel: X\n", encoding="utf-8")
    spec, findings = check_spec(spec_dir)
    assert spec is None
    got = [(f.location.file, f.location.line, f.code) for f in findings]
    assert got == [("90_bad.yaml", 3, "invalid-value"), ("91_typo.yaml", 3, "unknown-key")], findings
    assert "{sendr}" in findings[0].message and "{sender}" in findings[0].help
    assert "did you mean" in findings[1].help.lower() and "title" in findings[1].help


OPT_OUT_SPEC = """spec_format: 2
product: {id: tool, name: Tool, summary: S., privacy_policy: {url: 'https://t.example/p'}}
settings:
  Ui.Telemetry: {console_path: [Settings, Privacy, Telemetry], default: full, description: How much is sent.}
  TOOL_NO_TELEMETRY: {control: environment_variable, description: Switches it all off.}
  telemetry.enabled: {control: config_key, file: ~/.config/tool.toml, default: true}
  no_telemetry: {control: cli_flag, flag: --no-telemetry}
  telemetry_off: {control: command, command: tool telemetry off}
features:
  console: {title: Console, description: D., sender: app, destination: us, opt_outs: [{setting: Ui.Telemetry, off_values: ['off', 'none']}]}
  env: {title: Env, description: D., sender: app, destination: us, opt_outs: [{setting: TOOL_NO_TELEMETRY, off_values: any_non_empty}]}
  config: {title: Config, description: D., sender: app, destination: us, opt_outs: [{setting: telemetry.enabled, off_values: [false]}]}
  flag: {title: Flag, description: D., sender: app, destination: us, opt_outs: [{setting: no_telemetry}]}
  command: {title: Command, description: D., sender: app, destination: us, opt_outs: [{setting: telemetry_off}]}
  always: {title: Always, description: D., sender: app, destination: us, opt_outs: [{not_possible: the licence check needs it.}]}
sections:
"""


def _opt_out_spec(tmp_path: Path) -> Path:
    feats = ("console", "env", "config", "flag", "command", "always")
    text = OPT_OUT_SPEC + "".join(f"  s_{f}: {{feature: {f}, title: S {f}, schedule: every 1d, description: D.}}\n" for f in feats)
    text += "payloads:\n" + "".join(
        f"  - {{type: record, wire_name: p_{f}, section: s_{f}, fields: [{{name: A, kind: boolean, description: A.}}]}}\n" for f in feats
    )
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "spec.yaml").write_text(text, encoding="utf-8")
    return tmp_path / "spec"


@pytest.mark.parametrize("fmt", ["md", "rst", "html"])
def test_every_opt_out_kind_is_worded_in_every_format(tmp_path: Path, fmt: str) -> None:
    import re

    from generator.targets import docs_html, docs_md, docs_rst

    spec, findings = check_spec(_opt_out_spec(tmp_path))
    assert spec is not None and findings == [], findings
    target = {"md": docs_md, "rst": docs_rst, "html": docs_html}[fmt]
    page = next(iter(target.render(spec).values())).decode("utf-8")
    page = page.replace('<span class="sep">&gt;</span>', " > ").replace("<br>", " ")
    text = re.sub(r"<[^>]+>", "", page).replace("&gt;", ">").replace("&#34;", '"').replace("&#39;", "'")
    text = re.sub(r"\\\\(.)", r"\\1", text).replace("``", "").replace("`", "").replace("**", "")
    text = " ".join(text.split())
    for sentence in (
        'To opt out, set Settings > Privacy > Telemetry to "off" or "none". Setting Ui.Telemetry; default "full". How much is sent.',
        "To opt out, set the environment variable TOOL_NO_TELEMETRY to any non-empty value. Setting TOOL_NO_TELEMETRY; default unset. Switches it all off.",
        "To opt out, set telemetry.enabled in ~/.config/tool.toml to false. Setting telemetry.enabled; default true.",
        "To opt out, pass --no-telemetry. Setting no_telemetry; default unset.",
        "To opt out, run tool telemetry off. Setting telemetry_off; default unset.",
        "This feature cannot be switched off: the licence check needs it.",
    ):
        assert sentence in text, (fmt, sentence)
    assert "no opt-out setting" not in text


def test_one_run_reports_every_error_of_a_file(tmp_path: Path) -> None:
    """A repeated key no longer hides the file's other errors: the duplicate, a second
    duplicate, an unknown key and a wrong type all come in one run."""
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "a.yaml").write_text(
        "spec_format: 2\n"
        "product: {id: x, name: X}\n"
        "settings:\n"
        "  A.B: {console_path: [A, B]}\n"
        "  A.B: {console_path: [A, C]}\n"
        "features:\n"
        "  f: {title: F, sender: s, destination: d, colour: red}\n"
        "  f: {title: G, sender: s, destination: d}\n"
        "sections:\n"
        "  s: {feature: f, title: 5, schedule: every 1d}\n",
        encoding="utf-8",
    )
    spec, findings = check_spec(tmp_path / "spec")
    assert spec is None
    assert [(f.location.line, f.code) for f in findings] == [
        (5, "duplicate-key"),
        (7, "unknown-key"),
        (8, "duplicate-key"),
        (10, "wrong-type"),
    ], findings


def test_the_changes_section_is_worded_by_the_spec(tmp_path: Path) -> None:
    """The Changes section (from version limits) speaks the spec's phrases in all three
    formats, like every other sentence of the docs."""
    import shutil

    from generator.targets import docs_html, docs_md, docs_rst

    spec_dir = tmp_path / "spec"
    shutil.copytree(ROOT / "spec", spec_dir)
    (spec_dir / "95_de.yaml").write_text(
        "spec_format: 2\nphrases:\n  changes_title: 'Verlauf'\n"
        "  changes_not_sent_after: 'Nicht mehr gesendet nach v{version}'\n",
        encoding="utf-8",
    )
    spec, findings = check_spec(spec_dir)
    assert spec is not None and not [f for f in findings if f.severity == "error"], findings
    md = docs_md.render(spec)["docs/telemetry.md"].decode("utf-8")
    rst = docs_rst.render(spec)["docs/telemetry.rst"].decode("utf-8")
    html = docs_html.render(spec)["docs/catalog.html"].decode("utf-8")
    assert "\n## Verlauf\n" in md and "## Changes" not in md
    assert "- Nicht mehr gesendet nach v5.5: WebrtcSettings (Server Configuration Settings)" in md
    assert "\nVerlauf\n-------\n" in rst and "Not sent after" not in rst
    assert '<h2 id="changes-h">Verlauf</h2>' in html and "Not sent after" not in html
