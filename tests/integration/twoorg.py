#!/usr/bin/python3
"""Two organisations, two bridges, one scenario: the main job of ./scripts/run
and the fixture of tests/integration/test_bridge.py.

Topology (everything named after NAME, so that runs never collide):

  root namespace                        namespace sbwNAME (Linux bridge br0, 10.77.0.254/24)
  slimbridge-control A (acme)           +-- TAP sbwNAMEa -- data plane A (DPDK)  10.77.0.1:46357
    API 127.0.0.1:PA, bundle :BA        +-- TAP sbwNAMEb -- data plane B (DPDK)  10.77.0.2:46357
  slimbridge-control B (partner-corp)   +-- the agents: a helper process (agent host) in the
    API 127.0.0.1:PB, bundle :BB            namespace, with one SLIM connection per agent

Each organisation has a JWT-SVID signing key and a bridge key (EC P-256) and serves
a SPIFFE bundle with both (uses "jwt-svid" and "slimbridge-bridge"); its control
process publishes its policy (acme: the seeds' Sales App and HR App; partner-corp:
its API agent) and a trust relationship to the other, made with `slimbridge trust
add`. Agents' tokens are minted here with python3-jwt.

  /usr/bin/python3 tests/integration/twoorg.py run [--name NAME]    (what ./scripts/run does)
  /usr/bin/python3 tests/integration/twoorg.py agent-host           (internal: the agents)

Only /usr/bin/python3: Debian's python3-grpcio, -cryptography, -jwt and -xxhash.
Cleanup (processes by PID, the namespace, TAPs, /var/run/dpdk/<prefix>, /dev/shm
objects, the temporary directory) runs on every exit path: close() is idempotent and
is called from finally blocks, atexit and SIGTERM."""
import argparse
import atexit
import base64
import json
import os
import queue
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager

HERE = os.path.dirname(os.path.abspath(__file__))
INTEROP = os.path.join(HERE, "..", "interop")
PY = "/usr/bin/python3"
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = os.path.abspath(os.environ.get("SB_BUILD", os.path.join(ROOT, "build")))
DATAPLANE = os.path.join(BUILD, "dataplane", "slimbridge-dataplane")
CONTROL = os.path.join(BUILD, "control", "slimbridge-control")
CLI = os.path.join(BUILD, "control", "slimbridge")

SLIM_PORT = 46357
SUBNET = "10.77.0"
AGENTS_IP = f"{SUBNET}.254"
AUDIENCE = "slimbridge"

# The data plane's reason texts (proto/shm/policy_abi.h, foreach_sb_pol_reason).
R_BLOCKED = "Organization blocked"
R_INBOUND = "Inbound SLIM disabled for this agent"
R_CONTENT = "Content blocked by rule"
R_IDENTITY = "Identity token rejected"
R_CIRCUIT = "circuit open"
R_UNREACHABLE = "Peer bridge unreachable"
BRIDGE_REASONS = (R_CIRCUIT, R_UNREACHABLE, "Message could not be sealed for the peer bridge")

# Operations: SLIMRPC's `method` metadata; Get*/List* is a query, the rest a task.
QUERY = {"method": "GetQuote"}
TASK = {"method": "ApproveDeal"}


def log(msg):
    print(msg, flush=True)


def sh(*args, check=True, timeout=60, **kw):
    return subprocess.run(args, check=check, capture_output=True, text=True, timeout=timeout,
                          **kw)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def poll(what, fn, timeout=30.0, every=0.1):
    """fn() until it returns something true; that value, or AssertionError."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"{what}: not within {timeout:.0f} s (last: {last!r})")


# ---- keys, bundles, tokens ---------------------------------------------------

def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def ec_key():
    from cryptography.hazmat.primitives.asymmetric import ec
    return ec.generate_private_key(ec.SECP256R1())


def ec_jwk(key, kid, use):
    """A P-256 public JWK, coordinates at full width (RFC 7518 6.2.1.2)."""
    n = key.public_key().public_numbers()
    return {"kty": "EC", "crv": "P-256", "use": use, "kid": kid,
            "x": b64u(n.x.to_bytes(32, "big")), "y": b64u(n.y.to_bytes(32, "big"))}


def pem(key):
    from cryptography.hazmat.primitives import serialization
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def spiffe_id(td, tenant, agent_id):
    return f"spiffe://{td}/tenant/{tenant}/agent/{agent_id}"


def mint(key, kid, sub, aud=AUDIENCE, lifetime=3600):
    import jwt
    now = int(time.time())
    return jwt.encode({"sub": sub, "aud": aud, "iat": now - 5, "exp": now + lifetime}, key,
                      algorithm="ES256", headers={"kid": kid})


def write_atomic(path, data, mode=0o644):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    os.chmod(tmp, mode)
    os.replace(tmp, path)


# ---- the two policies (docs/policy.md; the seeds' examples) -------------------

CONTENT_RULES = r"""contentRuleSets:
  - id: dlp
    rules:
      - {id: 1, pattern: '\b\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}\b', action: block}   # card numbers
      - {id: 2, pattern: 'CONFIDENTIAL', action: block, caseless: true}
"""

ACME_POLICY = """# acme: the seeds' tenant with its Sales App and HR App ("Tenant Level",
# "Cross-App Project Collaboration", "Cross-Org Partner Integration", "Agent Level").
tenants:
  - id: acme
    name: Acme Corp
    trustDomain: acme.example
    settings:
      slim:
        capabilityEnabled: true
        allowedOrganizations: ['internal:hr-app', 'internal:sales-app', 'external:partner-corp']
        blockedOrganizations: ['external:competitor']
        defaultDirectoryVisibility: private
  - {id: partner-corp, name: Partner Corp, trustDomain: partner.example, local: false}
  - {id: competitor, name: Competitor Inc, trustDomain: competitor.example, local: false}
apps:
  - {id: sales-app, tenant: acme, name: Sales App}
  - {id: hr-app, tenant: acme, name: HR App}
  - {id: partner-app, tenant: partner-corp, name: Partner App}
  - {id: competitor-app, tenant: competitor}
""" + CONTENT_RULES + """projects:
  - id: deal-approval
    app: sales-app
    name: Enterprise Deal Approval
    contentRuleSet: dlp
    slimConfig:
      enabled: true
      allowedOrganizations:
        - {organization: 'internal:hr-app', permissions: [task, query]}
    virtualTeam:
      enabled: true
      name: Deal Approval Team
      localMembers:
        - agents: [agent_deal_lead]
      crossAppMembers:
        - {app: hr-app, agents: [agent_hr_lead], role: compliance_approvers}
  - id: partner-integration
    app: sales-app
    name: Partner Integration
    contentRuleSet: dlp
    slimConfig:
      enabled: true
      allowedOrganizations:
        - organization: 'external:partner-corp'
          agents: [agent_partner_api]
          permissions: [query]      # read-only access
  - id: hr-compliance
    app: hr-app
    name: Compliance reviews
    slimConfig:
      enabled: true
      allowedOrganizations:
        - {organization: 'internal:sales-app', permissions: [task, query]}
teams:
  - id: sales-team
    app: sales-app
    name: Sales (bulk settings)
    slimConfig:
      enabled: true
      allowedOrganizations:
        - {organization: 'internal:*'}
        - {organization: 'external:partner-*', permissions: [query]}
