"""Helpers for slimbridge integration tests: start the real processes, give
each its own TAP, namespace, EAL file prefix and shm name, talk to DPDK
telemetry, and clean up on every exit path."""
import itertools
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

BUILD = os.environ.get("SB_BUILD", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
DATAPLANE = os.path.join(BUILD, "dataplane", "slimbridge-dataplane")
CONTROL = os.path.join(BUILD, "control", "slimbridge-control")
CLI = os.path.join(BUILD, "control", "slimbridge")

_seq = itertools.count()


def unique(tag):
    """A short name unique to this test process and call (fits IFNAMSIZ)."""
    return f"sb{tag}{os.getpid() % 100000}x{next(_seq)}"


def sh(*args, check=True, **kw):
    return subprocess.run(args, check=check, capture_output=True, text=True, **kw)


def yaml_dump(obj, indent=0):
    """Just enough YAML for our configs (dicts, lists, scalars)."""
    pad = "  " * indent
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, (dict, list)):
                out.append(f"{pad}{k}:")
                out.append(yaml_dump(v, indent + 1))
            else:
                out.append(f"{pad}{k}: {v}")
    elif isinstance(obj, list):
        for v in obj:
            body = yaml_dump(v, indent + 1).lstrip()
            out.append(f"{pad}- {body}")
    return "\n".join(out)


class Telemetry:
    """Client of DPDK's telemetry socket (/var/run/dpdk/PREFIX/dpdk_telemetry.v2)."""

    def __init__(self, prefix):
        self.path = f"/var/run/dpdk/{prefix}/dpdk_telemetry.v2"

    def query(self, cmd):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            s.settimeout(5)
            s.connect(self.path)
            json.loads(s.recv(65536))  # greeting
            s.send(cmd.encode())
            reply = json.loads(s.recv(1 << 20))
        finally:
            s.close()
        key = cmd.split(",")[0]
        return reply[key]


class Netns:
    def __init__(self):
        self.name = unique("ns")
        sh("ip", "netns", "add", self.name)
        sh("ip", "-n", self.name, "link", "set", "lo", "up")

    def add_bridge(self, ip4, ip6):
        """A bridge br0 with the peer's addresses, for data planes to share."""
        sh("ip", "-n", self.name, "link", "add", "br0", "address", Dataplane.PEER_MAC, "type",
           "bridge")
        sh("ip", "-n", self.name, "addr", "add", ip4, "dev", "br0")
        sh("ip", "-n", self.name, "-6", "addr", "add", ip6, "dev", "br0", "nodad")
        sh("ip", "-n", self.name, "link", "set", "br0", "up")

    def run(self, *args, check=True, timeout=60):
        return sh("ip", "netns", "exec", self.name, *args, check=check, timeout=timeout)

    def delete(self):
        sh("ip", "netns", "del", self.name, check=False)


