"""Permissions on the SLIM path: the control process's policy (the seeds'
example, applied with the CLI) decides real publishes between apps; a denial
goes back to the sender as an error notification and is counted by reason."""
import os
import shutil

import pytest

from sbtest import Control, Dataplane
from test_control import EXAMPLE, apply, wait_version

HERE = os.path.dirname(os.path.abspath(__file__))
SCEN = os.path.join(HERE, "..", "interop", "slim_scenarios.py")
PORT = 46357


@pytest.fixture(scope="module")
def policydp():
    dp = Dataplane(extra_conf={"slim": {"listen_port": PORT}, "identity": {"required": False}}).start()
    try:
        yield dp
    finally:
        dp.close()


def slim_counters(dp):
    return dp.telemetry.query("/slimbridge/slim")["worker_0"]


def test_no_policy_denies_cross_app(policydp):
    """Before any policy is published, a publish between apps is denied, not routed."""
    r = policydp.ns.run("/usr/bin/python3", "-c", f"""
import sys; sys.path.insert(0, {os.path.dirname(SCEN)!r})
from slim_scenarios import agent, conn, _denial, check
c = conn("{policydp.DP_IP4}:{PORT}")
a, b = agent("t", "app-a", "x"), agent("t", "app-b", "y")
c.subscribe(b, b, sub_id=1)
c.publish(a, b, b"hello")
r = _denial(c, "denial without policy")
check(dict(r.metadata)["slimbridge-error"] == "Unknown agent", dict(r.metadata))
c.close()
""", timeout=60, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    st = slim_counters(policydp)
    assert st["drop_policy"] >= 1 and st["deny_unknown_agent"] >= 1, st
    assert st["denials_sent"] >= 1, st


def test_seeds_policy_on_publishes(policydp):
    ctl = Control(policydp.shm_name)
    try:
        before = slim_counters(policydp)
        wait_version(policydp, apply(ctl, path=EXAMPLE))
        r = policydp.ns.run("/usr/bin/python3", SCEN, "--server", f"{policydp.DP_IP4}:{PORT}",
                            "--scenario", "policy_seeds", timeout=120, check=False)
        assert r.returncode == 0, r.stdout + r.stderr
        st = slim_counters(policydp)
        delta = {k: st[k] - before.get(k, 0) for k in st if isinstance(st[k], int)}
        assert delta["policy_allowed"] == 2, delta
        assert delta["drop_policy"] == 3, delta
        assert delta["deny_agent_disabled"] == 1, delta
        assert delta["deny_unknown_agent"] == 1, delta
        assert delta["denials_sent"] == 3, delta
        assert delta["policy_local"] >= 1, delta
    finally:
        ctl.stop()
        shutil.rmtree(ctl.tmp, ignore_errors=True)


def test_policy_off_routes_without_decisions():
    dp = Dataplane(extra_conf={"slim": {"listen_port": PORT, "policy": "off"}}).start()
    try:
        r = dp.ns.run("/usr/bin/python3", "-c", f"""
import sys; sys.path.insert(0, {os.path.dirname(SCEN)!r})
from slim_scenarios import agent, conn, check
c, d = conn("{dp.DP_IP4}:{PORT}"), conn("{dp.DP_IP4}:{PORT}")
a, b = agent("t", "app-a", "x"), agent("t", "app-b", "y")
d.subscribe(b, b, sub_id=1)
c.publish(a, b, b"hello")
r = d.recv_publish()
check(r is not None and not r.publish.header.error, "not routed with policy off")
c.close()
d.close()
""", timeout=60, check=False)
        assert r.returncode == 0, r.stdout + r.stderr
        st = slim_counters(dp)
        assert st["drop_policy"] == 0 and st["policy_allowed"] == 0, st
    finally:
        dp.close()


RULES = r"""
contentRuleSets:
  - id: dlp-basic
    rules:
      - {id: 1, pattern: '\b\d{3}-\d{2}-\d{4}\b', action: block}    # US SSN
      - {id: 2, pattern: 'CONFIDENTIAL', action: audit, caseless: true}
"""


def test_content_rules_on_publishes(policydp):
    """A project's content rule set scans the payloads of its agents' publishes."""
    ctl = Control(policydp.shm_name)
    try:
        apply(ctl, path=EXAMPLE)
        apply(ctl, RULES)
        r = ctl.cli("get", "project", "hr-compliance")
        assert r.returncode == 0, r.stderr
        assert "contentRuleSet" not in r.stdout
        text = r.stdout.replace("  name: Compliance reviews",
                                "  name: Compliance reviews\n  contentRuleSet: dlp-basic")
        assert text != r.stdout, r.stdout
        wait_version(policydp, apply(ctl, text))
        before = slim_counters(policydp)
        r = policydp.ns.run("/usr/bin/python3", "-c", f"""
import sys; sys.path.insert(0, {os.path.dirname(SCEN)!r})
from slim_scenarios import agent, conn, _denial, check
T = "tenant-123"
lead, a789 = agent(T, "hr-app", "agent_hr_lead"), agent(T, "sales-app", "agent-789")
hr, sales = conn("{policydp.DP_IP4}:{PORT}"), conn("{policydp.DP_IP4}:{PORT}")
hr.subscribe(lead, lead, sub_id=1)
sales.publish(a789, lead, b"clean", msg_id=1)
r = hr.recv_publish()
check(r is not None and r.publish.msg.app_payload.blob == b"clean", "clean payload lost")
sales.publish(a789, lead, b"a Confidential memo", msg_id=2)
r = hr.recv_publish()
check(r is not None and r.publish.msg.app_payload.blob == b"a Confidential memo",
      "an audit match must pass")
sales.publish(a789, lead, b"CONFIDENTIAL: ssn 123-45-6789", msg_id=3)
md = dict(_denial(sales, "content denial").metadata)
check(md.get("slimbridge-error") == "Content blocked by rule", md)
check(md.get("slimbridge-blocked-at") == "content", md)
check(md.get("slimbridge-rule-id") == "1", md)
check(hr.recv_publish(0.3) is None, "blocked content reached its target")
hr.close()
sales.close()
""", timeout=60, check=False)
        assert r.returncode == 0, r.stdout + r.stderr
        st = slim_counters(policydp)
        delta = {k: st[k] - before.get(k, 0) for k in st if isinstance(st[k], int)}
        assert delta["content_scans"] == 3, delta
        assert delta["content_block_matches"] == 1, delta
        assert delta["content_audit_matches"] == 1, delta  # the reported outcome per scan
        assert delta["deny_content_blocked"] == 1, delta
        assert delta["policy_allowed"] == 2, delta
    finally:
        ctl.stop()
        shutil.rmtree(ctl.tmp, ignore_errors=True)