agents:
  - id: agent_deal_lead
    app: sales-app
    project: deal-approval
    team: sales-team
    spiffeId: spiffe://acme.example/tenant/acme/agent/agent_deal_lead
    slimConfig:
      enabled: true
      outbound: true    # can call other apps
      inbound: false    # cannot be called from outside its app
      allowedTargets:
        - {organization: 'internal:hr-app', namespace: compliance}
  - id: agent_partner_liaison
    app: sales-app
    project: partner-integration
    team: sales-team
    spiffeId: spiffe://acme.example/tenant/acme/agent/agent_partner_liaison
    slimConfig: {enabled: true, outbound: true, inbound: true}
  - id: agent_hr_lead
    app: hr-app
    project: hr-compliance
    namespace: compliance
    spiffeId: spiffe://acme.example/tenant/acme/agent/agent_hr_lead
    slimConfig: {enabled: true, inbound: true, outbound: true}
  # Other organisations' agents (their own bridges govern them).
  - {id: agent_partner_api, app: partner-app, namespace: api}
  - {id: agent_rival, app: competitor-app}
"""

PARTNER_POLICY = """# partner-corp: its API agent answers acme's queries (and nothing else).
tenants:
  - id: partner-corp
    name: Partner Corp
    trustDomain: partner.example
    settings:
      slim:
        capabilityEnabled: true
        allowedOrganizations: ['external:acme']
        blockedOrganizations: ['external:competitor']
  - {id: acme, name: Acme Corp, trustDomain: acme.example, local: false}
apps:
  - {id: partner-app, tenant: partner-corp, name: Partner App}
  - {id: sales-app, tenant: acme}
  - {id: hr-app, tenant: acme}
projects:
  - id: partner-api
    app: partner-app
    name: Partner API
    slimConfig:
      enabled: true
      allowedOrganizations:
        - {organization: 'external:acme', permissions: [query]}
agents:
  - id: agent_partner_api
    app: partner-app
    project: partner-api
    namespace: api
    spiffeId: spiffe://partner.example/tenant/partner-corp/agent/agent_partner_api
    slimConfig:
      enabled: true
      inbound: true
      outbound: true
      allowedCallers:
        - {organization: 'external:acme', permissions: [query]}
  - {id: agent_partner_liaison, app: sales-app}
  - {id: agent_deal_lead, app: sales-app}
  - {id: agent_hr_lead, app: hr-app}
"""


# ---- shared memory the data plane writes (proto/shm/bridge_abi.h, audit_abi.h) ----

BREAKER = {0: "closed", 1: "open", 2: "half-open"}
LINK = {0: "down", 1: "connecting", 2: "up", 3: "none"}
FAILURE = {0: "none", 1: "link down", 2: "negotiation", 3: "peer error", 4: "timeout"}
_BRIDGE_HDR = struct.Struct("<QIIIIQ32x")            # 64 bytes
_BRIDGE_SLOT = struct.Struct("<64sIBBBBIIIIQQQQQQQQQQ")  # 168 bytes (proto/shm/bridge_abi.h)
assert _BRIDGE_HDR.size == 64 and _BRIDGE_SLOT.size == 168


def read_bridge_shm(shm_name):
    """{trust id: slot dict} from /dev/shm/NAME.bridge, or {} when there is none."""
    try:
        with open(f"/dev/shm/{shm_name}.bridge", "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return {}
    if len(data) < 64:
        return {}
    magic, size, nb, _pid, _r, _hb = _BRIDGE_HDR.unpack_from(data, 0)
    if magic != 0x31474449524253:
        return {}
    out = {}
    step = _BRIDGE_SLOT.size
    if size != 64 + nb * step:
        raise AssertionError(f"/dev/shm/{shm_name}.bridge: {size} bytes for {nb} slots: not the "
                             f"layout of bridge_abi.h this reader knows ({step}-byte slots)")
    for i in range(min(nb, (len(data) - 64) // step)):
        v = _BRIDGE_SLOT.unpack_from(data, 64 + step * i)
        tid = v[0].split(b"\0", 1)[0].decode(errors="replace")
        if not tid:
            continue
        out[tid] = {"seq": v[1], "breaker": BREAKER.get(v[2], str(v[2])),
                    "link": LINK.get(v[3], str(v[3])), "last_failure": FAILURE.get(v[4], str(v[4])),
                    "gone": bool(v[5]), "failures": v[6], "threshold": v[7],
                    "link_conn": v[8], "open_until_ns": v[10], "opened": v[11], "epoch": v[12],
                    "sealed_epoch": v[13], "sealed": v[14], "records": v[15], "opened_msgs": v[16],
                    "denied": v[17], "mls_claim": v[18], "rekey_req": v[19]}
    return out


def read_audit_shm(shm_name):
    """The audit rings' geometry and fill: {ring_size, rings: [{head, tail, waits}]}."""
    try:
        with open(f"/dev/shm/{shm_name}.audit", "rb") as f:
            hdr = f.read(4096)
            magic, version, rec_size, nb, ring_size, off, stride = \
                struct.unpack_from("<QIIIIQQ", hdr, 0)
            if magic != 0x31544944554142:
                return None
            rings = []
            for i in range(nb):
                f.seek(off + i * stride)
                head, waits = struct.unpack("<QQ", f.read(16))
                f.seek(off + i * stride + 64)
                (tail,) = struct.unpack("<Q", f.read(8))
                rings.append({"head": head, "tail": tail, "waits": waits})
            return {"ring_size": ring_size, "rec_size": rec_size, "rings": rings}
    except FileNotFoundError:
        return None


# ---- processes ---------------------------------------------------------------

class Proc:
    """A child whose stdout and stderr lines go to a log file and to memory.
    |pids|: a PidFile that records the child while it runs."""

    def __init__(self, argv, logpath, pids=None):
        self.argv = argv
        self.pids = pids
        self.logpath = logpath
        self.lines = []
        self.cond = threading.Condition()
        self.logf = open(logpath, "a", buffering=1)
        self.logf.write("$ " + " ".join(argv) + "\n")
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, text=True, bufsize=1,
                                  errors="replace")
        self.pid = self.p.pid
        if pids is not None:
            pids.add(self.pid, argv)
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for line in self.p.stdout:
            line = line.rstrip("\n")
            try:
                self.logf.write(line + "\n")
            except ValueError:
                pass
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, pattern, timeout=30.0, start=0):
        """The first line from index |start| matching regex |pattern|, or None."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines[start:]:
                    m = rx.search(line)
                    if m:
                        return m
                left = deadline - time.monotonic()
                if left <= 0 or (self.p.poll() is not None and not self.t.is_alive()):
                    return None
                self.cond.wait(min(left, 0.2))

    def alive(self):
        return self.p.poll() is None

    def tail(self, n=30):
        return "\n".join(self.lines[-n:])

    def kill(self, sig):
        if self.p.poll() is None:
            os.kill(self.pid, sig)

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Signal, wait (then SIGKILL); the exit code."""
        if self.p.poll() is None:
            try:
                os.kill(self.pid, signal.SIGCONT)  # a stopped process cannot exit
                os.kill(self.pid, sig)
                self.p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.p.wait()
            except ProcessLookupError:
                pass
        self.t.join(timeout=2)
        if self.pids is not None:
            self.pids.remove(self.pid)
        try:
            self.logf.close()
        except Exception:
            pass
        return self.p.returncode


