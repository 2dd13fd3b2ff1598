import os

import pytest

from sbtest import CONTROL, DATAPLANE, Dataplane


def pytest_sessionstart(session):
    if os.geteuid() != 0:
        raise pytest.UsageError("the integration tests need root (network namespaces, TAP)")
    for b in (DATAPLANE, CONTROL):
        if not os.access(b, os.X_OK):
            raise pytest.UsageError(f"{b} is not built; run ./scripts/test or ninja -C build")


@pytest.fixture
def dataplane(request):
    """A started data plane with its peer namespace; closed on every exit path."""
    params = getattr(request, "param", {}) or {}
    dp = Dataplane(**params)
    try:
        yield dp.start()
    finally:
        dp.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Each phase's report on the item (rep_setup, rep_call), for fixtures that
    add diagnostics to a failure."""
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)
