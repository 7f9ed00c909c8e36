"""The HTML catalogue in a real browser: Debian's Chromium, driven by Playwright.

The page is opened from disk with every non-file request aborted and recorded (there
must be none); the tests type in the search box, pick filters, follow field anchors and
check exactly which rows are shown.  A screenshot of each page goes to /tmp for a human
to look at.  Skipped only where no Chromium is installed and the suite does not run
under CI (``_ci.in_ci``); under CI a missing Chromium or Playwright fails.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from _ci import skip_or_fail
from docs_fixtures import (
    EVIL,
    HOSTILE_SPANS,
    bundled_spec,
    load,
    seen_runs,
    synthetic_expectations,
    visible,
    write_evil_spec,
    write_synthetic_spec,
)

from generator.targets import docs_html

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SHOTS = Path("/tmp")

if not CHROMIUM.exists():
    skip_or_fail(
        f"{CHROMIUM} is absent; install Debian's chromium to run the browser tests (.ci/run does)",
        module=True,
    )

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - only without the test extra
    skip_or_fail("playwright is not installed (pip install -e '.[test]')", module=True)

# Visible data rows (not section headers); a row's name is its name cell's text without
# the wire key and the "#" link that follow it.
VISIBLE = "() => Array.from(document.querySelectorAll('#rows-body .row:not(.sec)')).filter(r => !r.hidden)"
VISIBLE_NAMES = (
    f"() => ({VISIBLE})().map(r => {{ const c = r.querySelector('.cell.name');"
    " const key = c.querySelector('.key').textContent, self = c.querySelector('a.self').textContent;"
    " return c.textContent.slice(0, c.textContent.length - key.length - self.length); })"
)
VISIBLE_IDS = f"() => ({VISIBLE})().map(r => r.id)"
VISIBLE_TEXT = f"() => ({VISIBLE})().map(r => r.textContent)"


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Opened:
    """A page opened from a file, with network requests blocked and recorded, and
    page errors and dialogs (an injected alert()) recorded."""

    def __init__(self, browser, path: Path):
        self.page = browser.new_page(viewport={"width": 1360, "height": 900})
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []

        def route(r):
            if r.request.url.startswith("file://"):
                r.continue_()
            else:
                self.blocked.append(r.request.url)
                r.abort()

        self.page.route("**/*", route)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(path.as_uri())
        self.page.wait_for_selector("#rows-body .row")

    def count(self) -> int:
        return self.page.evaluate(f"() => ({VISIBLE})().length")

    def names(self) -> list[str]:
        return self.page.evaluate(VISIBLE_NAMES)

    def ids(self) -> list[str]:
        return self.page.evaluate(VISIBLE_IDS)

    def counter(self) -> str:
        return self.page.inner_text("#count")

    def clean(self):
        assert self.blocked == [], f"the page tried to load {self.blocked}"
        assert self.errors == [], self.errors
        assert self.dialogs == [], self.dialogs


def write_page(spec, folder: Path) -> Path:
    path = folder / "catalog.html"
    path.write_bytes(docs_html.render(spec)[docs_html.PATH])
    return path


def test_synthetic_catalogue_search_filter_anchor(browser, tmp_path):
    """3,000 fields: typing, filtering and following an anchor show exactly the rows
    they should."""
    spec = load(write_synthetic_spec(tmp_path, 3000))
    exp = synthetic_expectations(3000)
    o = Opened(browser, write_page(spec, tmp_path))
    page = o.page
    total = exp["fields"] + exp["events"]
    assert o.count() == total
    assert (
        o.counter()
        == f"Showing {total} of {total} · {exp['fields']} fields, {exp['events']} events"
    )

    # search: every word must match (case-insensitive)
    page.fill("#q", "NEEDLE")
    assert o.count() == exp["needle"]
    names = o.names()
    assert names == [f"Group{i // 100:03d}Settings.Field{i:05d}" for i in range(3000) if i % 7 == 0]

    # plus a kind filter
    page.select_option("#f-kind", label="Integer count")
    assert o.count() == exp["needle_count"]
    assert all(int(re.search(r"Field(\d+)", n).group(1)) % 28 == 0 for n in o.names())
    assert o.counter().startswith(f"Showing {exp['needle_count']} of {total}")
    page.screenshot(path=str(SHOTS / "docs_catalog_synthetic.png"))

    # two words narrow further; a word that matches nothing shows the empty state
    page.fill("#q", "needle alpha")
    assert o.count() == sum(1 for i in range(3000) if i % 7 == 0 and i % 4 == 0 and i % 5 == 0)
    page.fill("#q", "no-such-word")
    assert o.count() == 0
    assert page.is_visible("#empty") and not page.is_visible("#rows")

    # reset, then the edition filter
    page.click("#reset2")
    assert o.count() == total and page.input_value("#q") == ""
    page.select_option("#f-edition", label="Pro Edition Only")
    assert o.count() == exp["pro_fields"]
    page.select_option("#f-edition", value="-1")
    assert o.count() == total - exp["pro_fields"]

    # feature and section filters; choosing a feature hides the other feature's sections
    page.click("#reset")
    page.select_option("#f-feature", label="Usage Reporting")
    assert o.count() == exp["events"]
    assert set(o.ids()) == {f"event-action_{j:03d}" for j in range(40)}
    shown_sections = page.evaluate(
        "() => Array.from(document.querySelectorAll('#rows-body .row.sec')).filter(r => !r.hidden)"
        ".map(r => r.id)"
    )
    assert shown_sections == ["section-actions"]
    assert page.is_visible("#section-actions") and not page.is_visible("#section-settings_a")
    page.select_option("#f-section", label="Actions")
    page.select_option("#f-schedule", label="when an event occurs")
    assert o.count() == exp["events"]
    page.select_option("#f-optout", label="Admin > Usage > Enable")
    assert o.count() == exp["events"]
    page.select_option("#f-optout", label="Admin > Telemetry > Enable")
    assert o.count() == 0

    # following an anchor to a row the filters hide clears the filters and shows it
    target = "field-cfg_group017-field01712"
    assert target not in o.ids()
    page.evaluate(f"location.hash = '#{target}'")
    page.wait_for_function(f"() => !document.getElementById('{target}').hidden")
    assert o.count() == total
    in_view = page.evaluate(
        f"() => {{ const r = document.getElementById('{target}').getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= window.innerHeight; }"
    )
    assert in_view
    assert page.evaluate("() => document.querySelector('.row.flash').id") == target

    # and a row's own "#" link points at it
    href = page.get_attribute(f"#{target} a.self", "href")
    assert href == f"#{target}"
    o.clean()


def test_bundled_catalogue(browser, tmp_path):
    """The real spec: every field and event is a row; search and a filter work; the
    page is screenshotted for review."""
    spec = bundled_spec()
    o = Opened(browser, write_page(spec, tmp_path))
    page = o.page
    n_events = sum(p.type == "event" for p in spec.payloads)
    total = len(spec.fields) + n_events
    assert o.count() == total
    page.screenshot(path=str(SHOTS / "docs_catalog_top.png"))

    # search for one field's qualified name: it is shown, and every row shown matches
    field = next(f for f in spec.fields if "." in f.qualified_name)
    page.fill("#q", field.qualified_name)
    assert field.qualified_name in o.names()
    assert 0 < o.count() < total
    shown = page.evaluate(VISIBLE_TEXT)
    assert all(field.qualified_name.lower() in t.lower() for t in shown), shown
    page.fill("#q", "")
    assert o.count() == total

    # The bundled spec has one edition, which marks 14 fields and 2 events.
    (ed,) = spec.editions
    want = [f"field-{f.payload}-{f.wire_key}" for f in spec.fields if f.edition == ed]
    want += [f"event-{p.wire_name}" for p in spec.payloads if p.type == "event" and p.edition == ed]
    assert len(want) == 16
    page.select_option("#f-edition", label=f"{ed.title} Only")
    assert sorted(o.ids()) == sorted(want)
    page.evaluate("document.getElementById('catalogue-h').scrollIntoView()")
    page.screenshot(path=str(SHOTS / "docs_catalog_filtered.png"))
    o.clean()


def test_evil_text_stays_text_in_the_browser(browser, tmp_path):
    spec = load(write_evil_spec(tmp_path))
    o = Opened(browser, write_page(spec, tmp_path))
    page = o.page
    # no injected element exists, no dialog opened, nothing was fetched
    assert (
        page.evaluate("() => document.querySelectorAll('img, iframe, object, embed').length") == 0
    )
    assert page.evaluate("() => document.scripts.length") == 2
    body = page.inner_text("body")
    assert "<script>alert(1)</script>" in body
    assert "<img src=x onerror=alert(3)>" in body
    # search matches spec text literally, markup characters included
    # EVIL[0] is the "config" section's title (its three fields), Reason's description
    # and login_ok's title: exactly those rows match any piece of it.
    holding = ["field-main_settings-enable_thing", "field-main_settings-mode",
               "field-main_settings-isdefault_site_url", "field-plain_payload-reason", "event-login_ok"]
    page.fill("#q", "<script>alert(1)</script>")
    assert o.ids() == holding
    page.fill("#q", "[x](http://evil)")
    assert o.ids() == holding
    page.screenshot(path=str(SHOTS / "docs_catalog_evil.png"), full_page=True)
    o.clean()


def test_code_spans_are_code_elements(browser, tmp_path):
    """Code spans in a description and a note show as <code> elements holding exactly
    the span's text, markup inside them inert; the text around them as written."""
    texts = (HOSTILE_SPANS[0], EVIL[1], HOSTILE_SPANS[1], *EVIL[3:])
    spec = load(write_evil_spec(tmp_path, texts))
    o = Opened(browser, write_page(spec, tmp_path))
    page = o.page
    assert page.evaluate("() => document.scripts.length") == 2
    assert page.evaluate("() => document.querySelectorAll('img, iframe, a[href^=\"http://evil\"]').length") == 0
    row = "#field-plain_payload-reason .cell.desc"
    codes = page.evaluate(f"() => Array.from(document.querySelectorAll('{row} code')).map(c => [c.childElementCount, c.textContent])")
    want = [s for t in (texts[0], texts[2]) for k, s in seen_runs(t, "html") if k == "code"]
    assert codes == [[0, s] for s in want] and "<script>alert(1)</script>" in want
    desc = page.evaluate(f"() => document.querySelector('{row}').textContent")
    assert visible(texts[0], "html") in " ".join(desc.split())
    # the prose (a feature's description) has them too
    prose = page.evaluate("() => Array.from(document.querySelectorAll('article code')).map(c => c.textContent)")
    assert "<script>alert(1)</script>" in prose
    # a section's title in the table (spec text too) has them
    title_codes = page.evaluate("() => Array.from(document.querySelectorAll('.sec-title')).map("
                                "t => Array.from(t.querySelectorAll('code')).map(c => [c.childElementCount, c.textContent]))")
    assert [[0, s] for k, s in seen_runs(texts[0], "html") if k == "code"] in title_codes
    page.fill("#q", "<script>alert(1)</script>")
    assert "field-plain_payload-reason" in o.ids()
    o.clean()


