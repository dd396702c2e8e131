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
#include "services/policy/rules.pb.h"
#include "services/policy/store.h"
#include "services/policy/word_matcher.h"

namespace friendgate::policy {

// What one Decide call needs besides the event: the state and the time.
struct DecideContext {
  PolicyStore* store = nullptr;
  absl::Time now;
  // Out: store calls that failed (the rule involved was skipped: fail-open).
  int store_errors = 0;
};

// An immutable, compiled rule set. Decide is thread-safe; all mutable state
// lives in the PolicyStore. A new rule set is built from a new file and
// swapped in whole.
//
// Per relation: exempt rules first (an enforced exemption skips the rules it
// bypasses), then blocklist and content rules in file order, then rate
// limits in file order, only for relations not already refused, so that a
// refused request is not counted.
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

  enum class Kind { kBlocklist, kExempt, kRateLimit, kContent };
  struct RuleInfo {
    std::string id;
    Kind kind;
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

  static std::string_view KindName(Kind kind);

 private:
  struct CompiledRule {
    std::string id;
    Kind kind = Kind::kBlocklist;
    bool dry_run = false;
    absl::flat_hash_set<std::string> tenants;  // empty: all
    uint32_t event_mask = 0;                   // bit per EventType; 0: all
    uint32_t phase_mask = 0;                   // bit per Phase; 0: all
    int32_t tencent_code = 0;
    int32_t openim_code = 0;
    std::string reason;
    std::string message;
    std::string detail;
    Side side = SIDE_EITHER;
    // Blocklist, exempt
    absl::flat_hash_set<std::string> users;
    std::vector<size_t> bypass;  // exempt: indices of bypassed rules; empty: all
    // Rate limit
    uint32_t limit = 0;
    absl::Duration window;
    // Content
    WordMatcher words;
    bool read_wording = true;
    bool read_remark = true;
    bool mask = false;
  };

  RuleEngine() = default;
  bool Applies(const CompiledRule& rule, const v1::FriendshipEvent& event) const;
  bool ListMatches(const CompiledRule& rule, const v1::Relation& relation,
                   DecideContext& context) const;
  static void FillReason(const CompiledRule& rule, v1::Vendor vendor, v1::Reason* reason);

  std::vector<CompiledRule> rules_;
  ImportMode imports_ = IMPORT_MODE_FILTER;
  std::string version_;
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_RULE_ENGINE_H_
