#ifndef FRIENDGATE_GATEWAY_CORE_DECISION_VIEW_H_
#define FRIENDGATE_GATEWAY_CORE_DECISION_VIEW_H_

#include <cstdint>
#include <vector>

#include "friendgate/v1/decision.pb.h"
#include "friendgate/v1/event.pb.h"

namespace friendgate::gateway {

// Reads a Decision against the event it decides, the way every vendor answer
// needs it: which relations are refused and why.
class DecisionView {
 public:
  DecisionView(const v1::FriendshipEvent& event, const v1::Decision& decision);

  // Whether the operation as a whole is refused.
  bool Refused() const;
  // The reason for the whole operation (may be the default instance).
  const v1::Reason& reason() const { return decision_.reason(); }

  // Whether relation `index` is refused: its TargetVerdict when there is one
  // that names it consistently, else the overall verdict.
  bool TargetRefused(int index) const;
  // The reason for relation `index` (its own, else the overall one).
  const v1::Reason& TargetReason(int index) const;

 private:
  const v1::Decision& decision_;
  std::vector<const v1::TargetVerdict*> targets_;  // by relation index; null: none
};

// The vendor code to send for `reason`: its vendor_code when inside
// [min, max], else `fallback`.
int32_t RefusalCode(const v1::Reason& reason, int32_t min, int32_t max, int32_t fallback);

}  // namespace friendgate::gateway

#endif  // FRIENDGATE_GATEWAY_CORE_DECISION_VIEW_H_
