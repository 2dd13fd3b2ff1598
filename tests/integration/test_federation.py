"""SPIFFE federation between two control processes (issue 9), end to end:
control A serves its trust bundle (--bundle-file, --bundle-listen); control B
has a trust relationship whose bundleEndpoint is A's endpoint and fetches it
on its refresh hint. A new sequence reaches B; a lower one is refused and
logged; with A down B keeps the last good bundle, counts the failures and
backs off; an operator override is current until the next good fetch; the
bundles survive B's restart (store); an invalid document is refused with the
reason; a revoked trust drops the bundle; a bundle not refreshed for
--bundle-max-stale leaves the snapshot and comes back with the next good
fetch. Every step that B takes is checked in the snapshot B publishes too
(build/tests/shm-bundles: the BUNDLES table, as the data plane reads it), and
a data plane attached to B takes those snapshots.

Waits are polls with a deadline; nothing asserts how long anything took."""
import base64
import http.client
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest

from sbtest import BUILD, CLI, CONTROL, Process, unique

SHM_BUNDLES = os.path.join(BUILD, "tests", "shm-bundles")
DEADLINE = 15.0

ec = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ec")

_keys = {}


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwk(kid):
    """A P-256 public JWK for JWT-SVIDs, the same key for the same kid."""
    if kid not in _keys:
        pub = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
        _keys[kid] = {"kty": "EC", "crv": "P-256", "use": "jwt-svid", "kid": kid,
                      "x": b64u(pub.x.to_bytes(32, "big")), "y": b64u(pub.y.to_bytes(32, "big"))}
    return _keys[kid]


def bundle(seq, hint, *kids):
    doc = {"keys": [jwk(k) for k in kids]}
    if seq is not None:
        doc["spiffe_sequence"] = seq
    if hint is not None:
        doc["spiffe_refresh_hint"] = hint
    return json.dumps(doc, indent=1) + "\n"


