"""Smoke run of build/perf/bench-bridge with short slices, so that the benchmark cannot
rot: every path row sends real publishes through two SLIM nodes in memory (identity,
policy, content rules, seal, open, audit) and the bench exits 1 when a message is not
delivered, is denied, or lacks its audit record. Timings are printed by the bench and
never asserted here."""
import os
import re
import subprocess

import pytest

from sbtest import BUILD

BENCH = os.path.join(BUILD, "perf", "bench-bridge")


def run(*args, timeout=120):
    if not os.access(BENCH, os.X_OK):
        pytest.skip(f"{BENCH} is not built")
    p = subprocess.run([BENCH, *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def test_bench_bridge_every_row_delivers():
    rc, out, err = run("--time", "0.05")
    assert rc == 0, f"{out}\n{err}"
    rows = {(m.group(1).strip(), int(m.group(2)))
            for m in re.finditer(r"^\| ([a-z][a-z0-9 ()-]+?) \| (\d+) \|", out, re.M)}
    for path in ("seal aes", "seal mls", "plain", "cross-app", "cross-org aes", "cross-org mls"):
        for batch in (1, 8):
            assert (path, batch) in rows, f"row {path} batch {batch} missing:\n{out}"
    assert ("cross-org aes", 64) in rows and ("cross-org mls", 63) in rows, out
    assert "FAILED" not in out, out


def test_bench_bridge_rows_filter():
    rc, out, err = run("--only", "path", "--rows", "cross-app", "--time", "0.05")
    assert rc == 0, f"{out}\n{err}"
    names = {m.group(1).strip() for m in re.finditer(r"^\| ([a-z][a-z -]+?) \| \d+ \|", out, re.M)}
    assert names == {"cross-app"}, out
    rc, out, err = run("--rows", "nope")
    assert rc == 2 and "no row starts with 'nope'" in err, (rc, out, err)


def test_bench_mac_agrees_with_multi_buffer_hmac():
    """bench-mac checks every multi-buffer HMAC-SHA256 (intel-ipsec-mb) against
    slim_mac_compute (OpenSSL) on real header preimages, and exits 1 on a difference:
    an independent cross-check of the link MAC, besides the smoke run."""
    mac = os.path.join(BUILD, "perf", "bench-mac")
    if not os.access(mac, os.X_OK):
        pytest.skip(f"{mac} is not built")
    p = subprocess.run([mac, "--time", "0.01"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, f"{p.stdout}\n{p.stderr}"
    assert "MISMATCH" not in p.stdout + p.stderr
    assert re.search(r"^\| enc\+str\+id \| \d+ \| 64 \|", p.stdout, re.M), p.stdout
