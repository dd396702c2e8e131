// The rule kinds: one entry per member of Rule.kind (rules.proto). A new
// kind is one file under kinds/ defining its RuleKind, plus one line here.

#include "common/strings.h"
#include "services/policy/rule_kind.h"

namespace friendgate::policy {

extern const RuleKind kExemptKind;
extern const RuleKind kBlocklistKind;
extern const RuleKind kContentKind;
extern const RuleKind kRateLimitKind;

namespace {

const RuleKind* const kKinds[] = {
    &kBlocklistKind,
    &kExemptKind,
    &kRateLimitKind,
    &kContentKind,
};

}  // namespace

const std::vector<size_t>& RuleEvaluator::bypass() const {
  static const std::vector<size_t> kNone;
  return kNone;
}

const RuleKind* FindRuleKind(Rule::KindCase kind_case) {
  for (const RuleKind* kind : kKinds) {
    if (kind->kind_case == kind_case) return kind;
  }
  return nullptr;
}

std::string RuleKindNames() {
  std::string names;
  for (const RuleKind* kind : kKinds) names += StrCat(names.empty() ? "" : ", ", kind->name);
  return names;
}

}  // namespace friendgate::policy