def test_expires_before_filter(browser, tmp_path):
    """The "Expires before" date filter shows exactly the fields whose expiry is a date
    before the one picked (not version or never expiries, not events), combines with
    the other filters, and is cleared by reset."""
    spec_dir = tmp_path / "spec"
    shutil.copytree(Path(__file__).parent / "review_fixture" / "after", spec_dir)
    p = spec_dir / "payloads.yaml"
    p.write_text(p.read_text().replace(
        "{name: Mode, kind: enumerated_integer, values: [0, 1, 2], description: The mode.}",
        "{name: Mode, kind: enumerated_integer, values: [0, 1, 2], description: The mode., governance: {expires: 2026-12-31}}"))
    o = Opened(browser, write_page(load(spec_dir), tmp_path))
    page = o.page
    assert o.count() == 5
    page.fill("#f-expires", "2027-01-01")
    assert o.names() == ["MainSettings.Mode"]
    page.fill("#f-expires", "2027-06-30")  # "before": the day itself is not before
    assert o.names() == ["MainSettings.Mode"]
    page.fill("#f-expires", "2027-07-01")  # every date expiry; MaxUsers expires at v10.0
    assert o.names() == ["MainSettings.EnableThing", "MainSettings.Mode", "MainSettings.Theme", "MainSettings.Region"]
    assert page.evaluate("() => document.getElementById('f-expires').classList.contains('active')")
    page.fill("#q", "region")
    assert o.names() == ["MainSettings.Region"]
    page.fill("#q", "no-such-word")
    page.click("#reset2")  # the empty state's "clear the search and filters"
    assert o.count() == 5 and page.input_value("#f-expires") == ""
    page.fill("#f-expires", "2027-01-01")
    page.click("#reset")  # the form's reset button
    page.wait_for_function("() => document.querySelectorAll('#rows-body .row:not(.sec):not([hidden])').length === 5")
    assert page.input_value("#f-expires") == ""
    assert "Expires v10.0" in (page.text_content("#field-cfg_main-max_users") or "")
    assert "Owners:@acme/limits" in (page.text_content("#field-cfg_main-max_users") or "").replace(" ", "").replace("\n", "")
    page.screenshot(path=str(SHOTS / "docs_catalog_expires.png"))
    o.clean()


