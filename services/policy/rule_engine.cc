#include "services/policy/rule_engine.h"

#include "absl/container/flat_hash_set.h"
#include "common/strings.h"

namespace friendgate::policy {
namespace {

constexpr int32_t kTencentMin = 38000;
constexpr int32_t kTencentMax = 39000;
constexpr int32_t kOpenImMin = 20001;
constexpr int32_t kOpenImMax = 29999;

absl::Status RuleError(int index, const Rule& rule, std::string_view text) {
  const std::string name =
      rule.id().empty() ? StrCat("rules[", index, "]")
                        : StrCat("rules[", index, "] (id '", rule.id(), "')");
  return absl::InvalidArgumentError(StrCat(name, ": ", text));
}

}  // namespace

absl::StatusOr<std::unique_ptr<const RuleEngine>> RuleEngine::Create(const RulesFile& file) {
  std::unique_ptr<RuleEngine> engine(new RuleEngine());
  absl::flat_hash_set<std::string> ids;
  for (int i = 0; i < file.rules_size(); ++i) {
    const Rule& rule = file.rules(i);
    if (rule.id().empty()) return RuleError(i, rule, "'id' is required");
    if (!ids.insert(rule.id()).second) return RuleError(i, rule, "duplicate id");
    const Refusal& refusal = rule.refusal();
    if (refusal.tencent_code() != 0 &&
        (refusal.tencent_code() < kTencentMin || refusal.tencent_code() > kTencentMax)) {
      return RuleError(i, rule, "refusal.tencent_code must be in [38000, 39000]");
    }
    if (refusal.openim_code() != 0 &&
        (refusal.openim_code() < kOpenImMin || refusal.openim_code() > kOpenImMax)) {
      return RuleError(i, rule, "refusal.openim_code must be in [20001, 29999]");
    }
    CompiledRule compiled;
    compiled.id = rule.id();
    compiled.dry_run = rule.mode() == MODE_DRY_RUN;
    compiled.tenants.insert(rule.tenants().begin(), rule.tenants().end());
    for (int type : rule.events()) compiled.event_mask |= 1u << type;
    compiled.tencent_code = refusal.tencent_code();
    compiled.openim_code = refusal.openim_code();
    compiled.message = refusal.message();
    compiled.detail = refusal.detail();
    switch (rule.kind_case()) {
      case Rule::kBlocklist:
        if (rule.blocklist().users().empty()) {
          return RuleError(i, rule, "blocklist.users must not be empty");
        }
        compiled.users.insert(rule.blocklist().users().begin(), rule.blocklist().users().end());
        compiled.side = rule.blocklist().side() == SIDE_UNSPECIFIED ? SIDE_EITHER
                                                                   : rule.blocklist().side();
        compiled.reason = refusal.reason().empty() ? "blocklisted" : refusal.reason();
        break;
      case Rule::KIND_NOT_SET:
        return RuleError(i, rule, "needs a rule kind (blocklist)");
    }
    engine->rules_.push_back(std::move(compiled));
  }
  return std::unique_ptr<const RuleEngine>(std::move(engine));
}

bool RuleEngine::Applies(const CompiledRule& rule, const v1::FriendshipEvent& event) const {
  if (rule.event_mask != 0 && (rule.event_mask & (1u << event.type())) == 0) return false;
  return rule.tenants.empty() || rule.tenants.contains(event.tenant());
}

bool RuleEngine::Matches(const CompiledRule& rule, const v1::Relation& relation) {
  const bool from = rule.users.contains(relation.from_user());
  const bool to = rule.users.contains(relation.to_user());
  switch (rule.side) {
    case SIDE_FROM: return from;
    case SIDE_TO: return to;
    default: return from || to;
  }
}

void RuleEngine::FillReason(const CompiledRule& rule, v1::Vendor vendor, v1::Reason* reason) {
  reason->set_vendor_code(vendor == v1::VENDOR_TENCENT  ? rule.tencent_code
                          : vendor == v1::VENDOR_OPENIM ? rule.openim_code
                                                        : 0);
  reason->set_reason(rule.reason);
  reason->set_message(rule.message);
  reason->set_detail(rule.detail);
}

v1::Decision RuleEngine::Decide(const v1::FriendshipEvent& event) const {
  v1::Decision decision;
  decision.set_event_id(event.event_id());
  decision.set_verdict(v1::VERDICT_ALLOW);
  absl::flat_hash_set<std::string_view> matched;
  for (int i = 0; i < event.relations_size(); ++i) {
    const v1::Relation& relation = event.relations(i);
    v1::TargetVerdict* target = decision.add_targets();
    target->set_relation_index(i);
    target->set_to_user(relation.to_user());
    target->set_verdict(v1::VERDICT_ALLOW);
    for (const CompiledRule& rule : rules_) {
      if (!Applies(rule, event) || !Matches(rule, relation)) continue;
      target->add_rule_ids(rule.id);
      if (matched.insert(rule.id).second) decision.add_matched_rule_ids(rule.id);
      if (rule.dry_run) {
        decision.set_dry_run(true);
        continue;
      }
      if (target->verdict() != v1::VERDICT_REFUSE) {
        target->set_verdict(v1::VERDICT_REFUSE);
        FillReason(rule, event.vendor(), target->mutable_reason());
      }
    }
    if (target->verdict() == v1::VERDICT_REFUSE && decision.verdict() != v1::VERDICT_REFUSE) {
      decision.set_verdict(v1::VERDICT_REFUSE);
      *decision.mutable_reason() = target->reason();
    }
  }
  return decision;
}

}  // namespace friendgate::policy
