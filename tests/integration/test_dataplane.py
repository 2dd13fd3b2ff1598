"""The data plane on net_tap against a real kernel peer in a network namespace."""
import re
import signal
import subprocess
import threading
import time

import pytest

from sbtest import CONTROL, DATAPLANE, Dataplane, sh, unique


def loss(ping_output):
    m = re.search(r"(\d+(?:\.\d+)?)% packet loss", ping_output)
    assert m, ping_output
    return float(m.group(1))


def test_ping_ipv4_1000_at_2ms_no_loss(dataplane):
    r = dataplane.ns.run("ping", "-c", "1000", "-i", "0.002", "-W", "1", "-q", dataplane.DP_IP4)
    assert loss(r.stdout) == 0.0, r.stdout
    st = dataplane.stats()
    assert st["icmp_echo_reply_out"] >= 1000
    assert st["tx_packets"] >= 1000


def test_ping_ipv6(dataplane):
    r = dataplane.ns.run("ping", "-6", "-c", "50", "-i", "0.01", "-W", "1", "-q", dataplane.DP_IP6)
    assert loss(r.stdout) == 0.0, r.stdout
    assert dataplane.stats()["icmp6_echo_reply_out"] >= 50


def test_ping_ipv6_link_local(dataplane):
    ll = next(x for x in dataplane.telemetry.query("/slimbridge/ports")["net_tap0"]
              if x.startswith("ipv6_ll="))[len("ipv6_ll="):]
    r = dataplane.ns.run("ping", "-6", "-c", "5", "-i", "0.05", "-W", "1", "-q",
                         f"{ll}%{dataplane.tap}")
    assert loss(r.stdout) == 0.0, r.stdout


def test_neighbour_entries_on_both_sides(dataplane):
    dataplane.ns.run("ping", "-c", "3", "-i", "0.05", dataplane.DP_IP4)
    dataplane.ns.run("ping", "-6", "-c", "3", "-i", "0.05", dataplane.DP_IP6)
    ports = dataplane.telemetry.query("/slimbridge/ports")["net_tap0"]
    mac = next(x for x in ports if x.startswith("mac="))[4:]

    # Kernel side: our answers (ARP reply, neighbour advertisement) created the entries.
    for ip in (dataplane.DP_IP4, dataplane.DP_IP6):
        out = dataplane.ns.run("ip", "neigh", "show", ip, "dev", dataplane.tap).stdout
        assert f"lladdr {mac}" in out, out
        assert re.search(r"REACHABLE|STALE|DELAY|PROBE", out), out

    # Our side: the worker learned the peer and the main lcore put it in the cache.
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        neigh = neigh_entries(dataplane)
        if dataplane.PEER_IP4 in neigh and dataplane.PEER_IP6 in neigh:
            break
        time.sleep(0.05)
    assert neigh.get(dataplane.PEER_IP4) == dataplane.PEER_MAC, neigh
    assert neigh.get(dataplane.PEER_IP6) == dataplane.PEER_MAC, neigh


def neigh_entries(dp):
    return {e.split()[0]: e.split()[1] for e in dp.telemetry.query("/slimbridge/neigh,0")["entries"]}


def test_resolve_asks_the_kernel_and_learns_the_answer(dataplane):
    # A second peer address the kernel never used towards us: only resolution can learn it.
    sh("ip", "-n", dataplane.ns.name, "addr", "add", "192.0.2.77/24", "dev", dataplane.tap)
    sh("ip", "-n", dataplane.ns.name, "-6", "addr", "add", "2001:db8::77/64", "dev",
       dataplane.tap, "nodad")
    assert "192.0.2.77" not in neigh_entries(dataplane)
    for ip in ("192.0.2.77", "2001:db8::77"):
        assert dataplane.telemetry.query(f"/slimbridge/resolve,0,{ip}")["queued"] == ip
    # A solicitation the kernel missed (a loaded CI host, the fresh IPv6 address) is asked
    # again, as traffic would: the worker sends at most one per address per second.
    deadline = time.monotonic() + 6
    asked = time.monotonic()
    while time.monotonic() < deadline:
        n = neigh_entries(dataplane)
        if "192.0.2.77" in n and "2001:db8::77" in n:
            break
        if time.monotonic() - asked > 1.1:
            for ip in ("192.0.2.77", "2001:db8::77"):
                if ip not in n:
                    dataplane.telemetry.query(f"/slimbridge/resolve,0,{ip}")
            asked = time.monotonic()
        time.sleep(0.05)
    assert n.get("192.0.2.77") == dataplane.PEER_MAC, n
    assert n.get("2001:db8::77") == dataplane.PEER_MAC, n
    st = dataplane.stats()
    assert st["arp_reply_in"] >= 1 and st["ndp_na_in"] >= 1


