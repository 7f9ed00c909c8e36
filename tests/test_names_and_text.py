"""Hostile names and text in a spec (issue 9, "Names and text").

The golden cases err_windows_reserved_names, err_generated_identifiers and
err_control_characters hold the exact findings; these tests pin the rules themselves.
"""

from __future__ import annotations

import pytest

from generator.load import load_text
from generator.naming import GENERATED_IDENTIFIERS, windows_reserved
from generator.spec_format import validate_file


@pytest.mark.parametrize(
    "name, reserved",
    [
        ("con", True), ("CON", True), ("Con", True), ("nul", True), ("aux", True), ("prn", True),
        ("com0", True), ("com1", True), ("COM9", True), ("lpt1", True), ("Lpt9", True),
        ("con.json", True), ("nul.schema.json", True), ("aux.tar.gz", True), ("con .txt", True),
        ("com10", False), ("console", False), ("icon", False), ("nullable", False),
        ("lpt", False), ("com", False), ("auxiliary", False), ("a.con", False),
    ],
)
def test_windows_reserved_names(name: str, reserved: bool) -> None:
    assert windows_reserved(name) is reserved


def test_the_models_registry_name_is_reserved() -> None:
    assert "MODELS" in GENERATED_IDENTIFIERS


@pytest.mark.parametrize(
    "escape, code",
    [("\\e", 0x1B), ("\\b", 0x08), ("\\x7f", 0x7F), ("\\x9b", 0x9B), ("\\u202e", 0x202E), ("\\0", 0)],
)
def test_control_characters_from_yaml_escapes_are_refused(escape: str, code: int) -> None:
    raw, findings = load_text(f'spec_format: 2\nx:\n  - "a{escape}b"\n', "f.yaml")
    assert raw is None
    assert [(f.code, f.location.line, f.location.column) for f in findings] == [("control-character", 3, 5)]
    assert f"U+{code:04X}" in findings[0].message
    assert "\x1b" not in findings[0].message and "\r" not in findings[0].message


def test_whitespace_escapes_are_fine() -> None:
    raw, findings = load_text('spec_format: 2\nx: "a\\tb\\nc\\r\\nd"\n', "f.yaml")
    assert findings == [] and raw.data["x"] == "a\tb\nc\r\nd"


def test_every_bad_string_in_a_file_is_reported() -> None:
    raw, findings = load_text('spec_format: 2\na: "\\e"\nb: ["\\b", "ok", "\\x7f"]\n"k\\e": 1\n', "f.yaml")
    assert raw is None
    assert [(f.location.line, f.location.column) for f in findings] == [(2, 4), (3, 5), (3, 17), (4, 1)]


@pytest.mark.parametrize(
    "yaml_text, message, help_",
    [
        ("settings:\n  A.B: {console_path: x}\n", "must be a list, found a string", "write a list here"),
        ("settings: []\n", "must be a mapping, found a list", "write a mapping here"),
        ("payloads:\n  - {section: s, group: G, fields: [{name: A, kind: boolean, required: 3}]}\n", "must be a boolean, found an integer", "write a boolean here"),
    ],
)
def test_type_errors_read_as_english(yaml_text: str, message: str, help_: str) -> None:
    raw, findings = load_text("spec_format: 2\n" + yaml_text, "f.yaml")
    assert findings == []
    errs = [f for f in validate_file(raw) if f.code == "wrong-type"]
    assert errs and message in errs[0].message and errs[0].help == help_, errs
