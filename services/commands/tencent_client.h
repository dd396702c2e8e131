#ifndef FRIENDGATE_SERVICES_COMMANDS_TENCENT_CLIENT_H_
#define FRIENDGATE_SERVICES_COMMANDS_TENCENT_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "services/commands/clock.h"
#include "services/commands/friend_deleter.h"
#include "services/commands/http_transport.h"
#include "services/commands/retry.h"
#include "services/commands/token_bucket.h"
#include "services/commands/usersig.h"

namespace friendgate::commands {

// Tencent's friend_delete codes that mean "try again".
inline constexpr int kTencentInternalError = 30006;
inline constexpr int kTencentTimeout = 30007;
inline constexpr int kTencentWriteConflict = 30008;
inline constexpr int kTencentNotAFriend = 31704;
// Common REST code: the UserSig has expired.
inline constexpr int kTencentUserSigExpired = 70001;

bool IsRetryableTencentCode(int code);

struct TencentSettings {
  uint64_t sdk_app_id = 0;
  std::string admin_identifier;
  std::string secret_key;
  double rate_per_second = 180;
  double burst = 10;
  absl::Duration usersig_ttl = absl::Hours(24);
  size_t batch_size = 1000;
  absl::Duration request_timeout = absl::Seconds(5);
  RetrySettings retry;
  // Non-null: the app's rate limit is shared by every replica (Redis).
  SharedLimits* shared_limits = nullptr;
};

// v4/sns/friend_delete as the app admin: targets in batches of at most
// `batch_size` (Tencent's limit is 1,000), every request through the app's
// token bucket, retries with backoff and jitter for 30006/30007/30008 and
// network errors only (a retry resends only the targets that need it), one
// UserSig renewal on 70001, 31704 reported as NOT_A_FRIEND.
class TencentClient final : public FriendDeleter {
 public:
  TencentClient(TencentSettings settings, std::unique_ptr<HttpTransport> transport, Clock* clock);

  v1::Vendor vendor() const override { return v1::VENDOR_TENCENT; }
  std::vector<v1::DeleteResult> DeleteFriends(const DeleteCommand& command,
                                              absl::Time deadline) override;

  // For tests and metrics.
  int64_t requests_sent() const { return requests_sent_.load(); }
  const UserSigCache& usersig() const { return usersig_; }

 private:
  void DeleteBatch(const DeleteCommand& command, const std::vector<size_t>& batch,
                   absl::Time deadline, std::vector<v1::DeleteResult>* results);
  std::string Path();

  const TencentSettings settings_;
  std::unique_ptr<HttpTransport> transport_;
  Clock* const clock_;
  TokenBucket bucket_;
  UserSigCache usersig_;
  std::atomic<int64_t> requests_sent_{0};
};

}  // namespace friendgate::commands

#endif  // FRIENDGATE_SERVICES_COMMANDS_TENCENT_CLIENT_H_
