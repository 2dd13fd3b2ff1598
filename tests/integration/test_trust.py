"""Trust establishment between two bridges' control processes (issue 10), end
to end: bridge A (a.example) and bridge B (b.example) each run
slimbridge-control with a bridge key (--bridge-key, its JWK printed by
--print-bridge-jwk and put in its own SPIFFE bundle, served at
--bundle-listen), and each runs `slimbridge trust add` for the other. The
seal group then forms over the control APIs (A creates it: its trust domain
sorts lower) and both publish a READY SEALS entry with the same group, epoch
and exported secret (read from the snapshots with build/tests/shm-seals, as
the data plane reads them). With --mls off the mode is AES, with --mls on
MLS (and the group's epoch record is in the MLS table). A peer whose bundle
has no bridge key, or another one, never gets a seal. A rekey by interval
moves both to the same new epoch with the previous secret kept as prev.
Revoking drops the entry from the snapshot by the time the CLI returns; a
re-add makes a new group. A restarted joiner gets a new group. `trust get`
shows the seal and says when no data plane runs.

No data plane is started: the seal is between the control processes, and
the SEALS table is checked where the data plane would read it.

Waits are polls with a deadline; nothing asserts how long anything took."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from sbtest import BUILD, CLI, CONTROL, Process, unique

SHM_SEALS = os.path.join(BUILD, "tests", "shm-seals")
DEADLINE = 20.0

serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")
ec = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ec")


def poll(what, fn, timeout=DEADLINE):
    """fn() until it returns something true; its last value, or an AssertionError."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"{what}: not in {timeout} s (last: {last!r})")


def make_key(path):
    """A P-256 private key in PEM (PKCS#8), as an operator would make one."""
    k = ec.generate_private_key(ec.SECP256R1())
    with open(path, "wb") as f:
        f.write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()))


