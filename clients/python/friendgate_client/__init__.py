"""A small Python client for friendgate's gRPC API (package friendgate.v1).

Install the wheel (`clients/python/build-wheel OUT_DIR` builds it; the
protobuf/gRPC modules `friendgate.v1.*_pb2` are generated into it at build
time). Every call takes a deadline (`timeout`, seconds); there is no call
without one.
"""

from importlib import metadata as _metadata

from friendgate_client.client import (
    DEFAULT_TIMEOUT_S,
    Client,
    HealthStatus,
    friend_request,
    new_event_id,
)

try:
    __version__ = _metadata.version("friendgate-client")
except _metadata.PackageNotFoundError:  # imported from a source tree
    __version__ = "0+unknown"

__all__ = ["__version__", "Client", "DEFAULT_TIMEOUT_S", "HealthStatus", "friend_request", "new_event_id"]