def test_bundled_catalogue_shows_owner_and_expiry(browser, tmp_path):
    """The bundled spec never expires (documented product behaviour): the feature cards
    say so, and "expires before" any date hides every row."""
    o = Opened(browser, write_page(bundled_spec(), tmp_path))
    page = o.page
    assert page.locator("dd.governance").first.inner_text() == "Owners: Mattermost Inc.; expires: never (documented product behaviour)."
    page.fill("#f-expires", "2100-01-01")
    assert o.count() == 0 and page.is_visible("#empty")
    o.clean()


def test_cli_example_catalogue(browser, tmp_path):
    """The second example (a command-line tool): its own title and wording, no edition
    filter, and the personal-data filter finds the one field that may carry personal
    data, with why it is collected and how it is reduced."""
    from generator.pipeline import check_spec

    spec, findings = check_spec(Path(__file__).resolve().parents[1] / "examples" / "cli-analytics" / "spec")
    assert spec is not None, findings
    o = Opened(browser, write_page(spec, tmp_path))
    page = o.page
    total = len(spec.fields) + sum(p.type == "event" for p in spec.payloads)
    assert o.count() == total
    assert page.title() == "Pourover: Analytics"
    assert page.query_selector("#f-edition") is None
    opt_out = page.inner_text(".card .optout")
    assert "POUROVER_NO_ANALYTICS" in opt_out and "any value except empty, 0, false, off or no" in opt_out
    page.screenshot(path=str(SHOTS / "docs_cli_example_top.png"))

    page.select_option("#f-pd", label="May contain personal data")
    assert o.ids() == ["field-build_error-error_message", "field-build_error-build_options"]
    row = page.evaluate("document.getElementById('field-build_error-error_message').textContent")
    assert "May contain personal data" in row and "Collected because:" in row and "path scrubbing, truncation" in row
    page.evaluate("document.getElementById('catalogue-h').scrollIntoView()")
    page.screenshot(path=str(SHOTS / "docs_cli_example_personal_data.png"))
    page.select_option("#f-pd", label="Pseudonymous")
    assert sorted(o.ids()) == ["field-build_error-analytics_id", "field-install-analytics_id"]
    o.clean()


