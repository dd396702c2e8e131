#ifndef FRIENDGATE_SERVICES_COMMANDS_COMPONENT_H_
#define FRIENDGATE_SERVICES_COMMANDS_COMPONENT_H_

#include <grpcpp/server_builder.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "services/commands/clock.h"
#include "services/commands/commands_service.h"
#include "services/commands/config.pb.h"
#include "services/commands/mutual_delete.h"
#include "services/commands/shared_limits.h"
#include "services/commands/tenant_registry.h"

namespace friendgate::commands {

// Reads the secret a SecretRef names (environment variable or file). The
// error names the variable or path, never the value.
absl::StatusOr<std::string> ResolveSecret(const SecretRef& ref, const std::string& what);

// Checks the config and builds every tenant's vendor client. Secrets are
// resolved here, once. `shared` (may be null): rate limits counted across
// replicas.
absl::StatusOr<std::shared_ptr<const TenantRegistry>> BuildTenants(const CommandsConfig& config,
                                                                   Clock* clock,
                                                                   SharedLimits* shared = nullptr);

// Everything the outbound-commands feature needs, built from one config file:
// the FriendshipCommands gRPC service and the mutual-delete enforcer, sharing
// one vendor client (and so one rate limit) per tenant.
class CommandsComponent {
 public:
  // `shared` (may be null; must outlive the component): per-app rate limits
  // and the mutual-delete dedupe counted across every replica (Redis).
  static absl::StatusOr<std::unique_ptr<CommandsComponent>> Create(const std::string& config_path,
                                                                   SharedLimits* shared = nullptr);
  static absl::StatusOr<std::unique_ptr<CommandsComponent>> FromConfig(
      const CommandsConfig& config, Clock* clock = Clock::Real(), SharedLimits* shared = nullptr);
  // Destroy after the gRPC server has shut down.
  ~CommandsComponent();

  // Adds friendgate.v1.FriendshipCommands to the server being built.
  void Register(grpc::ServerBuilder& builder);

  MutualDeleteEnforcer& mutual_delete() { return *enforcer_; }
  FriendshipCommandsService& service() { return *service_; }
  const TenantRegistry& tenants() const { return *tenants_; }

 private:
  CommandsComponent() = default;

  std::shared_ptr<const TenantRegistry> tenants_;
  std::unique_ptr<FriendshipCommandsService> service_;
  std::unique_ptr<MutualDeleteEnforcer> enforcer_;
};

}  // namespace friendgate::commands

#endif  // FRIENDGATE_SERVICES_COMMANDS_COMPONENT_H_
