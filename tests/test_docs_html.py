"""The HTML catalogue, read as a file: self-contained, complete, escaped, deterministic.
(What it does in a browser is tests/test_docs_browser.py.)"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from docs_fixtures import (
    EVIL,
    HOSTILE_SPANS,
    MINIMAL_SPEC_DIR,
    POLICY_URL,
    REPO,
    bundled_spec,
    json_runs,
    load,
    seen_runs,
    synthetic_expectations,
    visible,
    write_evil_spec,
    write_synthetic_spec,
)

from generator.targets import docs_html
from generator.targets.escape import json_for_script


def html_of(spec) -> str:
    files = docs_html.render(spec)
    assert list(files) == [docs_html.PATH]
    return files[docs_html.PATH].decode("utf-8")


class Page(HTMLParser):
    """Every start tag with its attributes, and the text inside each <script>/<style>."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self.styles: list[str] = []
        self._text: list[str] = []
        self._in: tuple[str, dict] | None = None
        self._buf: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag in ("script", "style"):
            self._in, self._buf = (tag, a), []

    def handle_data(self, data):
        if self._in:
            self._buf.append(data)
        else:
            self._text.append(data)

    @property
    def text(self) -> str:
        """The page's visible text (outside scripts and styles), references decoded."""
        return " ".join(self._text)

    def handle_endtag(self, tag):
        if self._in and tag == self._in[0]:
            text = "".join(self._buf)
            if tag == "script":
                self.scripts.append((self._in[1], text))
            else:
                self.styles.append(text)
            self._in = None


def data_of(page: Page) -> dict:
    blocks = [t for a, t in page.scripts if a.get("type") == "application/json"]
    assert len(blocks) == 1
    return json.loads(blocks[0])


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@pytest.mark.parametrize("which", ["bundled", "minimal", "evil"])
def test_self_contained(which, tmp_path):
    """Nothing is loaded from anywhere: no external script, style, image, font or frame,
    no url() or @import, and a Content-Security-Policy that forbids all network access
    and allows only the page's own script and style (by hash)."""
    spec = {
        "bundled": bundled_spec,
        "minimal": lambda: load(MINIMAL_SPEC_DIR),
        "evil": lambda: load(write_evil_spec(tmp_path)),
    }[which]()
    text = html_of(spec)
    page = Page(text)
    for tag, attrs in page.tags:
        assert tag not in (
            "link",
            "img",
            "iframe",
            "object",
            "embed",
            "frame",
            "base",
            "video",
            "audio",
            "source",
        ), tag
        assert "src" not in attrs, (tag, attrs)
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        assert "style" not in attrs, (tag, attrs)
        if "href" in attrs:
            assert tag == "a" and (
                attrs["href"].startswith("#") or attrs["href"] == spec.product.privacy_policy_url
            ), attrs
    for css in page.styles:
        assert "url(" not in css and "@import" not in css and "@font-face" not in css
    inline = [t for a, t in page.scripts if "type" not in a]
    assert len(inline) == 1 and len(page.styles) == 1
    assert not re.search(r"https?://", inline[0] + page.styles[0])
    csp = [
        a["content"]
        for t, a in page.tags
        if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    ]
    assert len(csp) == 1
    policy = dict(part.strip().split(" ", 1) for part in csp[0].split(";"))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == _sha(inline[0])
    assert policy["style-src"] == _sha(page.styles[0])


def test_lists_every_field_and_event_with_an_anchor():
    spec = bundled_spec()
    page = Page(html_of(spec))
    data = data_of(page)
    rows = data["rows"]
    fields = [r for r in rows if r["t"] == "f"]
    events = [r for r in rows if r["t"] == "e"]
    assert len(fields) == len(spec.fields)
    assert [r["w"] for r in events] == [p.wire_name for p in spec.payloads if p.type == "event"]
    assert sorted((r["p"], r["w"]) for r in fields) == sorted(
        (f.payload, f.wire_key) for f in spec.fields
    )
    ids = (
        [r["id"] for r in rows]
        + [s[2] for s in data["sections"]]
        + [f[1] for f in data["features"]]
    )
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+", i) for i in ids)
    by_key = {(r["p"], r["w"]): r for r in fields}
    for f in spec.fields:
        r = by_key[f.payload, f.wire_key]
        assert r["id"] == f"field-{f.payload}-{f.wire_key}"
        assert r["n"] == f.qualified_name and r["d"] == f.description
        assert data["kinds"][r["k"]] == f.kind.title
        assert r["v"] == f.versions.text()
        assert (data["editions"][r["e"]] if r["e"] >= 0 else None) == (
            f.edition.title if f.edition else None
        )
        feature = spec.feature(f.feature_id)
        opt = data["optouts"][r["o"]] if r["o"] >= 0 else None
        assert opt == (feature.opt_out.console_path_text if feature.opt_out else None)
        assert data["schedules"][r["h"]] == f.schedule.text
        assert data["sections"][r["s"]][0] == spec.section(f.section_id).title


