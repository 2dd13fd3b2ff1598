"""The lossless audit pipeline without DPDK (docs/audit.md): build/tests/audit-produce
stands in for the data plane's workers on /dev/shm/NAME.audit, slimbridge-control's
audit writer drains the rings into segment files, and the CLI queries them.

Every record is checked in the segment files themselves, read here from the byte
layout docs/audit.md documents (header, frames, CRC-32): each (worker, seq) exactly
once, every seq present. The rings are small (1024 records) so that the producer
has to wait for the writer (back-pressure) rather than lose records."""
import datetime
import json
import os
import shutil
import signal
import struct
import subprocess
import tempfile
import time
import zlib

from sbtest import BUILD, CLI, CONTROL, Process, unique

PRODUCE = os.path.join(BUILD, "tests", "audit-produce")
FRAME = 12 + 256
FRAME_MAGIC = 0x43524253


def read_segment(path):
    """The records of one segment file: [(worker, seq, ts_ns, project, decision)]."""
    with open(path, "rb") as f:
        b = f.read()
    assert b[:8] == b"SBAUDSG1", path
    version, hl, _created, index, rec_size, n = struct.unpack_from("<IIQQII", b, 8)
    assert (version, rec_size, hl) == (1, 256, 44 + 8 * n)
    assert struct.unpack_from("<I", b, hl - 4)[0] == zlib.crc32(b[:hl - 4])
    assert path.endswith("seg-%020d.sbaudit" % index)
    out = []
    off = hl
    while off + FRAME <= len(b):
        magic, length, crc = struct.unpack_from("<III", b, off)
        assert magic == FRAME_MAGIC and length == 256, (path, off)
        rec = b[off + 12:off + FRAME]
        assert crc == zlib.crc32(rec, zlib.crc32(b[off + 4:off + 8])), (path, off)
        decision = rec[2]
        worker, = struct.unpack_from("<I", rec, 8)
        ts, seq = struct.unpack_from("<QQ", rec, 16)
        project = rec[224:256].split(b"\0")[0].decode()
        out.append((worker, seq, ts, project, decision))
        off += FRAME
    assert off == len(b), f"{path}: {len(b) - off} bytes after the last frame"
    return out


def segments(d):
    return sorted(f for f in os.listdir(d) if f.startswith("seg-") and f.endswith(".sbaudit"))


def read_all(d):
    recs = []
    for f in segments(d):
        recs += read_segment(os.path.join(d, f))
    return recs


def assert_exactly_once(recs, rings, first, last):
    seen = {}
    for w, seq, *_ in recs:
        key = (w, seq)
        assert key not in seen, f"record {key} written twice"
        seen[key] = True
    for w in range(rings):
        missing = [s for s in range(first, last + 1) if (w, s) not in seen]
        assert not missing, f"worker {w}: {len(missing)} seqs missing, from {missing[:5]}"
    assert len(seen) == rings * (last - first + 1)


class Ctl:
    """slimbridge-control with its own shm name, database and audit directory."""

    def __init__(self, *args):
        self.name = unique("au")
        self.tmp = tempfile.mkdtemp(prefix="sbaudit")
        self.audit_dir = os.path.join(self.tmp, "audit")
        self.args = list(args)
        self.proc = None
        self.start()

    def start(self):
        self.proc = Process([CONTROL, "--shm-name", self.name, "--db",
                             os.path.join(self.tmp, "policy.db"), "--port", "0",
                             "--audit-dir", self.audit_dir, *self.args])
        if not self.proc.wait_for("audit from", timeout=10):
            raise AssertionError("control did not start:\n" + self.proc.output())
        line = [l for l in self.proc.lines if "API on" in l][-1]
        self.server = f"127.0.0.1:{int(line.rsplit(' ', 1)[1])}"

    def cli(self, *args, timeout=60):
        return subprocess.run([CLI, "--server", self.server, *args], capture_output=True,
                              text=True, timeout=timeout)

    def stats(self):
        r = self.cli("--json", "audit", "stats")
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def query(self, *args):
        r = self.cli("audit", "query", "--json", *args)
        assert r.returncode == 0, (args, r.stderr)
        return json.loads(r.stdout)

    def wait_records(self, n, timeout=60):
        deadline = time.monotonic() + timeout
        st = None
        while time.monotonic() < deadline:
            st = self.stats()
            if st.get("records", 0) >= n and all(r["head"] == r["tail"]
                                                 for r in st.get("rings", [])):
                return st
            time.sleep(0.05)
        raise AssertionError(f"writer did not write {n} records: {st}")

    def close(self):
        if self.proc is not None:
            self.proc.stop()
        for suffix in (".audit", ".policy", ".status"):
            try:
                os.unlink(f"/dev/shm/{self.name}{suffix}")
            except FileNotFoundError:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)


