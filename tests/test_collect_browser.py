"""``gen collect``'s live page in a real browser (Debian's Chromium through Playwright):
counts and tables update as messages arrive, the filters work from the keyboard, the
opt-out switch reaches the server, and axe-core finds no serious or critical
accessibility violation.  A screenshot goes to /tmp/collect-live.png for a human to
look at.  Under CI a missing Chromium, Playwright or axe-core fails (``_ci``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _ci import skip_or_fail
from _collect_support import ROOT, Collector, track

CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOT = Path("/tmp/collect-live.png")

if not CHROMIUM.exists():
    skip_or_fail(f"{CHROMIUM} is absent; install Debian's chromium (.ci/run does)", module=True)
try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - only without the test extra
    skip_or_fail("playwright is not installed (pip install -e '.[test]')", module=True)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def _row(page, table: str, **data):
    sel = "".join(f'[data-{k}="{v}"]' for k, v in data.items())
    return page.locator(f"#{table} tbody tr{sel}")


def test_the_page_follows_the_traffic_and_filters_from_the_keyboard(browser, tmp_path):
    with Collector(tmp_path) as c:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(c.url + "/")
        expect(page.locator("#stats")).to_contain_text("0 messages")
        expect(page.locator("#payloads-empty")).to_be_visible()

        c.post("/v1/batch", {"batch": [track("signup", {"plan": "pro"}), track("signup", {"plan": "gold"}),
                                       track("login_failed", {"method": "saml"}), track("nope", {"a": 1}),
                                       {"type": "identify", "userId": "u1", "messageId": "i1"}]})
        expect(_row(page, "payloads", name="signup", documents=2, failing=1)).to_have_count(1)
        expect(_row(page, "payloads", name="login_failed", documents=1, failing=0)).to_have_count(1)
        expect(_row(page, "problems", name="signup", problem="value-not-allowed", count=1)).to_have_count(1)
        expect(_row(page, "unknown", name="nope", count=1)).to_have_count(1)
        expect(_row(page, "other", problem="unsupported-message", count=1)).to_have_count(1)
        expect(page.locator("#stats")).to_contain_text("5 messages")
        expect(page.locator("#verdict")).to_contain_text("fails on problems (1), unknown (1), not-payload (1)")

        # The first example opens from the keyboard and shows the captured line.
        summary = _row(page, "problems", name="signup").locator("summary")
        summary.focus()
        page.keyboard.press("Enter")
        expect(_row(page, "problems", name="signup").locator("pre")).to_contain_text('"plan":"gold"')

        # Keyboard only: Tab reaches the search box first, then "Show", then "Payload".
        page.locator("h1").click()  # where a keyboard user starts: the top of the page
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "q"
        page.keyboard.type("login")
        expect(page.locator("#payloads tbody tr")).to_have_count(1)
        expect(_row(page, "payloads", name="login_failed")).to_have_count(1)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "show"
        page.keyboard.press("ArrowDown")  # "only what fails"
        assert page.evaluate("document.getElementById('show').value") == "failing"
        expect(page.locator("#payloads tbody tr")).to_have_count(0)
        page.locator("#reset").focus()
        page.keyboard.press("Enter")
        expect(page.locator("#payloads tbody tr")).to_have_count(2)

        # Filters hold while new traffic arrives, and the counts move.
        page.locator("#q").fill("signup")
        c.post("/v1/track", track("signup", {"plan": "free", "seats": "two"}))
        expect(_row(page, "payloads", name="signup", documents=3, failing=2)).to_have_count(1)
        expect(page.locator("#payloads tbody tr")).to_have_count(1)
        expect(_row(page, "problems", name="signup", problem="type-mismatch")).to_have_count(1)

        # The opt-out switch, from the keyboard, reaches the server; later messages are violations.
        page.locator("#optout").focus()
        page.keyboard.press("Enter")
        expect(page.locator("#optout")).to_have_attribute("aria-pressed", "true")
        assert c.report()["collect"]["opted_out"] is True
        c.post("/v1/track", track("signup", {"plan": "pro"}))
        page.locator("#q").fill("")
        expect(page.locator("#violations tbody tr")).to_have_count(1)
        expect(page.locator("#stats")).to_contain_text("1 opt-out violations")

        c.post("/v1/batch", b"{not json")
        expect(_row(page, "rejected", code="invalid_json", count=1)).to_have_count(1)
        page.screenshot(path=str(SHOT), full_page=True)
        assert errors == []
        page.close()


def test_the_page_has_no_serious_accessibility_violation(browser, tmp_path):
    if not AXE.exists():
        skip_or_fail("axe-core is not in ./node_modules (.ci/run installs it with npm)")
    with Collector(tmp_path) as c:
        c.post("/v1/batch", {"batch": [track("signup", {"plan": "gold"}), track("nope", {}),
                                       {"type": "page", "userId": "u", "messageId": "p"}]})
        c.post("/_control/opt-out", {"opted_out": True})
        c.post("/v1/track", track("signup", {"plan": "pro"}))
        c.post("/v1/batch", b"[")
        context = browser.new_context(bypass_csp=True)  # to inject axe-core; the page's own CSP stays strict
        page = context.new_page()
        page.goto(c.url + "/")
        expect(page.locator("#violations tbody tr")).to_have_count(1)
        page.locator("#problems summary").first.click()
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
               if v["impact"] in ("serious", "critical")]
        assert bad == []
        context.close()


def test_the_page_sends_a_strict_content_security_policy(tmp_path):
    import http.client

    with Collector(tmp_path) as c:
        conn = http.client.HTTPConnection(c.host, c.port, timeout=10)
        conn.request("GET", "/")
        resp = conn.getresponse()
        body = resp.read().decode()
        csp = resp.getheader("Content-Security-Policy")
        conn.close()
        assert resp.status == 200 and "default-src 'none'" in csp and "script-src 'self'" in csp
        assert str(c.capture) in body and "<script src=\"/_static/live.js\"" in body
        for name in ("live.css", "live.js"):
            status, text = c.request("GET", f"/_static/{name}")
            assert status == 200 and len(text) > 1000
        assert c.request("GET", "/_static/catalog.html")[0] == 404  # only the two assets are served