def test_filters_offer_every_value():
    """Each filter lists every feature, section, kind, schedule, edition and opt-out
    setting that a row carries."""
    spec = bundled_spec()
    page = Page(html_of(spec))
    data = data_of(page)
    selects = {a["id"]: a["data-key"] for t, a in page.tags if t == "select"}
    assert selects == {
        "f-feature": "f",
        "f-section": "s",
        "f-kind": "k",
        "f-schedule": "h",
        "f-edition": "e",
        "f-optout": "o",
        "f-pd": "pl",
    }
    assert any(
        t == "input" and a.get("id") == "q" and a.get("type") == "search" for t, a in page.tags
    )
    assert [f[0] for f in data["features"]] == [f.title for f in spec.features]
    assert {s[0] for s in data["sections"]} == {
        s.title for s in spec.sections if spec.payloads_of(s.id)
    }
    assert set(data["kinds"]) == {f.kind.title for f in spec.fields} | {"Event"}
    assert set(data["schedules"]) == {
        s.schedule.text for s in spec.sections if spec.payloads_of(s.id)
    }
    assert set(data["editions"]) >= {
        e.title for e in spec.editions if any(f.edition == e for f in spec.fields)
    }


def test_spec_text_cannot_break_out(tmp_path):
    spec = load(write_evil_spec(tmp_path))
    text = html_of(spec)
    # the only script elements are the page's two; no spec text opened one
    assert text.count("<script") == 2 and text.lower().count("</script") == 2
    assert "<script>alert" not in text and "<img" not in text and "<!--" not in text
    page = Page(text)
    assert [t for t, _ in page.tags].count("script") == 2
    # the JSON block holds the exact texts (not folded, not entity-mangled) ...
    data = data_of(page)
    rows = data["rows"]
    by_id = {r["id"]: r for r in rows}
    for p in spec.payloads:
        if p.type == "event":
            assert by_id[f"event-{p.wire_name}"]["n"] == p.title
        for f in p.fields:
            r = by_id[f"field-{p.wire_name}-{f.wire_key}"]
            # (texts with code spans as segments, odd items code: see test_code_spans)
            assert json_runs(r["d"]) == seen_runs(f.description, "html")
            assert [json_runs(n) for n in r.get("notes", [])] == [seen_runs(n, "html") for n in f.notes]
            assert json_runs(r.get("pd", "")) == seen_runs(f.personal_data_note, "html")
    assert sorted(json_runs(s[0]) for s in data["sections"]) == sorted(seen_runs(s.title, "html") for s in spec.sections)
    # ... and the prose shows every text as written
    # (code spans without their backquotes; <code> splits the parser's text)
    page_chars = "".join(page.text.split())
    for t in EVIL:
        assert "".join(visible(t, "html").split()) in page_chars or any(
            json_runs(r.get("d", "")) == seen_runs(t, "html") or t == r.get("n") for r in rows
        ), t
    raw_json = next(t for a, t in page.scripts if a.get("type") == "application/json")
    assert not re.search(r"[<>&]", raw_json)
    # prose parts are HTML-escaped text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert f'href="{POLICY_URL}"' in text


def test_code_spans(tmp_path):
    """Code spans in spec text: the prose has <code> elements holding exactly each
    span's text (markup inside stays escaped), and the JSON rows carry the texts as
    segments whose odd items are the spans (the page's script makes them <code> with
    textContent, see test_docs_browser); a text without spans stays a string."""
    texts = (HOSTILE_SPANS[0], EVIL[1], HOSTILE_SPANS[1], *EVIL[3:])
    spec = load(write_evil_spec(tmp_path, texts))
    text = html_of(spec)
    assert "<script>alert" not in text and text.count("<script") == 2
    codes = re.findall(r"<code>(.*?)</code>", text)
    for t in texts[:3]:
        for kind, s in seen_runs(t, "html"):
            if kind == "code":
                assert html.escape(s, quote=False) in codes, s
    rows = data_of(Page(text))["rows"]
    reason = next(r for r in rows if r["id"] == "field-plain_payload-reason")
    assert json_runs(reason["d"]) == seen_runs(texts[0], "html") != [("text", texts[0])]
    assert [json_runs(n) for n in reason["notes"]] == [seen_runs(texts[2], "html")]
    plain_row = next(r for r in rows if isinstance(r.get("d"), str) and "`" not in r["d"])
    assert isinstance(plain_row["d"], str)


def test_json_for_script_escapes():
    s = json_for_script({"a": "</script><!--&\u2028"})
    assert "<" not in s and ">" not in s and "&" not in s and "\u2028" not in s
    assert json.loads(str(s)) == {"a": "</script><!--&\u2028"}


def test_a_few_thousand_fields_stay_compact(tmp_path):
    spec = load(write_synthetic_spec(tmp_path, 3000))
    text = html_of(spec)
    data = data_of(Page(text))
    exp = synthetic_expectations(3000)
    assert sum(r["t"] == "f" for r in data["rows"]) == exp["fields"]
    assert sum(r["t"] == "e" for r in data["rows"]) == exp["events"]
    assert len(text) < 300 * (exp["fields"] + exp["events"]) + 60_000


def test_deterministic_across_hash_seeds(tmp_path):
    """Same spec, same bytes, whatever PYTHONHASHSEED (set and dict order must not leak
    into the output)."""
    code = (
        "import hashlib, sys; from pathlib import Path\n"
        "from generator.pipeline import check_spec\n"
        "from generator.targets import docs_rst, docs_md, docs_html\n"
        "spec, _ = check_spec(Path(sys.argv[1]))\n"
        "for m in (docs_rst, docs_md, docs_html):\n"
        "    for p, b in sorted(m.render(spec).items()): print(p, hashlib.sha256(b).hexdigest())\n"
    )
    spec_dir = write_evil_spec(tmp_path)
    outs = []
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}
        res = subprocess.run(
            [sys.executable, "-c", code, str(spec_dir)],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            check=False,
        )
        assert res.returncode == 0, res.stderr
        outs.append(res.stdout)
    assert outs[0] == outs[1] == outs[2] and outs[0].count("\n") == 3
