#ifndef FRIENDGATE_SERVICES_COMMANDS_OPENIM_CLIENT_H_
#define FRIENDGATE_SERVICES_COMMANDS_OPENIM_CLIENT_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "services/commands/clock.h"
#include "services/commands/friend_deleter.h"
#include "services/commands/http_transport.h"
#include "services/commands/retry.h"
#include "services/commands/token_bucket.h"

namespace friendgate::commands {

// open-im-server error codes (pkg/common/servererrs/code.go).
inline constexpr int kOpenImServerInternalError = 500;
inline constexpr int kOpenImRecordNotFound = 1004;   // delete_friend: not a friend
inline constexpr int kOpenImTokenErrorFirst = 1501;  // TokenExpiredError
inline constexpr int kOpenImTokenErrorLast = 1507;   // TokenNotExistError

struct OpenImSettings {
  std::string name;
  std::string admin_user_id;
  std::string secret;
  double rate_per_second = 100;
  double burst = 20;
  absl::Duration request_timeout = absl::Seconds(5);
  absl::Duration token_refresh_margin = absl::Minutes(5);
  RetrySettings retry;
  // Non-null: the instance's rate limit is shared by every replica (Redis).
  SharedLimits* shared_limits = nullptr;
};

// /friend/delete_friend with the admin token from /auth/get_admin_token
// (renewed before it expires, and once more when a call says the token is
// bad), an operationID header on every call, one call per target and
// direction, errCode read instead of the HTTP status. Retries with backoff
// and jitter for network errors and errCode 500 only.
class OpenImClient final : public FriendDeleter {
 public:
  OpenImClient(OpenImSettings settings, std::unique_ptr<HttpTransport> transport, Clock* clock);

  v1::Vendor vendor() const override { return v1::VENDOR_OPENIM; }
  std::vector<v1::DeleteResult> DeleteFriends(const DeleteCommand& command,
                                              absl::Time deadline) override;

  int64_t requests_sent() const { return requests_sent_.load(); }
  int64_t tokens_fetched() const { return tokens_fetched_.load(); }

 private:
  struct Outcome {
    v1::DeleteOutcome outcome = v1::DELETE_OUTCOME_FAILED;
    int code = 0;
    std::string message;
  };
  Outcome DeleteOne(const std::string& owner, const std::string& friend_id,
                    const std::string& operation_id, absl::Time deadline);
  // The current admin token, fetched when missing or close to expiry.
  absl::StatusOr<std::string> Token(const std::string& operation_id, absl::Time deadline);
  void InvalidateToken(const std::string& bad_token);

  const OpenImSettings settings_;
  std::unique_ptr<HttpTransport> transport_;
  Clock* const clock_;
  TokenBucket bucket_;
  absl::Mutex token_mu_;
  std::string token_ ABSL_GUARDED_BY(token_mu_);
  absl::Time token_renew_at_ ABSL_GUARDED_BY(token_mu_) = absl::InfinitePast();
  std::atomic<int64_t> requests_sent_{0};
  std::atomic<int64_t> tokens_fetched_{0};
};

}  // namespace friendgate::commands

#endif  // FRIENDGATE_SERVICES_COMMANDS_OPENIM_CLIENT_H_
