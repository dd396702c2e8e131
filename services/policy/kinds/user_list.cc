#include "services/policy/kinds/user_list.h"

#include "common/strings.h"

namespace friendgate::policy {

bool UserList::Contains(const std::string& user, DecideContext& context) const {
  if (user.empty()) return false;
  if (users_.contains(user)) return true;
  if (context.store == nullptr) return false;
  absl::StatusOr<bool> found = context.store->InList(list_id_, user);
  if (!found.ok()) {
    ++context.store_errors;
    return false;
  }
  return *found;
}

bool UserList::Matches(RelationInput& input) const {
  const v1::Relation& relation = input.relation;
  const bool check_from = side_ != SIDE_TO;
  const bool check_to = side_ != SIDE_FROM;
  const char* found_side = nullptr;
  if (check_from && Contains(relation.from_user(), input.context)) {
    found_side = "from";
  } else if (check_to && Contains(relation.to_user(), input.context)) {
    found_side = "to";
  }
  if (input.why != nullptr) {
    const std::string sides = side_ == SIDE_FROM ? "from" : side_ == SIDE_TO ? "to" : "from or to";
    if (found_side == nullptr) {
      *input.why = StrCat("no ", sides, " user on the list");
    } else {
      const std::string& user = found_side[0] == 'f' ? relation.from_user() : relation.to_user();
      *input.why = StrCat(found_side, " user '", user, "' is on the list",
                          users_.contains(user) ? "" : " (run-time entry)");
    }
  }
  return found_side != nullptr;
}

}  // namespace friendgate::policy
