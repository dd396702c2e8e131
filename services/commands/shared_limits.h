#ifndef FRIENDGATE_SERVICES_COMMANDS_SHARED_LIMITS_H_
#define FRIENDGATE_SERVICES_COMMANDS_SHARED_LIMITS_H_

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace friendgate::commands {

// Outbound limits shared by every policy replica (one Redis), so a vendor
// app's rate limit holds for the whole deployment and a mutual delete is
// done once, not once per replica. Every call may fail (kUnavailable): the
// callers then fall back to their per-process state.
class SharedLimits {
 public:
  virtual ~SharedLimits() = default;

  // Reserves one request slot of the token bucket `key` (`rate` per second
  // after a `burst`), as TokenBucket::Reserve does but counted across
  // replicas: returns when the slot may be used, or kDeadlineExceeded (and
  // reserves nothing) when that is after `deadline`.
  virtual absl::StatusOr<absl::Time> Reserve(std::string_view key, double rate, double burst,
                                             absl::Time now, absl::Time deadline) = 0;
  // True when `key` was not claimed within `ttl` (it is now).
  virtual absl::StatusOr<bool> ClaimOnce(std::string_view key, absl::Duration ttl) = 0;
  // Drops a claim (a reverse delete that failed may be tried again).
  virtual absl::Status Unclaim(std::string_view key) = 0;
};

}  // namespace friendgate::commands

#endif  // FRIENDGATE_SERVICES_COMMANDS_SHARED_LIMITS_H_