class AgentHost:
    """The agents: `twoorg.py agent-host` in the namespace, one JSON request per line
    on its stdin, one answer per line on its stdout (SLIM messages as base64)."""

    def __init__(self, netns, logpath, pids=None):
        self.errlog = open(logpath, "a")
        argv = ["ip", "netns", "exec", netns, PY, os.path.abspath(__file__), "agent-host"]
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=self.errlog, text=True, bufsize=1)
        self.pids = pids
        if pids is not None:
            pids.add(self.p.pid, [PY])  # ip netns exec execs the interpreter
        self.q = queue.Queue()
        self.lock = threading.Lock()
        self.n = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.q.put(line)
        self.q.put(None)

    def call(self, op, rpc_timeout=60.0, **args):
        with self.lock:
            self.n += 1
            try:
                self.p.stdin.write(json.dumps({"id": self.n, "op": op, "args": args}) + "\n")
                self.p.stdin.flush()
            except (BrokenPipeError, ValueError):
                raise RuntimeError("agent host is gone")
            while True:
                try:
                    line = self.q.get(timeout=rpc_timeout)
                except queue.Empty:
                    raise RuntimeError(f"agent host: no answer to {op} in {rpc_timeout:.0f} s")
                if line is None:
                    raise RuntimeError("agent host is gone")
                r = json.loads(line)
                if r.get("id") == self.n:
                    break
        if not r["ok"]:
            raise RuntimeError(f"agent host: {op}: {r['error']}")
        return r["result"]

    def close(self):
        if self.p.poll() is None:
            try:
                self.p.stdin.close()
                self.p.wait(timeout=5)
            except Exception:
                self.p.kill()
                self.p.wait()
        if self.pids is not None:
            self.pids.remove(self.p.pid)
        self.errlog.close()


# ---- SLIM messages on the driver's side ------------------------------------------

_pb = None


def pb():
    """data_plane_pb2 (slim_client compiles proto/slim/data_plane.proto on import)."""
    global _pb
    if _pb is None:
        sys.path.insert(0, INTEROP)
        import slim_client
        _pb = slim_client.pb
    return _pb


def decode(b64):
    return None if b64 is None else pb().Message.FromString(base64.b64decode(b64))


def error_of(m):
    """(reason, level, rule id) of an error notification, else None."""
    if m is None or not m.HasField("publish") or not m.publish.header.error:
        return None
    md = dict(m.metadata)
    return md.get("slimbridge-error"), md.get("slimbridge-blocked-at"), md.get("slimbridge-rule-id")


def differences(sent, got):
    """What the receiver's copy changed, end to end: [] when nothing did (the TTL
    and the per-link header MAC change on every hop and are not compared)."""
    a, b = sent.publish, got.publish
    diffs = []
    for f in ("source", "destination", "identity"):
        if getattr(a.header, f) != getattr(b.header, f):
            diffs.append(f"header.{f}")
    if a.session != b.session:
        diffs.append("session")
    if a.msg != b.msg:
        diffs.append("payload")
    if dict(sent.metadata) != dict(got.metadata):
        diffs.append(f"metadata {dict(sent.metadata)} -> {dict(got.metadata)}")
    if b.header.error:
        diffs.append("error flag")
    return diffs


class Exchange:
    """One message: what was sent, what the target got, what came back."""

    def __init__(self, label, sender, target, r):
        self.label = label
        self.sender, self.target = sender, target
        self.sent = decode(r["sent"])
        self.delivered = decode(r.get("delivered"))
        self.error = decode(r.get("error"))
        self.extra = [decode(x) for x in r.get("extra", [])]
        self.msg_id = self.sent.publish.session.message_id
        self.payload = self.sent.publish.msg.app_payload.blob
        e = error_of(self.error)
        self.reason, self.level, self.rule_id = e if e else (None, None, None)

    @property
    def allowed(self):
        return self.delivered is not None and self.error is None

    def decision(self):
        if self.delivered is not None and self.error is None:
            d = differences(self.sent, self.delivered)
            return "ALLOWED, delivered" + ("" if not d else f" but changed: {', '.join(d)}")
        if self.error is not None:
            rule = f", rule {self.rule_id}" if self.rule_id else ""
            got = " (and delivered!)" if self.delivered is not None else ""
            return f"DENIED: {self.reason} (blocked at {self.level}{rule}){got}"
        return "LOST: nothing delivered, no error back"


class Agent:
    """One agent: a SLIM connection of the agent host to its organisation's bridge."""

    def __init__(self, world, org, app, agent_id, token=None, tag=""):
        self.world, self.org, self.app, self.id = world, org, app, agent_id
        self.tenant = org.tenant
        self.conn = f"{org.key}/{agent_id}{tag}"
        self.token = token if token is not None else org.token(agent_id)

    @property
    def name(self):
        return [self.tenant, self.app, self.id]

    def __str__(self):
        return "/".join(self.name)

    def open(self, subscribe=True):
        self.world.host.call("open", conn=self.conn, addr=f"{self.org.ip}:{SLIM_PORT}",
                             identity=self.token, name=self.name, subscribe=subscribe,
                             rpc_timeout=90)
        return self

    def close(self):
        self.world.host.call("close", conn=self.conn)

    def send(self, target, payload, meta=None, msg_id=None, timeout=15.0, label=""):
        """Publish to |target| (an Agent or a [tenant, app, agent] name) and wait for
        the first of: delivery at |target| (when it is one of ours), an error back."""
        if msg_id is None:
            msg_id = self.world.next_id()
        to = target.conn if isinstance(target, Agent) else None
        dst = target.name if isinstance(target, Agent) else list(target)
        r = self.world.host.call("send_wait", frm=self.conn, to=to, dst=dst,
                                 blob=base64.b64encode(payload).decode(), md=meta or {},
                                 msg_id=msg_id, timeout=timeout, rpc_timeout=timeout + 30)
        return Exchange(label, self, target, r)

    def stream(self, target, n, prefix, meta=None, base_id=None, pace_ms=0, session_id=7):
        if base_id is None:
            base_id = self.world.next_id(n)
        self.world.host.call("stream", frm=self.conn, dst=target.name, n=n, prefix=prefix,
                             md=meta or {}, base_id=base_id, pace_ms=pace_ms,
                             session_id=session_id)
        return base_id

    def stream_wait(self, timeout=120):
        return self.world.host.call("stream_wait", frm=self.conn, rpc_timeout=timeout + 10)

    def collect(self, n, timeout=30.0, quiet=None):
        """Up to |n| publishes that reach this agent: [(message id, payload, error)]."""
        r = self.world.host.call("collect", conn=self.conn, n=n, timeout=timeout,
                                 quiet=quiet, rpc_timeout=timeout + 30)
        return [(i, base64.b64decode(b), e) for i, b, e in r]

    def drain(self, quiet=0.3):
        return self.world.host.call("drain", conn=self.conn, quiet=quiet)


# ---- one organisation: keys, control process, data plane -----------------------------

