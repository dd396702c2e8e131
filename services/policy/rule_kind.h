#ifndef FRIENDGATE_SERVICES_POLICY_RULE_KIND_H_
#define FRIENDGATE_SERVICES_POLICY_RULE_KIND_H_

// The contract between the RuleEngine and the rule kinds. A kind (blocklist,
// exempt, rate_limit, content, ...) is one file under services/policy/kinds/
// that compiles its proto message (a member of Rule.kind) into a
// RuleEvaluator and declares the stage it runs in; the table in
// rule_kinds.cc lists the kinds. docs/rules.md, "Writing a rule kind".

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "friendgate/v1/decision.pb.h"
#include "friendgate/v1/event.pb.h"
#include "services/policy/rules.pb.h"
#include "services/policy/store.h"

namespace friendgate::policy {

// What one Decide call needs besides the event: the state and the time.
struct DecideContext {
  PolicyStore* store = nullptr;
  absl::Time now;
  // Out: store calls that failed (the rule involved was skipped: fail-open).
  int store_errors = 0;
  // Explain: evaluate without changing state (rate limits peek at their
  // counters instead of counting).
  bool read_only = false;
};

// When, for one relation, the rules of a kind run. Stages run in this order;
// within a stage, rules run in file order.
enum class Stage {
  // Exemptions: decide which later rules a relation skips.
  kExempt = 0,
  // Stateless checks (blocklist, content).
  kMatch = 1,
  // Stateful counting (rate limits): only relations not yet refused in the
  // before-phase, so that a refused request is not counted.
  kCount = 2,
  // Once every relation is decided: passes over the whole decision (the
  // import filter, kinds/import_filter.h).
  kDecision = 3,
};

// One relation being decided, as an evaluator sees it.
struct RelationInput {
  const v1::FriendshipEvent& event;
  const v1::Relation& relation;
  DecideContext& context;
  // The decision so far (an evaluator may change `mutation`).
  v1::Decision& decision;
  // When explaining: the evaluator says in a few words why it matched or
  // did not. Null on the decision path (no text is built).
  std::string* why = nullptr;
};

enum class Match {
  kNo,
  // Matched: refuses (or, in dry-run, reports).
  kYes,
  // Matched and changed the operation (Decision.mutation) instead of
  // refusing it: reported, not refused.
  kMutated,
  // An exemption matched: the relation skips the rules of bypass() (all
  // when empty).
  kExempt,
};

// The ids of the rule set, for kinds that refer to other rules.
struct RuleIndex {
  absl::flat_hash_map<std::string, size_t> index_of;
  std::vector<Stage> stages;
};

// A compiled rule of one kind. Immutable after Link; Evaluate is called
// concurrently.
class RuleEvaluator {
 public:
  virtual ~RuleEvaluator() = default;
  virtual Match Evaluate(RelationInput& input) const = 0;
  // Resolves references to other rules once every rule is compiled.
  virtual absl::Status Link(const RuleIndex& /*index*/) { return absl::OkStatus(); }
  // Exemptions: the indices of the rules skipped (empty: every rule).
  virtual const std::vector<size_t>& bypass() const;
  // List kinds: users in the rules file; run-time entries (list = rule id)
  // are accepted for the rule only when takes_list_entries().
  virtual size_t static_users() const { return 0; }
  virtual bool takes_list_entries() const { return false; }
  // Rate-limit kinds: their limit and window (for PolicyAdmin.GetCounter).
  virtual bool rate_limit(uint32_t* /*limit*/, absl::Duration* /*window*/) const { return false; }
};

// What a kind's compiler gets.
struct KindInput {
  const Rule& rule;
  // Users read from the kind's users_file (list kinds), moved in.
  absl::flat_hash_set<std::string> users_file;
};

// A rule kind: its key in the rules file, its stage, its default refusal
// reason and its compiler. Compile errors are short texts ("content.words
// must not be empty"); the engine adds the rule's name.
struct RuleKind {
  Rule::KindCase kind_case;
  std::string_view name;
  Stage stage;
  std::string_view default_reason;
  absl::StatusOr<std::unique_ptr<RuleEvaluator>> (*compile)(KindInput input);
};

// The kind of `kind_case`; null for KIND_NOT_SET or a kind with no entry.
const RuleKind* FindRuleKind(Rule::KindCase kind_case);
// Every kind's key, for error messages ("blocklist, exempt, ...").
std::string RuleKindNames();

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_RULE_KIND_H_
