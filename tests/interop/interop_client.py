#!/usr/bin/python3
"""gRPC interop test client for slimbridge.

Implements the client side of the gRPC interoperability test cases as
described in the gRPC interop test description
(doc/interop-test-descriptions.md), using python3-grpcio only.

grpc_tools is not required: grpc_testing.proto (next to this script) is
compiled at start-up with ``protoc --python_out`` and the RPCs are invoked
through generic method paths (channel.unary_unary and friends).

Usage:
    interop_client.py --server HOST:PORT [--test_case a,b,c] [--timeout S]
                      [--json] [--proto-out DIR]

One line per test case is printed ("PASS name (1.23s)" or
"FAIL name (1.23s): detail").  With --json the lines go to stderr and
stdout carries only a JSON list of {"case", "ok", "detail", "seconds"}.
The exit code is 0 only if every selected case passed.

Must be run with /usr/bin/python3 (where grpcio and protobuf live).
"""

import argparse
import json
import os
import queue
import sys
import threading
import time

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import grpc_testing_pb  # noqa: E402  (lives next to this script)
from grpc_testing_pb import ECHO_INITIAL_KEY, ECHO_TRAILING_KEY  # noqa: E402

# Filled in by main(): the protoc-generated grpc_testing_pb2 module.
pb = None

SERVICE = "/grpc.testing.TestService/"
UNIMPLEMENTED_SERVICE = "/grpc.testing.UnimplementedService/"

ECHO_INITIAL_VALUE = "test_initial_metadata_value"
ECHO_TRAILING_VALUE = b"\xab\xab\xab"

# Sizes used by the streaming cases (from the interop test description).
REQUEST_SIZES = [27182, 8, 1828, 45904]
RESPONSE_SIZES = [31415, 9, 2653, 58979]


class CaseFailure(Exception):
    """Raised by a test case when an assertion about the server fails."""


class RequestQueue:
    """A request iterator the test can feed one message at a time.

    grpcio consumes request iterators on its own thread; this lets a test
    interleave sends and receives (ping_pong) or hold a stream open
    without sending anything (cancel_after_begin).  close() half-closes.
    """

    _CLOSE = object()

    def __init__(self):
        self._queue = queue.Queue()

    def put(self, request):
        self._queue.put(request)

    def close(self):
        self._queue.put(self._CLOSE)

    def __iter__(self):
        return self

    def __next__(self):
        item = self._queue.get()
        if item is self._CLOSE:
            # Keep answering "done" if grpcio asks again.
            self._queue.put(self._CLOSE)
            raise StopIteration
        return item


class Stubs:
    """Generic-path callables for every method the tests use."""

    def __init__(self, channel):
        def ser(msg):
            return msg.SerializeToString()

        def uu(path, resp):
            return channel.unary_unary(path, request_serializer=ser,
                                       response_deserializer=resp.FromString)

        self.empty_call = uu(SERVICE + "EmptyCall", pb.Empty)
        self.unary_call = uu(SERVICE + "UnaryCall", pb.SimpleResponse)
        self.streaming_output_call = channel.unary_stream(
            SERVICE + "StreamingOutputCall", request_serializer=ser,
            response_deserializer=pb.StreamingOutputCallResponse.FromString)
        self.streaming_input_call = channel.stream_unary(
            SERVICE + "StreamingInputCall", request_serializer=ser,
            response_deserializer=pb.StreamingInputCallResponse.FromString)
        self.full_duplex_call = channel.stream_stream(
            SERVICE + "FullDuplexCall", request_serializer=ser,
            response_deserializer=pb.StreamingOutputCallResponse.FromString)
        self.unimplemented_call = uu(SERVICE + "UnimplementedCall", pb.Empty)
        self.unimplemented_service_call = uu(
            UNIMPLEMENTED_SERVICE + "UnimplementedCall", pb.Empty)


# --------------------------------------------------------------------------
# Assertion helpers


def check(cond, message):
    if not cond:
        raise CaseFailure(message)


def zeros(n):
    return pb.Payload(type=pb.COMPRESSABLE, body=b"\x00" * n)


def check_payload(payload, size, what):
    """Payload must be COMPRESSABLE, exactly `size` bytes, all zero."""
    check(payload.type == pb.COMPRESSABLE,
          "%s: payload type %d, want COMPRESSABLE" % (what, payload.type))
    check(len(payload.body) == size,
          "%s: payload size %d, want %d" % (what, len(payload.body), size))
    check(payload.body.count(0) == size,
          "%s: payload body is not all zeros" % what)


