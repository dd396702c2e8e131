#ifndef FRIENDGATE_SERVICES_COMMANDS_MUTUAL_DELETE_OBSERVER_H_
#define FRIENDGATE_SERVICES_COMMANDS_MUTUAL_DELETE_OBSERVER_H_

// Adapts the mutual-delete enforcer to the policy service's decision hook.
// Header-only on purpose: it needs the DecisionObserver interface, not the
// policy library, so friendgate_commands_lib does not depend on the policy.

#include "services/commands/mutual_delete.h"
#include "services/policy/decision_observer.h"

namespace friendgate::commands {

class MutualDeleteObserver final : public policy::DecisionObserver {
 public:
  explicit MutualDeleteObserver(MutualDeleteEnforcer* enforcer) : enforcer_(enforcer) {}

  // Quick and non-blocking, as DecisionObserver requires: a dedupe check and
  // an enqueue; the vendor call runs on the enforcer's own thread.
  void OnDecided(const v1::FriendshipEvent& event, const v1::Decision& decision) override {
    enforcer_->OnDecided(event, decision);
  }

 private:
  MutualDeleteEnforcer* const enforcer_;
};

}  // namespace friendgate::commands

#endif  // FRIENDGATE_SERVICES_COMMANDS_MUTUAL_DELETE_OBSERVER_H_