def bridge_jwk(key):
    """The JWK slimbridge-control prints for |key| (--print-bridge-jwk)."""
    r = subprocess.run([CONTROL, "--bridge-key", key, "--print-bridge-jwk"], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 0, r.stderr
    jwk = json.loads(r.stdout)
    assert jwk["use"] == "slimbridge-bridge" and jwk["kty"] == "EC" and jwk["crv"] == "P-256"
    assert jwk["kid"].startswith("sb-bridge-") and "d" not in jwk
    return jwk


def write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


class Bridge:
    """One bridge's control process: trust domain, bridge key, bundle (served)."""

    def __init__(self, tag, td, tmp, shm_name=None):
        self.tag, self.td, self.tmp = tag, td, tmp
        self.shm_name = shm_name or unique(tag)
        self.db = os.path.join(tmp, f"{tag}.db")
        self.key = os.path.join(tmp, f"{tag}.pem")
        self.bundle_file = os.path.join(tmp, f"{tag}.json")
        make_key(self.key)
        self.jwk = bridge_jwk(self.key)
        self.seq = 0
        self.set_bundle([self.jwk])
        self.proc = None
        self.api_port = self.bundle_port = 0	# picked at the first start, kept after
        self.start()

    def set_bundle(self, bridge_jwks):
        """Our bundle: a jwt-svid key and |bridge_jwks|, with a new sequence."""
        self.seq += 1
        svid = {"kty": "EC", "crv": "P-256", "use": "jwt-svid", "kid": f"{self.tag}-svid",
                "x": self.jwk["x"], "y": self.jwk["y"]}
        write(self.bundle_file, json.dumps({"spiffe_sequence": self.seq, "spiffe_refresh_hint": 1,
                                            "keys": [svid, *bridge_jwks]}))

    def start(self):
        self.proc = Process([CONTROL, "--shm-name", self.shm_name, "--db", self.db, "--port",
                             str(self.api_port), "--mls-identity", f"bridge-{self.tag}",
                             "--trust-domain", self.td, "--bundle-file", self.bundle_file,
                             "--bundle-listen", f"127.0.0.1:{self.bundle_port}",
                             "--bridge-key", self.key])
        if not self.proc.wait_for("bundle of", timeout=10):
            self.close()
            raise AssertionError("control did not start:\n" + self.log())
        api = [l for l in self.proc.lines if "API on" in l][-1]
        self.api_port = int(api.rsplit(' ', 1)[1])
        self.api = f"127.0.0.1:{self.api_port}"
        served = [l for l in self.proc.lines if "bundle of" in l][-1]
        self.bundle_port = int(served.rsplit(' ', 1)[1].rstrip(')'))
        self.bundle_url = f"http://127.0.0.1:{self.bundle_port}/bundle"

    def log(self):
        return "\n".join(self.proc.lines)

    def cli(self, *args, timeout=30):
        return subprocess.run([CLI, "--server", self.api, *args], capture_output=True, text=True,
                              timeout=timeout)

    def trust_add(self, peer, *extra):
        r = self.cli("trust", "add", f"external:{peer.tag}", "--trust-domain", peer.td,
                     "--bundle-endpoint", peer.bundle_url, "--endpoint", "127.0.0.1:46357",
                     "--control-endpoint", peer.api, "--transport", "grpc", *extra)
        assert r.returncode == 0, r.stderr
        return r.stdout

    def status(self, tid):
        r = self.cli("trust", "get", tid, "--json")
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)["trusts"][0]

    def groups(self):
        """The MLS groups this control process is in (mls list)."""
        r = self.cli("--json", "mls", "list")
        assert r.returncode == 0, r.stderr
        return [g["group"] for g in json.loads(r.stdout).get("groups", [])]

    def seals(self):
        """{trust id: SEALS entry} of the published snapshot ({} without a table)."""
        r = subprocess.run([SHM_SEALS, self.shm_name], capture_output=True, text=True, timeout=10)
        if r.returncode == 3 and "no SEALS table" in r.stderr:
            return {}
        assert r.returncode == 0, (r.returncode, r.stderr)
        lines = [json.loads(l) for l in r.stdout.splitlines()]
        assert lines[0]["seals"] == len(lines) - 1
        for e in lines[1:]:
            assert e["index_ok"], e		# the trust index of the same snapshot
        return {e["trust"]: e for e in lines[1:]}

    def stop(self):
        self.proc.stop(signal.SIGTERM)

    def close(self):
        if self.proc is not None:
            self.proc.stop(signal.SIGTERM)
            if self.proc.p.poll() is None:
                self.proc.stop(signal.SIGKILL)
        for suffix in (".policy", ".audit"):
            try:
                os.unlink(f"/dev/shm/{self.shm_name}{suffix}")
            except FileNotFoundError:
                pass


def make_pair(a_shm_name=None):
    """Bridges A (a.example, the creator) and B (b.example), each with a tenant."""
    tmp = tempfile.mkdtemp(prefix="sbtrust")
    bridges = []
    try:
        a = Bridge("ta", "a.example", tmp, shm_name=a_shm_name)
        bridges.append(a)
        b = Bridge("tb", "b.example", tmp)
        bridges.append(b)
        for x in bridges:
            r = subprocess.run([CLI, "--server", x.api, "apply", "-f", "-"], capture_output=True,
                               text=True, timeout=30,
                               input=f"tenants:\n  - {{id: {x.tag}, trustDomain: {x.td}}}\n")
            assert r.returncode == 0, r.stderr
        yield a, b
    finally:
        for x in bridges:
            x.close()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def pair():
    yield from make_pair()


def ready_both(a, b, min_epoch=1):
    """Both seals READY in the snapshots, same group and epoch: (A's entry, B's entry)."""
    def check():
        sa, sb = a.seals().get("ta-tb"), b.seals().get("tb-ta")
        if sa and sb and sa["state"] == sb["state"] == "ready" and sa["group"] == sb["group"] \
                and sa["epoch"] == sb["epoch"] and sa["epoch"] >= min_epoch:
            return sa, sb
        return None
    return poll("the seal READY on both bridges", check)