def check_code(code, want, what):
    check(code == want, "%s: status %s, want %s" % (what, code, want))


def expect_rpc_error(fn, want, what):
    """Run fn(), which must raise grpc.RpcError with status `want`.

    Returns the error so the caller can inspect details and metadata.
    """
    try:
        fn()
    except grpc.RpcError as err:
        check_code(err.code(), want, what)
        return err
    raise CaseFailure("%s: call succeeded, want %s" % (what, want))


def metadata_value(metadata, key):
    """Value of `key` in a grpcio metadata sequence, or None."""
    for item in metadata or ():
        if item[0] == key:
            return item[1]
    return None


def check_echo_metadata(call, what):
    """Initial/trailing metadata must echo what custom_metadata sent."""
    got = metadata_value(call.initial_metadata(), ECHO_INITIAL_KEY)
    check(got == ECHO_INITIAL_VALUE,
          "%s: initial metadata %s = %r, want %r"
          % (what, ECHO_INITIAL_KEY, got, ECHO_INITIAL_VALUE))
    got = metadata_value(call.trailing_metadata(), ECHO_TRAILING_KEY)
    check(got == ECHO_TRAILING_VALUE,
          "%s: trailing metadata %s = %r, want %r"
          % (what, ECHO_TRAILING_KEY, got, ECHO_TRAILING_VALUE))


def full_duplex_single(stubs, request, timeout, metadata=None):
    """FullDuplexCall with one request, then half-close; return the call."""
    requests = RequestQueue()
    requests.put(request)
    requests.close()
    return stubs.full_duplex_call(requests, timeout=timeout,
                                  metadata=metadata)


# --------------------------------------------------------------------------
# Test cases.  Each takes (stubs, timeout) and raises CaseFailure or
# grpc.RpcError on failure.


def empty_unary(stubs, timeout):
    """EmptyCall with an empty request gets an empty response."""
    resp = stubs.empty_call(pb.Empty(), timeout=timeout)
    check(isinstance(resp, pb.Empty), "response is not Empty")
    check(resp.ByteSize() == 0, "response is not empty")


def large_unary(stubs, timeout):
    """UnaryCall: 271828 zero bytes in, 314159 zero bytes out."""
    req = pb.SimpleRequest(response_type=pb.COMPRESSABLE,
                           response_size=314159, payload=zeros(271828))
    resp = stubs.unary_call(req, timeout=timeout)
    check(resp.HasField("payload"), "response has no payload")
    check_payload(resp.payload, 314159, "response")


def client_streaming(stubs, timeout):
    """StreamingInputCall with 4 payloads; server sums their sizes."""
    reqs = [pb.StreamingInputCallRequest(payload=zeros(n))
            for n in REQUEST_SIZES]
    resp = stubs.streaming_input_call(iter(reqs), timeout=timeout)
    check(resp.aggregated_payload_size == 74922,
          "aggregated_payload_size %d, want 74922"
          % resp.aggregated_payload_size)


def server_streaming(stubs, timeout):
    """StreamingOutputCall: one response per response_parameters entry."""
    req = pb.StreamingOutputCallRequest(
        response_type=pb.COMPRESSABLE,
        response_parameters=[pb.ResponseParameters(size=n)
                             for n in RESPONSE_SIZES])
    call = stubs.streaming_output_call(req, timeout=timeout)
    got = 0
    for resp in call:
        check(got < len(RESPONSE_SIZES), "more than %d responses"
              % len(RESPONSE_SIZES))
        check_payload(resp.payload, RESPONSE_SIZES[got],
                      "response %d" % got)
        got += 1
    check(got == len(RESPONSE_SIZES),
          "%d responses, want %d" % (got, len(RESPONSE_SIZES)))
    check_code(call.code(), grpc.StatusCode.OK, "final status")


def ping_pong(stubs, timeout):
    """FullDuplexCall: each request is answered before the next is sent."""
    requests = RequestQueue()
    call = stubs.full_duplex_call(requests, timeout=timeout)
    try:
        for i, (req_size, resp_size) in enumerate(zip(REQUEST_SIZES,
                                                      RESPONSE_SIZES)):
            requests.put(pb.StreamingOutputCallRequest(
                response_type=pb.COMPRESSABLE,
                response_parameters=[pb.ResponseParameters(size=resp_size)],
                payload=zeros(req_size)))
            try:
                resp = next(call)
            except StopIteration:
                raise CaseFailure("stream ended after %d responses" % i)
            check_payload(resp.payload, resp_size, "response %d" % i)
        requests.close()
        for resp in call:
            raise CaseFailure("unexpected extra response")
        check_code(call.code(), grpc.StatusCode.OK, "final status")
    finally:
        requests.close()
        call.cancel()