@pytest.mark.parametrize("dataplane", [{"extra_conf": {"neighbour": {"timeout": 1}}}],
                         indirect=True)
def test_neighbour_entries_expire(dataplane):
    dataplane.ns.run("ping", "-c", "1", dataplane.DP_IP4)
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline and dataplane.PEER_IP4 not in neigh_entries(dataplane):
        time.sleep(0.01)
    assert dataplane.PEER_IP4 in neigh_entries(dataplane)
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline and dataplane.PEER_IP4 in neigh_entries(dataplane):
        time.sleep(0.1)
    assert dataplane.PEER_IP4 not in neigh_entries(dataplane)


GARP = """
import socket, struct, sys
ifname, mac, ip = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), socket.inet_aton(sys.argv[3])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac + ip + bytes(6) + ip
s.send(b"\\xff" * 6 + mac + b"\\x08\\x06" + arp + bytes(18))
"""


def send_garp(dp, mac, ip):
    dp.ns.run("/usr/bin/python3", "-c", GARP, dp.tap, mac, ip)


def test_gratuitous_arp_refreshes_but_never_creates(dataplane):
    # A stranger announcing itself does not get into the cache...
    send_garp(dataplane, "02:66:00:00:00:99", "192.0.2.99")
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and dataplane.stats()["neigh_ignored"] < 1:
        time.sleep(0.02)
    assert dataplane.stats()["neigh_ignored"] >= 1
    assert "192.0.2.99" not in neigh_entries(dataplane)
    # ...but a known neighbour announcing a new MAC is followed (RFC 826 merge).
    dataplane.ns.run("ping", "-c", "1", dataplane.DP_IP4)
    send_garp(dataplane, "02:66:00:00:00:02", dataplane.PEER_IP4)
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and \
            neigh_entries(dataplane).get(dataplane.PEER_IP4) != "02:66:00:00:00:02":
        time.sleep(0.02)
    assert neigh_entries(dataplane).get(dataplane.PEER_IP4) == "02:66:00:00:00:02"


CONNECT = """
import socket, sys, time
t0 = time.monotonic()
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
    print("connected")
except ConnectionRefusedError:
    print("refused %.3f" % (time.monotonic() - t0))
except OSError as e:
    print("error", e)
"""


@pytest.mark.parametrize("ip", [Dataplane.DP_IP4, Dataplane.DP_IP6])
def test_tcp_syn_to_closed_port_gets_rst(dataplane, ip):
    out = dataplane.ns.run("/usr/bin/python3", "-c", CONNECT, ip, "7").stdout.split()
    # Refused (an RST came back), and at once: not a timeout.
    assert out[0] == "refused" and float(out[1]) < 1.0, out
    st = dataplane.stats()
    assert st["tcp_rst_out"] >= 1
    assert st["drop_l4_no_handler"] == 0


def test_ipv4_fragments_dropped_and_counted(dataplane):
    r = dataplane.ns.run("ping", "-c", "3", "-i", "0.05", "-W", "1", "-s", "3000",
                         dataplane.DP_IP4, check=False)
    assert loss(r.stdout) == 100.0
    assert dataplane.stats()["drop_ip4_fragment"] >= 6


def test_telemetry_ethdev_and_stats(dataplane):
    dataplane.ns.run("ping", "-c", "5", "-i", "0.02", "-q", dataplane.DP_IP4)
    eth = dataplane.telemetry.query("/ethdev/stats,0")
    assert eth["ipackets"] >= 5 and eth["opackets"] >= 5
    st = dataplane.stats()
    assert st["workers"] == 1
    assert st["per_worker_rx_packets"][0] == st["rx_packets"]
    lc = dataplane.telemetry.query("/slimbridge/lcore,0")
    assert lc["icmp_echo_in"] >= 5


def test_telemetry_crypto_engine_defaults_to_ipsec_mb(dataplane):
    c = dataplane.telemetry.query("/slimbridge/crypto")
    assert c["backend"] == "ipsec-mb", c
    assert c["arch"] in ("sse", "avx", "avx2", "avx512"), c
    assert c["engine"].startswith("ipsec-mb "), c
    assert c["worker_0"]["auth_failures"] == 0 and "seals" in c


@pytest.mark.parametrize("dataplane", [{"extra_conf": {"crypto": {"backend": "openssl"}}}],
                         indirect=True)
