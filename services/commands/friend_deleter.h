#ifndef FRIENDGATE_SERVICES_COMMANDS_FRIEND_DELETER_H_
#define FRIENDGATE_SERVICES_COMMANDS_FRIEND_DELETER_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "friendgate/v1/event.pb.h"
#include "friendgate/v1/friendship_commands.pb.h"

namespace friendgate::commands {

// One delete, already validated: distinct, non-empty targets.
struct DeleteCommand {
  std::string from_user;
  std::vector<std::string> to_users;
  v1::DeleteMode mode = v1::DELETE_MODE_ONE_WAY;
  // Tracing id (OpenIM operationID); never empty.
  std::string request_id;
};

// A vendor's friend-delete, with its credentials, limits and retries.
// Thread-safe; one instance per tenant, shared by every caller.
class FriendDeleter {
 public:
  virtual ~FriendDeleter() = default;
  virtual v1::Vendor vendor() const = 0;
  // One result per target, in order. Never returns early without a result:
  // whatever is not done by `deadline` is DELETE_OUTCOME_FAILED.
  virtual std::vector<v1::DeleteResult> DeleteFriends(const DeleteCommand& command,
                                                      absl::Time deadline) = 0;
};

}  // namespace friendgate::commands

#endif  // FRIENDGATE_SERVICES_COMMANDS_FRIEND_DELETER_H_