def empty_stream(stubs, timeout):
    """FullDuplexCall with no requests gets no responses and OK."""
    call = stubs.full_duplex_call(iter([]), timeout=timeout)
    responses = list(call)
    check(not responses, "%d responses, want 0" % len(responses))
    check_code(call.code(), grpc.StatusCode.OK, "final status")


def cancel_after_begin(stubs, timeout):
    """StreamingInputCall cancelled before anything is sent."""
    requests = RequestQueue()
    future = stubs.streaming_input_call.future(requests, timeout=timeout)
    try:
        # Give the call a moment to actually start on the wire.
        time.sleep(0.1)
        future.cancel()
        check_code(future.code(), grpc.StatusCode.CANCELLED, "status")
    finally:
        requests.close()


def cancel_after_first_response(stubs, timeout):
    """FullDuplexCall cancelled after the first response arrives."""
    requests = RequestQueue()
    call = stubs.full_duplex_call(requests, timeout=timeout)
    try:
        requests.put(pb.StreamingOutputCallRequest(
            response_type=pb.COMPRESSABLE,
            response_parameters=[pb.ResponseParameters(size=31415)],
            payload=zeros(27182)))
        try:
            resp = next(call)
        except StopIteration:
            raise CaseFailure("stream ended without a response")
        check_payload(resp.payload, 31415, "first response")
        call.cancel()
        check_code(call.code(), grpc.StatusCode.CANCELLED, "status")
    finally:
        requests.close()


def timeout_on_sleeping_server(stubs, timeout):
    """FullDuplexCall with a 1 ms deadline must end DEADLINE_EXCEEDED."""
    requests = RequestQueue()
    call = stubs.full_duplex_call(requests, timeout=0.001)
    try:
        requests.put(pb.StreamingOutputCallRequest(payload=zeros(27182)))

        def drain():
            for _ in call:
                pass

        expect_rpc_error(drain, grpc.StatusCode.DEADLINE_EXCEEDED, "status")
    finally:
        requests.close()
        call.cancel()


def _status_case(stubs, timeout, message, duplex):
    """Ask the server to fail with code 2 and `message`; check both."""
    status = pb.EchoStatus(code=2, message=message)
    err = expect_rpc_error(
        lambda: stubs.unary_call(pb.SimpleRequest(response_status=status),
                                 timeout=timeout),
        grpc.StatusCode.UNKNOWN, "UnaryCall")
    check(err.details() == message, "UnaryCall: details %r, want %r"
          % (err.details(), message))
    if not duplex:
        return
    call = full_duplex_single(
        stubs, pb.StreamingOutputCallRequest(response_status=status),
        timeout)
    err = expect_rpc_error(lambda: list(call), grpc.StatusCode.UNKNOWN,
                           "FullDuplexCall")
    check(err.details() == message, "FullDuplexCall: details %r, want %r"
          % (err.details(), message))


def status_code_and_message(stubs, timeout):
    """Server echoes a requested status via UnaryCall and FullDuplexCall."""
    _status_case(stubs, timeout, "test status message", duplex=True)


def special_status_message(stubs, timeout):
    """A status message with whitespace and Unicode round-trips exactly."""
    _status_case(stubs, timeout,
                 "\t\ntest with whitespace\r\nand Unicode BMP \u263a "
                 "and non-BMP \U0001f608\t\n", duplex=False)


def custom_metadata(stubs, timeout):
    """Initial and trailing test metadata are echoed back by the server."""
    metadata = ((ECHO_INITIAL_KEY, ECHO_INITIAL_VALUE),
                (ECHO_TRAILING_KEY, ECHO_TRAILING_VALUE))

    req = pb.SimpleRequest(response_type=pb.COMPRESSABLE,
                           response_size=314159, payload=zeros(271828))
    resp, call = stubs.unary_call.with_call(req, timeout=timeout,
                                            metadata=metadata)
    check_payload(resp.payload, 314159, "UnaryCall response")
    check_echo_metadata(call, "UnaryCall")

    call = full_duplex_single(
        stubs, pb.StreamingOutputCallRequest(
            response_type=pb.COMPRESSABLE,
            response_parameters=[pb.ResponseParameters(size=314159)],
            payload=zeros(271828)),
        timeout, metadata=metadata)
    responses = list(call)
    check(len(responses) == 1, "FullDuplexCall: %d responses, want 1"
          % len(responses))
    check_payload(responses[0].payload, 314159, "FullDuplexCall response")
    check_code(call.code(), grpc.StatusCode.OK, "FullDuplexCall status")
    check_echo_metadata(call, "FullDuplexCall")


