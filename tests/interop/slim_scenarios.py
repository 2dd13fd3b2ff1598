#!/usr/bin/python3
"""SLIM node scenarios against a running node (the data plane's slim port):
each opens real-protocol connections with slim_client.py and checks what a
SLIM app would see. Usage:

  slim_scenarios.py --server HOST:PORT --scenario NAME   (or --list)

Exit 0 when the scenario holds; the failure is printed otherwise."""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import grpc  # noqa: E402
from slim_client import EDGE, REMOTE, SlimConn, name, pb  # noqa: E402

ORG, NS, SVC = 0x1111, 0x2222, 0x3333


def me(i):
    """An app's own full name."""
    return name(ORG, NS, 0x5000 + i, id_=i, strings=("org", "ns", f"app{i}"))


def conn(addr, **kw):
    c = SlimConn(addr)
    c.negotiate(**kw)
    return c


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def s_subscribe_ack(addr):
    a = conn(addr)
    ack = a.subscribe(me(1), name(ORG, NS, SVC, id_=1), sub_id=42)
    check(ack.subscription_id == 42 and ack.success, f"subscribe ack {ack}")
    ack = a.subscribe(me(1), name(ORG, NS, SVC, id_=1), sub_id=43, unsubscribe=True)
    check(ack.subscription_id == 43 and ack.success, f"unsubscribe ack {ack}")
    a.close()


def s_unicast(addr):
    a, b = conn(addr), conn(addr)
    a.subscribe(me(1), me(1), sub_id=1)
    sent = b.publish(me(2), me(1), b"hello unicast", metadata={"traceparent": "00-abc-def-01"})
    r = a.recv_publish()
    check(r is not None, "no publish at the subscriber")
    got, want = r.publish, sent.publish
    # Everything end to end is untouched: only ttl (and the link MAC) changed.
    check(got.header.source == want.header.source, "source changed")
    check(got.header.destination == want.header.destination, "destination changed")
    check(got.header.identity == want.header.identity, "identity changed")
    check(got.session == want.session, "session header changed")
    check(got.msg == want.msg, "content changed")
    check(dict(r.metadata) == dict(sent.metadata), "metadata changed")
    check(got.header.ttl == want.header.ttl - 1, f"ttl {got.header.ttl}")
    check(not got.header.HasField("incoming_conn"), "incoming_conn leaked")
    check(b.recv_publish(0.3) is None, "the sender got its own publish")
    a.close()
    b.close()


def s_anycast(addr):
    a1, a2, b = conn(addr), conn(addr), conn(addr)
    a1.subscribe(me(1), name(ORG, NS, SVC, id_=1), sub_id=1)
    a2.subscribe(me(2), name(ORG, NS, SVC, id_=2), sub_id=2)
    b.subscribe(me(3), name(ORG, NS, SVC, id_=3), sub_id=3)  # never gets its own
    for i in range(10):
        b.publish(me(3), name(ORG, NS, SVC), b"any %d" % i, msg_id=i + 1)
    n1 = n2 = 0
    while a1.recv_publish(0.5) is not None:
        n1 += 1
    while a2.recv_publish(0.3) is not None:
        n2 += 1
    check(n1 + n2 == 10, f"{n1} + {n2} anycast deliveries, not 10")
    check(n1 > 0 and n2 > 0, f"not round robin: {n1} / {n2}")
    check(b.recv_publish(0.3) is None, "anycast went back to the sender")
    for c in (a1, a2, b):
        c.close()


def s_multicast(addr):
    a, c, b = conn(addr), conn(addr), conn(addr)
    for i, x in ((1, a), (2, c), (3, b)):
        x.subscribe(me(i), name(ORG, NS, SVC), sub_id=i)  # any id
    b.publish(me(3), name(ORG, NS, SVC), b"to all", fanout=256)
    check(a.recv_publish() is not None, "a missed the multicast")
    check(c.recv_publish() is not None, "c missed the multicast")
    check(b.recv_publish(0.3) is None, "multicast went back to the sender")
    for x in (a, c, b):
        x.close()


