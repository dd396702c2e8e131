#ifndef FRIENDGATE_SERVICES_COMMANDS_TOKEN_BUCKET_H_
#define FRIENDGATE_SERVICES_COMMANDS_TOKEN_BUCKET_H_

#include <atomic>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/commands/clock.h"
#include "services/commands/shared_limits.h"

namespace friendgate::commands {

// A token bucket shared by every caller of one vendor app: at most `burst`
// requests at once, then `rate` per second. Callers reserve a slot in turn
// (the bucket may go into debt), so waiting callers are served in order and
// N requests always take at least (N - burst) / rate.
//
// With `shared` (Redis), the bucket named `shared_key` is counted across
// every replica; while that store is unreachable this process's own bucket
// stands in (the limit then holds per replica), logged at most once a second.
class TokenBucket {
 public:
  TokenBucket(double rate_per_second, double burst, Clock* clock, SharedLimits* shared = nullptr,
              std::string shared_key = "");

  // Reserves one token and returns the time it may be used. When that time
  // would be after `deadline`, nothing is reserved and the result is
  // DeadlineExceeded.
  absl::StatusOr<absl::Time> Reserve(absl::Time deadline);

  // Reserve, then sleep until the reserved time.
  absl::Status Acquire(absl::Time deadline);

  double rate() const { return rate_; }
  double burst() const { return burst_; }

 private:
  const double rate_;
  const double burst_;
  Clock* const clock_;
  SharedLimits* const shared_;
  const std::string shared_key_;
  std::atomic<int64_t> last_fallback_log_ns_{0};
  absl::Mutex mu_;
  double tokens_ ABSL_GUARDED_BY(mu_);
  absl::Time last_ ABSL_GUARDED_BY(mu_);
};

}  // namespace friendgate::commands

#endif  // FRIENDGATE_SERVICES_COMMANDS_TOKEN_BUCKET_H_
