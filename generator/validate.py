"""Stage 2: check each loaded file against the spec format's own JSON Schema.

The schema (``generator/schemas/spec.schema.json``) is the single description of the
format: editors use it for completion, and here it produces findings.  jsonschema's
messages are rewritten into what a maintainer needs: the exact key or value at fault, with
its file:line:column, and a fix ("did you mean ...?").
"""

from __future__ import annotations

import difflib
import json
from functools import lru_cache
from importlib import resources

import jsonschema

from generator.diagnostics import Finding, error
from generator.kinds import kind_ids
from generator.load import RawFile

SAFE_HELP = {
    "^[a-z][a-z0-9_]{0,62}$": "use lowercase letters, digits and underscores, starting with a letter (at most 63)",
    "^[A-Za-z][A-Za-z0-9_]{0,62}(\\.[A-Za-z][A-Za-z0-9_]{0,62}){0,3}$": "use letters, digits and underscores, starting with a letter, optionally dotted (e.g. ServiceSettings.SiteURL)",
    "^[a-z][a-z0-9-]{0,62}$": "lint rule ids are lowercase words joined by hyphens",
}


@lru_cache(maxsize=1)
def spec_schema() -> dict:
    """The shipped spec-format schema."""
    text = resources.files("generator.schemas").joinpath("spec.schema.json").read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(spec_schema())


def _suggest(word: str, choices) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


def _describe(err: jsonschema.ValidationError, raw: RawFile) -> list[Finding]:
    path = tuple(err.absolute_path)
    where = raw.where(path)
    what = "/".join(str(p) for p in path) or "(top level)"
    v = err.validator
    if v == "additionalProperties":
        allowed = list(err.schema.get("properties", {}))
        extra = [k for k in err.instance if k not in allowed]
        out = []
        for key in extra:
            hint = _suggest(key, allowed)
            out.append(
                error(
                    "unknown-key",
                    f"unknown key {key!r} in {what}",
                    raw.key_where(path + (key,)),
                    (hint + " " if hint else "") + f"allowed keys: {', '.join(allowed)}",
                )
            )
        return out
    if v == "enum" and path and path[-1] == "kind" or (v == "enum" and len(path) >= 2 and path[-2] == "kinds"):
        hint = _suggest(err.instance, kind_ids())
        return [
            error(
                "unknown-kind",
                f"unknown kind {err.instance!r}",
                where,
                (hint + " " if hint else "") + f"known kinds: {', '.join(kind_ids())}",
            )
        ]
    if v == "pattern":
        help_ = SAFE_HELP.get(err.validator_value, f"the value must match {err.validator_value}")
        return [error("invalid-name" if err.validator_value in SAFE_HELP else "invalid-value", f"{what}: {err.instance!r} is not allowed here", where, help_)]
    if v == "propertyNames":
        # err.instance is the whole mapping; find the offending keys
        pattern = err.validator_value.get("pattern", "")
        import re

        out = []
        for key in err.instance:
            if pattern and not re.search(pattern, str(key)):
                out.append(
                    error(
                        "invalid-name",
                        f"{key!r} in {what} is not a safe name",
                        raw.key_where(path + (key,)),
                        SAFE_HELP.get(pattern, f"names must match {pattern}"),
                    )
                )
        return out
    if v == "required":
        return [error("missing-key", f"{what}: {err.message}", where, "add the key")]
    if v == "type":
        want = err.validator_value
        want = " or ".join(want) if isinstance(want, list) else want
        got = type(err.instance).__name__ if err.instance is not None else "null"
        return [error("wrong-type", f"{what} must be {want}, found {got}", where, f"write a {want} here")]
    if v == "const" and path == ("spec_format",):
        return [
            error(
                "spec-format",
                f"unsupported spec_format {err.instance!r}",
                where,
                "this generator reads `spec_format: 1`",
            )
        ]
    return [error("invalid-value", f"{what}: {err.message}", where, "see docs/spec-reference.md")]


def validate_file(raw: RawFile) -> list[Finding]:
    """All schema findings for one file (every error, not just the first)."""
    findings: list[Finding] = []
    if "spec_format" not in raw.data:
        findings.append(
            error(
                "spec-format",
                "missing `spec_format`",
                raw.where(()),
                "start every spec file with `spec_format: 1`",
            )
        )
    for err in _validator().iter_errors(raw.data):
        if err.validator == "required" and list(err.absolute_path) == [] and "spec_format" in err.message:
            continue
        findings.extend(_describe(err, raw))
    return findings