def s_ttl(addr):
    a, b = conn(addr), conn(addr)
    a.subscribe(me(1), me(1), sub_id=1)
    b.publish(me(2), me(1), b"dies here", ttl=1)
    check(a.recv_publish(0.5) is None, "a publish with ttl 1 was forwarded")
    b.publish(me(2), me(1), b"lives", ttl=2)
    r = a.recv_publish()
    check(r is not None and r.publish.header.ttl == 1, "ttl 2 did not arrive with 1")
    a.close()
    b.close()


def s_unsubscribe_and_disconnect(addr):
    a, b, c = conn(addr), conn(addr), conn(addr)
    a.subscribe(me(1), me(1), sub_id=1)
    a.subscribe(me(1), me(1), sub_id=2, unsubscribe=True)
    b.publish(me(2), me(1), b"nobody")
    check(a.recv_publish(0.5) is None, "delivered after unsubscribe")
    c.subscribe(me(3), me(3), sub_id=3)
    c.close()
    time.sleep(0.5)
    b.publish(me(2), me(3), b"gone")
    # The connection that went took its subscription along: b stays usable.
    a.subscribe(me(1), me(1), sub_id=4)
    b.publish(me(2), me(1), b"still works")
    check(a.recv_publish() is not None, "a live route broke")
    a.close()
    b.close()


def s_bad_mac_dropped(addr):
    a, b = conn(addr), conn(addr)
    a.subscribe(me(1), me(1), sub_id=1)
    m = b.publish(me(2), me(1), b"forged", sign=False)
    m.publish.header.header_mac = b"\x00" * 32
    b.send(m)
    check(a.recv_publish(0.5) is None, "a publish with a bad MAC was forwarded")
    b.publish(me(2), me(1), b"good")
    check(a.recv_publish() is not None, "the connection broke after a bad MAC")
    ack = b.subscribe(me(2), me(2), sub_id=9, sign=False)
    check(ack is not None and not ack.success, f"an unsigned subscribe was taken: {ack}")
    a.close()
    b.close()


def _refused(addr, first, what, code):
    x = SlimConn(addr)
    x.send(first)
    st = x.wait_end(10)
    check(st is not None and st[0] == code, f"{what}: stream ended with {st}, not {code}")
    x.close()


def s_malformed_refused(addr):
    a, b = conn(addr), conn(addr)
    a.subscribe(me(1), me(1), sub_id=1)
    # No negotiation: a Subscribe first.
    m = pb.Message()
    m.subscribe.header.ttl = 8
    _refused(addr, m, "no negotiation", grpc.StatusCode.FAILED_PRECONDITION)
    # Garbage that is not a Message at all.
    _refused(addr, b"\xff\xff\xff\xff\x0f", "garbage", grpc.StatusCode.INVALID_ARGUMENT)
    # A field numbered 0 (protobuf-c would keep it as an unknown field).
    _refused(addr, b"\x80\x00\x00", "field 0", grpc.StatusCode.INVALID_ARGUMENT)
    # SLIM 1.x wire (SLIMHeader field 3 is a varint fanout there, a string here).
    _refused(addr, bytes([0x0a, 0x04, 0x0a, 0x02, 0x18, 0x01]), "wrong generation",
             grpc.StatusCode.INVALID_ARGUMENT)
    # A replayed link id.
    x = conn(addr, link_id="replayed-link-1")
    x.close()
    y = SlimConn(addr)
    try:
        y.negotiate(link_id="replayed-link-1")
        raise AssertionError("a replayed link id was accepted")
    except Exception as e:  # noqa: BLE001
        check("replay" in str(e) or "link_id" in str(e) or "no negotiation" in str(e), str(e))
    y.close()
    # Bad semver and no key.
    for kw in ({"version": "v2"}, {"key": False}, {"is_reply": True}):
        z = SlimConn(addr)
        try:
            z.negotiate(**kw)
            raise AssertionError(f"negotiation with {kw} was accepted")
        except Exception:  # noqa: BLE001
            st = z.wait_end(5)
            check(st and st[0] == grpc.StatusCode.FAILED_PRECONDITION, f"{kw}: {st}")
        z.close()
    # Oversized: over the node's max_message.
    big = b.publish(me(2), me(1), b"x" * (5 << 20))
    st = b.wait_end(10)
    check(st and st[0] == grpc.StatusCode.RESOURCE_EXHAUSTED, f"oversized: {st}")
    del big
    # Others keep working.
    c = conn(addr)
    c.publish(me(3), me(1), b"after all that")
    check(a.recv_publish() is not None, "a lost its route")
    for x in (a, b, c):
        x.close()


