#ifndef FRIENDGATE_SERVICES_POLICY_DECISION_OBSERVER_H_
#define FRIENDGATE_SERVICES_POLICY_DECISION_OBSERVER_H_

#include "friendgate/v1/decision.pb.h"
#include "friendgate/v1/event.pb.h"

namespace friendgate::policy {

// Told about every decided event (both phases), after the decision is made
// and before it is returned to the caller. Register observers at wiring time
// (PolicyDecider::AddObserver, before serving starts).
//
// OnDecided runs on the thread that serves Decide: it must be quick and must
// never block (copy what you need and hand it to your own thread or queue).
// Both references are only valid during the call.
class DecisionObserver {
 public:
  virtual ~DecisionObserver() = default;
  virtual void OnDecided(const v1::FriendshipEvent& event, const v1::Decision& decision) = 0;
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_DECISION_OBSERVER_H_
