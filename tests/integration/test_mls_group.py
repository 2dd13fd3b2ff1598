"""MLS groups between two control processes (issue 8), end to end: A makes a
group with B as its peer over the control API (KeyPackage, Commit, Welcome
between the processes); both report the same epoch and epoch authenticator;
each publishes its epoch record in its shared-memory snapshot, and a stand-in
for the data plane (build/tests/mls-shm-peer) protects with one process's
record and opens with the other's, both ways; an update Commit moves both to
epoch 2 with a new common authenticator, after which messages of epoch 1 are
refused (wrong_epoch); a tampered message is refused; two processes that
create groups with each other at the same time do not deadlock; a data plane
attached to a control process takes the snapshots that carry the MLS table."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from sbtest import BUILD, CLI, CONTROL, Process, unique

PEER = os.path.join(BUILD, "tests", "mls-shm-peer")


class MlsControl:
    """slimbridge-control on its own shm name, database and API port."""

    def __init__(self, tag, shm_name=None):
        self.shm_name = shm_name or unique(tag)
        self.tmp = tempfile.mkdtemp(prefix="sbmls")
        self.proc = Process([CONTROL, "--shm-name", self.shm_name, "--db",
                             os.path.join(self.tmp, "policy.db"), "--port", "0",
                             "--mls-identity", f"bridge-{tag}"])
        if not self.proc.wait_for("deliveries at", timeout=10):
            self.close()
            raise AssertionError("control did not start:\n" + "\n".join(self.proc.lines))
        line = [l for l in self.proc.lines if "API on" in l][-1]
        self.port = int(line.rsplit(" ", 1)[1])
        self.server = f"127.0.0.1:{self.port}"

    def cli(self, *args, timeout=30):
        return subprocess.run([CLI, "--server", self.server, "--json", *args],
                              capture_output=True, text=True, timeout=timeout)

    def mls(self, *args):
        r = self.cli("mls", *args)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def peer(self, *args, check=True):
        """Runs mls-shm-peer on this process's snapshot."""
        r = subprocess.run([PEER, "--timeout", "5000", *args], capture_output=True, text=True,
                           timeout=30)
        if check:
            assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
        return r

    def close(self):
        self.proc.stop(signal.SIGTERM)
        if self.proc.p.poll() is None:
            self.proc.stop(signal.SIGKILL)
        # A killed process leaves its object behind; a clean stop removed it.
        try:
            os.unlink(f"/dev/shm/{self.shm_name}.policy")
        except FileNotFoundError:
            pass
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture
def pair():
    procs = []
    try:
        procs.append(MlsControl("A"))
        procs.append(MlsControl("B"))
        yield procs
    finally:
        for p in procs:
            p.close()


def protect(ctl, group, epoch, *payloads):
    r = ctl.peer("--epoch", str(epoch), ctl.shm_name, "protect", group, *payloads)
    return r.stdout.split()


def unprotect(ctl, group, epoch, *msgs):
    """(exit code, [(leaf, payload hex)] or the drop reason)."""
    r = ctl.peer("--epoch", str(epoch), ctl.shm_name, "unprotect", group, *msgs, check=False)
    assert r.returncode in (0, 1), (r.returncode, r.stdout, r.stderr)
    lines = r.stdout.splitlines()
    if r.returncode == 1:
        assert lines and lines[-1].startswith("drop "), r.stdout
        return 1, lines[-1].split()[1]
    return 0, [(int(l.split()[0]), l.split()[1]) for l in lines]


