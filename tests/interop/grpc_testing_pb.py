"""grpc_testing.proto messages for interop_client.py and ref_server.py.

grpc_tools is not required: grpc_testing.proto (next to this module) is
compiled with ``protoc --python_out`` when load() is called and the
generated grpc_testing_pb2 module is imported from there.

Both scripts are run from any working directory; they put their own
directory on sys.path before importing this module.
"""

import importlib
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_FILE = os.path.join(HERE, "grpc_testing.proto")

# Metadata keys the interop test description has the server echo back.
ECHO_INITIAL_KEY = "x-grpc-test-echo-initial"
ECHO_TRAILING_KEY = "x-grpc-test-echo-trailing-bin"


def add_proto_out_option(parser):
    """The --proto-out DIR option both scripts take (see load())."""
    parser.add_argument("--proto-out", metavar="DIR",
                        help="directory to keep the generated "
                             "grpc_testing_pb2.py in (default: temp dir)")


def load(proto_out=None):
    """Compile grpc_testing.proto with protoc and return the imported
    grpc_testing_pb2 module.

    If proto_out is given, the generated module is written there (and
    reused when it is newer than the .proto); otherwise a temporary
    directory is used and removed again after the import.
    """
    tmpdir = None
    if proto_out:
        outdir = os.path.abspath(proto_out)
        os.makedirs(outdir, exist_ok=True)
    else:
        outdir = tmpdir = tempfile.mkdtemp(prefix="interop_pb_")
    generated = os.path.join(outdir, "grpc_testing_pb2.py")
    try:
        if (not os.path.exists(generated)
                or os.path.getmtime(generated) < os.path.getmtime(PROTO_FILE)):
            protoc = shutil.which("protoc")
            if protoc is None:
                sys.exit("interop: protoc not found on PATH")
            subprocess.run([protoc, "--proto_path=" + HERE,
                            "--python_out=" + outdir, PROTO_FILE],
                           check=True)
        sys.path.insert(0, outdir)
        try:
            return importlib.import_module("grpc_testing_pb2")
        finally:
            sys.path.remove(outdir)
    finally:
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
