#ifndef FRIENDGATE_SERVICES_POLICY_POLICY_DECIDER_H_
#define FRIENDGATE_SERVICES_POLICY_POLICY_DECIDER_H_

#include <vector>

#include "friendgate/v1/decision.pb.h"
#include "friendgate/v1/event.pb.h"
#include "services/policy/clock.h"
#include "services/policy/decision_log.h"
#include "services/policy/decision_observer.h"
#include "services/policy/event_dedupe.h"
#include "services/policy/metrics.h"
#include "services/policy/rules_manager.h"
#include "services/policy/store.h"

namespace friendgate::policy {

// Decides one event end to end, independent of gRPC: the current rules
// against the store, a decision id, the decision log, metrics, observers.
class PolicyDecider {
 public:
  // `log` and `metrics` may be null. All must outlive the decider.
  PolicyDecider(const RulesManager* rules, PolicyStore* store, const Clock* clock, DecisionLog* log,
                PolicyMetrics* metrics)
      : rules_(rules), store_(store), clock_(clock), log_(log), metrics_(metrics) {}

  // Wiring time only (before the first Decide).
  void AddObserver(DecisionObserver* observer) { observers_.push_back(observer); }
  // An after-event whose event_id `dedupe` saw recently (a gateway's retry)
  // is allowed without being decided again. Wiring time only.
  void SetDedupe(EventDedupe* dedupe) { dedupe_ = dedupe; }

  v1::Decision Decide(const v1::FriendshipEvent& event);

 private:
  const RulesManager* rules_;
  PolicyStore* store_;
  const Clock* clock_;
  DecisionLog* log_;
  PolicyMetrics* metrics_;
  std::vector<DecisionObserver*> observers_;
  EventDedupe* dedupe_ = nullptr;
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_POLICY_DECIDER_H_