def produce(name, *args, timeout=120):
    r = subprocess.run([PRODUCE, name, *args], capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_every_record_exactly_once_under_back_pressure():
    ctl = Ctl()
    try:
        out = produce(ctl.name, "--rings", "2", "--ring-size", "1024", "--count", "100000")
        assert out["produced"] == 200000 and out["full"] == 0
        # The rings (1024 records) filled: the producer had to wait for the writer.
        assert out["waits"] > 0, out
        st = ctl.wait_records(200000)
        assert st["records"] == 200000
        assert st["gaps"] == 0 and st["duplicatesSkipped"] == 0 and st["writeErrors"] == 0
        assert st["attached"] is True and len(st["rings"]) == 2
        assert sum(r["waits"] for r in st["rings"]) == out["waits"]
        assert all(r["head"] == 100000 and r["size"] == 1024 for r in st["rings"])
        # Through the API: the newest first, the limit honoured, truncated set.
        q = ctl.query("--limit", "10000")
        assert len(q["records"]) == 10000 and q["truncated"] is True
        times = [r["timeNs"] for r in q["records"]]
        assert times == sorted(times, reverse=True)
        assert max(r["seq"] for r in q["records"]) == 100000
        ctl.proc.stop()
        assert_exactly_once(read_all(ctl.audit_dir), 2, 1, 100000)
        assert "GAP" not in ctl.proc.output()
    finally:
        ctl.close()


def test_kill_minus_9_mid_way_loses_and_duplicates_nothing():
    ctl = Ctl("--audit-fsync", "never")
    prod = None
    try:
        # 2 x 60000 at 40000/s per ring: the writer dies about a third of the way in.
        prod = subprocess.Popen([PRODUCE, ctl.name, "--rings", "2", "--ring-size", "1024",
                                 "--count", "60000", "--rate", "40000"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while ctl.stats()["records"] < 30000:
            assert time.monotonic() < deadline, "the writer never got going"
            time.sleep(0.01)
        ctl.proc.p.send_signal(signal.SIGKILL)
        ctl.proc.p.wait()
        # Without a writer the rings fill and the producer is held back, not dropping.
        time.sleep(1.5)
        assert prod.poll() is None, "the producer finished without a writer"
        ctl.start()
        out, err = prod.communicate(timeout=120)
        assert prod.returncode == 0, err
        res = json.loads(out)
        assert res["produced"] == 120000 and res["full"] == 0 and res["waits"] > 0
        st = ctl.wait_records(1)
        deadline = time.monotonic() + 30
        while not all(r["head"] == 60000 and r["tail"] == 60000 for r in st["rings"]):
            assert time.monotonic() < deadline, st
            time.sleep(0.05)
            st = ctl.stats()
        assert st["gaps"] == 0, st
        ctl.proc.stop()
        assert_exactly_once(read_all(ctl.audit_dir), 2, 1, 60000)
    finally:
        if prod is not None and prod.poll() is None:
            prod.kill()
        ctl.close()


def test_query_filters():
    ctl = Ctl()
    try:
        produce(ctl.name, "--count", "1000", "--project", "alpha", "--decision", "allowed")
        ctl.wait_records(1000)
        time.sleep(0.05)
        t = time.time()
        time.sleep(0.05)
        produce(ctl.name, "--count", "900", "--project", "beta", "--decision", "mix")
        ctl.wait_records(1900)

        q = ctl.query("--project", "alpha", "--limit", "10000")
        assert len(q["records"]) == 1000 and q["truncated"] is False
        assert all(r["project"] == "alpha" and r["decision"] == "allowed" for r in q["records"])
        # Seqs go on in the re-attached object: beta is 1001..1900, every third denied.
        q = ctl.query("--project", "beta", "--decision", "denied", "--limit", "10000")
        assert len(q["records"]) == 300
        for r in q["records"]:
            assert r["seq"] % 3 == 0 and r["decision"] == "denied"
            assert r["reason"] == "SLIM disabled for this project" and r["level"] == "project"
        assert len(ctl.query("--project", "beta", "--decision", "allowed",
                             "--limit", "10000")["records"]) == 600
        # --since as RFC 3339 and as Unix seconds: time >= T; --until: time < T.
        rfc = datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%S.%fZ")
        for since in (rfc, "%.6f" % t):
            q = ctl.query("--since", since, "--limit", "10000")
            assert len(q["records"]) == 900 and {r["project"] for r in q["records"]} == {"beta"}
        q = ctl.query("--until", rfc, "--limit", "10000")
        assert len(q["records"]) == 1000 and {r["project"] for r in q["records"]} == {"alpha"}
        assert len(ctl.query("--since", "1h", "--project", "alp*", "--limit", "10000")
                   ["records"]) == 1000
        assert ctl.query("--since", "2099-01-01T00:00:00Z").get("records", []) == []
        q = ctl.query("--type", "slim_communication", "--source", "acme/app0/agent3",
                      "--destination", "partner/app/agent*", "--trust", "t-partner",
                      "--limit", "10000")
        assert len(q["records"]) == 190 and all(r["seq"] % 10 == 3 for r in q["records"])
        r0 = q["records"][0]
        assert r0["time"].endswith("Z") and len(r0["time"]) == 30
        assert r0["encryption"] in ("none", "aes-256-gcm") or r0["encryption"].startswith(
            "mls epoch ")
        # Human output: one line per record.
        r = ctl.cli("audit", "query", "--project", "beta", "--limit", "5")
        assert r.returncode == 0 and len(r.stdout.splitlines()) == 5, r
        assert " -> partner/app/agent" in r.stdout and "more records match" in r.stderr
        # Bad arguments: a message and exit status 2, no request sent.
        for bad in (["--decision", "maybe"], ["--since", "yesterday"], ["--limit", "0"],
                    ["--limit", "10001"], ["--type", "other"], ["extra"],
                    ["--since", "2h", "--until", "3h"]):
            r = ctl.cli("audit", "query", *bad)
            assert r.returncode == 2 and r.stderr.startswith("slimbridge: "), (bad, r)
        assert ctl.cli("audit", "frobnicate").returncode == 2
        r = ctl.cli("audit", "stats")
        assert r.returncode == 0 and "records 1900" in r.stdout, r.stdout
    finally:
        ctl.close()


def test_rotation_keeps_the_newest_segments():
    ctl = Ctl("--audit-segment-mb", "1", "--audit-keep", "3")
    try:
        produce(ctl.name, "--ring-size", "1024", "--count", "20000")
        st = ctl.wait_records(20000)
        # 20000 frames of 268 bytes: 6 segments of at most 1 MiB; the 3 newest kept.
        assert st["segmentsCreated"] == 6 and st["segmentsRemoved"] == 3, st
        assert st["segments"] == 3
        files = segments(ctl.audit_dir)
        assert files == ["seg-%020d.sbaudit" % i for i in (4, 5, 6)]
        for f in files:
            assert os.path.getsize(os.path.join(ctl.audit_dir, f)) <= 1 << 20
        ctl.proc.stop()
        recs = read_all(ctl.audit_dir)
        seqs = [s for _, s, *_ in recs]
        # What is kept is the newest, whole and in order.
        assert seqs == list(range(20000 - len(seqs) + 1, 20001))
        assert len(seqs) == 20000 - 3 * (((1 << 20) - 52) // FRAME)
        # A restart with the same directory appends to the newest segment.
        ctl.start()
        produce(ctl.name, "--ring-size", "1024", "--count", "100")
        ctl.wait_records(100)
        ctl.proc.stop()
        assert segments(ctl.audit_dir)[-1] == "seg-%020d.sbaudit" % 6
        assert [s for _, s, *_ in read_all(ctl.audit_dir)][-1] == 20100
    finally:
        ctl.close()
