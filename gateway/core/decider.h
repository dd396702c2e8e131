#ifndef FRIENDGATE_GATEWAY_CORE_DECIDER_H_
#define FRIENDGATE_GATEWAY_CORE_DECIDER_H_

#include <string_view>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "friendgate/v1/decision.pb.h"
#include "friendgate/v1/event.pb.h"
#include "gateway/core/event_spool.h"
#include "gateway/core/metrics.h"
#include "gateway/core/policy_client.h"
#include "gateway/core/settings.h"

namespace friendgate::gateway {

struct DecideResult {
  v1::Decision decision;
  // True when the policy service did not answer and `decision` is what the
  // failure policy dictates.
  bool fallback = false;
};

// Takes the outcome of Decider::Decide.
using DecideDone = absl::AnyInvocable<void(DecideResult) &&>;

// Asks the policy service about one event and, when it cannot answer in time,
// substitutes the command's failure action, counting and logging why. Shared
// by every vendor adapter.
//
// An after-event larger than `max_event_bytes` (0: no bound) is sent in parts
// of whole relations, each under the bound, with the event ids
// "<event_id>/<part>": a request message has a size limit, a vendor's pair
// list does not. (A before-event cannot be split: its answer is one.)
class Decider {
 public:
  Decider(PolicyClient* client, GatewayMetrics* metrics, size_t max_event_bytes = 0)
      : client_(client), metrics_(metrics), max_event_bytes_(max_event_bytes) {}

  // Asks about `event`, read at `received`, so that the vendor can be
  // answered within `answer_budget`: the policy call gets the budget less
  // kAnswerMargin. Calls `done` exactly once, on any thread, by then.
  // `vendor_label` and `command_label` must come from a fixed set (metrics
  // labels) of static strings; `failure` must outlive the call, and `event`
  // must stay alive until `done` runs (the adapters own it in `done`).
  void Decide(const v1::FriendshipEvent& event, std::string_view vendor_label,
              std::string_view command_label, absl::Time received, absl::Duration answer_budget,
              const FailurePolicy& failure, DecideDone done);

  // After-events the policy service does not take go to `spool` (may be
  // null: they are lost). Wiring time only.
  void SetSpool(EventSpool* spool) { spool_ = spool; }
  // How user ids appear in the fallback log line (log.user_ids); null: not
  // at all. Wiring time only.
  void SetUserIds(const UserIdFormatter* user_ids) { user_ids_ = user_ids; }

  // Kept free at the end of the answer budget to write the answer.
  static constexpr absl::Duration kAnswerMargin = absl::Milliseconds(20);

 private:
  void DecideOne(const v1::FriendshipEvent& event, std::string_view vendor_label,
                 std::string_view command_label, absl::Time deadline, const FailurePolicy& failure,
                 DecideDone done);
  void DecideInParts(const v1::FriendshipEvent& event, std::string_view vendor_label,
                     std::string_view command_label, absl::Time deadline,
                     const FailurePolicy& failure, DecideDone done);

  PolicyClient* client_;
  GatewayMetrics* metrics_;
  size_t max_event_bytes_;
  EventSpool* spool_ = nullptr;
  const UserIdFormatter* user_ids_ = nullptr;
};

}  // namespace friendgate::gateway

#endif  // FRIENDGATE_GATEWAY_CORE_DECIDER_H_
