#ifndef FRIENDGATE_GATEWAY_CORE_POLICY_CHANNEL_H_
#define FRIENDGATE_GATEWAY_CORE_POLICY_CHANNEL_H_

#include <grpcpp/channel.h>
#include <grpcpp/security/credentials.h>

#include <cstddef>
#include <memory>
#include <string>

namespace friendgate::gateway {

// TLS for the channel (gateway/core/policy_tls.h); null credentials: plaintext.
struct PolicyChannelSecurity {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  std::string server_name;  // empty: the target's host
};

// One long-lived channel to the policy service, shared by every request.
// `load_balancing` is "pick_first" or "round_robin". Requests are limited to
// `max_message_bytes` (GrpcPolicyClient keeps its batches under it); answers
// to kMaxAnswerBytes.
std::shared_ptr<grpc::Channel> MakePolicyChannel(const std::string& target,
                                                 const std::string& load_balancing,
                                                 size_t max_message_bytes = 4 << 20,
                                                 const PolicyChannelSecurity& security = {});

// One connection attempt (TCP connect, TLS handshake, HTTP/2 settings) may
// take this long before it is given up and retried.
inline constexpr int kPolicyConnectTimeoutMs = 10000;

// A DecideBatch answer carries what its events carry back (masked remarks,
// import lists): up to a few times a full request.
inline constexpr int kMaxAnswerBytes = 64 << 20;

}  // namespace friendgate::gateway

#endif  // FRIENDGATE_GATEWAY_CORE_POLICY_CHANNEL_H_