class Org:
    def __init__(self, world, key, tenant, td, ip, policy, cpus):
        self.world = world
        self.key = key                      # "a" / "b"
        self.tenant, self.td, self.ip, self.policy = tenant, td, ip, policy
        self.cpus = cpus                    # (main lcore's CPU, worker's CPU)
        n = world.name
        self.label = f"sbw{n}{key}"         # TAP, EAL file prefix and shm name
        self.tap = self.prefix = self.shm = self.label
        self.dir = os.path.join(world.tmp, tenant)
        os.makedirs(self.dir)
        self.db = os.path.join(self.dir, "policy.db")
        self.audit_dir = os.path.join(self.dir, "audit")
        self.bundle_path = os.path.join(self.dir, "bundle.json")
        self.bridge_key = os.path.join(self.dir, "bridge-key.pem")
        self.api_port, self.bundle_port = free_port(), free_port()
        self.server = f"127.0.0.1:{self.api_port}"
        self.bundle_url = f"http://127.0.0.1:{self.bundle_port}/bundle"
        self.svid_key = ec_key()
        self.kid = f"{tenant}-svid-1"
        self.control = self.dataplane = None
        self.trust_id = None
        self.tap_mac = f"02:5b:77:00:00:{0x10 + ord(key) - ord('a'):02x}"
        self._tokens = {}

    # tokens
    def token(self, agent_id):
        if agent_id not in self._tokens:
            self._tokens[agent_id] = mint(self.svid_key, self.kid,
                                          spiffe_id(self.td, self.tenant, agent_id))
        return self._tokens[agent_id]

    def forged_token(self, agent_id):
        """Same kid and claims, signed by a key that is in no bundle."""
        return mint(ec_key(), self.kid, spiffe_id(self.td, self.tenant, agent_id))

    # CLI
    def cli(self, *args, stdin=None, timeout=60, check=False):
        r = subprocess.run([CLI, "--server", self.server, *args], input=stdin,
                           capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"{self.tenant}: slimbridge {' '.join(args)}: rc "
                                 f"{r.returncode}: {r.stderr.strip() or r.stdout.strip()}")
        return r

    def cli_json(self, *args, **kw):
        r = self.cli("--json", *args, check=True, **kw)
        return json.loads(r.stdout) if r.stdout.strip() else {}

    # keys and bundle
    def make_keys(self):
        write_atomic(self.bridge_key, pem(ec_key()), 0o600)
        r = sh(CONTROL, "--bridge-key", self.bridge_key, "--print-bridge-jwk", check=False,
               timeout=30)
        if r.returncode != 0:
            raise AssertionError(f"slimbridge-control --print-bridge-jwk: rc {r.returncode}: "
                                 f"{r.stderr.strip()}")
        bridge_jwk = json.loads(r.stdout[r.stdout.index("{"):])
        if bridge_jwk.get("use") != "slimbridge-bridge":
            raise AssertionError(f"bridge JWK without use slimbridge-bridge: {bridge_jwk}")
        doc = {"keys": [ec_jwk(self.svid_key, self.kid, "jwt-svid"), bridge_jwk],
               "spiffe_sequence": 1, "spiffe_refresh_hint": 60}
        write_atomic(self.bundle_path, json.dumps(doc, indent=1) + "\n")

    # control process
    def start_control(self):
        os.makedirs(self.audit_dir, exist_ok=True)
        argv = [CONTROL, "--shm-name", self.shm, "--db", self.db, "--listen", "127.0.0.1",
                "--port", str(self.api_port), "--mls-identity", f"bridge-{self.tenant}",
                "--trust-domain", self.td, "--bundle-file", self.bundle_path,
                "--bundle-listen", f"127.0.0.1:{self.bundle_port}", "--bundle-retry-min", "500",
                "--bridge-key", self.bridge_key, "--audit-dir", self.audit_dir]
        self.control = Proc(argv, os.path.join(self.world.tmp, f"control-{self.tenant}.log"),
                            self.world.pids)
        if not self.control.wait_for("deliveries at", timeout=20):
            raise AssertionError(f"control {self.tenant} did not start:\n{self.control.tail()}")

    def stop_control(self, sig=signal.SIGTERM):
        if self.control is not None:
            self.control.stop(sig)

    def apply_policy(self):
        return self.cli_json("apply", "-f", "-", stdin=self.policy)

    # data plane
    def dp_config(self):
        conf = ["workers: 1",
                f"shm: {{name: {self.shm}}}",
                "ports:",
                f"  - {{name: net_tap0, ipv4: {self.ip}/24}}",
                f"slim: {{listen_port: {SLIM_PORT}, node_id: {self.tenant}-bridge}}",
                f"identity: {{trust_domain: {self.td}, audience: {AUDIENCE}}}"]
        for k, v in self.world.dp_extra.items():
            conf.append(f"{k}: {v}")
        path = os.path.join(self.dir, "dataplane.yaml")
        write_atomic(path, "\n".join(conf) + "\n")
        return path

    def eal_args(self):
        mem = ["--no-huge", "-m", "256"]
        if self.world.hugepages:
            mem = ["-m", "256"]
        main, worker = self.cpus
        return [*mem, "--no-pci", "--file-prefix", self.prefix, "--lcores",
                f"0@{main},1@{worker}", "--vdev", f"net_tap0,iface={self.tap}",
                "--log-level", "pmd.net.tap:error"]

    def start_dataplane(self):
        argv = [DATAPLANE, *self.eal_args(), "--", "--config", self.dp_config()]
        self.dataplane = Proc(argv, os.path.join(self.world.tmp, f"dataplane-{self.tenant}.log"),
                              self.world.pids)
        if not self.dataplane.wait_for(r"ready", timeout=60):
            raise AssertionError(f"data plane {self.tenant} did not become ready:\n"
                                 f"{self.dataplane.tail()}")
        ns = self.world.netns
        sh("ip", "link", "set", self.tap, "netns", ns)
        # The kernel side needs a MAC of its own, or the bridge takes the data
        # plane's frames as its own.
        sh("ip", "-n", ns, "link", "set", self.tap, "address", self.tap_mac)
        sh("ip", "-n", ns, "link", "set", self.tap, "txqueuelen", "10000")
        sh("ip", "-n", ns, "link", "set", self.tap, "master", "br0")
        sh("ip", "-n", ns, "link", "set", self.tap, "up")

    def stop_dataplane(self, sig=signal.SIGTERM):
        if self.dataplane is not None:
            self.dataplane.stop(sig)
        # The TAP goes with the process; wait until the kernel has removed it.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if sh("ip", "-n", self.world.netns, "link", "show", self.tap,
                  check=False).returncode != 0:
                break
            time.sleep(0.1)

    def telemetry(self, cmd):
        sys.path.insert(0, HERE)
        from sbtest import Telemetry
        return Telemetry(self.prefix).query(cmd)

    def slim_counters(self):
        """/slimbridge/slim summed over the workers."""
        t = self.telemetry("/slimbridge/slim")
        out = {}
        for w in t.values():
            if isinstance(w, dict):
                for k, v in w.items():
                    if isinstance(v, int):
                        out[k] = out.get(k, 0) + v
        return out

    def bridge(self):
        return read_bridge_shm(self.shm)

    # trust
    def trust_add(self, peer, **kw):
        self.trust_id = f"{self.tenant}-{peer.tenant}"
        args = ["trust", "add", f"external:{peer.tenant}", "--tenant", self.tenant,
                "--id", self.trust_id, "--trust-domain", peer.td,
                "--bundle-endpoint", peer.bundle_url, "--endpoint", f"{peer.ip}:{SLIM_PORT}",
                "--control-endpoint", peer.server, "--transport", "grpc",
                "--mls", "on" if kw.get("mls", True) else "off"]
        for opt in ("cooldown", "failure_threshold", "rekey_interval", "rekey_messages"):
            if kw.get(opt) is not None:
                args += ["--" + opt.replace("_", "-"), str(kw[opt])]
        return self.cli_json(*args)

    def trust_get(self):
        return self.cli_json("trust", "get", self.trust_id)

    def audit(self, since_ns=None, project=None, limit=None, source=None):
        """`slimbridge audit query --type slim_communication --json` as a list of dicts."""
        args = ["audit", "query", "--type", "slim_communication"]
        if since_ns is not None:
            args += ["--since", since_arg(since_ns)]
        if project:
            args += ["--project", project]
        if source:
            args += ["--source", source]
        if limit:
            args += ["--limit", str(limit)]
        r = self.cli("--json", *args, timeout=60)
        if r.returncode != 0:
            raise AssertionError(f"{self.tenant}: audit query: {r.stderr.strip()}")
        return audit_records(r.stdout)

    def audit_stats(self):
        r = self.cli("--json", "audit", "stats", timeout=60)
        if r.returncode != 0:
            return None
        try:
            return json.loads(r.stdout)
        except ValueError:
            return None

    def close(self):
        for p in (self.dataplane, self.control):
            if p is not None:
                try:
                    p.stop()
                except Exception:
                    pass
        shutil.rmtree(f"/var/run/dpdk/{self.prefix}", ignore_errors=True)
        for suffix in (".policy", ".status", ".bridge", ".audit"):
            try:
                os.unlink(f"/dev/shm/{self.shm}{suffix}")
            except FileNotFoundError:
                pass


