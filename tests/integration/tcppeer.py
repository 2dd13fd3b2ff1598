#!/usr/bin/python3
"""The Linux side of the TCP integration tests, run inside the peer namespace
(ip netns exec NS python3 tcppeer.py MODE ...). Prints one JSON object.

  echo ADDR PORT BYTES        send BYTES, read them back; sha256 of both ways,
                              plus `ss -tin` of the connection mid-transfer
  many ADDR PORT N            N concurrent short connections to echo
  source ADDR PORT BYTES      read BYTES from the source service, check the pattern
  discard ADDR PORT BYTES     send BYTES to discard and close
  serve PORT N BYTES          accept N connections (from the data plane's
                              source service) and read BYTES from each
  abort ADDR PORT             connect, send, then reset (SO_LINGER 0)
"""
import errno
import hashlib
import json
import os
import selectors
import socket
import struct
import subprocess
import sys
import threading
import time

CHUNK = 1 << 20


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def stream_chunk(seed):
    # A fixed pseudo-random 1 MiB block, rotated per chunk index so the stream never repeats
    # within a window and a misplaced segment changes the hash.
    import random
    r = random.Random(seed)
    return r.randbytes(CHUNK)


def echo(addr, port, total):
    s = socket.create_connection((addr, port), timeout=60)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    block = stream_chunk(1)
    sent_h = hashlib.sha256()
    recv_h = hashlib.sha256()
    ss_out = {}
    err = []

    def sender():
        try:
            left = total
            i = 0
            while left > 0:
                n = min(CHUNK, left)
                off = (i * 7919) % CHUNK
                data = (block[off:] + block[:off])[:n]
                sent_h.update(data)
                s.sendall(data)
                left -= n
                i += 1
                if i == 4:
                    ss_out["text"] = subprocess.run(
                        ["ss", "-tin", "dst", addr], capture_output=True, text=True).stdout
                    # What ss -ti reads: struct tcp_info; byte 5 is tcpi_options.
                    ss_out["options"] = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[5]
            s.shutdown(socket.SHUT_WR)
        except Exception as e:  # noqa: BLE001
            err.append(repr(e))

    t0 = time.monotonic()
    th = threading.Thread(target=sender)
    th.start()
    got = 0
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    while True:
        n = s.recv_into(view)
        if n == 0:
            break
        recv_h.update(view[:n])
        got += n
    th.join()
    dt = time.monotonic() - t0
    s.close()
    return {"sent": total, "received": got, "sent_sha256": sent_h.hexdigest(),
            "received_sha256": recv_h.hexdigest(), "seconds": dt, "ss": ss_out.get("text", ""),
            "tcpi_options": ss_out.get("options", 0),
            "errors": err}


def many(addr, port, n):
    sel = selectors.DefaultSelector()
    fam = family(addr)
    socks = {}
    done = failed = 0
    why = {}
    for i in range(n):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex((addr, port))
        msg = f"hello {i:06d}\n".encode()
        socks[s] = [msg, b"", False]
        sel.register(s, selectors.EVENT_WRITE)
    deadline = time.monotonic() + 60
    while socks and time.monotonic() < deadline:
        for key, ev in sel.select(timeout=1):
            s = key.fileobj
            st = socks[s]
            try:
                if ev & selectors.EVENT_WRITE and not st[2]:
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        raise OSError(err, os.strerror(err))
                    s.send(st[0])
                    s.shutdown(socket.SHUT_WR)
                    st[2] = True
                    sel.modify(s, selectors.EVENT_READ)
                elif ev & selectors.EVENT_READ:
                    d = s.recv(4096)
                    if d:
                        st[1] += d
                    else:
                        if st[1] == st[0]:
                            done += 1
                        else:
                            failed += 1
                            why["short"] = why.get("short", 0) + 1
                        sel.unregister(s)
                        s.close()
                        del socks[s]
            except OSError as e:
                failed += 1
                k = errno.errorcode.get(e.errno, str(e.errno))
                why[k] = why.get(k, 0) + 1
                sel.unregister(s)
                s.close()
                del socks[s]
    r = {"ok": done, "failed": failed, "unfinished": len(socks)}
    if why:
        r["why"] = why
    return r


def source(addr, port, total):
    s = socket.create_connection((addr, port), timeout=30)
    got = 0
    bad = -1
    expect = bytes(range(256)) * 16
    carry = 0
    while got < total:
        d = s.recv(min(65536, total - got))
        if not d:
            break
        # byte i of the stream is i % 256
        start = got % 256
        ref = (expect * (len(d) // len(expect) + 2))[start:start + len(d)]
        if d != ref and bad < 0:
            bad = got
        got += len(d)
    s.close()
    return {"received": got, "first_bad_offset": bad}


def discard(addr, port, total):
    s = socket.create_connection((addr, port), timeout=30)
    data = b"\x5a" * CHUNK
    left = total
    while left:
        n = min(left, CHUNK)
        s.sendall(data[:n])
        left -= n
    s.shutdown(socket.SHUT_WR)
    rest = s.recv(10)
    s.close()
    return {"sent": total, "closed_cleanly": rest == b""}


def serve(port, n, total):
    ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    ls.bind(("::", port))
    ls.listen(64)
    ls.settimeout(30)
    print(json.dumps({"listening": port}), flush=True)
    results = []
    expect = bytes(range(256)) * 64
    for _ in range(n):
        c, peer = ls.accept()
        c.settimeout(30)
        got = b""
        while len(got) < total:
            d = c.recv(total - len(got))
            if not d:
                break
            got += d
        results.append({"peer": list(peer[:2]), "bytes": len(got),
                        "pattern_ok": got == (expect * (total // len(expect) + 1))[:total]})
        c.close()
    return {"accepted": results}


def abort(addr, port):
    s = socket.create_connection((addr, port), timeout=10)
    s.sendall(b"x" * 1000)
    time.sleep(0.2)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    return {"aborted": True}


def main():
    mode = sys.argv[1]
    a = sys.argv[2:]
    if mode == "echo":
        r = echo(a[0], int(a[1]), int(a[2]))
    elif mode == "many":
        r = many(a[0], int(a[1]), int(a[2]))
    elif mode == "source":
        r = source(a[0], int(a[1]), int(a[2]))
    elif mode == "discard":
        r = discard(a[0], int(a[1]), int(a[2]))
    elif mode == "serve":
        r = serve(int(a[0]), int(a[1]), int(a[2]))
    elif mode == "abort":
        r = abort(a[0], int(a[1]))
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
