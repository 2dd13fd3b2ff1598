"""The data plane's user-space TCP against Linux's TCP: the kernel peer in a
namespace talks to the test services (tcp_test_apps) over net_tap."""
import json
import os
import struct
import subprocess
import time

import pytest

from sbtest import Dataplane

HERE = os.path.dirname(os.path.abspath(__file__))
PEER = os.path.join(HERE, "tcppeer.py")
APPS = {"tcp_test_apps": {"echo": 7, "discard": 9, "source": 19}}
# 1 GiB each way by default; SB_TCP_BYTES shortens it for a quick local run.
BIG = int(os.environ.get("SB_TCP_BYTES", str(1 << 30)))
IMPAIR = {"drop": 0.01, "reorder": 0.01, "duplicate": 0.001, "seed": 11}
# Under that impairment the transfer moves about 4 MB/s each way on the 2-core machine
# (1 GiB in about 260 s: loss probes and SACK recovery, few RTOs);
# SB_TCP_IMPAIRED_BYTES shortens it for a quick local run.
IMPAIRED = int(os.environ.get("SB_TCP_IMPAIRED_BYTES", str(1 << 30)))


def peer(dp, *args, timeout=600):
    r = dp.ns.run("/usr/bin/python3", PEER, *map(str, args), timeout=timeout, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def tcp_stats(dp):
    return dp.telemetry.query("/slimbridge/tcp")


def wait_for(cond, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def start(**kw):
    extra = dict(APPS)
    extra.update(kw.pop("extra_conf", {}))
    return Dataplane(extra_conf=extra, **kw).start()


@pytest.fixture
def tcpdp(request):
    params = getattr(request, "param", {}) or {}
    dp = start(**params)
    try:
        yield dp
    finally:
        dp.close()


def assert_echo(r, n):
    assert not r["errors"], r
    assert r["received"] == n, r
    assert r["received_sha256"] == r["sent_sha256"], r


def test_echo_1gib_ipv4_sha256_and_options(tcpdp):
    r = peer(tcpdp, "echo", tcpdp.DP_IP4, 7, BIG)
    assert_echo(r, BIG)
    # The kernel's view of the connection (ss -ti reads the same tcp_info).
    assert "wscale:" in r["ss"], r["ss"]
    opts = r["tcpi_options"]
    assert opts & 1, "timestamps not negotiated"
    assert opts & 2, "SACK not negotiated"
    assert opts & 4, "window scaling not negotiated"
    st = tcp_stats(tcpdp)["worker_0"]
    assert st["passive_opens"] >= 1
    assert st["payload_bytes_in"] >= BIG
    print(f"echo {BIG} bytes each way in {r['seconds']:.2f} s "
          f"({BIG * 8 / r['seconds'] / 1e6:.0f} Mbit/s each way)")


@pytest.mark.parametrize("tcpdp", [{"impair": IMPAIR}], indirect=True)
def test_echo_with_impairment(tcpdp):
    r = peer(tcpdp, "echo", tcpdp.DP_IP4, 7, IMPAIRED, timeout=1800)
    assert_echo(r, IMPAIRED)
    st = tcp_stats(tcpdp)["worker_0"]
    assert st["retransmitted_segments"] > 0
    assert st["out_of_order_segments"] > 0
    assert tcpdp.stats()["drop_impair_drop"] > 0
    print(f"impaired echo {IMPAIRED} bytes each way in {r['seconds']:.2f} s, "
          f"{st['retransmitted_segments']} retransmissions, {st['fast_recoveries']} recoveries")


def test_echo_ipv6(tcpdp):
    n = 64 << 20
    r = peer(tcpdp, "echo", tcpdp.DP_IP6, 7, n)
    assert_echo(r, n)


# A burst of 1000 SYNs against the default SYN queue (256 half-open per listener:
# some spill into SYN cookies, depending on how fast the handshakes finish) and
# against a queue of one, where every SYN that arrives while another handshake is
# open gets a cookie (a hundred or more of the thousand on this machine).
@pytest.mark.parametrize("tcpdp,min_cookies", [({}, 0),
                                               ({"extra_conf": {"tcp": {"syn_backlog": 1}}}, 1)],
                         indirect=["tcpdp"], ids=["default_queue", "cookies"])
def test_1000_concurrent_short_connections(tcpdp, min_cookies):
    r = peer(tcpdp, "many", tcpdp.DP_IP4, 7, 1000, timeout=120)
    assert r == {"ok": 1000, "failed": 0, "unfinished": 0}, r
    st = tcp_stats(tcpdp)["worker_0"]
    assert st["passive_opens"] >= 1000
    assert st["syncookies_ok"] >= min_cookies, st
    assert st["syncookies_failed"] == 0, st
    print(f"1000 connections: {st['syncookies_ok']} made by SYN cookies")
    # Linux closed first and holds TIME_WAIT; ours all go away after LAST_ACK.
    assert wait_for(lambda: tcp_stats(tcpdp)["worker_0"]["connections"] == 0), tcp_stats(tcpdp)


def test_source_sends_the_pattern(tcpdp):
    r = peer(tcpdp, "source", tcpdp.DP_IP4, 19, 8 << 20)
    assert r == {"received": 8 << 20, "first_bad_offset": -1}, r


def test_discard_takes_everything(tcpdp):
    r = peer(tcpdp, "discard", tcpdp.DP_IP4, 9, 32 << 20)
    assert r["closed_cleanly"], r
    assert tcp_stats(tcpdp)["worker_0"]["payload_bytes_in"] >= 32 << 20


def test_linux_abort_resets_our_connection(tcpdp):
    r = peer(tcpdp, "abort", tcpdp.DP_IP4, 9)
    assert r["aborted"]
    assert wait_for(lambda: tcp_stats(tcpdp)["worker_0"]["resets_in"] >= 1)
    assert wait_for(lambda: tcp_stats(tcpdp)["worker_0"]["connections"] == 0)


@pytest.mark.parametrize("ip", [Dataplane.DP_IP4, Dataplane.DP_IP6])
def test_syn_to_port_without_listener_is_refused(tcpdp, ip):
    code = ("import socket,sys\n"
            "try:\n socket.create_connection((sys.argv[1], 4444), timeout=3)\n"
            "except ConnectionRefusedError:\n print('refused')\n")
    r = tcpdp.ns.run("/usr/bin/python3", "-c", code, ip)
    assert r.stdout.strip() == "refused", r.stdout + r.stderr


@pytest.mark.parametrize("tcpdp", [{"workers": 2}], indirect=True)
def test_two_workers_passive_and_active(tcpdp):
    # Passive: many connections spread over both workers (software hand-off on TAP).
    r = peer(tcpdp, "many", tcpdp.DP_IP4, 7, 200, timeout=120)
    assert r == {"ok": 200, "failed": 0, "unfinished": 0}, r
    st = tcp_stats(tcpdp)
    assert st["worker_0"]["passive_opens"] > 0 and st["worker_1"]["passive_opens"] > 0, st
    # Active: each worker dials a Linux server; both connections complete.
    server = subprocess.Popen(["ip", "netns", "exec", tcpdp.ns.name, "/usr/bin/python3", PEER,
                               "serve", "5555", "4", str(1 << 20)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert "listening" in server.stdout.readline()
        for w in (0, 1, 0, 1):
            q = tcpdp.telemetry.query(f"/slimbridge/tcp_connect,{w},{tcpdp.PEER_IP4},5555")
            assert q["worker"] == w
        out, _ = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
    res = json.loads(out.strip().splitlines()[-1])["accepted"]
    assert len(res) == 4 and all(a["pattern_ok"] for a in res), res
    st = tcp_stats(tcpdp)
    assert st["worker_0"]["active_opens"] == 2 and st["worker_1"]["active_opens"] == 2, st
    assert st["worker_0"]["established"] >= 2 and st["worker_1"]["established"] >= 2
    assert st["worker_0"]["handoff_out"] + st["worker_1"]["handoff_out"] > 0