# ---- what the CLI answers (one place per guess: a changed format is a one-line fix) ----

def _trust_status(r):
    """The first TrustStatus of a TrustStatusResponse ({"trusts": [...]}), or |r|."""
    if isinstance(r, dict) and isinstance(r.get("trusts"), list) and r["trusts"]:
        return r["trusts"][0]
    return r


def seal_of(t):
    """(ready, mode, epoch) from `slimbridge --json trust get` (TrustStatus.seal)."""
    t = _trust_status(t)
    s = t.get("seal", {}) if isinstance(t, dict) else {}
    if not isinstance(s, dict):
        s = {}
    ready = str(s.get("state", "")).lower() == "ready"
    mode = str(s.get("mode", "")).lower()
    try:
        epoch = int(s.get("epoch", 0))
    except (TypeError, ValueError):
        epoch = 0
    return ready, mode, epoch


def since_arg(ns):
    """--since as RFC 3339 UTC with milliseconds."""
    sec = ns / 1e9
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + f".{int(sec % 1 * 1000):03d}Z"


def audit_records(text):
    text = text.strip()
    if not text:
        return []
    try:
        doc = json.loads(text)
    except ValueError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    if isinstance(doc, list):
        return doc
    for k in ("records", "items", "results"):
        if isinstance(doc.get(k), list):
            return doc[k]
    return [doc]


def rec(r, *keys, default=None):
    for k in keys:
        if k in r:
            return r[k]
    return default


def rec_decision(r):
    v = rec(r, "decision", "allowed")
    if isinstance(v, bool):
        return "allowed" if v else "denied"
    return str(v).lower()


def rec_msg_id(r):
    v = rec(r, "messageId", "message_id", "msgId")
    return int(v) if v is not None else None


def rec_summary(r):
    t = rec(r, "time", "ts", "timestamp", "tsNs", "ts_ns", default="")
    if isinstance(t, int):
        t = time.strftime("%H:%M:%S", time.localtime(t / 1e9)) + f".{t // 1000000 % 1000:03d}"
    enc = rec(r, "encryption", "enc", default="")
    ep = rec(r, "mlsEpoch", "mls_epoch", "epoch")
    enc = f"{enc}{f' epoch {ep}' if ep and str(enc).lower() not in ('', 'none') else ''}"
    why = rec(r, "reason", default="")
    lvl = rec(r, "level", "blockedAt", default="")
    return (f"{t} {rec_decision(r):7} {rec(r, 'src', 'source', default='?')} -> "
            f"{rec(r, 'dst', 'destination', default='?')}  trust {rec(r, 'trust', default='') or '-'}"
            f"  {enc or 'none'}" + (f"  [{why} at {lvl}]" if rec_decision(r) != "allowed" else ""))


# ---- the whole topology ---------------------------------------------------------------