def s_many_connections(addr):
    """Eight subscribers and two publishers (spread over the workers by RSS):
    every unicast and every multicast arrives exactly once."""
    subs = [conn(addr) for _ in range(8)]
    pubs = [conn(addr) for _ in range(2)]
    for i, c in enumerate(subs):
        c.subscribe(me(10 + i), me(10 + i), sub_id=100 + i)
        c.subscribe(me(10 + i), name(ORG, NS, SVC), sub_id=200 + i)  # the group
    time.sleep(0.3)  # other workers apply the table changes
    for k, p in enumerate(pubs):
        for i in range(8):
            p.publish(me(50 + k), me(10 + i), b"to %d from %d" % (i, k), msg_id=i + 1)
        p.publish(me(50 + k), name(ORG, NS, SVC), b"group from %d" % k, fanout=256)
    for i, c in enumerate(subs):
        got = []
        while True:
            r = c.recv_publish(1.0)
            if r is None:
                break
            got.append(r.publish.msg.app_payload.blob)
        want = sorted([b"to %d from %d" % (i, k) for k in range(2)] +
                      [b"group from %d" % k for k in range(2)])
        check(sorted(got) == want, f"subscriber {i} got {got}")
    for c in subs + pubs:
        c.close()


def s_two_nodes(addr, addr2):
    """Apps on two linked nodes: subscriptions cross the link, publishes follow."""
    a = conn(addr)    # on node 1
    b = conn(addr2)   # on node 2
    # Each ack comes once the other node has acked the forwarded subscription.
    for x, sub, i in ((a, me(1), 1), (b, me(2), 2), (a, name(ORG, NS, SVC), 3),
                      (b, name(ORG, NS, SVC), 4)):
        ack = x.subscribe(me(i if i < 3 else i - 2), sub, sub_id=i)
        check(ack is not None and ack.success and ack.subscription_id == i, f"ack {i}: {ack}")
    b.publish(me(2), me(1), b"node 2 to node 1")
    r = a.recv_publish(3.0)
    check(r is not None and r.publish.msg.app_payload.blob == b"node 2 to node 1",
          f"across the link: {r}")
    check(r.publish.header.ttl == 6, f"two hops take two from the TTL: {r.publish.header.ttl}")
    a.publish(me(1), me(2), b"node 1 to node 2")
    r = b.recv_publish(3.0)
    check(r is not None and r.publish.msg.app_payload.blob == b"node 1 to node 2",
          f"back across the link: {r}")
    # A group spanning both nodes: each member gets it once, never the sender.
    c = conn(addr2)
    c.publish(me(5), name(ORG, NS, SVC), b"group", fanout=256)
    check(a.recv_publish(3.0) is not None, "node 1's member missed the group publish")
    check(b.recv_publish(3.0) is not None, "node 2's member missed the group publish")
    check(a.recv_publish(0.5) is None and b.recv_publish(0.5) is None, "duplicates")
    # An app that goes: its subscription is withdrawn from the other node too.
    a.close()
    time.sleep(1.0)
    b.publish(me(2), me(1), b"nobody")
    for x in (b, c):
        x.close()


