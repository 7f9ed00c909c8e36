"""Checking: one document, and one unit of work (the hot loop of the whole tool).

``Checker`` holds the compiled fast checks and diagnoses of a schema set, built on first
use.  ``check_batch`` runs a unit of work from ``inputs.batches``: a line the msgspec
decoders accept costs one C call; any other is parsed, identified (``identify``),
checked by the fast validator, and only if that fails diagnosed.  This module owns the
order of those steps, not the steps themselves, and never opens a file.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Mapping
from typing import Any

from . import optional
from .diagnose import Diagnosis, fast_or_reference
from .fast import LineDecoders
from .identification import BARE, ENVELOPE, TRACK, identify_shape
from .inputs import (
    BOM,
    MAX_DOCUMENT_BYTES,
    Batch,
    duplicate_key,
    duplicate_problem,
    orjson_safe,
    parse,
)
from .problems import (
    MALFORMED,
    MAX_DEPTH,
    NO_NAME,
    TOO_DEEP,
    TOO_LARGE,
    UNKNOWN,
    Problem,
    Where,
    too_deep,
)
from .report import Tally
from .versions import VersionRules, parse_version


class Checker:
    """Holds one compiled validator per payload name; checks documents and properties.

    ``schemas`` maps wire names to JSON Schemas (draft 2020-12).  Their ``$ref``s reach
    only the schemas of the set (``schemas.registry``; nothing is fetched).  With a
    ``product_version`` the version rules of their annotations apply too (``versions``).
    Validators and diagnoses are built on first use, so a run only pays for the
    payloads it meets.
    """

    def __init__(self, schemas: Mapping[str, Mapping[str, Any]], product_version: str | None = None):
        self.schemas = dict(schemas)
        self.product_version = product_version
        self._version = None
        if product_version is not None:
            self._version = parse_version(product_version)
            if self._version is None:
                raise ValueError(f"product version {product_version!r} is not a version (e.g. 5.6 or 5.6.0)")
        self._rules: dict[str, VersionRules] = {}
        self._fast: dict[str, Callable[[Any], bool]] = {}
        self._diag: dict[str, Diagnosis] = {}
        self._lines: LineDecoders | None | bool = None
        self._rs_options: dict[str, Any] | None = None
        self._registry: Any = None

    @property
    def rs_options(self) -> dict[str, Any]:
        """jsonschema_rs options: the set as its registry, nothing fetched."""
        if self._rs_options is None:
            from .schemas import rs_options

            self._rs_options = rs_options(self.schemas)
        return self._rs_options

    @property
    def registry(self) -> Any:
        """The reference validator's registry: the set, nothing fetched."""
        if self._registry is None:
            from .schemas import registry

            self._registry = registry(self.schemas)
        return self._registry

    def version_problems(self, name: str, properties: Any) -> list[Problem]:
        """What the product version (if any) forbids or demands of a payload ([] when
        nothing, or when no version was given)."""
        if self._version is None or name not in self.schemas:
            return []
        rules = self._rules.get(name)
        if rules is None:
            assert self.product_version is not None  # it is what _version was parsed from
            rules = self._rules[name] = VersionRules(self.schemas[name], self._version, self.product_version)
        return rules.problems(properties)

    def line_decoders(self) -> LineDecoders | None:
        """The whole-line decoders (None without msgspec, or when a product version is
        checked: they cannot see which keys a line holds); built on first use."""
        if self._lines is None:
            usable = optional.msgspec is not None and self._version is None
            self._lines = LineDecoders(self.schemas) if usable else False
        return self._lines if isinstance(self._lines, LineDecoders) else None

    @property
    def names(self) -> frozenset[str]:
        """The payload names this checker knows."""
        return frozenset(self.schemas)

    def validator(self, name: str) -> Callable[[Any], bool] | None:
        """The fast ``is_valid`` for a payload name (None for an unknown name)."""
        check = self._fast.get(name)
        if check is None and name in self.schemas:
            check = self._fast[name] = fast_or_reference(self.schemas[name], self.rs_options)
        return check

    def problems(self, name: str | None, properties: Any) -> list[Problem]:
        """Everything wrong with one payload's properties ([] when it conforms)."""
        if name is None:
            return [Problem(NO_NAME, None, "the document does not say which payload it is")]
        check = self.validator(name)
        if check is None:
            return [Problem(UNKNOWN, name)]
        versioned = self.version_problems(name, properties)
        try:
            if check(properties):
                return versioned
        except Exception:  # noqa: BLE001, S110 - e.g. a lone surrogate: diagnosed below
            pass
        if isinstance(properties, (dict, list)) and too_deep(properties):
            return [Problem(TOO_DEEP, None, f"more than {MAX_DEPTH} levels")]
        diag = self._diag.get(name)
        if diag is None:
            diag = self._diag[name] = Diagnosis(self.schemas[name], self.registry, self.rs_options)
        found = diag.problems(properties)
        if self._version is not None:
            rules = self._rules[name]
            found = [p for p in found if rules.relevant(p)] + versioned
        return found

    def check_document(self, doc: Any, default_name: str | None = None) -> tuple[str | None, list[Problem]]:
        """Identify a parsed document's payload (envelope, Segment ``track`` message or
        bare properties named by ``default_name``) and check it."""
        if isinstance(doc, (dict, list)) and too_deep(doc):
            return None, [Problem(TOO_DEEP, None, f"more than {MAX_DEPTH} levels")]
        name, props, problem, _shape = identify_shape(doc, default_name)
        if problem is not None:
            return name, [problem]
        return name, self.problems(name, props)


