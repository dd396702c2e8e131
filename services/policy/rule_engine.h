#ifndef FRIENDGATE_SERVICES_POLICY_RULE_ENGINE_H_
#define FRIENDGATE_SERVICES_POLICY_RULE_ENGINE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "friendgate/v1/decision.pb.h"
#include "friendgate/v1/event.pb.h"
#include "services/policy/rules.pb.h"

namespace friendgate::policy {

// An immutable, compiled rule set. Decide is thread-safe and allocation-light;
// a new rule set is built from a new file and swapped in whole.
class RuleEngine {
 public:
  // Validates `rules` (unique non-empty ids, refusal codes in range, a kind on
  // every rule) and compiles it. Errors name the rule.
  static absl::StatusOr<std::unique_ptr<const RuleEngine>> Create(const RulesFile& rules);

  // Decides `event`: one TargetVerdict per relation, the overall verdict
  // REFUSE when any relation is refused. Leaves decision_id to the caller.
  v1::Decision Decide(const v1::FriendshipEvent& event) const;

  size_t rule_count() const { return rules_.size(); }

 private:
  struct CompiledRule {
    std::string id;
    bool dry_run = false;
    absl::flat_hash_set<std::string> tenants;  // empty: all
    uint32_t event_mask = 0;                   // bit per EventType; 0: all
    int32_t tencent_code = 0;
    int32_t openim_code = 0;
    std::string reason;
    std::string message;
    std::string detail;
    // Blocklist
    absl::flat_hash_set<std::string> users;
    Side side = SIDE_EITHER;
  };

  RuleEngine() = default;
  bool Applies(const CompiledRule& rule, const v1::FriendshipEvent& event) const;
  static bool Matches(const CompiledRule& rule, const v1::Relation& relation);
  static void FillReason(const CompiledRule& rule, v1::Vendor vendor, v1::Reason* reason);

  std::vector<CompiledRule> rules_;
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_RULE_ENGINE_H_
