#ifndef FRIENDGATE_SERVICES_COMMANDS_COMMANDS_SERVICE_H_
#define FRIENDGATE_SERVICES_COMMANDS_COMMANDS_SERVICE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "friendgate/v1/friendship_commands.grpc.pb.h"
#include "services/commands/clock.h"
#include "services/commands/tenant_registry.h"
#include "services/commands/worker_pool.h"

namespace friendgate::commands {

struct CommandsServiceOptions {
  int worker_threads = 4;
  size_t max_in_flight = 64;
  // Used when the caller sets no deadline or a longer one.
  absl::Duration max_deadline = absl::Seconds(30);
  size_t max_targets = 10000;
  size_t max_user_id_bytes = 128;
};

// Validates a DeleteFriends request into a DeleteCommand: distinct targets in
// order, bounds checked. INVALID_ARGUMENT names the problem.
absl::StatusOr<DeleteCommand> ValidateDeleteRequest(const v1::DeleteFriendsRequest& request,
                                                    const CommandsServiceOptions& options);

// friendgate.v1.FriendshipCommands on gRPC's callback API. The vendor work
// (rate-limit waits, retries) runs on the service's own worker pool; the
// reactor finishes from there.
class FriendshipCommandsService final : public v1::FriendshipCommands::CallbackService {
 public:
  FriendshipCommandsService(std::shared_ptr<const TenantRegistry> tenants,
                            CommandsServiceOptions options, Clock* clock);
  ~FriendshipCommandsService() override;

  grpc::ServerUnaryReactor* DeleteFriends(grpc::CallbackServerContext* context,
                                          const v1::DeleteFriendsRequest* request,
                                          v1::DeleteFriendsResponse* response) override;

 private:
  std::shared_ptr<const TenantRegistry> tenants_;
  const CommandsServiceOptions options_;
  Clock* const clock_;
  WorkerPool pool_;
};

}  // namespace friendgate::commands

#endif  // FRIENDGATE_SERVICES_COMMANDS_COMMANDS_SERVICE_H_
