#include "services/policy/kinds/import_filter.h"

namespace friendgate::policy {

void ImportFilter::Apply(const v1::FriendshipEvent& event, int refused,
                         v1::Decision& decision) const {
  if (!filter_ || event.phase() != v1::PHASE_BEFORE ||
      event.type() != v1::EVENT_TYPE_FRIENDS_IMPORTED || refused == 0 ||
      refused >= event.relations_size()) {
    return;
  }
  // Keep the import, minus the refused users.
  decision.set_verdict(v1::VERDICT_ALLOW);
  decision.clear_reason();
  v1::FriendList* list = decision.mutable_mutation()->mutable_friend_user_ids();
  for (const v1::TargetVerdict& t : decision.targets()) {
    if (t.verdict() != v1::VERDICT_REFUSE) list->add_user_ids(t.to_user());
  }
}

}  // namespace friendgate::policy