def write(path, text):
    """Replaces |path| at once, as SPIRE does (rename)."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


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


class Ctl:
    """slimbridge-control on its own shm name, database and API port."""

    def __init__(self, tag, *args, tmp=None, shm_name=None):
        self.tag = tag
        self.args = list(args)
        self.shm_name = shm_name or unique(tag)
        self.own_tmp = tmp is None
        self.tmp = tmp or tempfile.mkdtemp(prefix="sbfed")
        self.db = os.path.join(self.tmp, f"{tag}.db")
        self.proc = None
        self.start()

    def start(self):
        self.proc = Process([CONTROL, "--shm-name", self.shm_name, "--db", self.db, "--port",
                             "0", "--mls-identity", f"bridge-{self.tag}", *self.args])
        if not self.proc.wait_for("deliveries at", timeout=10):
            self.close()
            raise AssertionError("control did not start:\n" + self.log())
        line = [l for l in self.proc.lines if "API on" in l][-1]
        self.server = f"127.0.0.1:{int(line.rsplit(' ', 1)[1])}"

    def log(self):
        return "\n".join(self.proc.lines)

    def cli(self, *args, stdin=None, timeout=40):
        return subprocess.run([CLI, "--server", self.server, *args], input=stdin,
                              capture_output=True, text=True, timeout=timeout)

    def apply(self, text):
        r = self.cli("apply", "-f", "-", stdin=text)
        assert r.returncode == 0, r.stderr

    def bundle(self, td):
        """BundleGet as JSON, or None when there is no such trust domain."""
        r = self.cli("bundle", "get", td, "--json")
        if r.returncode == 4:
            return None
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def published(self):
        """The BUNDLES table of the published snapshot: {td: entry}."""
        r = subprocess.run([SHM_BUNDLES, self.shm_name], capture_output=True, text=True,
                           timeout=10)
        assert r.returncode == 0, (r.returncode, r.stderr)
        lines = [json.loads(l) for l in r.stdout.splitlines()]
        assert lines[0]["bundles"] == len(lines) - 1
        return {e["td"]: e for e in lines[1:]}

    def stop(self):
        rc, _ = self.proc.stop(signal.SIGTERM)
        return rc

    def close(self):
        if self.proc is not None:
            self.proc.stop(signal.SIGTERM)
            if self.proc.p.poll() is None:
                self.proc.stop(signal.SIGKILL)
        try:
            os.unlink(f"/dev/shm/{self.shm_name}.policy")
        except FileNotFoundError:
            pass
        if self.own_tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


def trust_yaml(url, state="established"):
    return ("tenants:\n"
            "  - {id: tb, trustDomain: b.example}\n"
            "trustRelationships:\n"
            "  - id: t-a\n"
            "    tenant: tb\n"
            "    organization: external:a\n"
            "    peerTrustDomain: a.example\n"
            f"    bundleEndpoint: {url}\n"
            f"    state: {state}\n")


class StaticServer:
    """An HTTP server on loopback answering every GET with |body| (changeable)."""

    def __init__(self, body):
        outer = self
        self.body = body
        self.status = 200

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                data = outer.body.encode()
                self.send_response(outer.status)
                if outer.status == 302:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/bundle"
        self.t = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.t.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def http_get(port, path, method="GET"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request(method, path)
        r = c.getresponse()
        return r.status, r.getheader("Content-Type"), r.read()
    finally:
        c.close()


@pytest.fixture
def procs():
    made = []
    try:
        yield made
    finally:
        for p in made:
            p.close()


def test_bundle_endpoint_and_refresh(procs, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}/bundle"
    fa = str(tmp_path / "a-bundle.json")
    write(fa, bundle(1, 1, "k1"))
    a = Ctl("A", "--trust-domain", "a.example", "--bundle-file", fa, "--bundle-listen",
            f"127.0.0.1:{port}")
    procs.append(a)
    assert f"served at 127.0.0.1:{port} (port {port})" in a.log()

    # A's endpoint: the file as it is, application/json; HEAD; 404; 405.
    with open(fa, "rb") as f:
        doc1 = f.read()
    for path in ("/bundle", "/"):
        assert http_get(port, path) == (200, "application/json", doc1)
    status, ctype, body = http_get(port, "/bundle", "HEAD")
    assert (status, ctype, body) == (200, "application/json", b"")
    assert http_get(port, "/nothing")[0] == 404
    assert http_get(port, "/bundle", "POST")[0] == 405
    # A publishes its own bundle to its data plane too.
    own = poll("A's own bundle in its snapshot", lambda: a.published().get("a.example"))
    assert (own["sequence"], own["keys"]) == (1, 1)

    b = Ctl("B", "--bundle-retry-min", "250", tmp=str(tmp_path))
    procs.append(b)
    # Nothing federated yet: no BUNDLES table at all (the snapshots are as before).
    r = subprocess.run([SHM_BUNDLES, b.shm_name], capture_output=True, text=True, timeout=10)
    assert r.returncode == 3 and "no BUNDLES table" in r.stderr, (r.returncode, r.stderr)
    b.apply(trust_yaml(url))

    # B fetches it: sequence 1, in B's snapshot.
    got = poll("B has sequence 1", lambda: (x := b.bundle("a.example")) and
               x.get("sequence") == 1 and x)
    assert got["source"] == "fetch" and got["keys"] == 1 and got["published"], got
    assert got["document"].encode() == doc1 and got["trust"] == "t-a" and got["url"] == url
    r = b.cli("bundle", "get", "a.example")
    assert r.returncode == 0 and "sequence: 1\n" in r.stdout, r.stdout
    assert "slimbridge-control: bundle a.example: sequence none -> 1, 1 keys (from " + url in \
        b.log()
    poll("sequence 1 in B's snapshot",
         lambda: b.published().get("a.example", {}).get("sequence") == 1)

    # Sequence 2 with a new key: B follows on the refresh hint (1 s).
    write(fa, bundle(2, 1, "k1", "k2"))
    got = poll("B has sequence 2", lambda: (x := b.bundle("a.example")) and
               x.get("sequence") == 2 and x)
    assert got["keys"] == 2 and got["failures"] == 0, got
    assert "bundle a.example: sequence 1 -> 2, 2 keys (from " + url + "); kids k1 k2" in b.log()
    pub = poll("sequence 2 in B's snapshot",
               lambda: (e := b.published().get("a.example")) and e["sequence"] == 2 and e)
    assert pub["keys"] == 2

    # A goes back to sequence 1: A serves it (its file is the authority, logged), B refuses it.
    write(fa, bundle(1, 1, "k1"))
    poll("A logs the sequence going backwards", lambda: "sequence 2 -> 1" in a.log() and
         "the sequence went backwards" in a.log())
    got = poll("B refuses sequence 1", lambda: (x := b.bundle("a.example")) and
               "older than the current 2" in x.get("lastError", "") and x)
    assert got["sequence"] == 2 and got["failures"] >= 1 and got["published"], got
    assert "refused: sequence 1 is older than the current 2" in b.log()
    assert b.published()["a.example"]["sequence"] == 2

    # Sequence 3 with a 5 s hint: taken; the failures reset.
    write(fa, bundle(3, 5, "k2", "k3"))
    got = poll("B has sequence 3", lambda: (x := b.bundle("a.example")) and
               x.get("sequence") == 3 and x)
    assert got["failures"] == 0 and "lastError" not in got and got["refreshHint"] == 5, got
    assert got["intervalMs"] == 5000, got

    # A stops: B keeps sequence 3, counts the failures and backs off: 250 ms doubling,
    # at most the refresh interval (5 s).
    assert a.stop() == 0
    seen = {}

    def backoff():
        x = b.bundle("a.example")
        if x["failures"] > 0:
            seen.setdefault(x["failures"], []).append(x)
        return x["failures"] >= 4 and x

    got = poll("B backs off", backoff, timeout=30)
    waiting = 0
    for f, xs in seen.items():
        for x in xs:
            assert x["intervalMs"] == min(250 * 2 ** (f - 1), 5000), (f, x)
            if x.get("refreshing"):
                # The next attempt is in flight: it started at lastAttemptMs, and the
                # next one is scheduled when it ends.
                assert "nextRefreshMs" not in x, x
            else:
                assert x["nextRefreshMs"] >= x["lastAttemptMs"] + x["intervalMs"], x
                waiting += 1
            assert x["sequence"] == 3 and x["published"] and x["source"] == "fetch", x
            assert "connect" in x["lastError"].lower(), x
    assert waiting > 0, seen
    assert "refresh from " + url + " failed" in b.log()
    assert b.published()["a.example"]["sequence"] == 3

    # The operator's override: validated, current (and published) until the next good fetch.
    ov = str(tmp_path / "override.json")
    write(ov, bundle(7, 5, "ko"))
    r = b.cli("bundle", "set", "a.example", ov, "--json")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert (got["source"], got["sequence"], got["keys"]) == ("override", 7, 1), got
    assert b.published()["a.example"]["sequence"] == 7
    assert "bundle a.example: sequence 3 -> 7, 1 keys (operator override); kids ko" in b.log()
    bad = str(tmp_path / "bad.json")
    write(bad, '{"keys": "none"}')
    r = b.cli("bundle", "set", "a.example", bad)
    assert r.returncode == 3 and "INVALID_ARGUMENT: not a valid bundle" in r.stderr, r.stderr
    r = b.cli("bundle", "set", "z.example", ov)
    assert r.returncode == 3 and "FAILED_PRECONDITION" in r.stderr, r.stderr
    assert b.bundle("a.example")["sequence"] == 7

    # A is back (sequence 3): the next good fetch replaces the override, lower sequence or not.
    a.start()
    got = poll("the fetch replaces the override", lambda: (x := b.bundle("a.example")) and
               x.get("source") == "fetch" and x)
    assert got["sequence"] == 3 and got["failures"] == 0, got
    poll("sequence 3 in B's snapshot again",
         lambda: b.published().get("a.example", {}).get("sequence") == 3)

    # B restarts: the bundle comes back from the store and is published at once.
    assert b.stop() == 0
    b.start()
    assert "bundle a.example: sequence 3, 2 keys, from the store (fetch" in b.log()
    assert b.published()["a.example"]["sequence"] == 3
    assert b.bundle("a.example")["sequence"] == 3
    r = b.cli("changes")
    assert "bundle a.example" in r.stdout, r.stdout

    # A document that is no bundle: refused with the reason; B keeps sequence 3.
    srv = StaticServer('{"spiffe_sequence": 9, "keys": {"not": "an array"}}')
    try:
        b.apply(trust_yaml(srv.url))
        got = poll("B refuses the invalid document", lambda: (x := b.bundle("a.example")) and
                   x.get("url") == srv.url and "not a valid bundle" in x.get("lastError", "")
                   and x)
        assert got["sequence"] == 3 and got["published"], got
        assert "failed: not a valid bundle" in b.log()
        # BundleRefresh answers once its fetch is over, with the outcome.
        r = b.cli("bundle", "refresh", "a.example", "--json")
        assert r.returncode == 0, r.stderr
        got = json.loads(r.stdout)
        assert "not a valid bundle" in got["lastError"] and got["sequence"] == 3, got
        # A redirect is not followed; a response over 256 KiB is cut off.
        srv.status = 302
        got = json.loads(b.cli("bundle", "refresh", "a.example", "--json").stdout)
        assert got["lastError"] == "HTTP status 302 (redirects are not followed)", got
        srv.status = 200
        srv.body = bundle(11, 5, "k9")[:-2] + ', "pad": "' + "x" * (256 << 10) + '"}'
        got = json.loads(b.cli("bundle", "refresh", "a.example", "--json").stdout)
        assert got["lastError"] == "the response is larger than 262144 bytes", got
        assert got["sequence"] == 3, got
        # A good one at the same endpoint: taken.
        srv.body = bundle(10, 5, "k9")
        r = b.cli("bundle", "refresh", "a.example", "--json")
        assert r.returncode == 0, r.stderr
        got = json.loads(r.stdout)
        assert (got["sequence"], got["failures"]) == (10, 0), got
    finally:
        srv.close()
    r = b.cli("bundle", "list")
    assert r.returncode == 0 and r.stdout.startswith("a.example peer source fetch sequence 10"), \
        r.stdout

    # The trust is revoked: polling stops, the bundle is dropped everywhere.
    b.apply(trust_yaml(srv.url, state="revoked"))
    poll("B drops the bundle", lambda: b.bundle("a.example") is None)
    assert "bundle a.example: dropped, polling stopped: trust 't-a' is revoked" in b.log()
    poll("nothing in B's snapshot", lambda: b.published() == {})
    assert "delete bundle a.example" in b.cli("changes").stdout


def test_stale_bundle_leaves_the_snapshot(procs, tmp_path):
    port = free_port()
    fa = str(tmp_path / "a-bundle.json")
    write(fa, bundle(4, 1, "k1"))
    a = Ctl("A", "--trust-domain", "a.example", "--bundle-file", fa, "--bundle-listen",
            f"127.0.0.1:{port}")
    procs.append(a)
    b = Ctl("B", "--bundle-retry-min", "200", "--bundle-max-stale", "2", tmp=str(tmp_path))
    procs.append(b)
    b.apply(trust_yaml(f"http://127.0.0.1:{port}/bundle"))
    poll("B has sequence 4", lambda: b.published().get("a.example", {}).get("sequence") == 4)

    assert a.stop() == 0
    got = poll("the stale bundle leaves the snapshot",
               lambda: (x := b.bundle("a.example")) and not x["published"] and x)
    assert got["sequence"] == 4 and got["failures"] > 0, got  # kept, not trusted
    # The status can say so a moment before the log line is written: polled, not read once.
    poll("B logs the drop", lambda: "bundle a.example: dropped from the snapshot: no good "
         "refresh for" in b.log())
    poll("nothing in B's snapshot", lambda: b.published() == {})
    r = b.cli("bundle", "list")
    assert "a.example peer source fetch sequence 4 keys 1 unpublished" in r.stdout, r.stdout

    a.start()
    poll("back in the snapshot", lambda: b.published().get("a.example", {}).get("sequence") == 4)
    assert b.bundle("a.example")["published"]
    poll("B logs the return", lambda: "bundle a.example: back in the snapshot (sequence 4)" in
         b.log())


def test_endpoint_that_never_answers(procs, tmp_path):
    """A bundle endpoint that takes the connection and never answers: the fetch is
    in flight (refreshing, no next refresh shown) until the transfer limit (10 s),
    then a failure with the reason and the backoff as for any other."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(8)
    held = []
    stop = threading.Event()

    def accept():
        lsock.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(lsock.accept()[0])
            except socket.timeout:
                pass

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        url = f"http://127.0.0.1:{lsock.getsockname()[1]}/bundle"
        b = Ctl("B", "--bundle-retry-min", "250", tmp=str(tmp_path))
        procs.append(b)
        b.apply(trust_yaml(url))
        got = poll("B's fetch in flight", lambda: (x := b.bundle("a.example")) and
                   x.get("refreshing") and x)
        assert "nextRefreshMs" not in got and got["failures"] == 0, got
        assert got["lastAttemptMs"] > 0 and "source" not in got, got
        r = b.cli("bundle", "get", "a.example")
        assert r.returncode == 0 and "next refresh: now (a fetch is in flight)" in r.stdout, \
            r.stdout
        got = poll("the fetch times out", lambda: (x := b.bundle("a.example")) and
                   x["failures"] >= 1 and x, timeout=30)
        assert "timeout" in got["lastError"].lower() or "timed out" in got["lastError"].lower(), got
        assert not got["published"] and "source" not in got, got
        if not got.get("refreshing"):
            assert got["nextRefreshMs"] >= got["lastAttemptMs"], got
        assert held, "the endpoint was never connected to"
    finally:
        stop.set()
        t.join()
        for c in held:
            c.close()
        lsock.close()