class TwoOrg:
    """Both organisations, the namespace and the agents. start(), then the
    scenario and the checks; close() on every exit path."""

    def __init__(self, name="demo", rekey_messages=None, rekey_interval=None,
                 failure_threshold=3, cooldown=None, mls=True, dp_extra=None, keep=False,
                 cpus_a=("0", "1"), cpus_b=("0", "1")):
        if not re.fullmatch(r"[a-z][a-z0-9]{0,9}", name):
            raise ValueError(f"name must be 1..10 lowercase letters and digits: {name!r}")
        self.name = name
        self.netns = f"sbw{name}"
        self.trust_opts = {"mls": mls, "rekey_messages": rekey_messages,
                           "rekey_interval": rekey_interval, "failure_threshold": failure_threshold,
                           "cooldown": cooldown}
        self.dp_extra = dict(dp_extra or {})
        self.keep = keep
        self.tmp = tempfile.mkdtemp(prefix=f"slimbridge-twoorg-{name}-")
        self.pids = PidFile(name, self.tmp)
        self.hugepages = hugepages_free() >= 512
        self.host = None
        self.ns_made = False
        self.closed = False
        self._id = 1000
        self._id_lock = threading.Lock()
        self.a = Org(self, "a", "acme", "acme.example", f"{SUBNET}.1", ACME_POLICY, cpus_a)
        self.b = Org(self, "b", "partner-corp", "partner.example", f"{SUBNET}.2", PARTNER_POLICY,
                     cpus_b)
        self.timings = {}

    def next_id(self, n=1):
        with self._id_lock:
            v = self._id
            self._id += n
            return v

    # -- start --
    def start(self, quiet=True):
        say = (lambda *_: None) if quiet else log
        try:
            t0 = time.monotonic()
            for b in (DATAPLANE, CONTROL, CLI):
                if not os.access(b, os.X_OK):
                    raise AssertionError(f"{b} is not built")
            stale = cleanup_stale(self.name, say)
            if stale:
                say(f"  removed the leftovers of an earlier run: {stale}")
            if sh("ip", "netns", "list").stdout.split().count(self.netns):
                raise AssertionError(f"namespace {self.netns} exists (another run, or a "
                                     f"leftover: ip netns del {self.netns})")
            self.pids.claim()
            say(f"  namespace {self.netns}: Linux bridge br0, agents at {AGENTS_IP}")
            sh("ip", "netns", "add", self.netns)
            self.ns_made = True
            ns = self.netns
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            sh("ip", "-n", ns, "link", "add", "br0", "address", "02:5b:77:00:00:fe", "type",
               "bridge")
            sh("ip", "-n", ns, "addr", "add", f"{AGENTS_IP}/24", "dev", "br0")
            sh("ip", "-n", ns, "link", "set", "br0", "up")
            for o in (self.a, self.b):
                o.make_keys()
                o.start_control()
                o.apply_policy()
                say(f"  {o.tenant}: control API {o.server}, bundle {o.bundle_url} "
                    f"({o.td}), policy applied")
            for o in (self.a, self.b):
                o.start_dataplane()
                say(f"  {o.tenant}: data plane {o.ip}:{SLIM_PORT} on TAP {o.tap} "
                    f"(EAL prefix {o.prefix}, lcores 0@{o.cpus[0]},1@{o.cpus[1]}"
                    f"{', hugepages' if self.hugepages else ', --no-huge'})")
            self.timings["processes"] = time.monotonic() - t0
            self.a.trust_add(self.b, **self.trust_opts)
            self.b.trust_add(self.a, **self.trust_opts)
            for o in (self.a, self.b):
                self.wait_seal(o)
            self.timings["trust"] = time.monotonic() - t0
            ready = {o.tenant: seal_of(o.trust_get()) for o in (self.a, self.b)}
            say(f"  trust acme <-> partner-corp: {self.a.trust_id} / {self.b.trust_id}, "
                f"seal {ready['acme'][1] or '?'} epoch {ready['acme'][2]}")
            self.host = AgentHost(self.netns, os.path.join(self.tmp, "agents.log"), self.pids)
            self.deal_lead = Agent(self, self.a, "sales-app", "agent_deal_lead").open()
            self.liaison = Agent(self, self.a, "sales-app", "agent_partner_liaison").open()
            self.hr_lead = Agent(self, self.a, "hr-app", "agent_hr_lead").open()
            self.partner_api = Agent(self, self.b, "partner-app", "agent_partner_api").open()
            self.timings["start"] = time.monotonic() - t0
            return self
        except BaseException:
            self.close()
            raise

    def wait_seal(self, org, timeout=60):
        def ready():
            try:
                return seal_of(org.trust_get())[0]
            except AssertionError:
                return False
        poll(f"{org.tenant}: trust {org.trust_id} seal ready", ready, timeout=timeout, every=0.2)

    def reopen_partner(self):
        """After bridge B's data plane restarted: its agents connect again."""
        self.partner_api.open()

    def wait_traffic(self, timeout=60.0):
        """Probe queries acme -> partner-corp until one is delivered; the first
        delivered Exchange, or None after |timeout| s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            x = self.liaison.send(self.partner_api, b"probe", QUERY, timeout=3)
            if x.allowed:
                return x
            time.sleep(0.5)
        return None

    def restart_dataplane(self, org, sig=signal.SIGKILL):
        org.stop_dataplane(sig)
        org.start_dataplane()

    # -- capture --
    @contextmanager
    def capture(self, path):
        """tcpdump on bridge A's TAP, only the packets between the two bridges."""
        p = Proc(["ip", "netns", "exec", self.netns, "tcpdump", "-i", self.a.tap, "-U", "-n",
                  "-s", "0", "-w", path, "host", self.a.ip, "and", "host", self.b.ip],
                 os.path.join(self.tmp, "tcpdump.log"), self.pids)
        try:
            if not p.wait_for("listening on", timeout=15):
                raise AssertionError(f"tcpdump did not start: {p.tail()}")
            yield path
        finally:
            time.sleep(0.5)
            p.stop(signal.SIGINT)

    # -- the scenario --
    def scenario(self, say=log):
        """The six steps; each prints one line. Returns [(step, Exchange, expectation)]."""
        w = self
        steps = []
        rival = ["competitor", "competitor-app", "agent_rival"]
        forger = Agent(self, self.b, "partner-app", "agent_partner_api",
                       token=self.b.forged_token("agent_partner_api"), tag="#forged")

        def run(no, title, sender, target, payload, meta, expect):
            x = sender.send(target, payload, meta, label=title)
            steps.append((title, x, expect))
            to = target if isinstance(target, Agent) else "/".join(target)
            ok = "as expected" if expectation_met(x, expect) else "NOT AS EXPECTED"
            say(f"[{no}/6] {title}: {sender} -> {to}: {x.decision()}  ({ok})")
            return x

        run(1, "cross-app task", w.deal_lead, w.hr_lead, b"please approve deal #4711 (EUR 120k)",
            TASK, ("allow",))
        q = run(2, "cross-org query", w.liaison, w.partner_api, b"quote for 500 licences?",
                QUERY, ("allow",))
        if q.allowed:
            x = w.partner_api.send(w.liaison, b"quote: 500 licences at EUR 42", QUERY,
                                   label="cross-org answer")
            steps.append(("cross-org answer", x, ("allow",)))
            ok = "as expected" if expectation_met(x, ("allow",)) else "NOT AS EXPECTED"
            say(f"      answer: {w.partner_api} -> {w.liaison}: {x.decision()}  ({ok})")
        run(3, "blocked competitor", w.liaison, rival, b"our price list", QUERY,
            ("deny", R_BLOCKED, "tenant"))
        run(4, "agent with inbound off", w.hr_lead, w.deal_lead, b"HR needs a meeting", TASK,
            ("deny", R_INBOUND, "agent"))
        run(5, "content rule (card number)", w.liaison, w.partner_api,
            b"card 4111 1111 1111 1111 exp 12/29", QUERY, ("deny", R_CONTENT, "content", "1"))
        forger.open(subscribe=False)  # it only sends: the real agent keeps the name
        try:
            run(6, "forged partner token", forger, w.liaison, b"send me the customer list", QUERY,
                ("deny", R_IDENTITY, "identity"))
        finally:
            forger.close()
        return steps

    # -- the live summary --
    def summary(self, since_ns=None):
        lines = []
        for o in (self.a, self.b):
            try:
                c = o.slim_counters()
            except Exception as e:
                lines.append(f"{o.tenant:13} bridge {o.ip}: telemetry unavailable ({e})")
                continue
            denied = {k[5:].replace("_", " "): v for k, v in c.items()
                      if k.startswith("deny_") and v}
            lines.append(f"{o.tenant:13} bridge {o.ip}: allowed {c.get('policy_allowed', 0)}, "
                         f"local {c.get('policy_local', 0)}, denied {c.get('drop_policy', 0)}"
                         + (": " + ", ".join(f"{k} {v}" for k, v in sorted(denied.items()))
                            if denied else ""))
        for o in (self.a, self.b):
            try:
                ready, mode, _ = seal_of(o.trust_get())
            except Exception:
                ready, mode = False, "?"
            for tid, s in (o.bridge() or {}).items():
                if s["gone"]:
                    continue
                enc = ("MLS" if "mls" in mode else "AES-256-GCM" if mode else "?")
                lines.append(f"  trust {tid} at {o.tenant}: seal {enc} epoch {s['epoch']}"
                             f"{'' if ready else ' (not ready)'}, breaker {s['breaker']}"
                             f" ({s['failures']}/{s['threshold']} failures), link {s['link']}, "
                             f"sealed {s['sealed']} in {s['records']} records, opened "
                             f"{s['opened_msgs']}, denied {s['denied']}")
        for o in (self.a, self.b):
            try:
                recs = o.audit(since_ns=since_ns, limit=20)
                recs = sorted(recs, key=lambda r: str(rec(r, "time", "ts", "tsNs", default="")))[-5:]
            except Exception as e:
                lines.append(f"  audit {o.tenant}: unavailable ({str(e)[:100]})")
                continue
            lines.append(f"  last audit records at {o.tenant}:")
            lines.extend("    " + rec_summary(r) for r in recs)
        return "\n".join(lines)

    def failure_report(self):
        """For a failed test: the summary, each process's last lines, and the
        data planes' non-zero transport counters (the link's story)."""
        out = ["==== two-organisation state at the failure", self.summary()]
        for o in (self.a, self.b):
            for what in ("control", "dataplane"):
                p = getattr(o, what, None)
                if p is not None:
                    out.append(f"---- {what} {o.tenant} (last lines)")
                    out.append(p.tail(15))
            try:
                out.append(f"---- audit rings at {o.tenant}: {read_audit_shm(o.shm)}")
            except Exception as e:
                out.append(f"---- audit rings at {o.tenant}: unavailable ({e})")
            for cmd in ("/slimbridge/tcp", "/slimbridge/grpc", "/slimbridge/slim",
                        "/slimbridge/bridge"):
                try:
                    t = o.telemetry(cmd)
                except Exception as e:
                    out.append(f"---- {cmd} at {o.tenant}: unavailable ({e})")
                    continue
                flat = {}

                def walk(prefix, v):
                    if isinstance(v, dict):
                        for k, x in v.items():
                            walk(f"{prefix}.{k}" if prefix else str(k), x)
                    elif isinstance(v, int) and v:
                        flat[prefix] = v
                walk("", t)
                out.append(f"---- {cmd} at {o.tenant}: " +
                           ", ".join(f"{k}={v}" for k, v in sorted(flat.items())))
        return "\n".join(out)

    # -- cleanup --
    def close(self):
        if self.closed:
            return
        self.closed = True
        if self.host is not None:
            try:
                self.host.close()
            except Exception:
                pass
        for o in (self.a, self.b):
            o.close()
        if self.ns_made:
            sh("ip", "netns", "del", self.netns, check=False)
        for o in (self.a, self.b):  # a TAP left in the root namespace by a failed start
            sh("ip", "link", "del", o.tap, check=False)
        self.pids.release()
        if not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)