def test_seal_established_aes_then_mls(pair):
    a, b = pair
    assert "trust ta-tb created" in a.trust_add(b, "--mls", "off")
    assert "trust tb-ta created" in b.trust_add(a, "--mls", "off")
    sa, sb = ready_both(a, b)
    assert sa["group"].startswith("sbseal:a.example|b.example:")
    assert sa["mode"] == sb["mode"] == "aes"
    # The same exported secret on both sides; each names the other's leaf.
    assert sa["secret"] == sb["secret"] and sa["secret"] != "00" * 32
    assert (sa["own_leaf"], sa["peer_leaf"]) == (sb["peer_leaf"], sb["own_leaf"])
    assert sa["peer_td"] == "b.example" and sb["peer_td"] == "a.example"
    assert (sa["family"], sa["addr"], sa["port"]) == (4, "127.0.0.1", 46357)
    assert sa["rekey_messages"] == 1000000 and not sa["mls_record"] and not sb["mls_record"]

    st = a.status("ta-tb")
    assert st["seal"]["state"] == "ready" and st["seal"]["role"] == "creator"
    assert st["seal"]["group"] == sa["group"] and st["seal"]["epoch"] == sa["epoch"]
    assert st["bridgeKeys"] == 1
    assert b.status("tb-ta")["seal"]["epochAuthenticator"] == st["seal"]["epochAuthenticator"]
    assert st["bridge"]["running"] is False
    text = a.cli("trust", "get", "ta-tb").stdout
    assert "seal: ready" in text and sa["group"] in text
    assert "the data plane is not running" in text and f"{a.shm_name}.bridge" in text
    listing = a.cli("trust", "list").stdout
    assert "ta-tb external:tb b.example state established seal ready mode aes" in listing

    # The operator cannot touch a seal group through the mls commands.
    r = a.cli("mls", "leave", sa["group"])
    assert r.returncode == 3 and "seal group" in r.stderr
    assert a.cli("mls", "get", sa["group"]).returncode == 0

    # --mls on: the same group now seals MLS application messages; its epoch
    # record is in the MLS table on both sides.
    a.trust_add(b, "--mls", "on")
    b.trust_add(a, "--mls", "on")
    poll("mode mls with the MLS record on both",
         lambda: all(s.get(t, {}).get("mode") == "mls" and s[t]["mls_record"]
                     for s, t in ((a.seals(), "ta-tb"), (b.seals(), "tb-ta"))))
    sa, sb = ready_both(a, b)
    assert sa["secret"] == sb["secret"]


def test_rekey_by_interval_keeps_previous(pair):
    a, b = pair
    a.trust_add(b)
    b.trust_add(a)
    sa, _ = ready_both(a, b)
    first = sa["epoch"]
    secrets = {}

    def seen():
        for e in (a.seals().get("ta-tb"), b.seals().get("tb-ta")):
            if e:
                secrets.setdefault(e["epoch"], e["secret"])
                assert secrets[e["epoch"]] == e["secret"]   # one secret per epoch, both sides
        return False

    a.trust_add(b, "--rekey-interval", "1")
    end = time.monotonic() + 4
    while time.monotonic() < end:
        seen()
        time.sleep(0.05)
    a.trust_add(b, "--rekey-interval", "0")
    sa, sb = ready_both(a, b, first + 2)
    seen()
    for e in (sa, sb):
        assert e["prev_epoch"] == e["epoch"] - 1
        if e["prev_epoch"] in secrets:
            assert e["prev_secret"] == secrets[e["prev_epoch"]]
    assert sa["prev_secret"] == sb["prev_secret"]
    # The committer stops sending with the previous epoch once the peer has the new one.
    poll("send-prev cleared", lambda: not a.seals()["ta-tb"]["send_prev"])
    st = a.status("ta-tb")["seal"]
    assert st["rekeys"] >= 2 and st["lastRekeyReason"] == "interval"
    assert "rekey (interval)" in a.log()
    assert "(the peer's commit)" in b.log()


