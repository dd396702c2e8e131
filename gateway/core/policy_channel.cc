#include "gateway/core/policy_channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/support/channel_arguments.h>

#include "common/strings.h"

namespace friendgate::gateway {

std::shared_ptr<grpc::Channel> MakePolicyChannel(const std::string& target,
                                                 const std::string& load_balancing,
                                                 size_t max_message_bytes,
                                                 const PolicyChannelSecurity& security) {
  grpc::ChannelArguments args;
  // Set on purpose, not left to gRPC's defaults (4 MiB in, unlimited out): a
  // request over the policy service's receive limit would fail there after
  // being sent whole; here it fails at once, as message_too_large.
  args.SetMaxSendMessageSize(static_cast<int>(max_message_bytes));
  args.SetMaxReceiveMessageSize(kMaxAnswerBytes);
  // A restarted policy service must be found again within about a second, not
  // after gRPC's default exponential backoff of up to two minutes.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // Despite its name, gRPC C++ (src/core/.../subchannel.cc) uses this as the
  // minimum time one connection attempt (TCP, TLS handshake, HTTP/2 settings)
  // may take: the attempt's deadline is max(now + this, the next backoff
  // time). Once set to 100 (as a backoff floor), it gave every attempt 0.1 to
  // 1.2 s, and a TLS handshake on a loaded machine never finished in time: the
  // gateway stayed unready. Connection refused still fails at once; only a
  // peer that accepts and is slow gets this long.
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, kPolicyConnectTimeoutMs);
  // Detect a dead peer on an idle connection.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 20000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetServiceConfigJSON(StrCat(R"({"loadBalancingConfig":[{")", load_balancing, R"(":{}}]})"));
  if (!security.server_name.empty()) args.SetSslTargetNameOverride(security.server_name);
  return grpc::CreateCustomChannel(
      target,
      security.credentials != nullptr ? security.credentials : grpc::InsecureChannelCredentials(),
      args);
}

}  // namespace friendgate::gateway