class PidFile:
    """/run/sbwNAME.pids: this driver's PID, then one line per child it runs
    ("PID argv0"), so that `twoorg.py cleanup` can finish the job of a driver
    that was killed (SIGKILL leaves no chance to clean up)."""

    def __init__(self, name, tmp):
        self.path = f"/run/sbw{name}.pids"
        self.tmp = tmp
        self.children = {}
        self.owned = False
        self.lock = threading.Lock()

    def claim(self):
        self.owned = True
        self._write()

    def add(self, pid, argv):
        with self.lock:
            self.children[pid] = argv[0]
        self._write()

    def remove(self, pid):
        with self.lock:
            self.children.pop(pid, None)
        self._write()

    def _write(self):
        if not self.owned:
            return
        with self.lock:
            text = f"driver {os.getpid()}\ntmp {self.tmp}\n" + "".join(f"{p} {a}\n"
                                                       for p, a in self.children.items())
        write_atomic(self.path, text)

    def release(self):
        if self.owned:
            self.owned = False
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().split(b"\0")[0].decode(errors="replace")
    except OSError:
        return None


def cleanup_stale(name, say=lambda *_: None):
    """Removes what a killed run of NAME left: its processes (by the PIDs in its
    pid file, each only if it still runs the same program), the namespace,
    TAPs, EAL runtime directories and shm objects. Refuses (AssertionError)
    while the run's driver is alive. Returns what it removed, as text."""
    path = f"/run/sbw{name}.pids"
    done = []
    try:
        with open(path) as f:
            lines = [l.split(" ", 1) for l in f.read().splitlines() if " " in l]
    except FileNotFoundError:
        return ""
    driver = next((int(p) for k, p in lines if k == "driver"), None)
    if driver is not None and driver != os.getpid() and os.path.exists(f"/proc/{driver}"):
        raise AssertionError(f"another run named {name!r} is active (pid {driver})")
    for k, prog in lines:
        if k == "tmp" and prog.startswith(tempfile.gettempdir() + "/slimbridge-twoorg-"):
            shutil.rmtree(prog, ignore_errors=True)
        if not k.isdigit():
            continue
        pid = int(k)
        got = _cmdline(pid)
        if got is not None and (got == prog or os.path.basename(got) == os.path.basename(prog)):
            for sig in (signal.SIGCONT, signal.SIGTERM):
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            for _ in range(50):
                if _cmdline(pid) is None:
                    break
                time.sleep(0.1)
            else:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            done.append(f"pid {pid}")
    ns = f"sbw{name}"
    if sh("ip", "netns", "list").stdout.split().count(ns):
        sh("ip", "netns", "del", ns, check=False)
        done.append(f"namespace {ns}")
    for k in "ab":
        label = f"sbw{name}{k}"
        if sh("ip", "link", "del", label, check=False).returncode == 0:
            done.append(f"TAP {label}")
        if os.path.isdir(f"/var/run/dpdk/{label}"):
            shutil.rmtree(f"/var/run/dpdk/{label}", ignore_errors=True)
            done.append(f"/var/run/dpdk/{label}")
        for suffix in (".policy", ".status", ".bridge", ".audit"):
            try:
                os.unlink(f"/dev/shm/{label}{suffix}")
                done.append(f"/dev/shm/{label}{suffix}")
            except FileNotFoundError:
                pass
    os.unlink(path)
    return ", ".join(done)


def expectation_met(x, expect):
    if expect[0] == "allow":
        return x.allowed and not differences(x.sent, x.delivered)
    ok = x.delivered is None and x.reason == expect[1] and x.level == expect[2]
    if len(expect) > 3:
        ok = ok and x.rule_id == expect[3]
    return ok


def hugepages_free():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("HugePages_Free:"):
                    if os.path.ismount("/dev/hugepages"):
                        return int(line.split()[1])
    except OSError:
        pass
    return 0


# ---- the agent host (runs in the namespace) ------------------------------------------

