"""Shared fixtures of the privacy-docs tests (test_docs_*.py).

* ``EVIL``: spec text that is markup in every docs format (emphasis, literals,
  substitutions, references, links, raw HTML, directives, entities, a trailing
  backslash, newlines); ``write_evil_spec`` puts it in every text slot of a spec.
* ``write_synthetic_spec``: a spec with thousands of fields and some events, with
  known names, kinds and words, so the catalogue's search and filters can be checked
  against exact expected counts.
* ``bundled_spec``/``seed_facts``: the real spec and the seed page's committed facts
  (``tests/data/seed_facts.json``, see ``seed_facts.py``).
"""

from __future__ import annotations

import json
from pathlib import Path

import seed_facts as _seed_facts
from _build_helpers import bundled_spec  # noqa: F401 - re-exported
from _build_helpers import load_or_fail as load  # noqa: F401 - re-exported

REPO = Path(__file__).resolve().parents[1]
MINIMAL_SPEC_DIR = REPO / "tests/cases/ok_minimal/spec"

POLICY_URL = "https://acme.example/privacy"

# Each string is markup somewhere; together they cover rst, Markdown and HTML.
EVIL = (
    (
        "*star* **strong** `tick` ``lit`` |sub| _under_ word_ [x](http://evil) "
        "![i](http://evil/i.png) <script>alert(1)</script> &amp; &lt; :role:`x` "
        "http://evil.example user@evil.example trail\\"
    ),
    "..  raw:: html\n\n   <script>alert(2)</script>",
    "- bullet\n- list",
    "1. enumerated",
    "A. Einstein",
    "# heading #",
    "> quote",
    ":field: list",
    "| line | block |",
    "term : classifier",
    "ends with a literal block::",
    "<img src=x onerror=alert(3)>",
    "]]></script><!-- {{ '{{' }} {% raw %}",
    "new\nline\r\nand\ttab",
    "____",
)


def seed_facts() -> dict:
    """The seed page's facts, as committed in ``tests/data/seed_facts.json``."""
    return _seed_facts.load()


def _q(text: str) -> str:
    """A YAML scalar for any text (JSON strings are valid YAML)."""
    return json.dumps(text)


def write_evil_spec(folder: Path) -> Path:
    """A spec whose every free-text slot holds markup from ``EVIL``; returns its folder."""
    e = [_q(t) for t in EVIL]
    spec_dir = folder / "evil_spec"
    spec_dir.mkdir(parents=True, exist_ok=True)
    values = ", ".join(_q(t) for t in ("*a*", "<b>", "|c|"))
    (spec_dir / "spec.yaml").write_text(
        f"""spec_format: 2
product:
  id: evil
  name: {e[0]}
  summary: {e[1]}
  privacy_policy: {{title: {_q("Privacy *Policy*")}, url: {POLICY_URL}}}
  purposes_intro: {e[2]}
  purposes: [{e[3]}, {e[4]}]
  guarantees: [{e[5]}, {_q("Read the Privacy *Policy* please")}, {e[6]}]
editions:
  pro: {{title: {e[7]}}}
settings:
  Telemetry.Enable:
    console_path: [{e[8]}, {e[9]}, {e[0]}]
    default: true
features:
  usage:
    title: {e[10]}
    description: {e[0]}
    purposes: [{e[11]}, {e[12]}]
    sender: {e[13]}
    destination: {e[14]}
    opt_outs: [{{setting: Telemetry.Enable, cost: {e[1]}}}]
sections:
  config:
    feature: usage
    title: {e[0]}
    schedule: every 24h
    description: {e[2]}
    field_groups:
      - {{title: {e[3]}, kinds: [boolean, enumerated_integer], note: {e[4]}}}
      - {{title: {e[5]}, kinds: [setting_is_default], note: {e[1]}}}
  plain:
    feature: usage
    title: {e[6]}
    schedule: every 1h
    edition: pro
    description: {e[7]}
  events:
    feature: usage
    title: {e[8]}
    schedule: on event
    description: {e[9]}
    categories:
      signin: {{title: {e[10]}, description: {e[11]}, edition: pro}}
payloads:
  - type: record
    group: MainSettings
    section: config
    fields:
      - {{name: EnableThing, kind: boolean, description: {e[12]}}}
      - {{name: Mode, kind: enumerated_integer, values: [0, 1, 2], description: {e[13]}}}
      - {{name: SiteURL, kind: setting_is_default, description: {e[14]}}}
  - type: record
    wire_name: plain_payload
    title: {e[1]}
    section: plain
    fields:
      - name: Reason
        kind: enumerated_string
        values: [{values}]
        description: {e[0]}
        notes: [{e[2]}]
      - name: Comment
        kind: string
        description: {e[3]}
        personal_data_note: {e[4]}
  - type: event
    wire_name: login_failed
    title: {e[5]}
    description: {e[6]}
    section: events
    category: signin
    fields:
      - name: Code
        kind: string
        description: {e[7]}
        personal_data_note: {e[8]}
  - type: event
    wire_name: login_ok
    title: {e[0]}
    section: events
    category: signin
    fields: []
""",
        "utf-8",
    )
    return spec_dir


