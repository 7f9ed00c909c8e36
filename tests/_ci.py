"""When the suite runs under CI, and the one way a test skips (not a test module).

The project's rule: a test that needs an external input or tool (Chromium, the seed
page, a test-only package, Linux ``/proc``) may skip only outside CI; under CI it must
fail, so that a CI machine missing the input cannot pass in silence.  Every skip in
``tests/`` goes through ``skip_or_fail``; ``conftest.py`` also turns any other skip into
a failure under CI, as a safety net.

``update_golden()`` is the one reading of ``UPDATE_GOLDEN`` (refused under CI).

CI is on when the ``CI`` variable is set to anything but empty, ``false`` or ``0``
(case and surrounding spaces ignored): ``CI=true``, ``CI=1``, ``CI=TRUE`` and ``CI=yes``
all count, as the CI services set it in different spellings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import pytest

_OFF = {"", "false", "0"}


def in_ci(environ: Mapping[str, str] | None = None) -> bool:
    """True when ``environ`` (default ``os.environ``) says the suite runs under CI."""
    value = (os.environ if environ is None else environ).get("CI", "")
    return value.strip().lower() not in _OFF


def skip_or_fail(reason: str, *, module: bool = False) -> None:
    """Skip the current test (or module, when ``module``) outside CI; fail it under CI,
    where every test must run.  ``reason`` says what is missing and how to install it."""
    if in_ci():
        pytest.fail(f"{reason} (CI={os.environ.get('CI')!r}: this test must run under CI)", pytrace=False)
    pytest.skip(reason, allow_module_level=module)


def update_golden() -> bool:
    """True when ``UPDATE_GOLDEN=1`` asks the golden tests to rewrite their expected files
    from what the code now produces.  Under CI that is refused (the test fails): a refresh
    accepts any output, so it must never run where the result is trusted."""
    if os.environ.get("UPDATE_GOLDEN") != "1":
        return False
    if in_ci():
        pytest.fail("UPDATE_GOLDEN=1 under CI would accept any output; unset it", pytrace=False)
    return True