def agent_host():
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver ends us (stdin closes)
    proto_out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything else printed goes to the log, not into the protocol
    sys.path.insert(0, INTEROP)
    import xxhash
    from slim_client import SlimConn, name as slim_name

    def sname(n):
        h = [xxhash.xxh64(x.encode() + b"\xff").intdigest() for x in n]
        return slim_name(h[0], h[1], h[2], id_=1, strings=tuple(n))

    conns, names, streams = {}, {}, {}
    enc = lambda m: base64.b64encode(m.SerializeToString()).decode()

    def op_open(conn, addr, identity, name, subscribe):
        if conn in conns:
            conns.pop(conn).close()
        deadline = time.monotonic() + 60
        while True:
            c = SlimConn(addr, identity=identity)
            try:
                c.negotiate()
                if subscribe:
                    me = sname(name)
                    c.subscribe(me, me, sub_id=1)
                break
            except Exception:
                c.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        conns[conn], names[conn] = c, name
        return True

    def op_close(conn):
        c = conns.pop(conn, None)
        if c is not None:
            c.close()
        return True

    def op_send_wait(frm, to, dst, blob, md, msg_id, timeout):
        s = conns[frm]
        r = conns.get(to) if to else None
        sent = s.publish(sname(names[frm]), sname(dst), base64.b64decode(blob), msg_id=msg_id,
                         metadata=md)
        out = {"sent": enc(sent), "delivered": None, "error": None, "extra": []}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and out["delivered"] is None and out["error"] is None:
            if r is not None:
                m = r.recv_publish(0.02)
                if m is not None:
                    if m.publish.session.message_id == msg_id:
                        out["delivered"] = enc(m)
                    else:
                        out["extra"].append(enc(m))
            m = s.recv_publish(0.02 if r is not None else 0.1)
            if m is not None:
                if m.publish.header.error:
                    out["error"] = enc(m)
                else:
                    out["extra"].append(enc(m))
        # Whichever came first: make sure the other does not follow.
        if out["delivered"] is not None or out["error"] is not None:
            end = time.monotonic() + 0.4
            while time.monotonic() < end:
                if r is not None and out["delivered"] is None:
                    m = r.recv_publish(0.05)
                    if m is not None and m.publish.session.message_id == msg_id:
                        out["delivered"] = enc(m)
                m = s.recv_publish(0.05)
                if m is not None and m.publish.header.error and out["error"] is None:
                    out["error"] = enc(m)
        return out

    def op_stream(frm, dst, n, prefix, md, base_id, pace_ms, session_id):
        s, src, d = conns[frm], sname(names[frm]), sname(dst)

        def run():
            for i in range(n):
                s.publish(src, d, f"{prefix} {i + 1} of {n}".encode(), msg_id=base_id + i,
                          metadata=md, session_id=session_id)
                if pace_ms:
                    time.sleep(pace_ms / 1000)
        t = threading.Thread(target=run, daemon=True)
        t.start()
        streams[frm] = t
        return True

    def op_stream_wait(frm):
        t = streams.pop(frm, None)
        if t is not None:
            t.join()
        return True

    def op_collect(conn, n, timeout, quiet):
        c, got = conns[conn], []
        deadline = time.monotonic() + timeout
        last = time.monotonic()
        while len(got) < n and time.monotonic() < deadline:
            m = c.recv_publish(0.1)
            if m is None:
                if quiet is not None and time.monotonic() - last > quiet:
                    break
                continue
            last = time.monotonic()
            md = dict(m.metadata)
            got.append([m.publish.session.message_id,
                        base64.b64encode(m.publish.msg.app_payload.blob).decode(),
                        md.get("slimbridge-error") if m.publish.header.error else None])
        return got

    def op_drain(conn, quiet):
        c, n = conns[conn], 0
        while c.recv_publish(quiet) is not None:
            n += 1
        return n

    ops = {"open": op_open, "close": op_close, "send_wait": op_send_wait, "stream": op_stream,
           "stream_wait": op_stream_wait, "collect": op_collect, "drain": op_drain}
    for line in sys.stdin:
        req = json.loads(line)
        args = req["args"]
        try:
            out = {"id": req["id"], "ok": True, "result": ops[req["op"]](**args)}
        except Exception as e:  # reported to the driver, which raises
            out = {"id": req["id"], "ok": False, "error": f"{type(e).__name__}: {e}"}
        proto_out.write(json.dumps(out) + "\n")
    for c in conns.values():
        c.close()


# ---- ./scripts/run ---------------------------------------------------------------

BANNER = """slimbridge two-organisation demo
  acme (trust domain acme.example; Sales App and HR App) and partner-corp
  (partner.example), each behind its own bridge: a DPDK data plane and a control
  process. Agents speak real SLIM to their bridge with SPIFFE JWT-SVIDs; the bridges
  verify identity, apply policy and content rules, and seal what crosses the
  organisation boundary (MLS) for the peer bridge. Every decision is audited."""


def run_demo(args):
    w = TwoOrg(name=args.name, failure_threshold=3, cooldown=args.cooldown, keep=args.keep,
               rekey_interval=args.rekey_interval)
    stop = {"sig": None}

    def on_term(sig, _frame):
        stop["sig"] = sig
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    # Explicitly: a shell that started us in the background may have left SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    atexit.register(w.close)
    rc = 0
    try:
        log(BANNER)
        log("\nstarting (logs in %s):" % w.tmp)
        w.start(quiet=False)
        log(f"  ready in {w.timings['start']:.1f} s\n\nscenario:")
        t0 = time.time_ns()
        steps = w.scenario()
        bad = [s for s, x, e in steps if not expectation_met(x, e)]
        log(f"scenario: {len(steps) - len(bad)} of {len(steps)} messages as expected"
            + (f"; NOT: {', '.join(bad)}" if bad else ""))
        rc = 1 if bad else 0
        if args.once:
            log("\n" + w.summary(since_ns=t0))
            return rc
        log("\nlive summary every 2 s (a cross-org query and its answer, and a cross-app "
            "task, each round); Ctrl-C stops and cleans up\n")
        n = 0
        while True:
            n += 1
            gone = [f"{o.tenant}'s {what} (exit {p.p.returncode})" for o in (w.a, w.b)
                    for what, p in (("data plane", o.dataplane), ("control process", o.control))
                    if not p.alive()]
            if gone:
                log("stopping: " + ", ".join(gone) + " ended")
                return 1
            w.liaison.send(w.partner_api, b"status of order %d?" % n, QUERY, timeout=5)
            w.partner_api.send(w.liaison, b"order %d shipped" % n, QUERY, timeout=5)
            w.deal_lead.send(w.hr_lead, b"approve deal %d" % n, TASK, timeout=5)
            log(time.strftime("--- %H:%M:%S ") + "-" * 60)
            log(w.summary())
            time.sleep(2)
    except KeyboardInterrupt:
        log("\nstopping")
        return rc
    except AssertionError as e:
        log(f"\ntwoorg: {e}")
        return 1
    finally:
        keep = w.keep
        w.close()
        log("stopped and cleaned up" + (f" (logs kept in {w.tmp})" if keep else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="start both organisations, run the scenario, then a live "
                       "summary until Ctrl-C")
    r.add_argument("--name", default="demo", help="names the namespace sbwNAME, TAPs, EAL "
                   "prefixes and shm objects sbwNAMEa / sbwNAMEb (1..10 of a-z0-9)")
    r.add_argument("--once", action="store_true", help="stop after the scenario and one summary")
    r.add_argument("--keep", action="store_true", help="keep the logs' temporary directory")
    r.add_argument("--cooldown", type=int, default=30, help="breaker cooldown, seconds")
    r.add_argument("--rekey-interval", type=int, default=60, help="seal rekey interval, seconds")
    c = sub.add_parser("cleanup", help="remove what a killed run of NAME left behind")
    c.add_argument("--name", default="demo")
    sub.add_parser("agent-host", help="internal: the agents' process in the namespace")
    a = ap.parse_args()
    if a.cmd == "agent-host":
        agent_host()
        return 0
    if os.geteuid() != 0:
        print("twoorg: needs root (DPDK, TAP devices, network namespaces)", file=sys.stderr)
        return 1
    if a.cmd == "cleanup":
        try:
            done = cleanup_stale(a.name)
        except AssertionError as e:
            print(f"twoorg: {e}", file=sys.stderr)
            return 1
        if done:
            print(f"twoorg: removed leftovers of run {a.name!r}: {done}")
        return 0
    return run_demo(a)


if __name__ == "__main__":
    sys.exit(main())
