"""Escaping spec text for each docs format, so that text written in a spec is always
printed as text and can never become markup.

Descriptions and titles come from maintainers (and, through them, from anyone who sends
a pull request), and the privacy docs are published.  A description holding ``*``,
backquotes, ``|``, ``_``, ``[x](http://evil)``, a leading ``.. raw:: html`` or
``<script>`` must read exactly as written in reStructuredText, Markdown and HTML alike.
Each function here takes spec text and returns a fragment that is safe to place
*inline* (inside a paragraph, a list item, a table cell, a heading) in its format.

All of them first fold runs of whitespace, newlines included, into one space: every
place the docs print spec text is a single line of inline text, and a newline inside
it could otherwise start a new block (a list, a directive, a table row).

HTML is not here: jinja2's autoescape does it, and JSON embedded in a page goes through
``json_for_script``.

Must not: decide what is printed (``docs_view`` does) or build whole documents.
"""

from __future__ import annotations

import json
import re
from typing import Any

from markupsafe import Markup


def fold(text: Any, part: bool = False) -> str:
    """The text on one line: every run of whitespace (newlines, tabs) becomes one space.

    With ``part`` (a piece of a longer sentence) a space at either end is kept, so the
    pieces join up as written.
    """
    s = str(text)
    folded = " ".join(s.split())
    if part and folded != s:  # (the common case, text already on one line, is fast)
        return _WS.sub(" ", s)
    return folded


_WS = re.compile(r"\s+")


# --- reStructuredText ---------------------------------------------------------------

# Characters that start or end inline markup anywhere: emphasis/strong (*), literals,
# interpreted text and roles (`), substitutions (|), references and targets (_), the
# escape character itself, and "@" (docutils turns a bare e-mail address into a link).
# A colon is escaped where it starts the text or follows a space or a colon, and where
# another character than a space follows it (so "Note: x" and "end:" keep theirs).
_RST_ALWAYS = frozenset("\\*`|_@")
_RST_ESCAPED = re.compile(f"[{re.escape(''.join(sorted(_RST_ALWAYS)))}]|(?<![^ :]):|:(?=[^ ])")
_RST_SPECIAL = re.compile(f"[{re.escape(''.join(sorted(_RST_ALWAYS | {':'})))}]")  # (most text holds none)
# A paragraph that begins like a block construct (list bullet, directive "..", field
# list ":", line block "|", quote ">", option list, section adornment) is defused by
# escaping its first character; one that begins with a list enumerator ("A. ", "1) ",
# "(iv) ", "#. ") by escaping the enumerator's closing punctuation.
_RST_ENUMERATOR = re.compile(r"^(?:(?:[A-Za-z0-9]+|#)[.)]|\([A-Za-z0-9]+\))(?=\s|$)")


def _backslashed(m: re.Match[str]) -> str:
    return "\\" + m.group()


def rst_text(text: Any, part: bool = False) -> str:
    """Spec text as reStructuredText inline text that docutils reads back verbatim.

    Escapes inline markup characters; colons that could form a role (":x:"), a
    definition-list classifier (" : "), a literal-block marker ("::") or a standalone
    URI ("http://"); and a leading block-markup character or list enumerator (unless
    ``part``: a piece that continues a line, see ``fold``).
    """
    s = fold(text, part)
    escaped = _RST_ESCAPED.sub(_backslashed, s) if _RST_SPECIAL.search(s) else s
    if part or not s or escaped.startswith("\\"):
        return escaped
    m = _RST_ENUMERATOR.match(s)
    if m:
        cut = m.end() - 1  # the enumerator holds no escaped characters
        return escaped[:cut] + "\\" + escaped[cut:]
    if not s[0].isalnum() and not s[0].isspace() and s[0].isascii():
        return "\\" + escaped
    return escaped


def rst_literal(text: Any) -> str:
    """An identifier as an inline literal (````name````) when that is safe, else as
    escaped text: inline literals cannot hold backquotes or start/end with a space."""
    s = fold(text)
    if not s or "`" in s or "\\" in s:
        return rst_text(s)
    return f"``{s}``"


def rst_heading(text: str, char: str) -> str:
    """An escaped section title with its underline (at least as long as the title as
    written, which is what docutils measures)."""
    return f"{text}\n{char * max(len(text), 4)}"


# --- Markdown (GitHub-flavoured) ----------------------------------------------------

# Backslash-escapable ASCII punctuation that carries meaning inline in CommonMark/GFM:
# emphasis (* _), code (`), links and images ([ ] !), raw HTML and autolinks (< >),
# entities (&), table cells (|), strikethrough (~), headings' closing sequence (#).
# (">" only means something at the start of a line, or after an escaped "<".)
_MD_ESCAPES = str.maketrans({ch: "\\" + ch for ch in "\\`*_[]<&|~#"})
# At the start of a line: list bullets, blockquote, setext underline, ordered lists.
_MD_BLOCK_START = re.compile(r"^(?:[-+=>]|\d{1,9}[.)](?:\s|$))")


def md_text(text: Any, part: bool = False) -> str:
    """Spec text as Markdown inline text that renders verbatim (backslash escapes);
    ``part`` as for ``rst_text``."""
    s = fold(text, part)
    escaped = s.translate(_MD_ESCAPES)
    m = None if part else _MD_BLOCK_START.match(s)
    if m:
        token = m.group(0).rstrip()
        cut = len(token) - 1
        escaped = escaped[:cut] + "\\" + escaped[cut:]
    return escaped


def md_code(text: Any) -> str:
    """An identifier as a code span; text that a code span cannot hold safely (pipes,
    which would split a table cell, or backslashes) falls back to escaped text."""
    s = fold(text)
    if not s or "|" in s or "\\" in s:
        return md_text(s)
    if "`" not in s:
        return f"`{s}`"  # (the common case)
    longest = max(len(r) for r in re.findall(r"`+", s))
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def safe_url(url: str) -> str:
    """A URL with the characters that could end a link target in either markup
    (``<``, ``>``, backquote, backslash, whitespace) percent-encoded, so a crafted URL
    cannot break out of the link it is placed in."""
    return "".join(f"%{ord(c):02X}" if c in "<>`\\" or c.isspace() else c for c in str(url))


def md_url(url: str) -> str:
    """A Markdown link destination (angle-bracketed, see ``safe_url``)."""
    return f"<{safe_url(url)}>"


# --- HTML ---------------------------------------------------------------------------


def json_for_script(data: Any) -> Markup:
    """JSON to embed in ``<script type="application/json">``: ``<``, ``>`` and ``&``
    (and the two line separators JavaScript once treated as newlines) are written as
    ``\\u`` escapes, so no spec text can close the script element or open a comment."""
    s = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    s = (
        s.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
    return Markup(s)