def test_crypto_backend_openssl_selected_at_run_time(dataplane):
    c = dataplane.telemetry.query("/slimbridge/crypto")
    assert c["backend"] == "openssl", c
    assert c["engine"].startswith("openssl OpenSSL 3"), c


def test_bad_crypto_backend_exits_2():
    r = run_bad("crypto: {backend: qat}\nports:\n  - name: net_null0\n", "--vdev", "net_null0")
    assert r.returncode == 2
    assert "crypto.backend" in r.stderr and "ipsec-mb" in r.stderr, r.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_clean_shutdown_within_a_second(dataplane, sig):
    dataplane.ns.run("ping", "-c", "3", "-i", "0.05", "-q", dataplane.DP_IP4)
    rc, took = dataplane.stop(sig)
    assert rc == 0, dataplane.proc.output()
    assert took < 1.0, f"took {took:.2f}s"
    assert "stopped" in dataplane.proc.output()


def test_clean_shutdown_while_telemetry_is_polled(dataplane):
    stop = threading.Event()
    answers = []

    def poll():
        while not stop.is_set():
            for cmd in ("/slimbridge/stats", "/slimbridge/neigh,0", "/slimbridge/lcore,0"):
                try:
                    answers.append(dataplane.telemetry.query(cmd))
                except (OSError, ValueError, KeyError):
                    pass  # the socket goes away with the process

    threads = [threading.Thread(target=poll) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    rc, took = dataplane.stop()
    stop.set()
    for t in threads:
        t.join()
    assert answers, "telemetry never answered"
    assert rc == 0, dataplane.proc.output()
    assert took < 1.0, f"took {took:.2f}s"


@pytest.mark.parametrize("dataplane", [{"workers": 2}], indirect=True)
def test_two_workers_share_traffic_by_rss(dataplane):
    # 16 source addresses, so flows hash onto both queues.
    for i in range(16):
        sh("ip", "-n", dataplane.ns.name, "addr", "add", f"192.0.2.{100 + i}/24", "dev",
           dataplane.tap)
    procs = [subprocess.Popen(["ip", "netns", "exec", dataplane.ns.name, "ping", "-c", "20",
                               "-i", "0.01", "-W", "1", "-q", "-I", f"192.0.2.{100 + i}",
                               dataplane.DP_IP4], stdout=subprocess.PIPE, text=True)
             for i in range(16)]
    for p in procs:
        out, _ = p.communicate(timeout=60)
        assert loss(out) == 0.0, out
    st = dataplane.stats()
    assert st["workers"] == 2
    assert all(n > 0 for n in st["per_worker_rx_packets"]), st["per_worker_rx_packets"]
    assert st["icmp_echo_reply_out"] >= 320


IMPAIR = {"drop": 0.2, "seed": 7}


@pytest.mark.parametrize("dataplane", [{"impair": IMPAIR}], indirect=True)
def test_impairment_drops_what_it_is_told(dataplane):
    r = dataplane.ns.run("ping", "-c", "300", "-i", "0.005", "-W", "1", "-q", dataplane.DP_IP4,
                         check=False)
    # 20 % on RX and 20 % on TX: a request/reply pair survives with p = 0.64.
    assert 20.0 <= loss(r.stdout) <= 52.0, r.stdout
    assert dataplane.stats()["drop_impair_drop"] > 0


@pytest.mark.parametrize("dataplane", [{"impair": {"duplicate": 1.0, "seed": 3}}],
                         indirect=True)
def test_impairment_duplicates(dataplane):
    # -w: without a deadline ping waits only max(2 * max RTT, interval) for the
    # last reply once replies have come, and a busy 2-core VM can stall longer.
    # With one it stops at the 5th answer or after 10 s, sending on meanwhile,
    # so a late answer can let a 6th request out that ping leaves unanswered:
    # the check is that requests 1-5 were all answered.
    r = dataplane.ns.run("ping", "-c", "5", "-i", "0.05", "-w", "10", dataplane.DP_IP4)
    answered = {int(n) for n in re.findall(r"icmp_seq=(\d+) ttl=\d+ time=\S+ ms\n", r.stdout)}
    assert {1, 2, 3, 4, 5} <= answered, r.stdout
    sent = int(re.search(r"(\d+) packets transmitted", r.stdout).group(1))
    # Each request is doubled on RX and each reply on TX: 4 replies per request,
    # 3 of them duplicates (ping exits at the 5th answer, before its duplicates).
    m = re.search(r"\+(\d+) duplicates", r.stdout)
    assert m and 12 <= int(m.group(1)) <= 3 * sent, r.stdout
    assert 10 <= dataplane.stats()["icmp_echo_in"] <= 2 * sent


@pytest.mark.parametrize("dataplane", [{"impair": {"reorder": 0.5, "seed": 5}}],
                         indirect=True)
def test_impairment_reorders_without_losing(dataplane):
    # Held packets go out after the next one, or after 1 ms: delayed, never lost.
    r = dataplane.ns.run("ping", "-c", "200", "-i", "0.002", "-W", "1", "-q", dataplane.DP_IP4)
    assert loss(r.stdout) == 0.0, r.stdout
    lc = dataplane.telemetry.query("/slimbridge/lcore,0")
    assert lc["drop_impair_drop"] == 0


def run_bad(conf_text, *eal):
    tmp = f"/tmp/{unique('cfg')}.yaml"
    with open(tmp, "w") as f:
        f.write(conf_text)
    prefix = unique("fp")
    try:
        r = subprocess.run([DATAPLANE, "--no-huge", "-m", "128", "--no-pci", "--file-prefix", prefix,
                            "-l", "0-1", *eal, "--", "--config", tmp],
                           capture_output=True, text=True, timeout=60)
    finally:
        subprocess.run(["rm", "-rf", tmp, f"/var/run/dpdk/{prefix}"])
    return r


def test_bad_config_unknown_key_exits_2():
    r = run_bad("workers: 1\nportz: []\n")
    assert r.returncode == 2
    assert "portz" in r.stderr and "unknown key" in r.stderr, r.stderr


def test_bad_config_bad_value_exits_2():
    r = run_bad("ports:\n  - name: net_null0\n    ipv4: 192.0.2.1/40\n")
    assert r.returncode == 2
    assert "ports[0].ipv4" in r.stderr, r.stderr


def test_missing_device_exits_2():
    tap = unique("t")
    r = run_bad("ports:\n  - name: net_tap7\n", "--vdev", f"net_tap0,iface={tap}")
    assert r.returncode == 2
    assert "ports[0].name" in r.stderr and "net_tap7" in r.stderr, r.stderr


def test_too_many_workers_exits_2():
    r = run_bad("workers: 3\nports:\n  - name: net_null0\n", "--vdev", "net_null0")
    assert r.returncode == 2
    assert "workers" in r.stderr, r.stderr


def test_missing_config_file_exits_2():
    r = subprocess.run([DATAPLANE, "--no-huge", "--", "--config", "/nonexistent/x.yaml"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert "/nonexistent/x.yaml" in r.stderr


def run(*argv):
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=30)


def test_dataplane_help_version_and_usage_errors():
    for argv in ([DATAPLANE, "--", "--help"], [DATAPLANE, "-h"], [DATAPLANE, "--", "-h"]):
        r = run(*argv)
        assert r.returncode == 0, argv
        # Every application option the help names is one the parser accepts.
        for opt in ("-c, --config FILE", "-h, --help", "-V, --version"):
            assert opt in r.stdout, (argv, opt)
        assert "Exit status: 0 after a clean stop, 2 for bad usage" in r.stdout
        for cmd in ("/slimbridge/stats", "/slimbridge/policy", "/slimbridge/neigh"):
            assert cmd in r.stdout
    for argv in ([DATAPLANE, "--", "--version"], [DATAPLANE, "--", "-V"]):
        r = run(*argv)
        assert r.returncode == 0 and r.stdout.startswith("slimbridge-dataplane 0."), r.stdout
    r = run(DATAPLANE, "--", "--config")
    assert r.returncode == 2 and "requires an argument" in r.stderr, r.stderr
    r = run(DATAPLANE, "--", "--config", "a.yaml", "extra")
    assert r.returncode == 2 and "unexpected argument 'extra'" in r.stderr, r.stderr


def test_control_help_version_and_usage_errors():
    r = run(CONTROL, "--help")
    assert r.returncode == 0
    for opt in ("--shm-name NAME", "--slot-size MIB", "--keep", "--quiet", "--version"):
        assert opt in r.stdout, opt
    r = run(CONTROL, "--version")
    assert r.returncode == 0 and "shm ABI 1." in r.stdout, r.stdout
    r = run(CONTROL, "--shm-name", "a/b")
    assert r.returncode == 2 and "--shm-name" in r.stderr, r.stderr
    r = run(CONTROL, "--slot-size", "0")
    assert r.returncode == 2 and "--slot-size" in r.stderr, r.stderr
    r = run(CONTROL, "--bogus")
    assert r.returncode == 2
