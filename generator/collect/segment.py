"""Segment's HTTP tracking API, as the official clients speak it: routes, limits, write
keys, bodies, and the answers.

What a request may be (Segment's documented behaviour, which the official clients rely
on): ``POST /v1/batch`` (also ``/v1/import``) carries ``{"batch": [message, ...]}``;
``POST /v1/track``, ``/v1/identify``, ``/v1/page``, ``/v1/screen``, ``/v1/group`` and
``/v1/alias`` carry one message of that type.  Paths are matched without regard to case
or a trailing slash.  A body may be gzip-compressed (``Content-Encoding: gzip``).  The
write key comes as HTTP basic auth (the key as user name, no password) or as
``writeKey`` in the body.  Limits: 32 KB a message, 500 KB a request.  Answers: ``200
{"success": true}``; a body that is too large, not JSON, not gzip when it says so, or
not shaped as the route expects is ``400 {"success": false, "code": ..., "message":
...}`` (``code`` and ``message`` are what ``segment-analytics-python`` reads from an
error); a write key other than the one ``--write-key`` asks for is 401.

Owns: turning a request's path, headers and body into the messages it carries, or into
the error answer.  Must not: do I/O, check payloads, or know the capture's format.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from typing import Any, NamedTuple

from generator.validate import optional

MAX_MESSAGE_BYTES = 32 << 10  # Segment: 32 KB a message (a call, or an event in a batch)
MAX_REQUEST_BYTES = 500 << 10  # Segment: 500 KB a batch request (after decompression)
BATCH, SINGLE = "batch", "single"
MESSAGE_TYPES = ("track", "identify", "page", "screen", "group", "alias")
ROUTES = {"/v1/batch": BATCH, "/v1/import": BATCH, **{f"/v1/{t}": t for t in MESSAGE_TYPES}}
SUCCESS = b'{"success":true}'


class Rejected(Exception):
    """A request that is answered with an error and accepted nowhere: the HTTP status,
    a short code and a message saying what was wrong (the JSON answer's fields)."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> bytes:
        """The JSON answer (Segment's ``success: false`` with ``code`` and ``message``)."""
        return dumps({"success": False, "code": self.code, "message": self.message})


class Request(NamedTuple):
    """What a request carries once read: the route (``BATCH`` or a message type) and the
    messages, each a dict, in order."""

    route: str
    messages: list[dict]


def route_of(path: str) -> str | None:
    """The route a path names (``BATCH`` or a message type), or None: case and one
    trailing slash do not matter, as on Segment's API."""
    path = path.lower()
    if path.endswith("/") and len(path) > 1:
        path = path[:-1]
    return ROUTES.get(path)


def basic_auth_user(header: str | None) -> str | None:
    """The user name (the write key) of a ``Basic`` Authorization header, or None."""
    if not header or header[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return decoded.split(":", 1)[0]


def decode_body(raw: bytes, encoding: str | None) -> bytes:
    """The body's bytes after ``Content-Encoding`` (gzip or none), never more than
    ``MAX_REQUEST_BYTES`` + 1 decompressed (a gzip bomb costs nothing)."""
    encoding = (encoding or "").strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding != "gzip":
        raise Rejected(400, "unsupported_encoding", f"Content-Encoding {encoding!r} is not supported; send gzip or none")
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(raw, MAX_REQUEST_BYTES + 1)
    except zlib.error:
        raise Rejected(400, "malformed_gzip", "Malformed gzip content") from None
    if len(out) <= MAX_REQUEST_BYTES and not inflater.eof:
        raise Rejected(400, "malformed_gzip", "Malformed gzip content (the stream ends early)")
    return out


def too_large(size: int) -> Rejected:
    """The answer to a request body over ``MAX_REQUEST_BYTES``."""
    return Rejected(400, "request_too_large", f"the request holds more than {MAX_REQUEST_BYTES} bytes "
                    f"({size}); Segment accepts at most 500 KB a request")


def parse_request(route: str, body: bytes) -> tuple[Request, Any]:
    """The messages of a decoded body, and the body's own ``writeKey`` (or None).

    Raises ``Rejected`` (400) for a body over the request limit, one that is not JSON,
    a batch that is not ``{"batch": [...]}``, an item that is not an object, or a
    message over 32 KB; in every case nothing of the request is accepted, as on
    Segment's API.
    """
    if len(body) > MAX_REQUEST_BYTES:
        raise too_large(len(body))
    if route != BATCH and len(body) > MAX_MESSAGE_BYTES:
        raise _message_too_large(None, len(body))
    doc = _loads(body)
    if not isinstance(doc, dict):
        raise Rejected(400, "invalid_request", f"the body must be a JSON object, not {_type(doc)}")
    if route == BATCH:
        items = doc.get("batch")
        if not isinstance(items, list):
            raise Rejected(400, "invalid_request", 'a batch must be {"batch": [message, ...]}')
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise Rejected(400, "invalid_request", f"batch item {index} is not a JSON object ({_type(item)})")
            size = len(dumps(item))
            if size > MAX_MESSAGE_BYTES:
                raise _message_too_large(index, size)
        return Request(route, items), doc.get("writeKey")
    if "type" not in doc:
        doc["type"] = route  # the route names the type, as on Segment's API
    return Request(route, [doc]), doc.get("writeKey")


def _message_too_large(index: int | None, size: int) -> Rejected:
    where = "the message" if index is None else f"batch item {index}"
    return Rejected(400, "message_too_large", f"{where} holds {size} bytes; Segment accepts at most 32 KB a message")


def _loads(body: bytes) -> Any:
    from generator.validate.inputs import parse

    if not body.strip():
        raise Rejected(400, "invalid_json", "the body is empty")
    value, problem = parse(body)
    if problem is not None:
        raise Rejected(400, "invalid_json", f"the body is not JSON: {problem.text()}")
    return value


def dumps(value: Any) -> bytes:
    """Compact JSON bytes (orjson when present), for answers and capture lines."""
    orjson = optional.orjson
    if orjson is not None:
        return orjson.dumps(value)
    import json

    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _type(value: Any) -> str:
    from generator.validate.problems import json_type

    return json_type(value)
