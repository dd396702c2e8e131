#include "gateway/core/decision_view.h"

#include "common/log.h"

namespace friendgate::gateway {

DecisionView::DecisionView(const v1::FriendshipEvent& event, const v1::Decision& decision)
    : decision_(decision), targets_(event.relations_size(), nullptr) {
  for (const v1::TargetVerdict& target : decision.targets()) {
    const int index = target.relation_index();
    if (index < 0 || index >= event.relations_size()) {
      log::Warn("decision names a relation the event does not have; ignored",
                {{"event_id", event.event_id()}, {"relation_index", index}});
      continue;
    }
    if (!target.to_user().empty() && target.to_user() != event.relations(index).to_user()) {
      log::Warn("decision's to_user disagrees with the event; ignored",
                {{"event_id", event.event_id()}, {"relation_index", index}});
      continue;
    }
    targets_[index] = &target;
  }
}

bool DecisionView::Refused() const { return decision_.verdict() == v1::VERDICT_REFUSE; }

bool DecisionView::TargetRefused(int index) const {
  const v1::TargetVerdict* target = targets_[index];
  return target != nullptr ? target->verdict() == v1::VERDICT_REFUSE : Refused();
}

const v1::Reason& DecisionView::TargetReason(int index) const {
  const v1::TargetVerdict* target = targets_[index];
  return target != nullptr && target->has_reason() ? target->reason() : decision_.reason();
}

int32_t RefusalCode(const v1::Reason& reason, int32_t min, int32_t max, int32_t fallback) {
  const int32_t code = reason.vendor_code();
  return code >= min && code <= max ? code : fallback;
}

}  // namespace friendgate::gateway
