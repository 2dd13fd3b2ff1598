"""Two organisations end to end (issue 10): acme and partner-corp, each behind its
own bridge (data plane + control process), built once for the module by
tests/integration/twoorg.py (the same code as ./scripts/run).

What a user of the bridge relies on, checked on real SLIM connections:
- the scenario's six messages: what arrived (byte for byte: names, identity,
  session, payload, metadata) and what came back (reason and level);
- one audit record per message at each bridge it crossed, with its decision,
  reason, level, trust and encryption;
- the inter-bridge link carries no plaintext payload (tcpdump on the link);
- rekeys under traffic lose nothing (small --rekey-messages on the trust);
- a control process restarted under traffic loses nothing;
- the audit path is lossless when its ring fills (writer stopped with SIGSTOP);
- a dead peer bridge opens the circuit breaker ("circuit open"); the peer back
  closes it after the cooldown.

Waits are polls with deadlines; nothing asserts how long anything took."""
import os
import signal
import struct
import time

import pytest

from twoorg import (QUERY, R_BLOCKED, R_CIRCUIT, R_CONTENT, R_IDENTITY, R_INBOUND, TASK,
                    BRIDGE_REASONS, TwoOrg, differences, poll, read_audit_shm, rec, rec_decision,
                    rec_msg_id, seal_of)

REKEY_MESSAGES = 25     # the control processes rekey after this many sealed messages
RING = 1024             # audit records per worker ring (the smallest the data plane takes)
AUDIT_RESERVE = 512     # dataplane/audit/audit_ring.h: room a worker keeps before taking input
THRESHOLD, COOLDOWN = 3, 3


@pytest.fixture(scope="module")
def world():
    w = TwoOrg(name=f"t{os.getpid() % 1000000}", rekey_messages=REKEY_MESSAGES,
               failure_threshold=THRESHOLD, cooldown=COOLDOWN,
               dp_extra={"audit": f"{{ring_size: {RING}}}"},
               keep=bool(os.environ.get("SB_KEEP_LOGS")))
    try:
        w.start()
        yield w
    finally:
        w.close()


@pytest.fixture(autouse=True)
def quiet_agents(request):
    """Each test starts with empty agent queues (a failed test may leave messages)."""
    if "world" in request.fixturenames:
        w = request.getfixturevalue("world")
        for a in (w.deal_lead, w.liaison, w.hr_lead, w.partner_api):
            try:
                a.drain(quiet=0.1)
            except RuntimeError:
                pass
    yield
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed and "world" in request.fixturenames:
        # shown under "Captured stdout teardown": what a CI log needs to tell why
        print(request.getfixturevalue("world").failure_report())


@pytest.fixture(scope="module")
def scenario(world):
    t0 = time.time_ns()
    steps = world.scenario(say=lambda line: None)
    return t0, {title: (x, expect) for title, x, expect in steps}


def epoch(org):
    """The seal epoch the data plane sends with for the org's trust."""
    slot = org.bridge().get(org.trust_id)
    if slot is not None and slot["epoch"]:
        return slot["epoch"]
    return seal_of(org.trust_get())[2]


# ---- the scenario ------------------------------------------------------------------

def test_scenario_delivered_and_denied(scenario):
    _, steps = scenario
    assert list(steps) == ["cross-app task", "cross-org query", "cross-org answer",
                           "blocked competitor", "agent with inbound off",
                           "content rule (card number)", "forged partner token"], list(steps)
    for title, (x, expect) in steps.items():
        if expect[0] == "allow":
            assert x.error is None, f"{title}: denied: {x.reason} at {x.level}"
            assert x.delivered is not None, f"{title}: not delivered and no error back"
            assert differences(x.sent, x.delivered) == [], \
                f"{title}: changed on the way: {differences(x.sent, x.delivered)}"
        else:
            assert x.delivered is None, f"{title}: delivered though it must be denied"
            assert x.error is not None, f"{title}: no error back to the sender"
            assert (x.reason, x.level) == expect[1:3], f"{title}: {x.reason!r} at {x.level!r}"
            if len(expect) > 3:
                assert x.rule_id == expect[3], f"{title}: rule {x.rule_id}"
            # The error names the original parties, swapped, and keeps the session.
            assert x.error.publish.header.source == x.sent.publish.header.destination
            assert x.error.publish.header.destination == x.sent.publish.header.source
            assert x.error.publish.session.message_id == x.msg_id


def _records(org, msg_id, since):
    # records are matched by message id; the time bound only trims the query (with
    # a margin: the data plane's clock and ours may differ by a little)
    return [r for r in org.audit(since_ns=since - 2_000_000_000, limit=1000)
            if rec_msg_id(r) == msg_id]


