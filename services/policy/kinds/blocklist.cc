// Rule kind `blocklist`: refuses relations that involve a listed user.

#include "services/policy/kinds/user_list.h"

namespace friendgate::policy {
namespace {

class BlocklistEvaluator final : public RuleEvaluator {
 public:
  explicit BlocklistEvaluator(UserList list) : list_(std::move(list)) {}
  Match Evaluate(RelationInput& input) const override {
    return list_.Matches(input) ? Match::kYes : Match::kNo;
  }
  size_t static_users() const override { return list_.size(); }
  bool takes_list_entries() const override { return true; }

 private:
  UserList list_;
};

absl::StatusOr<std::unique_ptr<RuleEvaluator>> Compile(KindInput input) {
  const Blocklist& config = input.rule.blocklist();
  input.users_file.insert(config.users().begin(), config.users().end());
  const Side side = config.side() == SIDE_UNSPECIFIED ? SIDE_EITHER : config.side();
  return std::make_unique<BlocklistEvaluator>(
      UserList(input.rule.id(), std::move(input.users_file), side));
}

}  // namespace

extern const RuleKind kBlocklistKind{Rule::kBlocklist, "blocklist", Stage::kMatch, "blocklisted",
                                     &Compile};

}  // namespace friendgate::policy
