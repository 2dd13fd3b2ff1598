"""The data plane as a SLIM v2 node: real-protocol clients (negotiation,
header MAC, subscribe/publish) over net_tap to slim.listen_port."""
import os
import time

import pytest

from sbtest import Dataplane, Netns

HERE = os.path.dirname(os.path.abspath(__file__))
SCEN = os.path.join(HERE, "..", "interop", "slim_scenarios.py")
PORT = 46357
SCENARIOS = ["many_connections", "subscribe_ack", "unicast", "anycast", "multicast", "ttl",
             "unsubscribe_and_disconnect", "bad_mac_dropped", "malformed_refused", "loop_dropped",
             "upstream_ack"]


@pytest.fixture(scope="module")
def slimdp():
    dp = Dataplane(extra_conf={"slim": {"listen_port": PORT}}).start()
    try:
        yield dp
    finally:
        dp.close()


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_slim_scenario(slimdp, scenario):
    r = slimdp.ns.run("/usr/bin/python3", SCEN, "--server", f"{slimdp.DP_IP4}:{PORT}",
                      "--scenario", scenario, timeout=120, check=False)
    assert r.returncode == 0, r.stdout + r.stderr


def test_slim_counters(slimdp):
    st = slimdp.telemetry.query("/slimbridge/slim")["worker_0"]
    assert st["links"] > 0 and st["forwarded"] > 0, st
    assert st["drop_bad_mac"] > 0 and st["drop_ttl"] > 0 and st["drop_decode"] > 0, st
    assert st["drop_negotiation"] > 0, st
    assert st["drop_loop"] > 0, st  # loop_dropped's returning subscription


@pytest.fixture(scope="module")
def slimdp2():
    dp = Dataplane(workers=2, extra_conf={"slim": {"listen_port": PORT}}).start()
    try:
        yield dp
    finally:
        dp.close()


@pytest.mark.parametrize("scenario", ["many_connections", "multicast", "anycast",
                                      "unsubscribe_and_disconnect", "upstream_ack"])
def test_slim_two_workers(slimdp2, scenario):
    """Connections on both workers: publishes cross between lcores through rings."""
    r = slimdp2.ns.run("/usr/bin/python3", SCEN, "--server", f"{slimdp2.DP_IP4}:{PORT}",
                       "--scenario", scenario, timeout=120, check=False)
    assert r.returncode == 0, r.stdout + r.stderr


def test_slim_two_workers_crossed(slimdp2):
    st = slimdp2.telemetry.query("/slimbridge/slim")
    links = [st[w]["links"] for w in ("worker_0", "worker_1")]
    assert all(n > 0 for n in links), st  # connections landed on both workers
    assert sum(st[w]["cross_out"] for w in st) > 0, st
    assert sum(st[w]["cross_in"] for w in st) == sum(st[w]["cross_out"] for w in st), st
    assert sum(st[w]["drop_cross"] for w in st) == 0, st


def test_slim_two_linked_nodes():
    """Two data planes on one bridge; node 1 dials node 2 (slim.links). Apps on
    each exchange publishes across the link, in both directions."""
    ns = Netns()
    ns.add_bridge("192.0.2.2/24", "2001:db8::2/64")
    one = two = None
    try:
        two = Dataplane(ip4="192.0.2.3", ip6="2001:db8::3", bridge_ns=ns,
                        extra_conf={"slim": {"listen_port": PORT, "node_id": "node-2"}}).start()
        one = Dataplane(bridge_ns=ns, extra_conf={"slim": {
            "listen_port": PORT, "node_id": "node-1",
            "links": [{"endpoint": f"192.0.2.3:{PORT}", "connection_type": "remote"}]}}).start()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if one.telemetry.query("/slimbridge/slim")["worker_0"]["links"] >= 1:
                break
            time.sleep(0.2)
        r = ns.run("/usr/bin/python3", SCEN, "--server", f"{one.DP_IP4}:{PORT}",
                   "--server2", f"{two.DP_IP4}:{PORT}", "--scenario", "two_nodes",
                   timeout=120, check=False)
        assert r.returncode == 0, r.stdout + r.stderr
        s1 = one.telemetry.query("/slimbridge/slim")["worker_0"]
        s2 = two.telemetry.query("/slimbridge/slim")["worker_0"]
        assert s1["link_subs_sent"] > 0 and s2["link_subs_sent"] > 0, (s1, s2)
        assert s1["drop_unexpected"] == 0 and s2["drop_unexpected"] == 0, (s1, s2)
        assert s2["drop_bad_mac"] == 0 and s1["drop_bad_mac"] == 0, (s1, s2)
    finally:
        for dp in (one, two):
            if dp is not None:
                dp.close()
        ns.delete()
