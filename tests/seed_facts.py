"""Extracts the facts of the seed page into ``tests/data/seed_facts.json``.

The bundled spec was written from Mattermost's telemetry page
(``shared/seeds/000_e845a4544a31fba0.txt``, outside this repository).  The tests that
hold the spec and the docs to that page read these committed facts, so a clone anywhere
runs them: the page's names, keys, sections, kinds, versions, opt-outs and lists, not
its prose.  Where a test must know that a sentence of the spec or docs is (or is not)
the page's own, it compares digests of sentences (``sentence_digest``), never the text.

Run it after the page changes, and commit the result::

    python tests/seed_facts.py [PAGE]        # default: ../shared/seeds/... beside the repo

``test_seed_completeness.py`` re-extracts and compares wherever the page is present.
The regexes are written for this page's text and tolerate its stray punctuation (a ``;``
inside a group, a missing colon after a group heading, double spaces); each extraction
fails loudly on a piece it does not understand instead of skipping it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
FACTS = TESTS / "data" / "seed_facts.json"
# Where the page is in this project's layout (``shared/`` beside the checkout); the
# SEED_PAGE variable names another place.
PAGE = Path(os.environ.get("SEED_PAGE") or TESTS.parents[1] / "shared" / "seeds" / "000_e845a4544a31fba0.txt")

ENTERPRISE = "(Enterprise Edition Only)"
VERSION_LIMIT = "(only in v5.5 and earlier)"
LIST_LEADS = {
    "type": "Type values (enumerated integer and enumerated boolean)",
    "count": "Counts (integer)",
    "is_default": "True/false (boolean)",
}
_ITEM = re.compile(r"(enum|bool|int)\s+([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*)")


# -- sentences, compared by digest -----------------------------------------------------------
def sentences(text: str) -> list[str]:
    """The sentences of a text, one line at a time (a bullet's dash dropped), split after
    ``.``, ``:`` and ``;``, spaces collapsed and the final punctuation stripped; only
    those of four words or more (shorter ones are headings and names, facts of their own)."""
    out = []
    for line in text.splitlines():
        line = re.sub(r"^\s*-\s+", "", line)
        for piece in re.split(r"(?<=[.:;])\s+", line):
            sentence = " ".join(piece.split()).rstrip(".:;").strip()
            if len(sentence.split()) >= 4:
                out.append(sentence)
    return out


def sentence_digest(sentence: str) -> str:
    """A sentence's digest: the first 16 hex digits of the SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(sentence.encode("utf-8")).hexdigest()[:16]


def _norm(text: str) -> str:
    return " ".join(text.split()).rstrip(".:").strip()


def _between(text: str, start: str, end: str) -> str:
    i = text.index(start) + len(start)
    return text[i : text.index(end, i)]


# -- the settings lists ----------------------------------------------------------------------
def parse_settings_list(block: str) -> list[list]:
    """``**Group**: enum A, bool B; ...`` -> [[group, type, name, version_limited]].

    Group headings are ``**Name**`` (colon optional, possibly followed by the page's
    version note); items are split on ``,`` and ``;`` wherever they fall.  Every
    non-empty piece must be one ``enum|bool|int Name`` item."""
    parts = re.split(r"\*\*([A-Za-z0-9]+)\*\*", block)
    assert parts[0].strip() == "", f"text before the first group heading: {parts[0]!r}"
    items = []
    for group, body in zip(parts[1::2], parts[2::2]):
        limited = VERSION_LIMIT in body
        body = body.replace(VERSION_LIMIT, "").strip().removeprefix(":")
        for piece in re.split(r"[,;]", body):
            piece = " ".join(piece.split())
            if not piece:
                continue
            m = _ITEM.fullmatch(piece)
            assert m, f"cannot read {piece!r} in group {group}"
            items.append([group, m.group(1), m.group(2), limited])
    assert len(items) == len(re.findall(r"\b(?:enum|bool|int)\s", block)), "items were lost in parsing"
    return items


def _settings(text: str) -> dict[str, list[list]]:
    blocks = {
        "type": _between(text, f"**{LIST_LEADS['type']}**", f"**{LIST_LEADS['count']}**"),
        "count": _between(text, f"**{LIST_LEADS['count']}**", f"**{LIST_LEADS['is_default']}**"),
        "is_default": _between(text, "**NOTE: No input data is used**:", "Commercial License Information"),
    }
    return {name: parse_settings_list(block) for name, block in blocks.items()}


# -- events ----------------------------------------------------------------------------------
def _bullets(text: str) -> list[tuple[str, str]]:
    """``- *Title:* text`` and ``- *Title*: text`` bullets -> [(title, text)]."""
    return [(m.group(1).strip(), m.group(2).strip())
            for m in re.finditer(r"^\s*- \*([^*]+?):?\*:?[ \t]*(.*)$", text, re.MULTILINE)]


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _categories(text: str) -> dict[str, list[dict]]:
    blocks = {
        "error_information": _between(text, "Non-personally Identifiable Error Information",
                                      "Non-personally Identifiable Diagnostic Information"),
        "diagnostic_information": _between(text, "Non-personally Identifiable Diagnostic Information",
                                           "Error and diagnostic reporting is sent"),
    }
    out = {}
    for section, block in blocks.items():
        out[section] = [
            {"title": title.replace(ENTERPRISE, "").strip(), "enterprise": ENTERPRISE in title,
             "words": sorted(set(_words(body)))}
            for title, body in _bullets(block)
        ]
    return out


# -- the whole page --------------------------------------------------------------------------
def extract(text: str) -> dict:
    """Every fact of the page the tests use, as JSON-ready data."""
    lines = text.splitlines()
    features = [lines[i].removesuffix(" Feature") for i in range(len(lines) - 1) if re.fullmatch(r"-{3,}", lines[i + 1])]
    terms = [
        lines[i] for i in range(len(lines) - 1)
        if lines[i][:1].isalpha() and lines[i + 1].startswith("  ") and not lines[i].startswith(("The following", "We use"))
    ]
    daily = _between(text, "The following data is sent once every 24 hours:", "The following information is sent when")
    daily_terms = re.findall(r"^([A-Z][^\n]+)\n  \S", daily, re.MULTILINE)

    check = _between(text, "The following data is collected once every 24 hours:", "\n")
    plain = re.sub(r"\s*\([^)]*\)", "", check)  # parentheticals hold commas of their own
    items = [_norm(re.sub(r"^and ", "", i.strip())) for i in plain.split(",")]
    parens = re.findall(r"\(([^)]*)\)", check)

    intro = _between(text, "We use the data for the following purposes:", "Security Update Check Feature")
    sender = re.search(r"is sent by the (\w+) to the endpoint `([^`]+)`", text)
    assert sender, "no 'sent by the ... to the endpoint' sentence"
    destination = re.search(r"share diagnostic information with (.+?) so that", text)
    assert destination, "no destination of the security update check"
    note = re.search(r"\*\*NOTE: ([^*]+)\*\*", text)
    assert note, "no NOTE of the is-default list"

    all_sentences = sentences(text)
    return {
        "source": "shared/seeds/000_e845a4544a31fba0.txt",
        "page_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "privacy_policy_url": re.search(r"`Privacy Policy <(https?://[^>]+)>`__", text).group(1),
        "purposes": [b.strip() for b in re.findall(r"^\s*- (.+)$", intro, re.MULTILINE)],
        "features": [
            {"title": title, "opt_out_path": path}
            for title, path in zip(features, re.findall(r"disable the feature in \*\*(System Console[^*]+)\*\*", text), strict=True)
        ],
        "security_update_check": {
            "destination": destination.group(1),
            "schedule": "once every 24 hours",
            "items": items,
            "parenthetical_digests": [sentence_digest(_norm(p)) for p in parens],
        },
        "error_reporting": {"sender": sender.group(1), "destination": sender.group(2)},
        "schedules": re.findall(r"^The following \w+ is sent (.+):$", text, re.MULTILINE),
        "headings": features[:1] + [t.replace(ENTERPRISE, "").strip() for t in terms],
        "sections": [
            {"title": t.replace(ENTERPRISE, "").strip(), "enterprise": ENTERPRISE in t,
             "schedule": "once every 24 hours" if t in daily_terms else "when the specified event occurs"}
            for t in terms
        ],
        "settings_lists": LIST_LEADS,
        "settings_note": note.group(1),
        "settings": _settings(text),
        "categories": _categories(text),
        "permissions": [_norm(i) for i in _between(text, "created in the system.", "\n").split(";")],
        "version_limits": {m: text.count(f"({m})") for m in sorted(set(re.findall(r"\((only in v[^)]+)\)", text)))},
        "sentence_lengths": sorted({len(s.split()) for s in all_sentences}),
        "sentence_digests": sorted({sentence_digest(s) for s in all_sentences}),
    }


def dumps(facts: dict) -> str:
    """The committed file's exact text (stable: sorted keys, one item per line)."""
    return json.dumps(facts, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def load() -> dict:
    """The committed facts."""
    return json.loads(FACTS.read_text(encoding="utf-8"))


def main(argv: list[str]) -> int:
    page = Path(argv[0]) if argv else PAGE
    if not page.is_file():
        print(f"seed_facts: no page at {page}; name it: python tests/seed_facts.py PAGE", file=sys.stderr)
        return 2
    FACTS.parent.mkdir(exist_ok=True)
    FACTS.write_text(dumps(extract(page.read_text(encoding="utf-8"))), encoding="utf-8")
    print(f"seed_facts: wrote {FACTS.relative_to(TESTS.parent)} from {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
