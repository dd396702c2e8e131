#ifndef FRIENDGATE_SERVICES_POLICY_RULE_ENGINE_H_
#define FRIENDGATE_SERVICES_POLICY_RULE_ENGINE_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "friendgate/v1/decision.pb.h"
#include "friendgate/v1/event.pb.h"
#include "services/policy/kinds/import_filter.h"
#include "services/policy/rule_kind.h"
#include "services/policy/rules.pb.h"
#include "services/policy/store.h"
#include "services/policy/vendors.h"

namespace friendgate::policy {

// How one rule fared on one relation (RuleEngine::Explain).
struct RuleTrace {
  enum class Outcome {
    // Out of the rule's scope (tenant, event, phase, response), or a rate
    // limit on a relation already refused.
    kSkipped,
    // In scope, but an exemption bypasses it for this relation.
    kExempted,
    kNotMatched,
    kMatched,
  };
  std::string rule_id;
  std::string kind;
  Outcome outcome = Outcome::kSkipped;
  bool dry_run = false;
  // This rule's refusal is the relation's reason.
  bool refused = false;
  std::string why;
};

// Every rule of the rule set, in evaluation order, for each relation.
struct Explanation {
  v1::Decision decision;
  std::vector<std::vector<RuleTrace>> relations;
};

// An immutable, compiled rule set. Decide is thread-safe; all mutable state
// lives in the PolicyStore. A new rule set is built from a new file and
// swapped in whole.
//
// Each rule is compiled by its kind (rule_kind.h, kinds/). Per relation the
// rules run stage by stage (exempt, match, count), in file order within a
// stage; an enforced exemption skips the rules it bypasses; count-stage
// rules (rate limits) run only for relations not already refused, so that a
// refused request is not counted. Then the decision-stage import filter.
class RuleEngine {
 public:
  // Validates `rules` and compiles it. `users_files[i]`, when present, holds
  // the users read from rules[i]'s users_file (moved in, not copied: large
  // lists are not held twice). Errors name the rule.
  using UserSet = absl::flat_hash_set<std::string>;
  static absl::StatusOr<std::unique_ptr<const RuleEngine>> Create(
      const RulesFile& rules, std::vector<UserSet> users_files = {}, std::string version = "");

  // Decides `event`: one TargetVerdict per relation, the overall verdict
  // REFUSE when any relation is refused (except OpenIM-style import
  // filtering, see ImportMode). Leaves decision_id to the caller.
  v1::Decision Decide(const v1::FriendshipEvent& event, DecideContext& context) const;

  // What Decide would answer, with every rule considered per relation and
  // why. Changes no state (rate limits read their counters without
  // counting), whatever `context.read_only` says.
  Explanation Explain(const v1::FriendshipEvent& event, DecideContext& context) const;

  struct RuleInfo {
    std::string id;
    std::string_view kind;
    bool dry_run;
    size_t static_users;
  };
  std::vector<RuleInfo> Describe() const;
  // Whether `id` names a rule whose list takes run-time entries.
  bool IsListRule(std::string_view id) const;
  // The window and limit of rate-limit rule `id`; false if there is none.
  bool RateLimitOf(std::string_view id, uint32_t* limit, absl::Duration* window) const;

  size_t rule_count() const { return rules_.size(); }
  // SHA-256 (hex) of the rules file and the users files it names.
  const std::string& version() const { return version_; }

 private:
  struct CompiledRule {
    std::string id;
    const RuleKind* kind = nullptr;
    bool dry_run = false;
    absl::flat_hash_set<std::string> tenants;  // empty: all
    uint32_t event_mask = 0;                   // bit per EventType; 0: all
    uint32_t phase_mask = 0;                   // bit per Phase; 0: all
    uint32_t response_mask = 0;                // bit per ResponseAction; 0: all
    VendorCodes codes;
    std::string reason;
    std::string message;
    std::string detail;
    std::unique_ptr<RuleEvaluator> evaluator;
  };
  class Run;

  RuleEngine() = default;
  static absl::Status Compile(int index, const Rule& rule, UserSet users_file,
                              CompiledRule* compiled);
  const CompiledRule* Find(std::string_view id) const;
  v1::Decision Evaluate(const v1::FriendshipEvent& event, DecideContext& context,
                        Explanation* explanation) const;

  std::vector<CompiledRule> rules_;
  // Indices into rules_, by stage, then file order.
  std::vector<size_t> order_;
  ImportFilter imports_;
  std::string version_;
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_RULE_ENGINE_H_
