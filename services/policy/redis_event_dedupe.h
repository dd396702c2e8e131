#ifndef FRIENDGATE_SERVICES_POLICY_REDIS_EVENT_DEDUPE_H_
#define FRIENDGATE_SERVICES_POLICY_REDIS_EVENT_DEDUPE_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/log_throttle.h"
#include "common/redis/redis_client.h"
#include "services/policy/event_dedupe.h"

namespace friendgate::policy {

// The event ids seen by any replica in the last `window`, shared through
// Redis: one key per id, `SET PREFIX event:{SHA256(id)} 1 NX PX window`, so a
// spooled after-event that a gateway re-sends to another replica is still
// counted once. Keys are fixed-size digests (an id of any length costs the
// same, and distinct ids never share a key in practice), each expiring with
// the window.
//
// A repeat this replica has already seen is answered from a small in-process
// set in front (no round trip). When Redis cannot answer within the client's
// deadline the id counts as first seen (counting twice beats losing an
// event); the failure goes to the error listener (op "event_dedupe") and to
// the log, at most one line a second.
class RedisEventDedupe final : public EventDedupe {
 public:
  struct Options {
    std::string prefix = "friendgate:";
    absl::Duration window = absl::Hours(1);
    // The in-process set in front of Redis.
    size_t local_max_ids = 100000;
  };

  RedisEventDedupe(std::shared_ptr<redis::Client> client, Options options);

  bool FirstSeen(std::string_view event_id, absl::Time now) override;
  void SetErrorListener(std::function<void(std::string_view op)> listener) override;

  // The Redis key of `event_id` (tests).
  std::string KeyFor(std::string_view event_id) const;

 private:
  const Options options_;
  std::shared_ptr<redis::Client> client_;
  MemoryEventDedupe local_;
  absl::Mutex listener_mu_;
  std::function<void(std::string_view)> on_error_ ABSL_GUARDED_BY(listener_mu_);
  log::Throttle log_throttle_;  // one failure line a second
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_REDIS_EVENT_DEDUPE_H_
