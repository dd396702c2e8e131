"""A small Python client for friendgate's gRPC API (package friendgate.v1).

The protobuf/gRPC modules are generated at build time (nothing generated is
committed): run `clients/python/generate OUT_DIR` and put OUT_DIR and
clients/python on PYTHONPATH. Every call takes a deadline (`timeout`, seconds);
there is no call without one.
"""

from friendgate_client.client import (
    DEFAULT_TIMEOUT_S,
    Client,
    HealthStatus,
    friend_request,
    new_event_id,
)

__all__ = ["Client", "DEFAULT_TIMEOUT_S", "HealthStatus", "friend_request", "new_event_id"]
