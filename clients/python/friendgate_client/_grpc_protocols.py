"""grpc.health.v1 and grpc.reflection.v1alpha without generated modules.

Their message classes are built from a descriptor set shipped in this package
(grpc_protocols.binpb, written when the wheel is built) in a private
DescriptorPool: nothing is registered in protobuf's default pool, so this
package coexists with grpcio-health-checking / grpcio-reflection (which
register the same names) in one process. The method paths are gRPC's own.
"""

from importlib import resources

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

HEALTH_CHECK = "/grpc.health.v1.Health/Check"
REFLECTION_INFO = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"

_pool = descriptor_pool.DescriptorPool()
_files = descriptor_pb2.FileDescriptorSet.FromString(
    resources.files(__package__).joinpath("grpc_protocols.binpb").read_bytes())
for _file in _files.file:
    _pool.Add(_file)
_factory = message_factory.MessageFactory(_pool)


def _message(name):
    return _factory.GetPrototype(_pool.FindMessageTypeByName(name))


HealthCheckRequest = _message("grpc.health.v1.HealthCheckRequest")
HealthCheckResponse = _message("grpc.health.v1.HealthCheckResponse")
ServerReflectionRequest = _message("grpc.reflection.v1alpha.ServerReflectionRequest")
ServerReflectionResponse = _message("grpc.reflection.v1alpha.ServerReflectionResponse")


_SERVING_STATUS = HealthCheckResponse.DESCRIPTOR.enum_types_by_name["ServingStatus"]


def serving_status_name(number: int) -> str:
    """HealthCheckResponse.ServingStatus name; UNKNOWN for a number this
    version does not know."""
    value = _SERVING_STATUS.values_by_number.get(number)
    return value.name if value else "UNKNOWN"