def unimplemented_method(stubs, timeout):
    """TestService/UnimplementedCall answers UNIMPLEMENTED."""
    expect_rpc_error(lambda: stubs.unimplemented_call(pb.Empty(),
                                                      timeout=timeout),
                     grpc.StatusCode.UNIMPLEMENTED, "status")


def unimplemented_service(stubs, timeout):
    """UnimplementedService/UnimplementedCall answers UNIMPLEMENTED."""
    expect_rpc_error(
        lambda: stubs.unimplemented_service_call(pb.Empty(),
                                                 timeout=timeout),
        grpc.StatusCode.UNIMPLEMENTED, "status")


CASES = [
    empty_unary,
    large_unary,
    client_streaming,
    server_streaming,
    ping_pong,
    empty_stream,
    cancel_after_begin,
    cancel_after_first_response,
    timeout_on_sleeping_server,
    status_code_and_message,
    special_status_message,
    custom_metadata,
    unimplemented_method,
    unimplemented_service,
]
CASES_BY_NAME = {fn.__name__: fn for fn in CASES}


# --------------------------------------------------------------------------
# Driver


def run_case(server, fn, timeout):
    """Run one case on a fresh channel; return (ok, detail, seconds).

    A fresh channel per case keeps one misbehaving case from poisoning
    the connection for the rest.  The case also runs on a helper thread
    with an overall watchdog, so a stuck case cannot hang the client.
    """
    result = {}

    def body():
        channel = grpc.insecure_channel(server)
        try:
            fn(Stubs(channel), timeout)
            result["ok"] = (True, "")
        except CaseFailure as err:
            result["ok"] = (False, str(err))
        except grpc.RpcError as err:
            result["ok"] = (False, "unexpected RPC error: %s %r"
                            % (err.code(), err.details()))
        except Exception as err:  # report, don't crash the whole run
            result["ok"] = (False, "%s: %s" % (type(err).__name__, err))
        finally:
            channel.close()

    start = time.monotonic()
    worker = threading.Thread(target=body, daemon=True)
    worker.start()
    worker.join(timeout + 5)
    seconds = time.monotonic() - start
    if worker.is_alive():
        return False, "case did not finish within %gs" % (timeout + 5), \
            seconds
    return result["ok"][0], result["ok"][1], seconds


def main():
    global pb
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", required=True, help="HOST:PORT")
    parser.add_argument("--test_case", default="all",
                        help="comma-separated case names, or 'all' "
                             "(default); known: "
                             + ",".join(CASES_BY_NAME))
    parser.add_argument("--timeout", type=float, default=20.0,
                        help="per-case deadline in seconds (default 20)")
    parser.add_argument("--json", action="store_true",
                        help="print a JSON result list on stdout")
    grpc_testing_pb.add_proto_out_option(parser)
    args = parser.parse_args()

    if args.test_case in ("", "all"):
        selected = list(CASES)
    else:
        selected = []
        for name in args.test_case.split(","):
            name = name.strip()
            if name not in CASES_BY_NAME:
                parser.error("unknown test case %r" % name)
            selected.append(CASES_BY_NAME[name])

    pb = grpc_testing_pb.load(args.proto_out)

    log = sys.stderr if args.json else sys.stdout
    results = []
    for fn in selected:
        ok, detail, seconds = run_case(args.server, fn, args.timeout)
        results.append({"case": fn.__name__, "ok": ok, "detail": detail,
                        "seconds": round(seconds, 3)})
        if ok:
            print("PASS %s (%.2fs)" % (fn.__name__, seconds), file=log)
        else:
            print("FAIL %s (%.2fs): %s" % (fn.__name__, seconds, detail),
                  file=log)
        log.flush()

    if args.json:
        json.dump(results, sys.stdout, indent=2)
        print()
    failed = sum(1 for r in results if not r["ok"])
    print("%d/%d passed" % (len(results) - failed, len(results)), file=log)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
