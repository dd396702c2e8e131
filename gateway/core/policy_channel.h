#ifndef FRIENDGATE_GATEWAY_CORE_POLICY_CHANNEL_H_
#define FRIENDGATE_GATEWAY_CORE_POLICY_CHANNEL_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>

namespace friendgate::gateway {

// One long-lived channel to the policy service, shared by every request.
// `load_balancing` is "pick_first" or "round_robin".
std::shared_ptr<grpc::Channel> MakePolicyChannel(const std::string& target,
                                                 const std::string& load_balancing);

}  // namespace friendgate::gateway

#endif  // FRIENDGATE_GATEWAY_CORE_POLICY_CHANNEL_H_