def _next(c, want, what, timeout=3.0):
    """The next message |c| receives for which |want| holds (others skipped)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r = c.recv(max(0.05, end - time.monotonic()))
        if r is not None and want(r):
            return r
    raise AssertionError(f"no {what}")


def s_loop_dropped(addr):
    """Loop prevention: a subscription the node forwarded to another node that comes
    back with the same subscription id is dropped (acked, not installed), while a new
    subscription from that node is installed."""
    topic = name(ORG, NS, 0x7777)
    peer = conn(addr, conn_type=REMOTE)  # another node, linked to this one
    a, b = conn(addr), conn(addr)
    a.subscribe(me(1), topic, sub_id=9, wait_ack=False)
    fwd = _next(peer, lambda r: r.HasField("subscribe")
                and r.subscribe.header.destination.name.component_2 == 0x7777,
                "forwarded subscription at the other node")
    fid = fwd.subscribe.subscription_id
    check(fid not in (0, 9), f"forwarded with id {fid}: the node's own id expected")
    check(peer.verify(fwd.subscribe.header), "forwarded subscription not signed for the link")
    ack = pb.Message()
    ack.subscription_ack.subscription_id = fid
    ack.subscription_ack.success = True
    peer.send(ack)
    r = _next(a, lambda r: r.HasField("subscription_ack"), "app's SubscriptionAck")
    check(r.subscription_ack.subscription_id == 9 and r.subscription_ack.success, f"{r}")
    # The same subscription comes back from the other node: a loop.
    back = peer.subscribe(me(7), topic, sub_id=fid)
    check(back is not None and back.subscription_id == fid and back.success, f"loop ack {back}")
    b.publish(me(2), topic, b"group 1", fanout=256)
    check(a.recv_publish() is not None, "the app missed the group publish")
    check(peer.recv_publish(0.5) is None, "the looped subscription was installed")
    # A subscription of its own from the other node is installed.
    ack = peer.subscribe(me(7), topic, sub_id=fid + 1)
    check(ack is not None and ack.success, f"peer's own subscription {ack}")
    b.publish(me(2), topic, b"group 2", fanout=256)
    check(a.recv_publish() is not None, "the app missed the second group publish")
    check(peer.recv_publish() is not None, "the other node's subscription was not installed")
    for x in (a, b, peer):
        x.close()


def s_upstream_ack(addr):
    """Apps' subscriptions forwarded to another node are acked to the app only once
    that node has acked them (a refusal fails the app's ack), whichever worker the
    app's connection landed on."""
    peer = conn(addr, conn_type=REMOTE)  # another node, linked to this one
    apps = [conn(addr) for _ in range(6)]
    for i, a in enumerate(apps):
        a.subscribe(me(i), name(ORG, NS, 0x8800 + i), sub_id=100 + i, wait_ack=False)
    fwd = {}
    while len(fwd) < len(apps):
        r = _next(peer, lambda r: r.HasField("subscribe")
                  and 0x8800 <= r.subscribe.header.destination.name.component_2 < 0x8806,
                  f"forwarded subscriptions ({len(fwd)} of {len(apps)} came)")
        fwd[r.subscribe.header.destination.name.component_2 - 0x8800] = r.subscribe.subscription_id
    time.sleep(0.3)
    for i, a in enumerate(apps):
        check(a.recv(0.05) is None, f"app {i} was acked before the other node acked")
    for i in range(len(apps)):
        ack = pb.Message()
        ack.subscription_ack.subscription_id = fwd[i]
        ack.subscription_ack.success = i % 2 == 0
        if i % 2:
            ack.subscription_ack.error = "refused by the test"
        peer.send(ack)
    for i, a in enumerate(apps):
        r = _next(a, lambda r: r.HasField("subscription_ack"), f"app {i}'s SubscriptionAck")
        check(r.subscription_ack.subscription_id == 100 + i, f"app {i}: {r}")
        check(r.subscription_ack.success == (i % 2 == 0), f"app {i}: {r}")
    for x in apps + [peer]:
        x.close()


def agent(tenant, app, agent_id, i=1):
    """The SLIM name of a policy agent: components XXH64(id + 0xFF) (slim.md 1.2)."""
    import xxhash
    h = [xxhash.xxh64(x.encode() + b"\xff").intdigest() for x in (tenant, app, agent_id)]
    return name(h[0], h[1], h[2], id_=i, strings=(tenant, app, agent_id))


def _denial(c, what):
    r = _next(c, lambda r: r.HasField("publish"), what)
    check(c.verify(r.publish.header), "denial with a bad MAC")
    check(r.publish.header.error, "denial without SLIMHeader.error")
    return r


def s_policy_seeds(addr):
    """Needs docs/examples/policy.yaml applied: the seeds' decisions on real publishes."""
    T = "tenant-123"
    lead = agent(T, "hr-app", "agent_hr_lead")
    approver = agent(T, "hr-app", "agent_hr_approver")
    a789 = agent(T, "sales-app", "agent-789")
    quiet = agent(T, "sales-app", "agent_quiet")
    hr, sales = conn(addr), conn(addr)
    hr.subscribe(lead, lead, sub_id=1)
    hr.subscribe(approver, approver, sub_id=2)
    # Allowed: agent-789 -> agent_hr_lead (task).
    sales.publish(a789, lead, b"allowed task", msg_id=1)
    r = hr.recv_publish()
    check(r is not None and r.publish.msg.app_payload.blob == b"allowed task",
          "an allowed publish did not arrive")
    # Denied at the agent level: an explicit error back, nothing at the target.
    sent = sales.publish(quiet, lead, b"from a disabled agent", msg_id=2,
                         metadata={"rpc-id": "call-2"})
    r = _denial(sales, "denial for agent_quiet")
    check(r.publish.header.source == sent.publish.header.destination, "denial source")
    check(r.publish.header.destination == sent.publish.header.source, "denial destination")
    check(r.publish.session == sent.publish.session, "denial session header")
    md = dict(r.metadata)
    check(md.get("slimbridge-error") == "SLIM disabled for this agent", f"reason {md}")
    check(md.get("slimbridge-blocked-at") == "agent", f"level {md}")
    check(md.get("slimrpc-code") == "7" and md.get("rpc-id") == "call-2", f"metadata {md}")
    check(hr.recv_publish(0.3) is None, "a denied publish reached its target")
    # The operation type: agent_hr_approver takes tasks from the Sales App, not queries.
    sales.publish(a789, approver, b"task", msg_id=3, metadata={"method": "SendMessage"})
    r = hr.recv_publish()
    check(r is not None and r.publish.msg.app_payload.blob == b"task", "task not delivered")
    sales.publish(a789, approver, b"query", msg_id=4,
                  metadata={"method": "/lf.a2a.v1.A2AService/GetTask"})
    r = _denial(sales, "denial for a query")
    check(dict(r.metadata).get("slimbridge-blocked-at") == "agent", f"{dict(r.metadata)}")
    check(hr.recv_publish(0.3) is None, "a denied query reached its target")
    # Unknown agents across apps are denied; within one app there is no decision.
    stranger = agent(T, "other-app", "nobody")
    sales.publish(stranger, lead, b"stranger", msg_id=5)
    r = _denial(sales, "denial for an unknown agent")
    check(dict(r.metadata).get("slimbridge-error") == "Unknown agent", f"{dict(r.metadata)}")
    hr.subscribe(me(1), me(1), sub_id=3)
    sales.publish(me(2), me(1), b"same app", msg_id=6)
    r = hr.recv_publish()
    check(r is not None and r.publish.msg.app_payload.blob == b"same app",
          "a publish within one app was not delivered")
    hr.close()
    sales.close()


SCENARIOS = {f.__name__[2:]: f for f in (s_many_connections, s_subscribe_ack, s_unicast, s_anycast, s_multicast,
                                           s_ttl, s_unsubscribe_and_disconnect, s_bad_mac_dropped,
                                           s_malformed_refused, s_loop_dropped, s_upstream_ack,
                                           s_policy_seeds)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--server")
    ap.add_argument("--server2", help="a second node, linked to the first (two_nodes)")
    ap.add_argument("--scenario")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    if a.list:
        print("\n".join(SCENARIOS))
        return 0
    try:
        if a.scenario == "two_nodes":
            s_two_nodes(a.server, a.server2)
        else:
            SCENARIOS[a.scenario](a.server)
    except Exception as e:  # noqa: BLE001
        print(f"FAIL {a.scenario}: {type(e).__name__}: {e}")
        return 1
    print(f"PASS {a.scenario}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
