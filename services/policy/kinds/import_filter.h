#ifndef FRIENDGATE_SERVICES_POLICY_KINDS_IMPORT_FILTER_H_
#define FRIENDGATE_SERVICES_POLICY_KINDS_IMPORT_FILTER_H_

#include "friendgate/v1/decision.pb.h"
#include "friendgate/v1/event.pb.h"
#include "services/policy/rule_kind.h"
#include "services/policy/rules.pb.h"

namespace friendgate::policy {

// The `imports` key of the rules file, a Stage::kDecision pass: with
// IMPORT_MODE_FILTER, a before-phase import with some (not all) relations
// refused is allowed, minus the refused users (Decision.mutation).
class ImportFilter {
 public:
  static constexpr Stage kStage = Stage::kDecision;
  explicit ImportFilter(ImportMode mode = IMPORT_MODE_FILTER)
      : filter_(mode != IMPORT_MODE_REFUSE_ALL) {}
  // `refused`: how many relations of `decision` are refused.
  void Apply(const v1::FriendshipEvent& event, int refused, v1::Decision& decision) const;

 private:
  bool filter_;
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_KINDS_IMPORT_FILTER_H_
