#include "gateway/core/policy_tls.h"

#include "common/grpc_tls.h"

namespace friendgate::gateway {

absl::StatusOr<PolicyChannelSecurity> MakePolicyChannelSecurity(const GatewaySettings& settings) {
  PolicyChannelSecurity security;
  if (!settings.policy_tls.has_value()) return security;
  const GatewaySettings::PolicyTlsSettings& tls = *settings.policy_tls;
  auto credentials = MakeClientTlsCredentials({tls.ca_file, tls.cert_file, tls.key_file});
  if (!credentials.ok()) return credentials.status();
  security.credentials = *std::move(credentials);
  security.server_name = tls.server_name;
  return security;
}

}  // namespace friendgate::gateway