WORDS = ("alpha", "bravo", "charlie", "delta", "echo")
KIND_CYCLE = ("count", "boolean", "enumerated_integer", "integer")


def synthetic_expectations(n_fields: int) -> dict:
    """What ``write_synthetic_spec(n_fields)`` contains, computed independently."""
    kinds = [KIND_CYCLE[i % len(KIND_CYCLE)] for i in range(n_fields)]
    return {
        "fields": n_fields,
        "events": 40,
        "needle": sum(1 for i in range(n_fields) if i % 7 == 0),
        "needle_count": sum(1 for i in range(n_fields) if i % 7 == 0 and kinds[i] == "count"),
        "pro_fields": sum(1 for i in range(n_fields) if (i // 100) % 5 == 4),
    }


def write_synthetic_spec(folder: Path, n_fields: int = 3000) -> Path:
    """A spec with ``n_fields`` record fields in payloads of 100 (every fifth payload in
    the pro edition), spread over two features, plus 40 events; field ``i`` is
    ``Group<p>.Field<i>`` with kind ``KIND_CYCLE[i % 4]`` and the word "needle" in its
    description when ``i % 7 == 0``."""
    spec_dir = folder / "synthetic_spec"
    spec_dir.mkdir(parents=True, exist_ok=True)
    out = [
        "spec_format: 2",
        "product:",
        "  id: synth",
        "  name: Synthetic Product",
        "  summary: A product with a great many telemetry fields.",
        f"  privacy_policy: {{title: Privacy Policy, url: {POLICY_URL}}}",
        "  purposes_intro: 'We use the data for:'",
        "  purposes: [finding bugs]",
        "  guarantees: [Data is encrypted in transit.]",
        "  conventions: {payload_prefix: 'cfg_', payload_strip_suffix: Settings, is_default_prefix: 'isdefault_', numbers: attached}",
        "editions:",
        "  pro: {title: Pro Edition}",
        "settings:",
        "  Telemetry.Enable: {console_path: [Admin, Telemetry, Enable], default: true}",
        "  Usage.Enable: {console_path: [Admin, Usage, Enable], default: true}",
        "features:",
        "  config:",
        "    title: Configuration Reporting",
        "    description: Which options are on.",
        "    sender: server",
        "    destination: Synthetic Inc.",
        "    opt_outs: [{setting: Telemetry.Enable, cost: No tailored tips.}]",
        "  usage:",
        "    title: Usage Reporting",
        "    description: Which actions happen.",
        "    sender: client",
        "    destination: telemetry.example",
        "    opt_outs: [{setting: Usage.Enable}]",
        "sections:",
        "  settings_a: {feature: config, title: Settings A, schedule: every 24h, description: First half.}",
        "  settings_b: {feature: config, title: Settings B, schedule: every 24h, description: Second half.}",
        "  actions:",
        "    feature: usage",
        "    title: Actions",
        "    schedule: on event",
        "    categories:",
        "      clicks: {title: Clicks, description: When something is clicked}",
        "      views: {title: Views, description: When something is viewed}",
        "payloads:",
    ]
    per = 100
    for p in range((n_fields + per - 1) // per):
        section = "settings_a" if p < (n_fields // per) // 2 else "settings_b"
        out.append(f"  - type: record\n    group: Group{p:03d}Settings")
        out.append(f"    section: {section}")
        if p % 5 == 4:
            out.append("    edition: pro")
        out.append("    fields:")
        for i in range(p * per, min(n_fields, (p + 1) * per)):
            word = WORDS[i % len(WORDS)]
            needle = " needle" if i % 7 == 0 else ""
            out.append(
                f"      - {{name: Field{i:05d}, kind: {KIND_CYCLE[i % len(KIND_CYCLE)]}, "
                f"description: {word} setting number {i}{needle}}}"
            )
    for j in range(40):
        cat = "clicks" if j % 2 == 0 else "views"
        out.append(f"  - type: event\n    wire_name: action_{j:03d}")
        out.append(f"    title: Action {j:03d} happened")
        out.append("    section: actions")
        out.append(f"    category: {cat}")
        out.append("    fields: []")
    (spec_dir / "spec.yaml").write_text("\n".join(out) + "\n", "utf-8")
    return spec_dir
