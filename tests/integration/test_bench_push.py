"""Smoke run of build/perf/bench-push --quick, so that the benchmark cannot rot: it
starts the real control process and data plane, pushes through the API and waits for
every push to be acknowledged (its exit status says whether each one was). Timings are
printed by the bench and never asserted here."""
import os
import subprocess

import pytest

from sbtest import BUILD

BENCH = os.path.join(BUILD, "perf", "bench-push")


def test_bench_push_quick():
    if not os.access(BENCH, os.X_OK):
        pytest.skip(f"{BENCH} is not built")
    p = subprocess.Popen([BENCH, "--quick"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        out, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.terminate()  # the bench stops its children and removes what it made
        out, err = p.communicate(timeout=20)
        raise AssertionError(f"bench-push --quick took over 60 s:\n{out}\n{err}")
    assert p.returncode == 0, f"{out}\n{err}"
    for text in ("single change (Update of one agent): 20 pushes",
                 "1,000-change batch (Apply of 1,000 agents): 2 pushes",
                 "sustained: Updates of one agent back to back",
                 "changes applied"):
        assert text in out, out
    # Nothing left behind: shm objects, EAL run directory.
    name = f"sbpush-{p.pid}"
    assert not os.path.exists(f"/dev/shm/{name}.policy")
    assert not os.path.exists(f"/dev/shm/{name}.status")
    assert not os.path.exists(f"/dev/shm/{name}.audit")
    assert not os.path.exists(f"/var/run/dpdk/{name}")