def test_cli_example_expires_before(browser, tmp_path):
    """The second example's catalogue: its feature cards carry owners, reviews and
    expiry, and "expires before" 2027-01-01 leaves only the field that may carry
    personal data (it expires on 2026-12-31; the rest on 2027-09-30 or at v5.0)."""
    from generator.pipeline import check_spec

    spec, findings = check_spec(Path(__file__).resolve().parents[1] / "examples" / "cli-analytics" / "spec")
    assert spec is not None, findings
    o = Opened(browser, write_page(spec, tmp_path))
    page = o.page
    cards = page.locator("dd.governance").all_inner_texts()
    assert cards == [
        (
            "Owners: analytics@pourover.example; approved in: https://pourover.example/data-reviews/2025-04-install-analytics,"
            " https://tracker.pourover.example/issues/1182; expires: v5.0."
        ),
        (
            "Owners: @pourover/build-maintainers; approved in: https://pourover.example/data-reviews/2025-09-build-errors;"
            " expires: 2027-09-30."
        ),
    ]
    page.fill("#f-expires", "2027-01-01")
    assert o.ids() == ["field-build_error-error_message"]
    page.fill("#f-expires", "2027-10-01")
    assert len(o.ids()) == 5  # the build-error fields; installs expire at a version
    o.clean()


# -- accessibility: axe-core on both specs' pages, and the filters by keyboard ----------
AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
EXAMPLE_SPEC = Path(__file__).resolve().parents[1] / "examples" / "cli-analytics" / "spec"
# The violations axe found per state of the page, worst first: [(rule, impact, count)].
AXE_RUN = """async () => {
  const r = await axe.run(document, {resultTypes: ["violations"]});
  return r.violations.map(v => [v.id, v.impact, v.nodes.length,
    v.nodes.slice(0, 3).map(n => n.target.join(" ") + ": " + n.failureSummary).join(" | ")]);
}"""


