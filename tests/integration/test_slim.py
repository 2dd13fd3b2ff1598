"""The data plane as a SLIM v2 node: real-protocol clients (negotiation,
header MAC, subscribe/publish) over net_tap to slim.listen_port."""
import os

import pytest

from sbtest import Dataplane

HERE = os.path.dirname(os.path.abspath(__file__))
SCEN = os.path.join(HERE, "..", "interop", "slim_scenarios.py")
PORT = 46357
SCENARIOS = ["subscribe_ack", "unicast", "anycast", "multicast", "ttl",
             "unsubscribe_and_disconnect", "bad_mac_dropped", "malformed_refused"]


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