def test_scenario_audited(world, scenario):
    """Every scenario message: one record at each bridge that decided it."""
    t0, steps = scenario
    a, b = world.a, world.b
    # (step, org, decision, reason, level, trust, encryption prefix); None: any
    want = [
        ("cross-app task", a, "allowed", None, None, "internal:hr-app", "none"),
        ("cross-org query", a, "allowed", None, None, a.trust_id, "mls"),
        ("cross-org query", b, "allowed", None, None, b.trust_id, "mls"),
        ("cross-org answer", b, "allowed", None, None, b.trust_id, "mls"),
        ("cross-org answer", a, "allowed", None, None, a.trust_id, "mls"),
        ("blocked competitor", a, "denied", R_BLOCKED, "tenant", None, None),
        ("agent with inbound off", a, "denied", R_INBOUND, "agent", None, None),
        ("content rule (card number)", a, "denied", R_CONTENT, "content", None, None),
        ("forged partner token", b, "denied", R_IDENTITY, "identity", None, None),
    ]
    nowhere = [("cross-app task", b), ("blocked competitor", b), ("agent with inbound off", b),
               ("content rule (card number)", b), ("forged partner token", a)]
    problems = []
    for step, org, decision, reason, level, trust, enc in want:
        x = steps[step][0]
        try:
            recs = poll(f"audit record of '{step}' at {org.tenant}",
                        lambda: _records(org, x.msg_id, t0), timeout=15)
        except AssertionError as e:
            problems.append(str(e))
            continue
        if len(recs) != 1:
            problems.append(f"{step} at {org.tenant}: {len(recs)} records: {recs}")
            continue
        r = recs[0]
        got = {"decision": rec_decision(r), "reason": rec(r, "reason"),
               "level": rec(r, "level", "blockedAt"), "trust": rec(r, "trust"),
               "encryption": str(rec(r, "encryption", "enc", default="")).lower(),
               "source": rec(r, "src", "source")}
        bad = []
        if got["decision"] != decision:
            bad.append(f"decision {got['decision']!r}")
        if reason is not None and (got["reason"], got["level"]) != (reason, level):
            bad.append(f"reason {got['reason']!r} at {got['level']!r}")
        if trust is not None and got["trust"] != trust:
            bad.append(f"trust {got['trust']!r}, not {trust!r}")
        if enc is not None and not got["encryption"].startswith(enc):
            bad.append(f"encryption {got['encryption']!r}, not {enc}...")
        if got["source"] != str(x.sender):
            bad.append(f"source {got['source']!r}")
        if bad:
            problems.append(f"{step} at {org.tenant}: {'; '.join(bad)}")
    for step, org in nowhere:
        x = steps[step][0]
        if _records(org, x.msg_id, t0):
            problems.append(f"{step}: a record at {org.tenant}")
    # Queryable by project: the content denial is under the sender's project.
    x = steps["content rule (card number)"][0]
    recs = [r for r in a.audit(since_ns=t0, project="partner-integration")
            if rec_msg_id(r) == x.msg_id]
    if len(recs) != 1:
        problems.append(f"--project partner-integration: {len(recs)} records of the content "
                        f"denial (project field: {[rec(r, 'project') for r in _records(a, x.msg_id, t0)]})")
    recs = [r for r in a.audit(since_ns=t0, project="hr-compliance")
            if rec_msg_id(r) == x.msg_id]
    if recs:
        problems.append(f"--project hr-compliance: the content denial is there: {recs}")
    assert not problems, "\n".join(problems)


# ---- the link between the bridges -------------------------------------------------------

def tcp_streams(path):
    """{(src, sport, dst, dport): bytes} of the TCP payloads in a pcap file, in
    capture order (Ethernet, IPv4)."""
    with open(path, "rb") as f:
        data = f.read()
    assert len(data) >= 24 and data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"), "not a pcap"
    off, flows = 24, {}
    while off + 16 <= len(data):
        incl = struct.unpack_from("<I", data, off + 8)[0]
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(pkt) < 34 or pkt[12:14] != b"\x08\x00" or pkt[23] != 6:
            continue
        ihl = (pkt[14] & 0x0F) * 4
        tcp = pkt[14 + ihl:]
        if len(tcp) < 20:
            continue
        key = (pkt[26:30], struct.unpack(">H", tcp[0:2])[0], pkt[30:34],
               struct.unpack(">H", tcp[2:4])[0])
        flows[key] = flows.get(key, b"") + tcp[(tcp[12] >> 4) * 4:]
    return flows


