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
        ("timestamp", 1543622400000, True),
        ("timestamp", "2018-12-01T00:00:00Z", False),
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
