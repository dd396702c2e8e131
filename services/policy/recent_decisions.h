#ifndef FRIENDGATE_SERVICES_POLICY_RECENT_DECISIONS_H_
#define FRIENDGATE_SERVICES_POLICY_RECENT_DECISIONS_H_

#include <memory>
#include <string_view>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "friendgate/v1/policy_admin.pb.h"
#include "services/policy/clock.h"
#include "services/policy/decision_observer.h"

namespace friendgate::policy {

// The last `capacity` decided events, for PolicyAdmin.ListRecentDecisions.
// Local to this replica by design: it is a debugging view, not rule state.
class RecentDecisions final : public DecisionObserver {
 public:
  RecentDecisions(size_t capacity, const Clock* clock) : capacity_(capacity), clock_(clock) {}

  void OnDecided(const v1::FriendshipEvent& event, const v1::Decision& decision) override;
  // Newest first, at most `limit`, only `tenant` when non-empty.
  std::vector<std::shared_ptr<const v1::DecidedEvent>> Newest(size_t limit,
                                                              std::string_view tenant) const;

 private:
  const size_t capacity_;
  const Clock* clock_;
  mutable absl::Mutex mu_;
  std::vector<std::shared_ptr<const v1::DecidedEvent>> ring_ ABSL_GUARDED_BY(mu_);
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_RECENT_DECISIONS_H_