class Process:
    """A child process whose stdout+stderr lines are collected in the background."""

    def __init__(self, argv):
        self.argv = argv
        self.lines = []
        self.q = queue.Queue()
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, bufsize=1)
        self.t = threading.Thread(target=self._reader, daemon=True)
        self.t.start()

    def _reader(self):
        for line in self.p.stdout:
            self.lines.append(line.rstrip("\n"))
            self.q.put(line)
        self.q.put(None)

    def wait_for(self, text, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in l for l in self.lines):
                return True
            try:
                if self.q.get(timeout=0.1) is None and self.p.poll() is not None:
                    return any(text in l for l in self.lines)
            except queue.Empty:
                pass
        return False

    def output(self):
        self.t.join(timeout=5)
        return "\n".join(self.lines)

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Signal the process; return (exit code, seconds it took to exit)."""
        if self.p.poll() is not None:
            return self.p.returncode, 0.0
        t0 = time.monotonic()
        self.p.send_signal(sig)
        try:
            rc = self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait()
        return rc, time.monotonic() - t0


class Dataplane:
    """slimbridge-dataplane on a net_tap port whose kernel side is moved into
    a network namespace (the kernel peer, 192.0.2.2 and 2001:db8::2)."""

    DP_IP4, PEER_IP4 = "192.0.2.1", "192.0.2.2"
    DP_IP6, PEER_IP6 = "2001:db8::1", "2001:db8::2"
    PEER_MAC = "02:5b:00:00:00:02"

    def __init__(self, workers=1, impair=None, shm_name=None, extra_conf=None, ip4=None,
                 ip6=None, bridge_ns=None):
        """With |bridge_ns| (a Netns holding a bridge br0), the TAP joins that
        bridge instead of getting a namespace of its own, so that several data
        planes share one link; |ip4| / |ip6| then tell them apart."""
        if ip4 is not None:
            self.DP_IP4 = ip4
        if ip6 is not None:
            self.DP_IP6 = ip6
        self.bridge_ns = bridge_ns
        self.prefix = unique("fp")
        self.tap = unique("t")
        self.shm_name = shm_name or unique("shm")
        self.workers = workers
        self.tmp = tempfile.mkdtemp(prefix="sbtest-")
        self.ns = None
        self.proc = None
        port = {"name": "net_tap0", "ipv4": f"{self.DP_IP4}/24", "ipv6": f"{self.DP_IP6}/64"}
        if impair:
            port["impair"] = impair
        conf = {"workers": workers, "shm": {"name": self.shm_name}, "ports": [port]}
        conf.update(extra_conf or {})
        self.config = os.path.join(self.tmp, "dataplane.yaml")
        with open(self.config, "w") as f:
            f.write(yaml_dump(conf) + "\n")
        self.telemetry = Telemetry(self.prefix)

    def eal_args(self):
        # lcore 0 is the main lcore; workers share CPU 1 on this 2-core machine.
        lcores = "0@0," + ",".join(f"{i}@1" for i in range(1, self.workers + 1))
        return ["--no-huge", "-m", "256", "--no-pci", "--file-prefix", self.prefix,
                "--lcores", lcores, "--vdev", f"net_tap0,iface={self.tap}",
                "--log-level", "pmd.net.tap:error"]

    def start(self):
        self.proc = Process([DATAPLANE, *self.eal_args(), "--", "--config", self.config])
        if not self.proc.wait_for("ready", timeout=30):
            out = self.proc.output()
            self.close()
            raise AssertionError(f"data plane did not become ready:\n{out}")
        if self.bridge_ns is not None:
            self.ns = self.bridge_ns
            n = self.ns.name
            sh("ip", "link", "set", self.tap, "netns", n)
            # The kernel side of the TAP shares the PMD's MAC by default: give it its own,
            # or the bridge takes frames for the data plane as its own.
            k = next(_seq)
            sh("ip", "-n", n, "link", "set", self.tap, "address",
               f"02:5b:00:01:{(k >> 8) & 0xff:02x}:{k & 0xff:02x}")
            sh("ip", "-n", n, "link", "set", self.tap, "txqueuelen", "10000")
            sh("ip", "-n", n, "link", "set", self.tap, "master", "br0")
            sh("ip", "-n", n, "link", "set", self.tap, "up")
            return self
        self.ns = Netns()
        sh("ip", "link", "set", self.tap, "netns", self.ns.name)
        n = self.ns.name
        sh("ip", "-n", n, "link", "set", self.tap, "address", self.PEER_MAC)
        # The kernel drops what it sends into the tap beyond txqueuelen (1000 by
        # default) while the worker shares a CPU with the peer; a burst of a
        # thousand handshakes would lose segments there, outside the stack.
        sh("ip", "-n", n, "link", "set", self.tap, "txqueuelen", "10000")
        sh("ip", "-n", n, "addr", "add", f"{self.PEER_IP4}/24", "dev", self.tap)
        sh("ip", "-n", n, "-6", "addr", "add", f"{self.PEER_IP6}/64", "dev", self.tap, "nodad")
        sh("ip", "-n", n, "link", "set", self.tap, "up")
        return self

    def stats(self):
        return self.telemetry.query("/slimbridge/stats")

    def stop(self, sig=signal.SIGTERM):
        return self.proc.stop(sig)

    def close(self):
        if self.proc is not None:
            self.proc.stop()
        if self.ns is not None and self.ns is not self.bridge_ns:
            self.ns.delete()
        shutil.rmtree(f"/var/run/dpdk/{self.prefix}", ignore_errors=True)
        for suffix in (".policy", ".status", ".audit", ".bridge"):
            try:
                os.unlink(f"/dev/shm/{self.shm_name}{suffix}")
            except FileNotFoundError:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)


class Control:
    """slimbridge-control on a temporary database and a free API port."""

    def __init__(self, shm_name, db=None):
        self.shm_name = shm_name
        self.tmp = tempfile.mkdtemp(prefix="sbctl")
        self.db = db or os.path.join(self.tmp, "policy.db")
        self.proc = Process([CONTROL, "--shm-name", shm_name, "--db", self.db, "--port", "0"])
        if not self.proc.wait_for("published", timeout=10):
            raise AssertionError(f"control did not publish:\n{self.proc.output()}")
        line = [l for l in self.proc.output().splitlines() if "API on" in l][-1]
        self.port = int(line.rsplit(" ", 1)[1])
        self.server = f"127.0.0.1:{self.port}"

    def cli(self, *args, stdin=None, timeout=30):
        """Runs build/control/slimbridge against this control process."""
        return subprocess.run([CLI, "--server", self.server, *args], input=stdin,
                              capture_output=True, text=True, timeout=timeout)

    def stop(self, sig=signal.SIGTERM):
        return self.proc.stop(sig)
