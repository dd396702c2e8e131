#ifndef FRIENDGATE_SERVICES_COMMANDS_MUTUAL_DELETE_H_
#define FRIENDGATE_SERVICES_COMMANDS_MUTUAL_DELETE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "absl/synchronization/mutex.h"
#include "friendgate/v1/decision.pb.h"
#include "friendgate/v1/event.pb.h"
#include "services/commands/clock.h"
#include "services/commands/shared_limits.h"
#include "services/commands/tenant_registry.h"
#include "services/commands/worker_pool.h"

namespace friendgate::commands {

struct MutualDeleteOptions {
  size_t queue_capacity = 1024;
  int workers = 1;
  absl::Duration dedupe_window = absl::Minutes(10);
  absl::Duration deadline = absl::Seconds(10);
  // Bound on remembered pairs; expired ones are pruned first.
  size_t max_remembered_pairs = 100000;
  // Non-null: a pair is also claimed across replicas (by the worker, before
  // the vendor call), so N replicas seeing the same callback delete once.
  SharedLimits* shared = nullptr;
};

// Keeps friendships mutual: when an after-delete shows A removed B but not B
// removed A, and the tenant is configured mutual, deletes B -> A through the
// tenant's FriendDeleter (the same path as the gRPC command).
//
// Idempotent: the unordered pair {A, B} of a tenant is handled once per
// dedupe window, so a callback the vendor sends again and the callback our
// own reverse delete causes (B removed A) are both ignored. A reverse delete
// that FAILED forgets the pair, so a later callback may try again.
//
// OnDecided only checks, records and enqueues (no I/O): the vendor call runs
// on the enforcer's own workers. When the queue is full the work is dropped,
// counted and logged.
class MutualDeleteEnforcer {
 public:
  struct Stats {
    int64_t enqueued = 0;
    int64_t deduplicated = 0;
    int64_t dropped = 0;
    int64_t deleted = 0;
    int64_t not_a_friend = 0;
    int64_t refused = 0;
    int64_t failed = 0;
  };

  MutualDeleteEnforcer(std::shared_ptr<const TenantRegistry> tenants, MutualDeleteOptions options,
                       Clock* clock);
  // Finishes the queued reverse deletes, then returns.
  ~MutualDeleteEnforcer();

  // The DecisionObserver hook. Ignores everything but an AFTER
  // EVENT_TYPE_FRIEND_DELETED on a mutual tenant of the event's vendor.
  void OnDecided(const v1::FriendshipEvent& event, const v1::Decision& decision);

  Stats stats() const;

 private:
  // True when the pair was not handled within the window (and is now).
  bool Remember(const std::string& key) ABSL_LOCKS_EXCLUDED(mu_);
  void Forget(const std::string& key) ABSL_LOCKS_EXCLUDED(mu_);
  void Reverse(std::shared_ptr<FriendDeleter> deleter, std::string tenant, std::string owner,
               std::string friend_id, std::string key, std::string event_id);

  std::shared_ptr<const TenantRegistry> tenants_;
  const MutualDeleteOptions options_;
  Clock* const clock_;
  mutable absl::Mutex mu_;
  std::unordered_map<std::string, absl::Time> handled_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
  // Last: destroyed first, so queued work finishes while the rest exists.
  WorkerPool pool_;
};

}  // namespace friendgate::commands

#endif  // FRIENDGATE_SERVICES_COMMANDS_MUTUAL_DELETE_H_
