#!/usr/bin/python3
"""Reference gRPC interop TestService server for slimbridge.

Implements grpc.testing.TestService as the gRPC interop test description
(doc/interop-test-descriptions.md) asks of a server, in python3-grpcio
with generic handlers, so that interop_client.py can be checked against a
known-good server before it is pointed at slimbridge's C server.

grpc_testing.proto (next to this script) is compiled at start-up with
``protoc --python_out``; grpc_tools is not required.

Usage:
    ref_server.py --port N [--host ADDR] [--proto-out DIR]

Prints "listening on PORT" (the real port, useful with --port 0) and
flushes once the server accepts calls.  Stops on SIGINT/SIGTERM.

Must be run with /usr/bin/python3 (where grpcio and protobuf live).
"""

import argparse
import os
import signal
import sys
import time
from concurrent import futures

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import grpc_testing_pb  # noqa: E402  (lives next to this script)
from grpc_testing_pb import ECHO_INITIAL_KEY, ECHO_TRAILING_KEY  # noqa: E402

# Filled in by main(): the protoc-generated grpc_testing_pb2 module.
pb = None

# Numeric status code -> grpc.StatusCode.
STATUS_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}


# --------------------------------------------------------------------------
# Helpers shared by the handlers


def make_payload(response_type, size):
    """A payload of `size` zero bytes (only COMPRESSABLE exists)."""
    return pb.Payload(type=response_type, body=b"\x00" * size)


def echo_metadata(context):
    """Echo the interop test metadata keys back to the client.

    x-grpc-test-echo-initial goes into the response headers and
    x-grpc-test-echo-trailing-bin into the trailers, values unchanged.
    Must run before the first response is sent.
    """
    initial, trailing = [], []
    for key, value in context.invocation_metadata():
        if key == ECHO_INITIAL_KEY:
            initial.append((key, value))
        elif key == ECHO_TRAILING_KEY:
            trailing.append((key, value))
    if initial:
        context.send_initial_metadata(initial)
    if trailing:
        context.set_trailing_metadata(trailing)


def maybe_echo_status(request, context):
    """If the request carries a non-OK response_status, end the call with it.

    context.abort() raises, so nothing after this runs in that case.
    """
    if request.HasField("response_status") and request.response_status.code:
        status = request.response_status
        code = STATUS_BY_NUMBER.get(status.code, grpc.StatusCode.UNKNOWN)
        context.abort(code, status.message)


def stream_responses(request, context):
    """Yield the responses a StreamingOutputCallRequest asks for.

    One response per response_parameters entry, each after sleeping its
    interval_us, with a payload of the requested size.
    """
    for params in request.response_parameters:
        if params.interval_us > 0:
            time.sleep(params.interval_us / 1e6)
        if not context.is_active():
            return
        yield pb.StreamingOutputCallResponse(
            payload=make_payload(request.response_type, params.size))


# --------------------------------------------------------------------------
# TestService methods


def empty_call(request, context):
    echo_metadata(context)
    return pb.Empty()


def unary_call(request, context):
    echo_metadata(context)
    maybe_echo_status(request, context)
    response = pb.SimpleResponse()
    if request.response_size > 0:
        response.payload.CopyFrom(
            make_payload(request.response_type, request.response_size))
    return response


def streaming_output_call(request, context):
    echo_metadata(context)
    maybe_echo_status(request, context)
    yield from stream_responses(request, context)


def streaming_input_call(request_iterator, context):
    echo_metadata(context)
    total = 0
    for request in request_iterator:
        total += len(request.payload.body)
    return pb.StreamingInputCallResponse(aggregated_payload_size=total)


def full_duplex_call(request_iterator, context):
    """Answer each request as soon as it arrives."""
    echo_metadata(context)
    for request in request_iterator:
        maybe_echo_status(request, context)
        yield from stream_responses(request, context)


def half_duplex_call(request_iterator, context):
    """Buffer all requests until the client half-closes, then answer."""
    echo_metadata(context)
    requests = list(request_iterator)
    for request in requests:
        maybe_echo_status(request, context)
        yield from stream_responses(request, context)


def make_handler():
    """Generic handler for grpc.testing.TestService.

    UnimplementedCall (and the whole UnimplementedService) is deliberately
    not registered, so grpcio itself answers UNIMPLEMENTED.
    """
    def parse(cls):
        return cls.FromString

    def ser(msg):
        return msg.SerializeToString()

    methods = {
        "EmptyCall": grpc.unary_unary_rpc_method_handler(
            empty_call, parse(pb.Empty), ser),
        "UnaryCall": grpc.unary_unary_rpc_method_handler(
            unary_call, parse(pb.SimpleRequest), ser),
        "StreamingOutputCall": grpc.unary_stream_rpc_method_handler(
            streaming_output_call, parse(pb.StreamingOutputCallRequest),
            ser),
        "StreamingInputCall": grpc.stream_unary_rpc_method_handler(
            streaming_input_call, parse(pb.StreamingInputCallRequest), ser),
        "FullDuplexCall": grpc.stream_stream_rpc_method_handler(
            full_duplex_call, parse(pb.StreamingOutputCallRequest), ser),
        "HalfDuplexCall": grpc.stream_stream_rpc_method_handler(
            half_duplex_call, parse(pb.StreamingOutputCallRequest), ser),
    }
    return grpc.method_handlers_generic_handler("grpc.testing.TestService",
                                                methods)


def main():
    global pb
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True,
                        help="TCP port (0 picks a free one)")
    parser.add_argument("--host", default="[::]",
                        help="address to bind (default [::], all)")
    grpc_testing_pb.add_proto_out_option(parser)
    args = parser.parse_args()

    pb = grpc_testing_pb.load(args.proto_out)

    # Streaming calls hold a worker thread each for their whole life.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=64))
    server.add_generic_rpc_handlers((make_handler(),))
    port = server.add_insecure_port("%s:%d" % (args.host, args.port))
    if port == 0:
        sys.exit("ref_server: cannot bind %s:%d" % (args.host, args.port))
    server.start()

    def stop(signum, frame):
        server.stop(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    print("listening on %d" % port, flush=True)
    server.wait_for_termination()
    return 0


if __name__ == "__main__":
    sys.exit(main())