def check_batch(checker: Checker, batch: Batch, cap: int = MAX_DOCUMENT_BYTES) -> Tally:
    """Check one unit of work; the hot loop of the whole tool.

    A document whose shape is recognised and whose properties pass the compiled
    validator costs one parse and one ``is_valid`` call; everything else goes through
    ``Checker.check_document``, which says why.  The cyclic garbage collector is paused
    meanwhile: parsed JSON holds no reference cycles, and the collector's passes over
    every freshly parsed dict would otherwise cost a fifth of the time.
    """
    src, first, body = batch
    tally = Tally()
    label, default = src.label, src.default_name
    if isinstance(body, Problem):
        tally.documents += 1
        tally.add_failure(Where(label, first), None, [body])
        return tally
    if isinstance(body, bytes):
        _check_json_file(checker, label, default, body, tally, cap)
        return tally
    conforming = tally.conforming
    orjson = optional.orjson
    loads = orjson.loads if orjson is not None else None
    fast = checker._fast
    versioned = checker.product_version is not None
    documents = 0
    # The line decoder tried first is the one that fitted the last identified document.
    lines = checker.line_decoders()
    astuple: Any  # msgspec's, when lines decode
    if lines is not None:
        shapes = {ENVELOPE: (lines.envelope, None), TRACK: (lines.track, None)}
        bare = lines.bare(default)
        if bare is not None:
            shapes[BARE] = (bare, default)
        decode, decoded_name = shapes[ENVELOPE] if default is None or bare is None else shapes[BARE]
        type_names = lines.names
        track, unset = lines.track, optional.msgspec.UNSET
        astuple = optional.msgspec.structs.astuple
    else:
        shapes, decode, decoded_name, type_names, track, unset, astuple = {}, None, None, {}, None, None, None
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        lineno = first - 1
        for line in body:
            lineno += 1
            if line.__class__ is int:
                documents += 1
                tally.add_failure(Where(label, lineno), None,
                                  [Problem(TOO_LARGE, None, f"{line} bytes; the limit is {cap}")])
                continue
            if decode is not None:
                try:
                    obj = decode(line)
                except Exception:  # noqa: BLE001, S110 - any doubt goes the careful way below
                    pass
                else:
                    # msgspec skips the keys it does not need without decoding them:
                    # only a line that is valid UTF-8 throughout may conform.
                    if (decode is not track or obj.payload is unset) and (line.isascii() or _utf8(line)):
                        # I-JSON: no key twice.  The decoded struct knows how many members
                        # the line holds if none repeats (its properties, plus "payload"
                        # and "properties" of an envelope); a line with more colons (a
                        # repeated key, a colon in a string, an extra envelope key, any
                        # track message) is asked the general question.
                        if decode is track:
                            members = -1
                        else:
                            props = obj if decoded_name is not None else obj.properties
                            values = astuple(props)
                            members = len(values) - values.count(unset) + (0 if decoded_name is not None else 2)
                        if line.count(b":") != members:
                            dup = duplicate_key(line)
                            if dup is not None:
                                documents += 1
                                tally.add_failure(Where(label, lineno), None, [duplicate_problem(dup)])
                                continue
                        documents += 1
                        known = decoded_name or type_names[obj.__class__]
                        conforming[known] = conforming.get(known, 0) + 1
                        continue
            doc = None
            if loads is not None and orjson_safe(line):
                try:
                    doc = loads(line)
                except Exception:  # noqa: BLE001 - re-parsed below for a precise message
                    doc = None
                if doc is not None and duplicate_key(line) is not None:
                    doc = None  # parse() below reports it (I-JSON)
            if doc is None:
                if not line.strip():
                    continue  # a blank line is no document
                doc, problem = parse(line)
                if problem is not None:
                    documents += 1
                    tally.add_failure(Where(label, lineno), None, [problem])
                    continue
            documents += 1
            name, props, problem, shape = identify_shape(doc, default)
            if problem is None and name is not None:  # a name comes with no problem
                if shape in shapes:
                    decode, decoded_name = shapes[shape]
                check = fast.get(name) or checker.validator(name)
                try:
                    if check is not None and check(props) and not (versioned and checker.version_problems(name, props)):
                        conforming[name] = conforming.get(name, 0) + 1
                        continue
                except Exception:  # noqa: BLE001, S110 - e.g. a lone surrogate: diagnosed below
                    pass
            name, problems = checker.check_document(doc, default)
            if problems or name is None:  # no problem means a payload was named
                tally.add_failure(Where(label, lineno), name, problems)
            else:  # a fast check disagreed with the reference, which has the last word
                conforming[name] = conforming.get(name, 0) + 1
    finally:
        if gc_was_enabled:
            gc.enable()
    tally.documents += documents
    return tally


