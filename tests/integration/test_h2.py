"""The HTTP/2 and gRPC engines on kernel sockets (build/tests/h2-echo-server):
the gRPC interop cases through python3-grpcio, plain HTTP/2 through nghttp and
h2load."""
import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from sbtest import BUILD

ECHO = os.path.join(BUILD, "tests", "h2-echo-server")
CLIENT = os.path.join(BUILD, "tests", "grpc-interop-client")
INTEROP = os.path.join(os.path.dirname(__file__), "..", "interop")
CASES = [
    "empty_unary", "large_unary", "client_streaming", "server_streaming",
    "ping_pong", "empty_stream", "cancel_after_begin",
    "cancel_after_first_response", "timeout_on_sleeping_server",
    "status_code_and_message", "special_status_message", "custom_metadata",
    "unimplemented_method", "unimplemented_service",
]


def stop_proc(proc):
    """SIGTERM, then SIGKILL after 5 s; reaped either way."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class EchoServer:
    """build/tests/h2-echo-server on a free port; stopped on every exit path."""

    def __init__(self):
        self.proc = subprocess.Popen([ECHO, "--port", "0", "--addr", "127.0.0.1"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("listening on "):
            self.close()
            raise RuntimeError(f"h2-echo-server did not start: {line!r} "
                               f"{self.proc.stderr.read()}")
        self.port = int(line.split()[2])
        self.addr = f"127.0.0.1:{self.port}"

    def alive(self):
        return self.proc.poll() is None

    def close(self):
        stop_proc(self.proc)


@pytest.fixture(scope="module")
def echo():
    srv = EchoServer()
    try:
        yield srv
    finally:
        srv.close()


@pytest.fixture(scope="module")
def interop_results(echo, tmp_path_factory):
    """All interop cases in one run of the client (one connection per case)."""
    out = tmp_path_factory.mktemp("proto")
    r = subprocess.run([sys.executable, os.path.join(INTEROP, "interop_client.py"),
                        "--server", echo.addr, "--json", "--proto-out", str(out)],
                       capture_output=True, text=True, timeout=300)
    results = {c["case"]: c for c in json.loads(r.stdout)}
    return results


@pytest.mark.parametrize("case", CASES)
def test_grpc_interop_kernel(echo, interop_results, case):
    res = interop_results.get(case)
    assert res is not None, f"{case} did not run"
    assert res["ok"], f"{case}: {res['detail']}"
    assert echo.alive()


def test_healthz_and_404_with_nghttp(echo):
    if shutil.which("nghttp") is None:
        pytest.skip("nghttp (nghttp2-client) is not installed")
    ok = subprocess.run(["nghttp", "-s", f"http://{echo.addr}/healthz"],
                        capture_output=True, text=True, timeout=20)
    assert ok.returncode == 0, ok.stderr
    assert " 200 " in ok.stdout
    missing = subprocess.run(["nghttp", "-s", f"http://{echo.addr}/missing"],
                             capture_output=True, text=True, timeout=20)
    assert " 404 " in missing.stdout


def test_h2load_smoke(echo):
    """Many concurrent streams on a few connections: every request answered."""
    if shutil.which("h2load") is None:
        pytest.skip("h2load (nghttp2-client) is not installed")
    r = subprocess.run(["h2load", "-n", "20000", "-c", "4", "-m", "32",
                        f"http://{echo.addr}/healthz"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "20000 succeeded, 0 failed, 0 errored" in r.stdout, r.stdout
    assert "status codes: 20000 2xx" in r.stdout, r.stdout
    assert echo.alive()


def test_h2_conformance_kernel(echo):
    """RFC 9113 connection and stream errors with their exact codes (python3-h2)."""
    r = subprocess.run([sys.executable, os.path.join(INTEROP, "h2conform.py"),
                        "--server", echo.addr, "--json"],
                       capture_output=True, text=True, timeout=600)
    results = json.loads(r.stdout)["results"]
    failed = [f"{c['name']}: {c.get('detail', '')}" for c in results
              if c["status"] not in ("PASS", "SKIP")]
    assert not failed, "\n".join(failed)
    assert sum(1 for c in results if c["status"] == "PASS") >= 60
    assert echo.alive()


# ---- our gRPC client (build/tests/grpc-interop-client) ----

class RefServer:
    """python3-grpcio's TestService (tests/interop/ref_server.py) on a free port."""

    def __init__(self, proto_out):
        self.proc = subprocess.Popen([sys.executable, os.path.join(INTEROP, "ref_server.py"),
                                      "--port", "0", "--host", "127.0.0.1",
                                      "--proto-out", str(proto_out)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("listening on "):
            self.close()
            raise RuntimeError(f"ref_server did not start: {line!r}")
        self.addr = f"127.0.0.1:{int(line.split()[2])}"

    def close(self):
        stop_proc(self.proc)


def run_our_client(addr):
    r = subprocess.run([CLIENT, "--server", addr], capture_output=True, text=True, timeout=300)
    lines = {ln.split()[1].rstrip(":"): ln for ln in r.stdout.splitlines()
             if ln.startswith(("PASS ", "FAIL "))}
    return r, lines


@pytest.mark.parametrize("server", ["grpcio", "ours"])
def test_our_grpc_client_interop(server, echo, tmp_path):
    """Every interop case with our client, against grpcio's server and against ours."""
    if server == "grpcio":
        ref = RefServer(tmp_path)
        try:
            r, lines = run_our_client(ref.addr)
        finally:
            ref.close()
    else:
        r, lines = run_our_client(echo.addr)
    assert sorted(lines) == sorted(CASES), r.stdout + r.stderr
    failed = [ln for ln in lines.values() if ln.startswith("FAIL")]
    assert not failed and r.returncode == 0, "\n".join(failed) + r.stderr


# ---- the same service in the data plane, over its own TCP (net_tap) ----

GRPC_PORT = 8080


@pytest.fixture(scope="module")
def grpcdp():
    from sbtest import Dataplane
    dp = Dataplane(extra_conf={"grpc_test_port": GRPC_PORT}).start()
    try:
        yield dp
    finally:
        dp.close()


@pytest.fixture(scope="module")
def dp_interop_results(grpcdp, tmp_path_factory):
    out = tmp_path_factory.mktemp("proto")
    r = grpcdp.ns.run("/usr/bin/python3", os.path.join(INTEROP, "interop_client.py"),
                      "--server", f"{grpcdp.DP_IP4}:{GRPC_PORT}", "--json",
                      "--proto-out", str(out), timeout=300, check=False)
    return {c["case"]: c for c in json.loads(r.stdout)}


@pytest.mark.parametrize("case", CASES)
def test_grpc_interop_dataplane(grpcdp, dp_interop_results, case):
    res = dp_interop_results.get(case)
    assert res is not None, f"{case} did not run"
    assert res["ok"], f"{case}: {res['detail']}"


def test_dataplane_h2_conformance_and_healthz(grpcdp):
    r = grpcdp.ns.run("/usr/bin/python3", os.path.join(INTEROP, "h2conform.py"),
                      "--server", f"{grpcdp.DP_IP4}:{GRPC_PORT}", "--json",
                      timeout=600, check=False)
    results = json.loads(r.stdout)["results"]
    failed = [f"{c['name']}: {c.get('detail', '')}" for c in results
              if c["status"] not in ("PASS", "SKIP")]
    assert not failed, "\n".join(failed)
    ok = grpcdp.ns.run("nghttp", "-s", f"http://[{grpcdp.DP_IP6}]:{GRPC_PORT}/healthz",
                       timeout=30, check=False)
    assert " 200 " in ok.stdout, ok.stdout + ok.stderr
    # The protocol errors the checks provoked are counted per worker.
    st = grpcdp.telemetry.query("/slimbridge/grpc")["worker_0"]
    assert st["accepted"] >= 60, st
    assert st["h2_conn_errors_sent"] >= 30 and st["h2_stream_errors_sent"] >= 10, st
    assert st["h2_streams_opened"] > 0 and st["h2_frames_in"] > 0, st


def test_dataplane_dials_grpc_over_its_tcp(grpcdp):
    """A worker dials a kernel gRPC server over the data plane's own TCP (the
    way the bridge reaches a peer) and its EmptyCall ends OK; IPv4 and IPv6."""
    server = subprocess.Popen(["ip", "netns", "exec", grpcdp.ns.name, ECHO, "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        assert line.startswith("listening on "), line
        port = int(line.split()[2])
        for addr in (grpcdp.PEER_IP4, grpcdp.PEER_IP6):
            q = grpcdp.telemetry.query(f"/slimbridge/grpc_call,0,{addr},{port}")
            assert q["worker"] == 0, q
        deadline = time.monotonic() + 20
        st = {}
        while time.monotonic() < deadline:
            st = grpcdp.telemetry.query("/slimbridge/grpc")["worker_0"]
            if st["calls_ok"] + st["calls_failed"] >= 2:
                break
            time.sleep(0.1)
        assert st["dialled"] == 2 and st["calls_ok"] == 2, st
        assert st["calls_failed"] == 0 and st["last_status"] == 0, st
    finally:
        stop_proc(server)


def test_grpc_rejects_compression_and_non_grpc_requests(echo):
    """gRPC rules the interop cases do not reach: an encoding we do not have is
    UNIMPLEMENTED (with grpc-accept-encoding), a gRPC path without a gRPC
    content-type is 415, a GET of a gRPC path 415 too, anything else 404."""
    import grpc
    with grpc.insecure_channel(echo.addr) as ch:
        call = ch.unary_unary("/grpc.testing.TestService/EmptyCall",
                              request_serializer=lambda b: b,
                              response_deserializer=lambda b: b)
        with pytest.raises(grpc.RpcError) as e:
            call(b"", timeout=10, compression=grpc.Compression.Gzip)
        assert e.value.code() == grpc.StatusCode.UNIMPLEMENTED, e.value
        assert "gzip" in e.value.details()
        # Uncompressed on the same channel still works.
        assert call(b"", timeout=10) == b""
    if shutil.which("nghttp") is None:
        pytest.skip("nghttp (nghttp2-client) is not installed")
    r = subprocess.run(["nghttp", "-s", "-d", "/dev/null",
                        f"http://{echo.addr}/grpc.testing.TestService/EmptyCall"],
                       capture_output=True, text=True, timeout=20)
    assert " 415 " in r.stdout, r.stdout + r.stderr
    r = subprocess.run(["nghttp", "-s", f"http://{echo.addr}/nothing/here"],
                       capture_output=True, text=True, timeout=20)
    assert " 404 " in r.stdout, r.stdout + r.stderr