def test_revoke_drops_seal_at_once_and_readd_makes_new_group(pair):
    a, b = pair
    a.trust_add(b)
    b.trust_add(a)
    old, _ = ready_both(a, b)
    r = a.cli("trust", "revoke", "ta-tb")
    assert r.returncode == 0, r.stderr
    # No wait: the snapshot published by the time the CLI answered has no seal.
    assert "ta-tb" not in a.seals()
    st = a.status("ta-tb")
    assert st["trust"]["state"] == "revoked" and st["seal"]["state"] == "none"
    assert "revoked" in st["seal"]["reason"]
    assert "left at epoch" in a.log()
    # A re-add is a new group (a new incarnation); B drops the old one.
    a.trust_add(b)
    new, _ = ready_both(a, b)
    assert new["group"] != old["group"] and new["epoch"] == 1
    poll("only the new group at B", lambda: b.groups() == [new["group"]])
    # Delete: the seal and the group go.
    r = b.cli("trust", "delete", "tb-ta")
    assert r.returncode == 0, r.stderr
    poll("B's seal gone", lambda: "tb-ta" not in b.seals())
    poll("B's group gone", lambda: b.groups() == [])


def test_peer_without_its_bridge_key_never_sealed(pair):
    a, b = pair
    b.set_bundle([])     # B's bundle has no bridge key
    a.trust_add(b)
    b.trust_add(a)
    poll("A says why", lambda: "no slimbridge-bridge key" in
         a.status("ta-tb")["seal"].get("reason", ""))
    poll("B says why", lambda: "our bundle" in b.status("tb-ta")["seal"].get("reason", ""))
    # Another key than B's: A refuses B's KeyPackage, nothing is published.
    other = os.path.join(b.tmp, "other.pem")
    make_key(other)
    b.set_bundle([bridge_jwk(other)])
    poll("A refuses B's KeyPackage", lambda: "not a slimbridge-bridge key" in
         a.status("ta-tb")["seal"].get("lastError", ""))
    end = time.monotonic() + 2
    while time.monotonic() < end:
        assert "ta-tb" not in a.seals() and "tb-ta" not in b.seals()
        time.sleep(0.1)
    # B's own key in its bundle: the seal forms (the refusals were about the key).
    b.set_bundle([b.jwk])
    ready_both(a, b)


def test_restarted_joiner_gets_a_new_group(pair):
    a, b = pair
    a.trust_add(b)
    b.trust_add(a)
    old, _ = ready_both(a, b)
    b.stop()
    b.start()
    new, _ = ready_both(a, b)
    assert new["group"] != old["group"]
    assert "does not have it" in a.log()


