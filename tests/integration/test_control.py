"""The control process, its CLI and the data plane's decisions, end to end:
policy applied with `slimbridge apply` reaches the data plane's
policy_decide_burst (asked through telemetry), a killed control process
leaves the data plane deciding with the last snapshot, bad input changes
nothing, and pushes during traffic lose no packet."""
import json
import os
import shutil
import signal
import subprocess
import time

from sbtest import Control

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "examples", "policy.yaml")

SALES = "tenant-123/sales-app/"
HR = "tenant-123/hr-app/"
PARTNER = "partner-corp/partner-app/"


def dp_check(dp, src, dst, direction="message", op="task"):
    return dp.telemetry.query(f"/slimbridge/policy_check,{src},{dst},{direction},{op}")


def wait_version(dp, version, timeout=5):
    deadline = time.monotonic() + timeout
    pol = None
    while time.monotonic() < deadline:
        pol = dp.telemetry.query("/slimbridge/policy")
        if pol["policy_version"] == version and pol["acked_epoch"] == pol["epoch"]:
            return pol
        time.sleep(0.02)
    raise AssertionError(f"data plane never reached policy version {version}: {pol}")


def apply(ctl, text=None, path=None):
    args = ["--json", "apply", "-f", path or "-"]
    r = ctl.cli(*args, stdin=text)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["version"]


def status(ctl):
    r = ctl.cli("--json", "status")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_cli_change_reaches_dataplane_decisions(dataplane):
    ctl = Control(dataplane.shm_name)
    try:
        v = apply(ctl, path=EXAMPLE)
        wait_version(dataplane, v)
        # The seeds' examples, decided by the data plane on the compiled snapshot.
        d = dp_check(dataplane, SALES + "agent-789", HR + "agent_hr_lead")
        assert d["allowed"] == 1 and d["required"] == 1, d
        d = dp_check(dataplane, SALES + "agent-789", SALES + "agent_quiet")
        assert d["allowed"] == 1 and d["required"] == 0, d  # same app: A2A
        d = dp_check(dataplane, SALES + "agent_quiet", HR + "agent_hr_lead", "outbound")
        assert (d["allowed"], d["reason"], d["blockedAt"]) == \
            (0, "SLIM disabled for this agent", "agent"), d
        d = dp_check(dataplane, SALES + "agent_partner_liaison", PARTNER + "agent_partner_api",
                     "outbound", "query")
        assert (d["allowed"], d["reason"], d["blockedAt"]) == \
            (0, "Organization not allowed", "tenant"), d
        # The CLI's answer (reference evaluator in the control process) agrees.
        r = ctl.cli("--json", "check", "--source", "agent_quiet", "--target", "agent_hr_lead",
                    "--direction", "outbound", "--op", "task")
        assert r.returncode == 1
        assert json.loads(r.stdout)["reason"] == "SLIM disabled for this agent"

        # A change through the CLI: enable agent_quiet; the data plane follows.
        r = ctl.cli("get", "agent", "agent_quiet")
        assert r.returncode == 0 and "enabled: false" in r.stdout, r.stdout
        v2 = apply(ctl, r.stdout.replace("enabled: false", "enabled: true\n    outbound: true"))
        assert v2 == v + 1
        wait_version(dataplane, v2)
        d = dp_check(dataplane, SALES + "agent_quiet", HR + "agent_hr_lead", "outbound")
        assert d["allowed"] == 1, d
        # The tenant kill switch, flipped through the CLI.
        r = ctl.cli("get", "tenant", "tenant-123")
        v3 = apply(ctl, r.stdout.replace("capabilityEnabled: true", "capabilityEnabled: false"))
        wait_version(dataplane, v3)
        d = dp_check(dataplane, SALES + "agent-789", HR + "agent_hr_lead")
        assert (d["allowed"], d["reason"], d["blockedAt"]) == \
            (0, "SLIM capability disabled at tenant level", "tenant"), d
        # The change log has all three.
        r = ctl.cli("--json", "changes", "--since", str(v))
        assert [(c["op"], c["kind"], c["id"]) for c in json.loads(r.stdout)["changes"]] == \
            [("update", "agent", "agent_quiet"), ("update", "tenant", "tenant-123")]
        # Both were one-object changes: patched into the compiled policy, not recompiled.
        st = status(ctl)
        assert st["patches"] == 2 and st["lastPatched"] is True, st
        # So is a delete: the data plane no longer knows the agent.
        r = ctl.cli("delete", "agent", "agent_quiet")
        assert r.returncode == 0, r.stderr
        wait_version(dataplane, v3 + 1)
        d = dp_check(dataplane, SALES + "agent_quiet", HR + "agent_hr_lead", "outbound")
        assert (d["allowed"], d["reason"]) == (0, "Unknown agent"), d
        assert status(ctl)["patches"] == 3
    finally:
        ctl.stop()
        shutil.rmtree(ctl.tmp, ignore_errors=True)