def test_link_carries_no_plaintext(world):
    secret = b"ZEBRA-PLAINTEXT-%d" % os.getpid()
    pcap = os.path.join(world.tmp, "link.pcap")
    with world.capture(pcap):
        x = world.liaison.send(world.partner_api, b"quote for " + secret, QUERY)
        y = world.partner_api.send(world.liaison, b"answer to " + secret, QUERY)
    assert x.allowed and y.allowed, (x.decision(), y.decision())
    assert secret in x.delivered.publish.msg.app_payload.blob  # the agents see it in clear
    flows = tcp_streams(pcap)
    both = b"".join(flows.values())
    assert len(flows) >= 2, f"no TCP traffic between the bridges captured: {list(flows)}"
    # The sealed records are on the link (their outer SLIM payload type is clear text)...
    assert b"application/x-slimbridge-seal-v1" in both, "no sealed record on the link"
    # ...and the payload is not, in either direction, nor split across segments.
    for key, stream in flows.items():
        assert secret not in stream, f"plaintext payload on the link in flow {key}"
    with open(pcap, "rb") as f:
        assert secret not in f.read()


def stream_problems(got, back, base, n, prefix):
    """What went wrong with a stream of |n| messages from id |base|: [] when all
    arrived once, in order, unchanged, and nothing came back to the sender."""
    problems = []
    errors = [(i, e) for i, _, e in back if e is not None]
    if errors:
        problems.append(f"{len(errors)} errors back to the sender, first {errors[:3]}")
    ids = [i for i, _, _ in got]
    missing = sorted(set(range(base, base + n)) - set(ids))
    if missing:
        problems.append(f"{len(missing)} of {n} not delivered (no error back for "
                        f"{len(set(missing) - {i for i, _ in errors})}); first {missing[:8]}")
    if len(ids) != len(set(ids)):
        problems.append(f"{len(ids) - len(set(ids))} delivered twice")
    present = [i for i in ids if base <= i < base + n]
    if present != sorted(present):
        first = next(k for k in range(len(present) - 1) if present[k] > present[k + 1])
        problems.append(f"delivered out of order: ... {present[max(0, first - 2):first + 4]} ...")
    changed = [i for i, p, _ in got if p != f"{prefix} {i - base + 1} of {n}".encode()]
    if changed:
        problems.append(f"payload changed for {changed[:5]}")
    return problems


def finish_stream(sender, target, base, m, first, prefix):
    """The rest of a stream of |m| messages from |base| of which |first| arrived
    already: [] when every one arrived once, in order, and nothing came back."""
    rest = target.collect(m - len(first), timeout=120, quiet=30)
    sender.stream_wait()
    back = sender.collect(m, timeout=2, quiet=1)
    return stream_problems(first + rest, back, base, m, prefix)


def test_cross_org_burst_loses_nothing(world):
    """1000 queries as fast as the agent sends them, each way: all arrive, in order."""
    n = 1000
    for sender, target in ((world.liaison, world.partner_api), (world.partner_api, world.liaison)):
        base = sender.stream(target, n, "burst", QUERY)
        got = target.collect(n, timeout=60, quiet=10)
        sender.stream_wait()
        back = sender.collect(n, timeout=2, quiet=1)
        problems = stream_problems(got, back, base, n, "burst")
        assert not problems, f"{sender} -> {target}:\n" + "\n".join(problems)


def test_rekey_under_traffic_loses_nothing(world):
    n = 12 * REKEY_MESSAGES
    before = epoch(world.a)
    base = world.liaison.stream(world.partner_api, n, "rekey", QUERY, pace_ms=2)
    got = world.partner_api.collect(n, timeout=120, quiet=30)
    world.liaison.stream_wait()
    back = world.liaison.collect(n, timeout=2, quiet=1)
    problems = stream_problems(got, back, base, n, "rekey")
    after = epoch(world.a)
    seal = world.a.trust_get()["trusts"][0].get("seal", {})
    if after < before + 2:
        problems.append(f"the data plane sealed with epoch {before} -> {after}; the control "
                        f"process's seal: epoch {seal.get('epoch')}, rekeys {seal.get('rekeys')} "
                        f"({seal.get('lastRekeyReason')})")
    assert not problems, "\n".join(problems)


