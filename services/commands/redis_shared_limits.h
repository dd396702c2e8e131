#ifndef FRIENDGATE_SERVICES_COMMANDS_REDIS_SHARED_LIMITS_H_
#define FRIENDGATE_SERVICES_COMMANDS_REDIS_SHARED_LIMITS_H_

#include <memory>
#include <string>

#include "common/redis/redis_client.h"
#include "services/commands/shared_limits.h"

namespace friendgate::commands {

// SharedLimits on Redis: the token bucket as GCRA (one key holding the
// theoretical arrival time, one Lua call per reservation, expiring when the
// bucket is full again), claims as SET NX PX. Keys: PREFIX cmd:rate:{KEY},
// PREFIX cmd:claim:{KEY}.
class RedisSharedLimits final : public SharedLimits {
 public:
  RedisSharedLimits(std::shared_ptr<redis::Client> client, std::string prefix);

  absl::StatusOr<absl::Time> Reserve(std::string_view key, double rate, double burst,
                                     absl::Time now, absl::Time deadline) override;
  absl::StatusOr<bool> ClaimOnce(std::string_view key, absl::Duration ttl) override;
  absl::Status Unclaim(std::string_view key) override;

 private:
  const std::shared_ptr<redis::Client> client_;
  const std::string prefix_;
};

}  // namespace friendgate::commands

#endif  // FRIENDGATE_SERVICES_COMMANDS_REDIS_SHARED_LIMITS_H_
