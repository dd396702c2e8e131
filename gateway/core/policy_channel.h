#ifndef FRIENDGATE_GATEWAY_CORE_POLICY_CHANNEL_H_
#define FRIENDGATE_GATEWAY_CORE_POLICY_CHANNEL_H_

#include <grpcpp/channel.h>
#include <grpcpp/security/credentials.h>

#include <memory>
#include <string>

namespace friendgate::gateway {

// TLS for the channel (gateway/core/policy_tls.h); null credentials: plaintext.
struct PolicyChannelSecurity {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  std::string server_name;  // empty: the target's host
};

// One long-lived channel to the policy service, shared by every request.
// `load_balancing` is "pick_first" or "round_robin".
std::shared_ptr<grpc::Channel> MakePolicyChannel(const std::string& target,
                                                 const std::string& load_balancing,
                                                 const PolicyChannelSecurity& security = {});

}  // namespace friendgate::gateway

#endif  // FRIENDGATE_GATEWAY_CORE_POLICY_CHANNEL_H_
