#include "services/commands/commands_service.h"

#include <unordered_set>

#include "common/ids.h"
#include "common/log.h"
#include "common/strings.h"

namespace friendgate::commands {

absl::StatusOr<DeleteCommand> ValidateDeleteRequest(const v1::DeleteFriendsRequest& request,
                                                    const CommandsServiceOptions& options) {
  if (request.from_user().empty() || request.from_user().size() > options.max_user_id_bytes) {
    return absl::InvalidArgumentError(
        StrCat("from_user must have 1 to ", options.max_user_id_bytes, " bytes"));
  }
  if (request.to_users().empty()) return absl::InvalidArgumentError("to_users is empty");
  if (static_cast<size_t>(request.to_users_size()) > options.max_targets) {
    return absl::InvalidArgumentError(
        StrCat("at most ", options.max_targets, " to_users per call"));
  }
  if (request.mode() != v1::DELETE_MODE_ONE_WAY && request.mode() != v1::DELETE_MODE_BOTH) {
    return absl::InvalidArgumentError("mode must be DELETE_MODE_ONE_WAY or DELETE_MODE_BOTH");
  }
  if (request.request_id().size() > 128) {
    return absl::InvalidArgumentError("request_id is longer than 128 bytes");
  }
  DeleteCommand command;
  command.from_user = request.from_user();
  command.mode = request.mode();
  command.request_id = request.request_id().empty() ? NewId() : request.request_id();
  std::unordered_set<std::string> seen;
  for (int i = 0; i < request.to_users_size(); ++i) {
    const std::string& to = request.to_users(i);
    if (to.empty() || to.size() > options.max_user_id_bytes) {
      return absl::InvalidArgumentError(
          StrCat("to_users[", i, "] must have 1 to ", options.max_user_id_bytes, " bytes"));
    }
    if (seen.insert(to).second) command.to_users.push_back(to);
  }
  return command;
}

FriendshipCommandsService::FriendshipCommandsService(std::shared_ptr<const TenantRegistry> tenants,
                                                     CommandsServiceOptions options, Clock* clock)
    : tenants_(std::move(tenants)),
      options_(options),
      clock_(clock),
      pool_(options.worker_threads, options.max_in_flight) {}

FriendshipCommandsService::~FriendshipCommandsService() = default;

grpc::ServerUnaryReactor* FriendshipCommandsService::DeleteFriends(
    grpc::CallbackServerContext* context, const v1::DeleteFriendsRequest* request,
    v1::DeleteFriendsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<DeleteCommand> command = ValidateDeleteRequest(*request, options_);
  if (!command.ok()) {
    reactor->Finish(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(command.status().message())));
    return reactor;
  }
  const Tenant* tenant = tenants_->Find(request->tenant());
  if (tenant == nullptr) {
    reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND,
                                 StrCat("unknown tenant '", request->tenant(), "'")));
    return reactor;
  }
  const absl::Time deadline =
      std::min(absl::FromChrono(context->deadline()), clock_->Now() + options_.max_deadline);
  std::shared_ptr<FriendDeleter> deleter = tenant->deleter;
  const std::string tenant_name = request->tenant();
  const bool queued = pool_.TrySubmit(
      [reactor, response, deleter, deadline, tenant_name, command = *std::move(command)] {
        std::vector<v1::DeleteResult> results = deleter->DeleteFriends(command, deadline);
        response->set_vendor(deleter->vendor());
        int64_t failed = 0;
        for (v1::DeleteResult& result : results) {
          if (result.outcome() == v1::DELETE_OUTCOME_FAILED) ++failed;
          *response->add_results() = std::move(result);
        }
        log::Info("friends deleted", {{"tenant", tenant_name},
                                      {"request_id", command.request_id},
                                      {"targets", static_cast<int64_t>(command.to_users.size())},
                                      {"failed", failed}});
        reactor->Finish(grpc::Status::OK);
      });
  if (!queued) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "too many DeleteFriends calls in flight"));
  }
  return reactor;
}

}  // namespace friendgate::commands