def _utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _check_json_file(checker: Checker, label: str, default: str | None, data: bytes, tally: Tally, cap: int) -> None:
    if data.startswith(BOM):
        data = data[3:]
    doc, problem = parse(data)
    if problem is not None:
        line = 0
        if problem.kind == MALFORMED:
            try:
                json.loads(data)
            except json.JSONDecodeError as exc:
                line = exc.lineno
            except (ValueError, RecursionError):
                pass
        tally.documents += 1
        tally.add_failure(Where(label, line or 1), None, [problem])
        return
    items = list(enumerate(doc)) if isinstance(doc, list) else [(None, doc)]
    for index, item in items:
        tally.documents += 1
        where = Where(label, 1 if index is None else 0, index)
        if index is not None and len(_dumps(item)) > cap:
            tally.add_failure(where, None, [Problem(TOO_LARGE, None, f"more than {cap} bytes")])
            continue
        name, problems = checker.check_document(item, default)
        if problems or name is None:  # no problem means a payload was named
            tally.add_failure(where, name, problems)
        else:
            tally.conforming[name] = tally.conforming.get(name, 0) + 1


def _dumps(value: Any) -> bytes:
    orjson = optional.orjson
    if orjson is not None:
        data: bytes = orjson.dumps(value)
        return data
    return json.dumps(value).encode("utf-8")
