"""A SLIM v2 client for tests, written from shared/reference/slim.md: gRPC
OpenChannel (python3-grpcio), link negotiation with X25519 and HKDF-SHA256
(python3-cryptography), the per-link header MAC (HMAC-SHA256 over the
canonical header encoding, section 2.5), and Subscribe / Publish /
Unsubscribe as a real SLIM app sends them.

The messages come from proto/slim/data_plane.proto, compiled with protoc at
import time (no grpc_tools needed)."""

import hashlib
import hmac
import importlib
import os
import queue
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import uuid

import grpc
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import (X25519PrivateKey,
                                                              X25519PublicKey)
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO = os.path.join(HERE, "..", "..", "proto", "slim", "data_plane.proto")
PATH = "/dataplane.proto.v1.DataPlaneService/OpenChannel"
HKDF_INFO = b"SLIM-DP-inter-node-hmac-v1"
MAC_TAG = b"SLIM-DP-HDR-v1\x00"
ANY = (1 << 64) - 1
EDGE, REMOTE = 2, 0


def _load_pb():
    out = tempfile.mkdtemp(prefix="slimpb")
    try:
        subprocess.run([shutil.which("protoc") or "protoc",
                        f"--proto_path={os.path.dirname(PROTO)}",
                        f"--python_out={out}", PROTO], check=True)
        sys.path.insert(0, out)
        return importlib.import_module("data_plane_pb2")
    finally:
        sys.path.remove(out)
        shutil.rmtree(out, ignore_errors=True)


pb = _load_pb()


def name(c0, c1, c2, id_=None, strings=None):
    """A Name with its EncodedName (three u64 and an optional 128-bit id)."""
    n = pb.Name()
    n.name.component_0, n.name.component_1, n.name.component_2 = c0, c1, c2
    if id_ is not None:
        n.name.name_id.id_0 = id_ >> 64
        n.name.name_id.id_1 = id_ & ANY
    if strings is not None:
        (n.str_name.str_component_0, n.str_name.str_component_1,
         n.str_name.str_component_2) = strings
    return n


# ---- the header MAC preimage (slim.md 2.5), written from the text ----------

def _u32(v):
    return struct.pack("<I", v)


def _u64(v):
    return struct.pack("<Q", v)


def _str(s):
    b = s.encode()
    return _u32(len(b)) + b


def _name_bytes(h, field):
    if not h.HasField(field):
        return b"\x00"
    n = getattr(h, field)
    out = b"\x01"
    if n.HasField("name"):
        e = n.name
        out += b"\x01" + _u64(e.component_0) + _u64(e.component_1) + _u64(e.component_2)
        if e.HasField("name_id"):
            out += b"\x01" + _u64(e.name_id.id_0) + _u64(e.name_id.id_1)
        else:
            out += b"\x00"
    else:
        out += b"\x00"
    if n.HasField("str_name"):
        s = n.str_name
        out += b"\x01" + _str(s.str_component_0) + _str(s.str_component_1) + \
            _str(s.str_component_2)
    else:
        out += b"\x00"
    return out


def _opt_u64(h, field):
    return b"\x01" + _u64(getattr(h, field)) if h.HasField(field) else b"\x00"


def mac_preimage(link_id, h):
    out = MAC_TAG + _str(link_id)
    out += _name_bytes(h, "source") + _name_bytes(h, "destination")
    out += _str(h.identity) + _u32(h.fanout)
    out += _opt_u64(h, "recv_from") + _opt_u64(h, "forward_to")
    out += (b"\x01" + bytes([1 if h.error else 0])) if h.HasField("error") else b"\x00"
    return out + _u32(h.ttl)


class SlimError(Exception):
    pass


