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

The one markup spec text may carry is an inline code span: single backquotes around a
non-empty run without backquotes or newlines, not touching another backquote
(`` `name` ``, ``code_segments``).  Each format prints it as inline code (an rst inline
literal, a Markdown code span, an HTML ``<code>`` element) whose content is printed
verbatim and stays inert; where the format's code cannot hold the content, the span is
printed as written, escaped.  Everything outside the spans is escaped as before, and an
unpaired backquote prints as written.

HTML prose goes through ``html_text`` (jinja2's autoescape plus the code spans), and JSON
embedded in a page goes through ``json_for_script`` (``code_parts`` splits its texts for
the page's script, which builds ``<code>`` elements with ``textContent``).

Must not: decide what is printed (``docs_view`` does) or build whole documents.
"""

from __future__ import annotations

import json
import re
from typing import Any

from markupsafe import Markup, escape


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

# A code span: one backquote, a run without backquotes or newlines, one backquote, with
# no backquote right before or after (so "``x``" and "`a``b`" are not spans).
_CODE_SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")


def code_segments(text: Any) -> list[str]:
    """Text split at its code spans: plain text at even indices, the spans' contents
    (without the backquotes) at odd ones; ``[text]`` when it holds no span.  The one
    definition of a span that every docs format uses."""
    s = str(text)
    if "`" not in s:
        return [s]
    return _CODE_SPAN.split(s)


def code_parts(text: Any) -> Any:
    """Text for the HTML catalogue's JSON: the string itself when it holds no code span,
    else its ``code_segments`` (the page shows odd items as ``<code>``)."""
    segs = code_segments(text)
    return text if len(segs) == 1 else segs


def _with_spans(s: str, lead: bool, plain, code) -> str:
    """``s`` (folded) with its plain segments through ``plain(seg, lead)`` (``lead`` only
    for text starting the paragraph) and its spans through ``code(content, before,
    after)``, which gets the output so far and the segment after, or returns None to
    print the span as written."""
    segs = code_segments(s)
    if len(segs) == 1:
        return plain(s, lead)
    out: list[str] = []
    for i, seg in enumerate(segs):
        if i % 2 == 0:
            out.append(plain(seg, lead and i == 0))
            continue
        after = segs[i + 1] or ("`" if i + 2 < len(segs) else "")  # (another span next)
        written = code(seg, "".join(out), after)
        out.append(plain(f"`{seg}`", False) if written is None else written)
    return "".join(out)


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


def rst_text(text: Any, part: bool = False, code: bool = True) -> str:
    """Spec text as reStructuredText inline text that docutils reads back verbatim.

    Escapes inline markup characters; colons that could form a role (":x:"), a
    definition-list classifier (" : "), a literal-block marker ("::") or a standalone
    URI ("http://"); and a leading block-markup character or list enumerator (unless
    ``part``: a piece that continues a line, see ``fold``).  Code spans become inline
    literals (unless ``code`` is false: inside markup that cannot nest, such as a link
    or strong emphasis).
    """
    s = fold(text, part)
    if not code:
        return _rst_plain(s, not part)
    return _with_spans(s, not part, _rst_plain, _rst_code)


def _rst_code(content: str, before: str, after: str) -> str | None:
    """A span as an inline literal, set off from touching text by an escaped space
    (which docutils drops) so the literal's start and end are recognised; None when
    a literal cannot hold it (see ``rst_literal``)."""
    if "\\" in content or content != content.strip():
        return None
    lead = "\\ " if before and not before[-1].isspace() else ""
    tail = "\\ " if after and not after[0].isspace() else ""
    return f"{lead}``{content}``{tail}"


def _rst_plain(s: str, lead: bool) -> str:
    """Folded text escaped (see ``rst_text``); ``lead``: it starts a paragraph."""
    escaped = _RST_ESCAPED.sub(_backslashed, s) if _RST_SPECIAL.search(s) else s
    if not lead or not s or escaped.startswith("\\"):
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
        return rst_text(s, code=False)
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


def md_text(text: Any, part: bool = False, code: bool = True) -> str:
    """Spec text as Markdown inline text that renders verbatim (backslash escapes);
    ``part`` and ``code`` as for ``rst_text``."""
    s = fold(text, part)
    if not code:
        return _md_plain(s, not part)
    return _with_spans(s, not part, _md_plain, _md_code_span)


def _md_code_span(content: str, before: str, after: str) -> str | None:
    """A span as a code span; None where one cannot hold it safely (see ``md_code``;
    and content with a space at both ends, which a code span would strip)."""
    if "|" in content or "\\" in content or (content[0] == " " and content[-1] == " "):
        return None
    return f"`{content}`"


def _md_plain(s: str, lead: bool) -> str:
    """Folded text escaped (see ``md_text``); ``lead``: it starts a paragraph."""
    escaped = s.translate(_MD_ESCAPES)
    m = _MD_BLOCK_START.match(s) if lead else None
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
        return md_text(s, code=False)
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


def html_text(value: Any, part: bool = False, code: bool = True) -> Markup:
    """Spec text as escaped HTML with its code spans as ``<code>`` elements (the
    markup escapers' signature; HTML needs no folding)."""
    if isinstance(value, Markup):
        return value
    segs = code_segments(value) if code else [str(value)]
    if len(segs) == 1:
        return escape(value)
    return Markup("").join(
        escape(seg) if i % 2 == 0 else Markup("<code>%s</code>") % seg for i, seg in enumerate(segs)
    )


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
