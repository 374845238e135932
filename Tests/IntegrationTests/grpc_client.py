"""Python stubs of the gRPC API, generated from Protos/*.proto by grpcio-tools into a temporary directory at
test time (never committed), and the calls the integration tests make with them."""
import glob
import os
import sys
import tempfile

import grpc
import grpc_tools
from grpc_tools import protoc

PROTOS = os.path.join(os.path.dirname(__file__), "..", "..", "Protos")


def load_stubs():
    """(query_pb2, query_pb2_grpc), generated now from the committed .proto files."""
    out = tempfile.mkdtemp(prefix="csic-grpc-stubs-")
    include = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    code = protoc.main(["grpc_tools.protoc", f"-I{PROTOS}", f"-I{include}", f"--python_out={out}", f"--grpc_python_out={out}",
                        *sorted(glob.glob(os.path.join(PROTOS, "*.proto")))])
    if code != 0:
        raise RuntimeError(f"grpc_tools.protoc failed with {code}")
    sys.path.insert(0, out)
    import query_pb2  # noqa: E402
    import query_pb2_grpc  # noqa: E402
    return query_pb2, query_pb2_grpc


def metadata(credential):
    return (("authorization", "Bearer " + credential),) if credential else ()


def status_of(call):
    """The gRPC status code name of `call()`: OK, or the code it failed with."""
    try:
        call()
        return "OK"
    except grpc.RpcError as error:
        return error.code().name
