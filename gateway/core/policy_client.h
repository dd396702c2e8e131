#ifndef FRIENDGATE_GATEWAY_CORE_POLICY_CLIENT_H_
#define FRIENDGATE_GATEWAY_CORE_POLICY_CLIENT_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "friendgate/v1/decision.pb.h"
#include "friendgate/v1/event.pb.h"

namespace friendgate::gateway {

// Asks the policy service for a decision. The adapters see only this
// interface; main wires the gRPC implementation, tests may wire a fake.
class PolicyClient {
 public:
  virtual ~PolicyClient() = default;

  // Returns the decision, or an error once `deadline` has passed or the call
  // failed. Never blocks past `deadline` by more than a few milliseconds.
  virtual absl::StatusOr<v1::Decision> Decide(const v1::FriendshipEvent& event,
                                              absl::Time deadline) = 0;
};

// Tells whether the policy service currently answers its health check.
class PolicyHealth {
 public:
  virtual ~PolicyHealth() = default;
  virtual bool Healthy() const = 0;
};

}  // namespace friendgate::gateway

#endif  // FRIENDGATE_GATEWAY_CORE_POLICY_CLIENT_H_
