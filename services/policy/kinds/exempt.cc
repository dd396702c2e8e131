// Rule kind `exempt`: users whose relations skip other rules.

#include "common/strings.h"
#include "services/policy/kinds/user_list.h"

namespace friendgate::policy {
namespace {

class ExemptEvaluator final : public RuleEvaluator {
 public:
  ExemptEvaluator(UserList list, std::vector<std::string> bypass_ids)
      : list_(std::move(list)), bypass_ids_(std::move(bypass_ids)) {}
  Match Evaluate(RelationInput& input) const override {
    return list_.Matches(input) ? Match::kExempt : Match::kNo;
  }
  absl::Status Link(const RuleIndex& index) override {
    for (const std::string& id : bypass_ids_) {
      auto it = index.index_of.find(id);
      if (it == index.index_of.end()) {
        return absl::InvalidArgumentError(StrCat("exempt.bypass names unknown rule '", id, "'"));
      }
      if (index.stages[it->second] == Stage::kExempt) {
        return absl::InvalidArgumentError(StrCat("exempt.bypass names exempt rule '", id, "'"));
      }
      bypass_.push_back(it->second);
    }
    return absl::OkStatus();
  }
  const std::vector<size_t>& bypass() const override { return bypass_; }
  size_t static_users() const override { return list_.size(); }
  bool takes_list_entries() const override { return true; }

 private:
  UserList list_;
  std::vector<std::string> bypass_ids_;
  std::vector<size_t> bypass_;
};

absl::StatusOr<std::unique_ptr<RuleEvaluator>> Compile(KindInput input) {
  const Exempt& config = input.rule.exempt();
  input.users_file.insert(config.users().begin(), config.users().end());
  const Side side = config.side() == SIDE_UNSPECIFIED ? SIDE_FROM : config.side();
  return std::make_unique<ExemptEvaluator>(
      UserList(input.rule.id(), std::move(input.users_file), side),
      std::vector<std::string>(config.bypass().begin(), config.bypass().end()));
}

}  // namespace

extern const RuleKind kExemptKind{Rule::kExempt, "exempt", Stage::kExempt, "exempt", &Compile};

}  // namespace friendgate::policy
