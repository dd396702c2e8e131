#ifndef FRIENDGATE_SERVICES_POLICY_KINDS_USER_LIST_H_
#define FRIENDGATE_SERVICES_POLICY_KINDS_USER_LIST_H_

#include <string>

#include "absl/container/flat_hash_set.h"
#include "services/policy/rule_kind.h"

namespace friendgate::policy {

// A user list of a blocklist or exempt rule: the users of the rules file and
// its users_file, plus the run-time entries of the list named by the rule id.
class UserList {
 public:
  UserList(std::string list_id, absl::flat_hash_set<std::string> users, Side side)
      : list_id_(std::move(list_id)), users_(std::move(users)), side_(side) {}

  // Whether the relation's user on `side` is on the list. A store error
  // counts as "not on the list" (fail-open) and is counted in the context.
  bool Matches(RelationInput& input) const;
  size_t size() const { return users_.size(); }

 private:
  bool Contains(const std::string& user, DecideContext& context) const;

  std::string list_id_;
  absl::flat_hash_set<std::string> users_;
  Side side_;
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_KINDS_USER_LIST_H_
