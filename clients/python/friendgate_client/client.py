"""friendgate_client.Client: typed access to PolicyService, health and reflection."""

import enum
import uuid
from typing import Iterable, List, Optional

import grpc

from friendgate.v1 import (
    decision_pb2,
    event_pb2,
    policy_admin_pb2,
    policy_admin_pb2_grpc,
    policy_service_pb2,
    policy_service_pb2_grpc,
)
from friendgate_client import _grpc_protocols as protocols

# Decide is on the vendors' answer path (Tencent waits 2 s): callers should
# leave the gateway room to answer. Management calls may use longer deadlines.
DEFAULT_TIMEOUT_S = 1.0
# A WatchEvents stream ends at its deadline; followers re-open it.
DEFAULT_WATCH_TIMEOUT_S = 300.0


class HealthStatus(enum.Enum):
    SERVING = "SERVING"
    NOT_SERVING = "NOT_SERVING"
    UNKNOWN = "UNKNOWN"
    SERVICE_UNKNOWN = "SERVICE_UNKNOWN"


def new_event_id() -> str:
    """An event id in the contract's format: 32 lowercase hex characters."""
    return uuid.uuid4().hex


class Client:
    """A connection to a friendgate gRPC server (the policy service).

    Usage:
        with Client("127.0.0.1:50051") as client:
            decision = client.decide(event, timeout=0.5)
    """

    def __init__(self, target: str, channel: Optional[grpc.Channel] = None):
        self._channel = channel or grpc.insecure_channel(target)
        self._policy = policy_service_pb2_grpc.PolicyServiceStub(self._channel)
        self._admin = policy_admin_pb2_grpc.PolicyAdminStub(self._channel)
        self._health_check = self._channel.unary_unary(
            protocols.HEALTH_CHECK,
            request_serializer=protocols.HealthCheckRequest.SerializeToString,
            response_deserializer=protocols.HealthCheckResponse.FromString)
        self._reflection_info = self._channel.stream_stream(
            protocols.REFLECTION_INFO,
            request_serializer=protocols.ServerReflectionRequest.SerializeToString,
            response_deserializer=protocols.ServerReflectionResponse.FromString)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._channel.close()

    def wait_ready(self, timeout: float) -> None:
        """Blocks until the channel connects; raises grpc.FutureTimeoutError."""
        grpc.channel_ready_future(self._channel).result(timeout=timeout)

    # --- friendgate.v1.PolicyService -------------------------------------
    def decide(self, event: event_pb2.FriendshipEvent,
               timeout: float = DEFAULT_TIMEOUT_S) -> decision_pb2.Decision:
        """PolicyService.Decide. Raises grpc.RpcError on a non-OK status."""
        return self._policy.Decide(policy_service_pb2.DecideRequest(event=event),
                                   timeout=timeout)

    # --- friendgate.v1.PolicyAdmin ---------------------------------------
    def get_rules(self, timeout: float = DEFAULT_TIMEOUT_S) -> policy_admin_pb2.GetRulesResponse:
        return self._admin.GetRules(policy_admin_pb2.GetRulesRequest(), timeout=timeout)

    def add_list_entry(self, list_id: str, user_id: str,
                       timeout: float = DEFAULT_TIMEOUT_S) -> bool:
        """Adds `user_id` to blocklist/exempt rule `list_id`; False if already there.
        NOT_FOUND when the active rules have no such list."""
        return self._admin.AddListEntry(
            policy_admin_pb2.AddListEntryRequest(list=list_id, user_id=user_id),
            timeout=timeout).added

    def remove_list_entry(self, list_id: str, user_id: str,
                          timeout: float = DEFAULT_TIMEOUT_S) -> bool:
        return self._admin.RemoveListEntry(
            policy_admin_pb2.RemoveListEntryRequest(list=list_id, user_id=user_id),
            timeout=timeout).removed

    def list_entries(self, list_id: str, page_size: int = 100,
                     timeout: float = DEFAULT_TIMEOUT_S) -> List[str]:
        """Every run-time entry of a list, following next_page_token."""
        users: List[str] = []
        token = ""
        while True:
            page = self._admin.ListListEntries(policy_admin_pb2.ListListEntriesRequest(
                list=list_id, page_size=page_size, page_token=token), timeout=timeout)
            users.extend(page.user_ids)
            token = page.next_page_token
            if not token:
                return users

    def recent_decisions(self, limit: int = 100, tenant: str = "",
                         timeout: float = DEFAULT_TIMEOUT_S):
        return list(self._admin.ListRecentDecisions(
            policy_admin_pb2.ListRecentDecisionsRequest(limit=limit, tenant=tenant),
            timeout=timeout).decisions)

    def watch_events(self, tenants: Iterable[str] = (), event_types: Iterable[int] = (),
                     buffer_size: int = 0, timeout: float = DEFAULT_WATCH_TIMEOUT_S):
        """Opens PolicyAdmin.WatchEvents and returns the call once the server has
        registered the watcher (it sends headers then), so every event decided
        after this returns is delivered. Iterate it for WatchEventsResponse
        messages; call .cancel() to stop."""
        call = self._admin.WatchEvents(policy_admin_pb2.WatchEventsRequest(
            tenants=list(tenants), event_types=list(event_types), buffer_size=buffer_size),
            timeout=timeout)
        call.initial_metadata()  # blocks until the watcher is registered (or the call failed)
        return call

    # --- grpc.health.v1.Health -------------------------------------------
    def check_health(self, service: str = "",
                     timeout: float = DEFAULT_TIMEOUT_S) -> HealthStatus:
        try:
            reply = self._health_check(protocols.HealthCheckRequest(service=service),
                                       timeout=timeout)
        except grpc.RpcError as err:
            if err.code() == grpc.StatusCode.NOT_FOUND:
                return HealthStatus.SERVICE_UNKNOWN
            raise
        name = protocols.serving_status_name(reply.status)
        return HealthStatus[name] if name in HealthStatus.__members__ else HealthStatus.UNKNOWN

    # --- grpc.reflection.v1alpha.ServerReflection ------------------------
    def list_services(self, timeout: float = DEFAULT_TIMEOUT_S) -> List[str]:
        """The fully-qualified names of every service the server exposes."""
        request = protocols.ServerReflectionRequest(list_services="")
        responses = self._reflection_info(iter([request]), timeout=timeout)
        names: List[str] = []
        for response in responses:
            if response.HasField("error_response"):
                raise RuntimeError("reflection error %d: %s" % (
                    response.error_response.error_code,
                    response.error_response.error_message))
            names.extend(s.name for s in response.list_services_response.service)
        return sorted(names)

    def file_containing_symbol(self, symbol: str,
                               timeout: float = DEFAULT_TIMEOUT_S) -> List[bytes]:
        """Serialized FileDescriptorProtos that define `symbol` (and its imports)."""
        request = protocols.ServerReflectionRequest(file_containing_symbol=symbol)
        files: List[bytes] = []
        for response in self._reflection_info(iter([request]), timeout=timeout):
            if response.HasField("error_response"):
                raise RuntimeError("reflection error %d: %s" % (
                    response.error_response.error_code,
                    response.error_response.error_message))
            files.extend(response.file_descriptor_response.file_descriptor_proto)
        return files


def friend_request(tenant: str, from_user: str, to_users: Iterable[str],
                   vendor: int = event_pb2.VENDOR_TENCENT,
                   phase: int = event_pb2.PHASE_BEFORE) -> event_pb2.FriendshipEvent:
    """A FRIEND_REQUEST event from `from_user` to each of `to_users`."""
    return event_pb2.FriendshipEvent(
        event_id=new_event_id(), vendor=vendor, tenant=tenant,
        type=event_pb2.EVENT_TYPE_FRIEND_REQUEST, phase=phase, actor=from_user,
        relations=[event_pb2.Relation(from_user=from_user, to_user=u) for u in to_users])