def test_two_control_processes_form_a_group(pair):
    a, b = pair
    # A makes the group and adds B: B's KeyPackage, A's Commit, the Welcome to B.
    sa = a.mls("create", "grp", "--peer", b.server)
    assert sa["epoch"] == 1 and sa["ownLeaf"] == 0, sa
    assert [m["identity"] for m in sa["members"]] == ["bridge-A", "bridge-B"], sa
    assert not sa.get("undelivered"), sa
    sb = b.mls("get", "grp")
    assert sb["epoch"] == 1 and sb["ownLeaf"] == 1, sb
    assert sb["epochAuthenticator"] == sa["epochAuthenticator"]
    assert len(sa["epochAuthenticator"]) == 64
    assert {m["identity"]: m["endpoint"] for m in sb["members"]} == \
        {"bridge-A": a.server, "bridge-B": b.server}, sb
    # The same group twice: ALREADY_EXISTS (exit 3); an unknown group: NOT_FOUND (4).
    assert a.cli("mls", "create", "grp").returncode == 3
    assert b.cli("mls", "get", "nothing").returncode == 4

    # The data plane's view: A's epoch record protects, B's opens, and the reverse.
    hello, world = b"hello from A".hex(), b"world".hex()
    msgs = protect(a, "grp", 1, hello, world)
    assert len(msgs) == 2 and msgs[0] != msgs[1]
    assert unprotect(b, "grp", 1, *msgs) == (0, [(0, hello), (0, world)])
    back = protect(b, "grp", 1, b"hello from B".hex())
    assert unprotect(a, "grp", 1, *back) == (0, [(1, b"hello from B".hex())])
    # A replay inside one receiver, and A's own message reflected back to A.
    assert unprotect(b, "grp", 1, msgs[0], msgs[0]) == (1, "generation_gone")
    assert unprotect(a, "grp", 1, msgs[0]) == (1, "unknown_sender")

    # An update Commit from A: both at epoch 2, a new common authenticator.
    ua = a.mls("update", "grp")
    assert ua["epoch"] == 2 and not ua.get("undelivered"), ua
    ub = b.mls("get", "grp")
    assert ub["epoch"] == 2 and ub["epochAuthenticator"] == ua["epochAuthenticator"]
    assert ua["epochAuthenticator"] != sa["epochAuthenticator"]
    # Messages of epoch 1 are refused by the new state; epoch 2 ones open.
    assert unprotect(b, "grp", 2, msgs[0]) == (1, "wrong_epoch")
    assert unprotect(a, "grp", 2, *back) == (1, "wrong_epoch")
    new = protect(a, "grp", 2, hello)
    assert unprotect(b, "grp", 2, *new) == (0, [(0, hello)])
    # B commits too (its own UpdatePath): A follows to epoch 3.
    assert b.mls("update", "grp")["epoch"] == 3
    assert a.mls("get", "grp")["epoch"] == 3
    new = protect(b, "grp", 3, world)
    assert unprotect(a, "grp", 3, *new) == (0, [(1, world)])

    # A tampered message: one bit of the content ciphertext, or of the sender data.
    raw = bytearray.fromhex(protect(a, "grp", 3, hello)[0])
    for pos, reasons in ((len(raw) - 1, {"content_auth"}),
                         (len(raw) // 2, {"content_auth", "sender_data_auth", "malformed"})):
        t = bytearray(raw)
        t[pos] ^= 0x01
        code, why = unprotect(b, "grp", 3, t.hex())
        assert code == 1 and why in reasons, (pos, why)
    assert unprotect(b, "grp", 3, raw.hex()) == (0, [(0, hello)])


def test_crossed_creates_do_not_deadlock(pair):
    """A asks B for a KeyPackage while B asks A: neither waits on the other."""
    a, b = pair
    ca = subprocess.Popen([CLI, "--server", a.server, "--json", "mls", "create", "ab",
                           "--peer", b.server], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    cb = subprocess.Popen([CLI, "--server", b.server, "--json", "mls", "create", "ba",
                           "--peer", a.server], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    try:
        oa, ea = ca.communicate(timeout=20)
        ob, eb = cb.communicate(timeout=20)
    finally:
        for c in (ca, cb):
            if c.poll() is None:
                c.kill()
                c.wait()
    assert ca.returncode == 0 and cb.returncode == 0, (ea, eb)
    assert json.loads(oa)["epoch"] == 1 and json.loads(ob)["epoch"] == 1
    assert {g["group"] for g in a.mls("list")["groups"]} == {"ab", "ba"}
    assert {g["group"] for g in b.mls("list")["groups"]} == {"ab", "ba"}
    # Both records are in each snapshot.
    for ctl in (a, b):
        for g in ("ab", "ba"):
            r = ctl.peer("--epoch", "1", ctl.shm_name, "show", g)
            assert r.stdout.startswith("epoch 1 "), r.stdout


def test_unreachable_peer_changes_nothing(pair):
    a, b = pair
    port = b.port
    b.close()
    r = a.cli("mls", "create", "lonely", "--peer", f"127.0.0.1:{port}")
    assert r.returncode == 5, r.stderr  # UNAVAILABLE
    assert "no KeyPackage" in r.stderr
    assert a.cli("mls", "get", "lonely").returncode == 4


def test_dataplane_accepts_snapshots_with_the_mls_table(dataplane):
    """The data plane's snapshot checks (policy_view_init) ignore the MLS table."""
    procs = []
    try:
        procs.append(MlsControl("A", shm_name=dataplane.shm_name))
        procs.append(MlsControl("B"))
        a, b = procs
        a.mls("create", "dp", "--peer", b.server)
        b.mls("update", "dp")
        # Three publications: the policy, then epochs 1 and 2 of the group (each
        # waits for the data plane to take the one before).
        deadline = time.monotonic() + 5
        while True:
            r = a.cli("status")
            assert r.returncode == 0, r.stderr
            epoch = json.loads(r.stdout)["epoch"]
            pol = dataplane.telemetry.query("/slimbridge/policy")
            if (epoch >= 3 and pol["acked_epoch"] == epoch) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert epoch >= 3 and pol["acked_epoch"] == epoch and pol["refused"] == 0, (epoch, pol)
        # A data plane attached: the records are still read (mls-shm-peer writes nothing).
        msgs = protect(a, "dp", 2, b"via the data plane's snapshot".hex())
        assert unprotect(b, "dp", 2, *msgs)[0] == 0
    finally:
        for p in procs:
            p.close()
