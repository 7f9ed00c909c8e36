"""Suite-wide hooks: under CI (see ``_ci.in_ci``) a skipped test or module is a failure.

Tests skip through ``_ci.skip_or_fail``, which already fails under CI; this hook catches
any skip that does not (a ``skipif`` mark, a library's ``importorskip``), so no test can
pass in silence on a CI machine that lacks what it needs.
"""

from __future__ import annotations

import pytest
from _ci import in_ci


def _as_failure(report, what: str) -> None:
    if report.skipped and in_ci() and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"{what} skipped under CI ({reason}); under CI every test must run"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _as_failure(outcome.get_result(), item.nodeid)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _as_failure(outcome.get_result(), collector.nodeid)