def _axe_page(browser, path: Path):
    """The page with axe-core (from npm, in ./node_modules) injected.  The page's own
    Content-Security-Policy allows only its inline script, so axe is injected into a
    context that bypasses it (the page under test is unchanged)."""
    if not AXE.is_file():
        skip_or_fail(f"axe-core is not installed at {AXE} (.ci/run installs it from npm)")
    context = browser.new_context(bypass_csp=True, viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.goto(path.as_uri())
    page.wait_for_selector("#rows-body .row")
    page.add_script_tag(path=str(AXE))
    return context, page


def _serious(violations) -> list:
    return [v for v in violations if v[1] in ("serious", "critical")]


@pytest.mark.parametrize("which", ["bundled", "cli-analytics"])
def test_axe_finds_no_serious_or_critical_violation(browser, tmp_path, which):
    """WCAG 2.1 AA and axe's best practices on each spec's catalogue, as opened, with a
    filter applied, and in its empty state: no serious or critical violation (colour
    contrast was 342 serious ones on the bundled page at #8a93a3 on white)."""
    spec = bundled_spec() if which == "bundled" else load(EXAMPLE_SPEC)
    context, page = _axe_page(browser, write_page(spec, tmp_path))
    try:
        found = {"opened": page.evaluate(AXE_RUN)}
        page.fill("#q", "version")
        found["searched"] = page.evaluate(AXE_RUN)
        page.fill("#q", "no-such-word-anywhere")
        assert page.is_visible("#empty")
        found["empty"] = page.evaluate(AXE_RUN)
    finally:
        context.close()
    bad = {state: _serious(v) for state, v in found.items() if _serious(v)}
    assert bad == {}, bad


def test_axe_check_catches_low_contrast(browser, tmp_path):
    """The check itself: the page with its faint grey put back to #8a93a3 fails it."""
    path = write_page(bundled_spec(), tmp_path)
    html = path.read_text("utf-8")
    assert "--faint: #5f6878" in html
    path.write_text(html.replace("--faint: #5f6878", "--faint: #8a93a3"), "utf-8")
    context, page = _axe_page(browser, path)
    try:
        serious = _serious(page.evaluate(AXE_RUN))
    finally:
        context.close()
    assert [v[0] for v in serious] == ["color-contrast"] and serious[0][2] > 100


def _tab_to(page, element_id: str, limit: int = 80) -> int:
    """Press Tab until ``element_id`` has the focus; the number of presses."""
    for n in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.id") == element_id:
            return n
    raise AssertionError(f"#{element_id} is not reachable with Tab in {limit} presses")


def test_filters_work_from_the_keyboard(browser, tmp_path):
    """Search, a filter select, reset and the empty state's clear button, by keyboard
    alone: Tab reaches each, typing and arrow keys filter, Enter resets."""
    o = Opened(browser, write_page(bundled_spec(), tmp_path))
    page = o.page
    total = o.count()
    page.keyboard.press("/")  # the page's shortcut to the search box
    assert page.evaluate("() => document.activeElement.id") == "q"
    page.keyboard.type("enable")
    searched = o.count()
    assert 0 < searched < total
    _tab_to(page, "f-kind")
    before = page.input_value("#f-kind")
    page.keyboard.press("ArrowDown")
    assert page.input_value("#f-kind") != before
    assert o.count() < searched  # the first kind holds some of the matches, not all
    _tab_to(page, "reset")
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => ({VISIBLE})().length === {total}")
    assert page.input_value("#q") == "" and page.input_value("#f-kind") == before
    # the empty state's button is reachable too
    page.focus("#q")
    page.keyboard.type("no-such-word-anywhere")
    assert o.count() == 0 and page.is_visible("#empty")
    _tab_to(page, "reset2")
    page.keyboard.press("Enter")
    assert o.count() == total
    # a focused control shows where the focus is (an outline or a box shadow)
    page.focus("#f-kind")
    ring = page.evaluate("() => { const s = getComputedStyle(document.activeElement);"
                         " return [s.outlineStyle, s.outlineWidth, s.boxShadow]; }")
    assert (ring[0] != "none" and ring[1] != "0px") or ring[2] != "none", ring
    o.clean()