def test_own_bundle_file(procs, tmp_path):
    port = free_port()
    fa = str(tmp_path / "a-bundle.json")
    # No file yet: the control process starts, the endpoint answers 503.
    a = Ctl("A", "--trust-domain", "a.example", "--bundle-file", fa, "--bundle-listen",
            f"127.0.0.1:{port}")
    procs.append(a)
    assert "--bundle-file " + fa + " refused" in a.log()
    assert http_get(port, "/bundle")[0] == 503
    assert a.published() == {}  # our trust domain, no bundle yet: an empty table
    # It appears: read within about a second, served, published.
    doc = bundle(None, None, "k1")
    write(fa, doc)
    poll("A serves the file", lambda: http_get(port, "/bundle")[0] == 200)
    got = a.bundle("a.example")
    assert got["own"] and got["source"] == "file" and "sequence" not in got, got
    assert a.published()["a.example"]["sequence"] == 0  # no spiffe_sequence
    # An invalid file keeps the previous one, logged with the reason.
    write(fa, "{not json")
    poll("A refuses the invalid file", lambda: "not a valid bundle" in
         (a.bundle("a.example").get("lastError") or ""))
    assert got["document"] == doc
    assert http_get(port, "/bundle")[2] == doc.encode()
    # the log line may land a moment after the state the API reports
    poll("A logs the refusal", lambda: "refused: not a valid bundle" in a.log() and
         "keeping sequence none" in a.log())
    # Our own bundle is not the operator's to override.
    r = a.cli("bundle", "set", "a.example", fa)
    assert r.returncode == 3 and "own trust domain" in r.stderr, r.stderr
    r = a.cli("bundle", "get", "nobody.example")
    assert r.returncode == 4, r.stderr


