#ifndef FRIENDGATE_GATEWAY_CORE_POLICY_TLS_H_
#define FRIENDGATE_GATEWAY_CORE_POLICY_TLS_H_

#include "absl/status/statusor.h"
#include "gateway/core/policy_channel.h"
#include "gateway/core/settings.h"

namespace friendgate::gateway {

// policy.tls turned into channel credentials (plaintext when absent). The
// files are checked now, so a wrong path stops the gateway at start.
absl::StatusOr<PolicyChannelSecurity> MakePolicyChannelSecurity(const GatewaySettings& settings);

}  // namespace friendgate::gateway

#endif  // FRIENDGATE_GATEWAY_CORE_POLICY_TLS_H_
