"""Control <-> data plane shared memory: attach, last good policy, re-attach."""
import os
import stat
import time

from sbtest import Control, Dataplane


def wait_policy(dp, pred, timeout=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pol = dp.telemetry.query("/slimbridge/policy")
        if pred(pol):
            return pol
        time.sleep(0.05)
    raise AssertionError(f"policy never satisfied the condition: {pol}")


def test_dataplane_runs_without_control_then_attaches(dataplane):
    pol = dataplane.telemetry.query("/slimbridge/policy")
    assert pol["state"] == "absent" and pol["epoch"] == 0
    ctl = Control(dataplane.shm_name)
    try:
        pol = wait_policy(dataplane, lambda p: p["state"] == "attached" and p["acked_epoch"] == 1)
        assert pol["epoch"] == 1
        st = dataplane.stats()
        assert st["policy_epoch"] == 1
        assert st["per_worker_policy_epoch"] == [1] * st["workers"]
        # Least privilege: the data plane cannot write policy.
        mode = stat.S_IMODE(os.stat(f"/dev/shm/{dataplane.shm_name}.policy").st_mode)
        assert mode == 0o640
    finally:
        rc, _ = ctl.stop()
    assert rc == 0
    assert "data plane acked epoch 1" in ctl.proc.output()


def test_control_restart_keeps_last_good_then_reattaches(dataplane):
    ctl = Control(dataplane.shm_name)
    pol1 = wait_policy(dataplane, lambda p: p["state"] == "attached")
    ctl.stop()
    # Control gone: the data plane keeps the last good policy and keeps answering.
    pol = wait_policy(dataplane, lambda p: p["state"] == "absent")
    assert pol["epoch"] == 1 and pol["instance"] == pol1["instance"]
    dataplane.ns.run("ping", "-c", "3", "-i", "0.05", "-q", dataplane.DP_IP4)
    ctl2 = Control(dataplane.shm_name)
    try:
        pol2 = wait_policy(dataplane, lambda p: p["state"] == "attached"
                           and p["instance"] != pol1["instance"] and p["acked_epoch"] == 1)
        assert pol2["writer_pid"] == ctl2.proc.p.pid
    finally:
        ctl2.stop()


def test_second_control_on_same_name_is_refused(dataplane):
    ctl = Control(dataplane.shm_name)
    try:
        from sbtest import CONTROL
        import subprocess
        r = subprocess.run([CONTROL, "--shm-name", dataplane.shm_name, "--db", ":memory:",
                            "--port", "0"], capture_output=True, text=True, timeout=10)
        assert r.returncode == 1
        assert f"pid {ctl.proc.p.pid}" in r.stderr, r.stderr
    finally:
        ctl.stop()


def test_second_dataplane_on_same_shm_name_exits_2(dataplane):
    other = Dataplane(shm_name=dataplane.shm_name)
    try:
        from sbtest import DATAPLANE
        import subprocess
        r = subprocess.run([DATAPLANE, *other.eal_args(), "--", "--config", other.config],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 2, r.stdout + r.stderr
        assert f"pid {dataplane.proc.p.pid}" in r.stderr and "shm.name" in r.stderr, r.stderr
    finally:
        other.shm_name = "none-" + other.shm_name  # do not remove the first one's objects
        other.close()
    # The first one still owns its status object and keeps attaching.
    ctl = Control(dataplane.shm_name)
    try:
        wait_policy(dataplane, lambda p: p["state"] == "attached" and p["acked_epoch"] == 1)
    finally:
        ctl.stop()