def test_options_are_checked():
    for args, msg in ((["--bundle-file", "/nonexistent"], "needs --trust-domain"),
                      (["--trust-domain", "a.example", "--bundle-listen", "127.0.0.1:1"],
                       "needs --bundle-file"),
                      (["--trust-domain", "a.example", "--bundle-file", "/x",
                        "--bundle-listen", "localhost:80"], "expected ADDR:PORT"),
                      (["--bundle-retry-min", "5"], "--bundle-retry-min"),
                      (["--bundle-max-stale", "0"], "--bundle-max-stale")):
        r = subprocess.run([CONTROL, "--shm-name", unique("opt"), "--db", ":memory:", *args],
                           capture_output=True, text=True, timeout=10)
        assert r.returncode == 2 and msg in r.stderr, (args, r.stderr)
    r = subprocess.run([CONTROL, "--shm-name", unique("opt"), "--db", ":memory:", "--port", "0",
                        "--trust-domain", "Not_A.Domain"], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode == 1 and "--trust-domain" in r.stderr, r.stderr
    r = subprocess.run([CONTROL, "--help"], capture_output=True, text=True, timeout=10)
    for opt in ("--trust-domain", "--bundle-file", "--bundle-listen", "--bundle-retry-min",
                "--bundle-max-stale"):
        assert opt in r.stdout


def test_dataplane_takes_the_bundles(dataplane, procs, tmp_path):
    """A data plane attached to B takes every snapshot B publishes with its
    BUNDLES table (the data plane parses each bundle with id_bundle_parse and
    refuses the whole snapshot if one fails): B's own bundle and A's, A's new
    sequence, and the table without A's once the trust is revoked."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/bundle"
    fa, fb = str(tmp_path / "a.json"), str(tmp_path / "b.json")
    write(fa, bundle(5, 1, "k1"))
    write(fb, bundle(1, 300, "kb"))
    a = Ctl("A", "--trust-domain", "a.example", "--bundle-file", fa, "--bundle-listen",
            f"127.0.0.1:{port}")
    procs.append(a)
    b = Ctl("B", "--trust-domain", "b.example", "--bundle-file", fb, "--bundle-retry-min", "250",
            tmp=str(tmp_path), shm_name=dataplane.shm_name)
    procs.append(b)
    b.apply(trust_yaml(url))

    def taken(want):
        """B publishes |want| ({td: sequence}) and the data plane runs that epoch."""
        pub = {td: e["sequence"] for td, e in b.published().items()}
        if pub != want:
            return False
        st = json.loads(b.cli("--json", "status").stdout)
        pol = dataplane.telemetry.query("/slimbridge/policy")
        assert pol["refused"] == 0 and pol["error"] == "", pol
        return pol["acked_epoch"] == st["epoch"] and pol

    poll("the data plane takes A's sequence 5", lambda: taken({"a.example": 5, "b.example": 1}))
    write(fa, bundle(6, 1, "k1", "k2"))
    poll("the data plane takes A's sequence 6", lambda: taken({"a.example": 6, "b.example": 1}))
    b.apply(trust_yaml(url, state="revoked"))
    poll("the data plane takes the table without A's", lambda: taken({"b.example": 1}))