def test_cli_help_lists_trust_commands():
    r = subprocess.run([CLI, "--help"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0
    for cmd in ("trust add ORG --trust-domain TD --bundle-endpoint URL --endpoint HOST:PORT",
                "trust list", "trust get ID", "trust revoke ID", "trust delete ID"):
        assert cmd in r.stdout, cmd
    r = subprocess.run([CONTROL, "--help"], capture_output=True, text=True, timeout=10)
    assert "--bridge-key FILE" in r.stdout and "--print-bridge-jwk" in r.stdout


def reader_token(shm_name):
    """The data plane's reader_token from /dev/shm/NAME.status (proto/shm/shm_abi.h)."""
    with open(f"/dev/shm/{shm_name}.status", "rb") as f:
        st = f.read(64)
    return int.from_bytes(st[52:56], "little")


def test_dataplane_attached(dataplane):
    """A data plane on A's shm name: the MLS-mode seal's epoch is made for its
    reader_token, it takes the snapshots with the SEALS table (none refused),
    `trust get` shows its circuit breaker and link for the trust, and a
    restarted data plane gets a new epoch."""
    gen = make_pair(a_shm_name=dataplane.shm_name)
    a, b = next(gen)
    try:
        a.trust_add(b, "--mls", "on")
        b.trust_add(a, "--mls", "on")
        sa, sb = ready_both(a, b)
        token = reader_token(dataplane.shm_name)
        assert token != 0
        poll("A's epoch made for this data plane",
             lambda: a.seals()["ta-tb"]["dp_token"] == token)
        sa, sb = ready_both(a, b)
        assert sa["mode"] == "mls" and sa["mls_record"] and sa["secret"] == sb["secret"]

        def taken():
            st = json.loads(a.cli("--json", "status").stdout)
            pol = dataplane.telemetry.query("/slimbridge/policy")
            assert pol["refused"] == 0 and pol["error"] == "", pol
            return pol["acked_epoch"] == st["epoch"]
        poll("the data plane takes A's snapshot with the seal", taken)
        br = poll("the data plane's slot for the trust",
                  lambda: a.status("ta-tb")["bridge"].get("breaker"))
        assert br == "closed"
        st = a.status("ta-tb")["bridge"]
        assert st["running"] and st["link"] in ("down", "connecting", "up", "none")
        text = a.cli("trust", "get", "ta-tb").stdout
        assert "circuit breaker: closed" in text and "link: " in text
        # B has no data plane: said so.
        assert "not running" in b.cli("trust", "get", "tb-ta").stdout
        # A restarted data plane never seals with an MLS epoch made for the
        # previous one: A rekeys for it (reason "data plane"), B follows.
        before = a.seals()["ta-tb"]["epoch"]
        dataplane.stop()
        dataplane.ns.delete()
        dataplane.ns = None
        dataplane.start()
        new_token = reader_token(dataplane.shm_name)
        assert new_token not in (0, token)
        poll("A's epoch made for the new data plane",
             lambda: a.seals()["ta-tb"]["dp_token"] == new_token)
        sa, sb = ready_both(a, b, before + 1)
        assert sa["prev_epoch"] == sa["epoch"] - 1 and sa["secret"] == sb["secret"]
        assert a.status("ta-tb")["seal"]["lastRekeyReason"] == "data plane"
    finally:
        gen.close()


def test_two_trusts_share_one_group(pair):
    """Two of A's tenants trust B's trust domain: one seal group (held by the
    trust with the smaller id), one SEALS entry per trust with its own index;
    when the holder goes, the other makes the group anew."""
    a, b = pair
    r = subprocess.run([CLI, "--server", a.api, "apply", "-f", "-"], capture_output=True,
                       text=True, timeout=30, input="tenants:\n  - {id: tz, trustDomain: z.example}\n")
    assert r.returncode == 0, r.stderr
    a.trust_add(b, "--tenant", "ta")
    a.trust_add(b, "--tenant", "tz")
    b.trust_add(a)
    sa, sb = ready_both(a, b)

    def both():
        s = a.seals()
        return len(s) == 2 and s.get("tz-tb", {}).get("state") == "ready" and s
    s = poll("both of A's trusts sealed", both)
    assert s["tz-tb"]["group"] == s["ta-tb"]["group"] == sb["group"]
    assert s["tz-tb"]["secret"] == s["ta-tb"]["secret"]
    assert s["tz-tb"]["index"] != s["ta-tb"]["index"]
    assert len(a.groups()) == 1
    assert "shared with trust ta-tb" in a.status("tz-tb")["seal"]["role"]
    r = a.cli("trust", "delete", "ta-tb")
    assert r.returncode == 0, r.stderr
    new = poll("tz-tb holds a new group",
               lambda: (a.seals().get("tz-tb", {}).get("group") not in (None, sa["group"])
                        and b.seals().get("tb-ta", {}).get("group") ==
                        a.seals()["tz-tb"]["group"] and a.seals()["tz-tb"]))
    assert new["state"] == "ready" and list(a.seals()) == ["tz-tb"]