def test_control_killed_dataplane_keeps_deciding(dataplane):
    ctl = Control(dataplane.shm_name)
    try:
        v = apply(ctl, path=EXAMPLE)
        wait_version(dataplane, v)
        before = dp_check(dataplane, SALES + "agent_deal_lead", HR + "agent_legal", "outbound")
        assert before["reason"] == "Target not allowed for this agent", before
        ctl.stop(signal.SIGKILL)
        for _ in range(3):
            assert dp_check(dataplane, SALES + "agent-789", HR + "agent_hr_lead")["allowed"] == 1
            assert dp_check(dataplane, SALES + "agent_deal_lead", HR + "agent_legal",
                            "outbound") == before
            time.sleep(0.2)
        # A restarted control process loads the store and publishes the same version.
        ctl2 = Control(dataplane.shm_name, db=ctl.db)
        try:
            assert status(ctl2)["version"] == v
            pol = wait_version(dataplane, v)
            assert pol["writer_pid"] == ctl2.proc.p.pid
            assert dp_check(dataplane, SALES + "agent-789", HR + "agent_hr_lead")["allowed"] == 1
        finally:
            ctl2.stop()
    finally:
        ctl.stop()
        shutil.rmtree(ctl.tmp, ignore_errors=True)


def test_bad_input_is_refused_and_changes_nothing(dataplane):
    ctl = Control(dataplane.shm_name)
    try:
        v = apply(ctl, path=EXAMPLE)
        wait_version(dataplane, v)
        cases = [
            # (document, exit code, text in stderr)
            ("agents: [{id: a, app: sales-app, slimConfig: {enabeld: true}}]", 2,
             "unknown field 'enabeld'"),
            ("tenants: [{id: t, settings: {slim: {capabilityEnabled: maybe}}}]", 2,
             "expects true or false"),
            ("projects: [{id: p, app: sales-app, slimConfig: {allowedOrganizations: "
             "[{organization: 'partner-corp'}]}}]", 3, "unknown organization form"),
            ("projects: [{id: p, app: sales-app, slimConfig: {allowedOrganizations: "
             "[{organization: 'external:*corp'}]}}]", 3, "bad wildcard"),
            ("agents: [{id: a, app: sales-app, project: nowhere}]", 3,
             "project 'nowhere' does not exist"),
            ("apps: [{id: x, tenant: tenant-123}, {id: x, tenant: tenant-123}]", 3,
             "duplicate app id 'x'"),
            ("key: [unclosed", 2, ""),
        ]
        for doc, code, text in cases:
            r = ctl.cli("apply", "-f", "-", stdin=doc)
            assert r.returncode == code, (doc, r.returncode, r.stderr)
            assert text in r.stderr, (doc, r.stderr)
        r = ctl.cli("delete", "app", "hr-app")
        assert r.returncode == 3 and "FAILED_PRECONDITION" in r.stderr, r.stderr
        r = ctl.cli("get", "agent", "nobody")
        assert r.returncode == 4, r.stderr
        r = ctl.cli("check", "--source", "agent-789", "--target", "agent_hr_lead",
                    "--direction", "sideways", "--op", "task")
        assert r.returncode == 2
        assert status(ctl)["version"] == v
        assert dataplane.telemetry.query("/slimbridge/policy")["policy_version"] == v
        # A client that is not the CLI: a malformed request gets INVALID_ARGUMENT.
        r = subprocess.run(["/usr/bin/python3", "-c", MALFORMED, ctl.server],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "INVALID_ARGUMENT" in r.stdout, r.stdout
        assert status(ctl)["version"] == v
    finally:
        ctl.stop()
        shutil.rmtree(ctl.tmp, ignore_errors=True)


MALFORMED = r"""
import sys, grpc
ch = grpc.insecure_channel(sys.argv[1])
call = ch.unary_unary("/slimbridge.control.v1.ControlService/Apply")
try:
    call(b"\x0a\x05\xff\xff\xff\xff\xff", timeout=10)
    print("accepted")
except grpc.RpcError as e:
    print(e.code().name, e.details())
"""


def test_pushes_during_traffic_lose_nothing(dataplane):
    ctl = Control(dataplane.shm_name)
    try:
        v = apply(ctl, path=EXAMPLE)
        wait_version(dataplane, v)
        watch = subprocess.Popen([*ctl_cli_argv(ctl), "--json", "watch", "--count", "20"],
                                 stdout=subprocess.PIPE, text=True)
        ping = subprocess.Popen(["ip", "netns", "exec", dataplane.ns.name, "ping", "-c", "400",
                                 "-i", "0.005", "-q", dataplane.DP_IP4],
                                stdout=subprocess.PIPE, text=True)
        r = ctl.cli("get", "agent", "agent_quiet")
        doc = r.stdout
        pushes = 0
        while ping.poll() is None and pushes < 40:
            flip = doc if pushes % 2 else doc.replace("enabled: false", "enabled: true")
            apply(ctl, flip)
            pushes += 1
        out, _ = ping.communicate(timeout=60)
        assert " 0% packet loss" in out, out
        assert pushes >= 19
        wout, _ = watch.communicate(timeout=30)
        epochs = [json.loads(line)["epoch"] for line in wout.splitlines()]
        assert len(epochs) == 20 and epochs == sorted(epochs), wout
        wait_version(dataplane, status(ctl)["version"])
    finally:
        ctl.stop()
        shutil.rmtree(ctl.tmp, ignore_errors=True)


def ctl_cli_argv(ctl):
    from sbtest import CLI
    return [CLI, "--server", ctl.server]