def test_audit_lossless_when_the_ring_fills(world):
    """More messages than the ring holds while the audit writer (in the control
    process) is stopped: the data plane holds input back, then every message is
    delivered and audited exactly once."""
    m = RING + 600
    a = world.a
    t0 = time.time_ns()
    a.control.kill(signal.SIGSTOP)
    try:
        base = world.deal_lead.stream(world.hr_lead, m, "burst", TASK)
        first = world.hr_lead.collect(m, timeout=20, quiet=3)
        shm = read_audit_shm(a.shm)
        assert shm is not None, "no audit rings"
        assert shm["ring_size"] == RING, shm
        ring = shm["rings"][0]
        assert ring["head"] - ring["tail"] >= RING - AUDIT_RESERVE, shm
        assert ring["waits"] > 0, f"the worker never held input back: {shm}"
        assert len(first) < m, "everything passed with the audit writer stopped"
    finally:
        a.control.kill(signal.SIGCONT)
    problems = finish_stream(world.deal_lead, world.hr_lead, base, m, first, "burst")
    assert not problems, "\n".join(problems)

    recs = []

    def audited():
        recs[:] = [r for r in a.audit(since_ns=t0, source=str(world.deal_lead), limit=10000)
                   if base <= (rec_msg_id(r) or 0) < base + m]
        return len(recs) >= m
    try:
        poll("every burst message audited", audited, timeout=60, every=1)
    except AssertionError:
        pass  # the count below says what is missing
    seen = sorted(rec_msg_id(r) for r in recs)
    assert seen == list(range(base, base + m)), \
        f"{len(seen)} records for {m} messages (duplicates or gaps)"
    assert all(rec_decision(r) == "allowed" for r in recs)


# ---- the circuit breaker (it kills bridge B's data plane) ---------------------------------

def test_breaker_opens_on_dead_peer_and_closes_after_cooldown(world):
    a, b = world.a, world.b
    target = world.partner_api.name
    sent, answered, back = [], {}, None
    b.stop_dataplane(signal.SIGKILL)
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            x = world.liaison.send(target, b"are you there?", QUERY, timeout=5)
            sent.append(x.msg_id)
            assert x.delivered is None
            if x.error is not None:
                answered[x.msg_id] = (x.reason, x.level)
                if x.reason == R_CIRCUIT:
                    break
            time.sleep(0.2)
        circuit = [v for v in answered.values() if v[0] == R_CIRCUIT]
        assert circuit, f"no 'circuit open' after {len(sent)} messages: {answered}"
        assert circuit[0][1] == "bridge", circuit
        assert len(sent) <= THRESHOLD + 3, f"{len(sent)} messages before the breaker opened"
        slot = a.bridge()[a.trust_id]
        assert slot["breaker"] == "open" and slot["opened"] >= 1, slot
        # Nothing is dropped silently: each message got its error, late ones included.
        for i, _, e in world.liaison.collect(len(sent), timeout=15, quiet=8):
            if e is not None:
                answered.setdefault(i, (e, None))
        assert set(answered) == set(sent), f"no error back for {sorted(set(sent) - set(answered))}"
        assert all(r in BRIDGE_REASONS for r, _ in answered.values()), answered
        # While open, messages are refused at once. (The wait above may have outlasted
        # the cooldown: then the first message is the half-open probe, which fails on
        # the dead peer and opens the breaker again.)
        seen = []
        for _ in range(3):
            x = world.liaison.send(target, b"still there?", QUERY, timeout=8)
            seen.append((x.reason, x.level))
            if (x.reason, x.level) == (R_CIRCUIT, "bridge"):
                break
            assert x.reason in BRIDGE_REASONS, x.decision()
        assert seen[-1] == (R_CIRCUIT, "bridge"), seen
    finally:
        if b.dataplane is None or not b.dataplane.alive():
            b.start_dataplane()
            world.reopen_partner()
            back = world.wait_traffic(timeout=COOLDOWN + 60)  # the next test starts healthy
    # B is back: after the cooldown the probe went through and the breaker closed.
    assert back is not None, "no message delivered within 60 s after bridge B came back"
    assert differences(back.sent, back.delivered) == []
    slot = poll("breaker closed", lambda: (s := a.bridge()[a.trust_id])["breaker"] == "closed"
                and s, timeout=10)
    assert slot["failures"] == 0, slot
    y = world.liaison.send(world.partner_api, b"and again", QUERY)
    assert y.allowed, y.decision()


# ---- last: a control process restarted under traffic --------------------------------

def test_control_restart_under_traffic_loses_nothing(world):
    n = 150
    base = world.liaison.stream(world.partner_api, n, "restart", QUERY, pace_ms=20)
    try:
        time.sleep(0.7)
        world.a.stop_control(signal.SIGTERM)
        time.sleep(1.0)
        world.a.start_control()
    finally:
        if not world.a.control.alive():
            world.a.start_control()
    got = world.partner_api.collect(n, timeout=120, quiet=30)
    world.liaison.stream_wait()
    back = world.liaison.collect(n, timeout=2, quiet=1)
    problems = stream_problems(got, back, base, n, "restart")
    # The restarted control process takes over: the seal is ready and traffic passes.
    try:
        world.wait_seal(world.a)
        x = world.liaison.send(world.partner_api, b"after the restart", QUERY)
        if not x.allowed:
            problems.append(f"after the restart: {x.decision()}")
    except AssertionError as e:
        problems.append(str(e))
    assert not problems, "\n".join(problems)
