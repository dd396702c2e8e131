#ifndef FRIENDGATE_GATEWAY_CORE_POLICY_CLIENT_H_
#define FRIENDGATE_GATEWAY_CORE_POLICY_CLIENT_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/time/time.h"
#include "friendgate/v1/decision.pb.h"
#include "friendgate/v1/event.pb.h"

namespace friendgate::gateway {

// Why a call failed, when the status code alone does not tell: the `reason`
// label of the gateway's fallback metric and log ("message_too_large",
// "invalid_answer"), carried as a status payload.
inline constexpr char kFallbackReasonUrl[] = "type.friendgate.dev/fallback_reason";
inline absl::Status WithFallbackReason(absl::Status status, std::string_view reason) {
  status.SetPayload(kFallbackReasonUrl,
                    absl::Cord(absl::string_view(reason.data(), reason.size())));
  return status;
}
inline std::optional<std::string> FallbackReasonOf(const absl::Status& status) {
  auto reason = status.GetPayload(kFallbackReasonUrl);  // absl::optional here
  if (!reason) return std::nullopt;
  return std::string(*reason);
}

// Receives the decision, or an error once the deadline has passed or the call
// failed.
using DecisionCallback = absl::AnyInvocable<void(absl::StatusOr<v1::Decision>) &&>;

// Asks the policy service for a decision without blocking the caller: the
// HTTP layer answers the vendor from `done`. The adapters see only this
// interface; main wires the gRPC implementation, tests may wire a fake.
class PolicyClient {
 public:
  virtual ~PolicyClient() = default;

  // Calls `done` exactly once, on any thread, possibly before Decide returns,
  // and never later than a few milliseconds after `deadline`. `event` is read
  // (copied) before `done` can run: `done` may own and destroy it.
  virtual void Decide(const v1::FriendshipEvent& event, absl::Time deadline,
                      DecisionCallback done) = 0;
};

// Tells whether the policy service currently answers its health check.
class PolicyHealth {
 public:
  virtual ~PolicyHealth() = default;
  virtual bool Healthy() const = 0;
};

}  // namespace friendgate::gateway

#endif  // FRIENDGATE_GATEWAY_CORE_POLICY_CLIENT_H_
