"""A bridge whose audit writer stalls under cross-org traffic (two organisations in
network namespaces, their real control processes and data planes; twoorg.py).

While its audit ring is full a worker takes no input: the peer bridge's frames wait in
its own queue. That must not be taken for a silent peer (the trust link's liveness
limit is 3 s): when the writer resumes, every message arrives once, in order, with no
error, and the link was never reset. Two worlds: AES-256-GCM with no rekey by count
(only the stall under test), and MLS with a rekey every 25 sealed messages: when the
writer resumes, the held-back burst makes the control processes rekey while records of
the older epoch still wait on the link, and they must still open."""
import os
import signal

import pytest

from test_bridge import AUDIT_RESERVE, REKEY_MESSAGES, RING, epoch, finish_stream
from twoorg import QUERY, TwoOrg, poll, read_audit_shm, seal_of


@pytest.fixture(scope="module", params=["aes", "mls-rekey"])
def world(request):
    mls = request.param == "mls-rekey"
    w = TwoOrg(name=f"s{request.param[0]}{os.getpid() % 100000}", mls=mls,
               rekey_messages=REKEY_MESSAGES if mls else None,
               dp_extra={"audit": f"{{ring_size: {RING}}}"},
               keep=bool(os.environ.get("SB_KEEP_LOGS")))
    try:
        w.start()
        assert w.wait_traffic(timeout=60) is not None, "no cross-org message got through"
        yield w
    finally:
        w.close()


@pytest.fixture(autouse=True)
def failure_report(request):
    yield
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        print(request.getfixturevalue("world").failure_report())


def test_sender_audit_stall_keeps_the_trust_link(world):
    m = RING + 600
    a = world.a
    log_mark = len(a.dataplane.lines)
    before = epoch(a)
    a.control.kill(signal.SIGSTOP)
    try:
        base = world.liaison.stream(world.partner_api, m, "stall", QUERY)
        first = world.partner_api.collect(m, timeout=6, quiet=5)  # > 3 s held back
        shm = read_audit_shm(a.shm)
        assert shm is not None, "no audit rings"
        ring = shm["rings"][0]
        assert ring["waits"] > 0, f"the worker never held input back: {shm}"
        assert ring["head"] - ring["tail"] >= RING - AUDIT_RESERVE, shm
        assert len(first) < m, "everything passed with the audit writer stopped"
    finally:
        a.control.kill(signal.SIGCONT)
    problems = finish_stream(world.liaison, world.partner_api, base, m, first, "stall")
    assert not problems, "\n".join(problems)
    if world.trust_opts["rekey_messages"]:
        # The held-back burst was sealed far past the rekey count: the control process
        # rekeyed (its data plane may still seal with the last epoch for a moment).
        poll("a rekey after the burst", lambda: seal_of(a.trust_get())[2] > before, timeout=15)
    resets = [line for line in a.dataplane.lines[log_mark:] if "resetting the link" in line]
    assert not resets, f"bridge A reset its trust link while it held input back: {resets}"
    held = [line for line in a.dataplane.lines[log_mark:] if "audit ring full" in line]
    assert held, "the data plane did not say that it held input back"