class SlimConn:
    """One OpenChannel stream: negotiate(), then subscribe/publish/recv."""

    def __init__(self, addr, identity="test-identity"):
        self.addr = addr
        self.identity = identity
        # Each SlimConn its own TCP connection (grpcio shares one per target otherwise),
        # so that connections spread over the node's workers as real clients do.
        self.channel = grpc.insecure_channel(addr, options=[("grpc.use_local_subchannel_pool", 1)])
        self.out = queue.Queue()
        self.inq = queue.Queue()
        self.key = None
        self.link_id = None
        self.status = None  # (code, details) once the stream ended
        self.raw = self.channel.stream_stream(
            PATH, request_serializer=lambda m: m if isinstance(m, bytes) else
            m.SerializeToString(), response_deserializer=pb.Message.FromString)
        self.call = self.raw(self._requests(), timeout=120)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _requests(self):
        while True:
            m = self.out.get()
            if m is None:
                return
            yield m

    def _read(self):
        try:
            for m in self.call:
                self.inq.put(m)
            self.status = (self.call.code(), self.call.details())
        except grpc.RpcError as e:
            self.status = (e.code(), e.details())
        self.inq.put(None)

    def send(self, m):
        self.out.put(m)

    def recv(self, timeout=2.0):
        """The next message, or None on timeout or when the stream ended."""
        try:
            return self.inq.get(timeout=timeout)
        except queue.Empty:
            return None

    def wait_end(self, timeout=10.0):
        """Wait for the server to end the stream; returns (code, details)."""
        self.reader.join(timeout)
        return self.status

    def close(self):
        self.out.put(None)
        self.channel.close()

    # -- negotiation --
    def negotiate(self, link_id=None, conn_type=EDGE, version="2.3.0", key=True,
                  is_reply=False):
        self.link_id = link_id or str(uuid.uuid4())
        priv = X25519PrivateKey.generate()
        m = pb.Message()
        p = m.link.link_negotiation
        p.link_id = self.link_id
        p.slim_version = version
        p.is_reply = is_reply
        if key:
            p.link_ecdh_public_key = priv.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        p.connection_type = conn_type
        p.node_id = "pytest"
        self.send(m)
        r = self.recv(5.0)
        if r is None:
            raise SlimError(f"no negotiation reply: {self.wait_end(1)}")
        rp = r.link.link_negotiation
        if not r.HasField("link") or not rp.is_reply or rp.link_id != self.link_id:
            raise SlimError(f"bad negotiation reply {r}")
        shared = priv.exchange(X25519PublicKey.from_public_bytes(rp.link_ecdh_public_key))
        self.key = HKDF(algorithm=hashes.SHA256(), length=32, salt=self.link_id.encode(),
                        info=HKDF_INFO).derive(shared)
        self.peer = rp
        return rp

    def mac(self, h):
        return hmac.new(self.key, mac_preimage(self.link_id, h), hashlib.sha256).digest()

    def sign(self, h):
        h.ClearField("header_mac")
        h.header_mac = self.mac(h)

    def verify(self, h):
        got = h.header_mac
        c = pb.SLIMHeader()
        c.CopyFrom(h)
        c.ClearField("header_mac")
        return hmac.compare_digest(got, self.mac(c))

    # -- messages --
    def header(self, src, dst, fanout=1, ttl=8):
        h = pb.SLIMHeader()
        h.source.CopyFrom(src)
        h.destination.CopyFrom(dst)
        h.identity = self.identity
        h.fanout = fanout
        h.version = "2.3.0"
        h.ttl = ttl
        return h

    def subscribe(self, src, dst, sub_id=0, unsubscribe=False, sign=True, wait_ack=True):
        m = pb.Message()
        s = m.unsubscribe if unsubscribe else m.subscribe
        s.header.CopyFrom(self.header(src, dst))
        if sub_id:
            s.subscription_id = sub_id
        if sign:
            self.sign(s.header)
        self.send(m)
        if sub_id and wait_ack:
            while True:
                r = self.recv(5.0)
                if r is None:
                    raise SlimError("no SubscriptionAck")
                if r.HasField("subscription_ack"):
                    return r.subscription_ack
        return None

    def publish(self, src, dst, blob, fanout=1, ttl=8, sign=True, msg_id=1, metadata=None,
                session_id=7):
        m = pb.Message()
        p = m.publish
        p.header.CopyFrom(self.header(src, dst, fanout, ttl))
        p.session.session_type = 1
        p.session.session_message_type = 1
        p.session.session_id = session_id
        p.session.message_id = msg_id
        p.msg.app_payload.payload_type = "text"
        p.msg.app_payload.blob = blob
        for k, v in (metadata or {}).items():
            m.metadata[k] = v
        if sign:
            self.sign(p.header)
        self.send(m)
        return m

    def recv_publish(self, timeout=2.0):
        """The next Publish (its MAC checked with our link key), or None."""
        while True:
            r = self.recv(timeout)
            if r is None:
                return None
            if r.HasField("publish"):
                if not self.verify(r.publish.header):
                    raise SlimError("publish with a bad MAC from the node")
                return r


def error_info(m):
    """(reason, blocked-at, rule id) of a slimbridge denial (SLIMHeader.error set,
    metadata slimbridge-error / slimbridge-blocked-at / slimbridge-rule-id), or
    None when |m| is no error notification."""
    if m is None or not m.HasField("publish") or not m.publish.header.error:
        return None
    md = dict(m.metadata)
    return md.get("slimbridge-error"), md.get("slimbridge-blocked-at"), md.get("slimbridge-rule-id")
