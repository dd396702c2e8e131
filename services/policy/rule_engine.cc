#include "services/policy/rule_engine.h"

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "common/strings.h"

namespace friendgate::policy {
namespace {

constexpr int32_t kTencentMin = 38000;
constexpr int32_t kTencentMax = 39000;
constexpr int32_t kOpenImMin = 20001;
constexpr int32_t kOpenImMax = 29999;
// Bounds that keep a rules file from exhausting memory.
constexpr uint32_t kMaxRateLimit = 100000;
constexpr uint32_t kMaxWindowSeconds = 7 * 24 * 3600;
constexpr size_t kMaxWordBytes = 256;
constexpr size_t kMaxWords = 100000;

absl::Status RuleError(int index, const Rule& rule, std::string_view text) {
  const std::string name = rule.id().empty() ? StrCat("rules[", index, "]")
                                             : StrCat("rules[", index, "] (id '", rule.id(), "')");
  return absl::InvalidArgumentError(StrCat(name, ": ", text));
}

}  // namespace

std::string_view RuleEngine::KindName(Kind kind) {
  switch (kind) {
    case Kind::kBlocklist:
      return "blocklist";
    case Kind::kExempt:
      return "exempt";
    case Kind::kRateLimit:
      return "rate_limit";
    case Kind::kContent:
      return "content";
  }
  return "unknown";
}

absl::StatusOr<std::unique_ptr<const RuleEngine>> RuleEngine::Create(
    const RulesFile& file, std::vector<UserSet> users_files, std::string version) {
  std::unique_ptr<RuleEngine> engine(new RuleEngine());
  engine->version_ = std::move(version);
  engine->imports_ =
      file.imports() == IMPORT_MODE_REFUSE_ALL ? IMPORT_MODE_REFUSE_ALL : IMPORT_MODE_FILTER;
  absl::flat_hash_map<std::string, size_t> index_of;
  users_files.resize(file.rules_size());
  for (int i = 0; i < file.rules_size(); ++i) {
    const Rule& rule = file.rules(i);
    if (rule.id().empty()) return RuleError(i, rule, "'id' is required");
    if (!index_of.emplace(rule.id(), i).second) return RuleError(i, rule, "duplicate id");
    const Refusal& refusal = rule.refusal();
    if (refusal.tencent_code() != 0 &&
        (refusal.tencent_code() < kTencentMin || refusal.tencent_code() > kTencentMax)) {
      return RuleError(i, rule, "refusal.tencent_code must be in [38000, 39000]");
    }
    if (refusal.openim_code() != 0 &&
        (refusal.openim_code() < kOpenImMin || refusal.openim_code() > kOpenImMax)) {
      return RuleError(i, rule, "refusal.openim_code must be in [20001, 29999]");
    }
    for (const std::string& tenant : rule.tenants()) {
      if (tenant.empty()) return RuleError(i, rule, "tenants must not contain an empty name");
    }
    CompiledRule compiled;
    compiled.id = rule.id();
    compiled.dry_run = rule.mode() == MODE_DRY_RUN;
    compiled.tenants.insert(rule.tenants().begin(), rule.tenants().end());
    for (int type : rule.events()) compiled.event_mask |= 1u << type;
    for (int phase : rule.phases()) compiled.phase_mask |= 1u << phase;
    compiled.tencent_code = refusal.tencent_code();
    compiled.openim_code = refusal.openim_code();
    compiled.message = refusal.message();
    compiled.detail = refusal.detail();
    std::string_view default_reason;
    switch (rule.kind_case()) {
      case Rule::kBlocklist: {
        compiled.kind = Kind::kBlocklist;
        compiled.users = std::move(users_files[i]);
        compiled.users.insert(rule.blocklist().users().begin(), rule.blocklist().users().end());
        compiled.side =
            rule.blocklist().side() == SIDE_UNSPECIFIED ? SIDE_EITHER : rule.blocklist().side();
        default_reason = "blocklisted";
        break;
      }
      case Rule::kExempt: {
        compiled.kind = Kind::kExempt;
        compiled.users = std::move(users_files[i]);
        compiled.users.insert(rule.exempt().users().begin(), rule.exempt().users().end());
        compiled.side = rule.exempt().side() == SIDE_UNSPECIFIED ? SIDE_FROM : rule.exempt().side();
        default_reason = "exempt";
        break;
      }
      case Rule::kRateLimit: {
        const RateLimit& rl = rule.rate_limit();
        compiled.kind = Kind::kRateLimit;
        if (rl.limit() == 0 || rl.limit() > kMaxRateLimit) {
          return RuleError(i, rule, StrCat("rate_limit.limit must be in [1, ", kMaxRateLimit, "]"));
        }
        if (rl.window_seconds() == 0 || rl.window_seconds() > kMaxWindowSeconds) {
          return RuleError(
              i, rule, StrCat("rate_limit.window_seconds must be in [1, ", kMaxWindowSeconds, "]"));
        }
        if (rl.per() == SIDE_EITHER) {
          return RuleError(i, rule, "rate_limit.per must be from or to");
        }
        compiled.limit = rl.limit();
        compiled.window = absl::Seconds(rl.window_seconds());
        compiled.side = rl.per() == SIDE_TO ? SIDE_TO : SIDE_FROM;
        default_reason = "rate_limited";
        break;
      }
      case Rule::kContent: {
        const Content& c = rule.content();
        compiled.kind = Kind::kContent;
        if (c.words().empty()) return RuleError(i, rule, "content.words must not be empty");
        if (c.words_size() > static_cast<int>(kMaxWords)) {
          return RuleError(i, rule, "content.words has too many words");
        }
        std::vector<std::string> words;
        for (const std::string& w : c.words()) {
          if (w.empty() || w.size() > kMaxWordBytes) {
            return RuleError(i, rule, "content.words entries must be 1-256 bytes");
          }
          words.push_back(w);
        }
        compiled.words = WordMatcher(words);
        if (!c.fields().empty()) {
          compiled.read_wording = compiled.read_remark = false;
          for (int f : c.fields()) {
            if (f == TEXT_FIELD_WORDING) compiled.read_wording = true;
            if (f == TEXT_FIELD_REMARK) compiled.read_remark = true;
          }
        }
        compiled.mask = c.action() == CONTENT_ACTION_MASK;
        default_reason = "content";
        break;
      }
      case Rule::KIND_NOT_SET:
        return RuleError(i, rule, "needs a rule kind (blocklist, exempt, rate_limit, content)");
    }
    compiled.reason = refusal.reason().empty() ? std::string(default_reason) : refusal.reason();
    engine->rules_.push_back(std::move(compiled));
  }
  // Exemptions name the rules they bypass; resolve once all ids are known.
  for (int i = 0; i < file.rules_size(); ++i) {
    const Rule& rule = file.rules(i);
    if (rule.kind_case() != Rule::kExempt) continue;
    for (const std::string& id : rule.exempt().bypass()) {
      auto it = index_of.find(id);
      if (it == index_of.end()) {
        return RuleError(i, rule, StrCat("exempt.bypass names unknown rule '", id, "'"));
      }
      if (engine->rules_[it->second].kind == Kind::kExempt) {
        return RuleError(i, rule, StrCat("exempt.bypass names exempt rule '", id, "'"));
      }
      engine->rules_[i].bypass.push_back(it->second);
    }
  }
  return std::unique_ptr<const RuleEngine>(std::move(engine));
}

std::vector<RuleEngine::RuleInfo> RuleEngine::Describe() const {
  std::vector<RuleInfo> out;
  out.reserve(rules_.size());
  for (const CompiledRule& r : rules_) out.push_back({r.id, r.kind, r.dry_run, r.users.size()});
  return out;
}

bool RuleEngine::IsListRule(std::string_view id) const {
  for (const CompiledRule& r : rules_) {
    if (r.id == id) return r.kind == Kind::kBlocklist || r.kind == Kind::kExempt;
  }
  return false;
}

bool RuleEngine::RateLimitOf(std::string_view id, uint32_t* limit, absl::Duration* window) const {
  for (const CompiledRule& r : rules_) {
    if (r.id == id && r.kind == Kind::kRateLimit) {
      *limit = r.limit;
      *window = r.window;
      return true;
    }
  }
  return false;
}

bool RuleEngine::Applies(const CompiledRule& rule, const v1::FriendshipEvent& event) const {
  if (rule.event_mask != 0 && (rule.event_mask & (1u << event.type())) == 0) return false;
  if (rule.phase_mask != 0 && (rule.phase_mask & (1u << event.phase())) == 0) return false;
  return rule.tenants.empty() || rule.tenants.contains(event.tenant());
}

bool RuleEngine::ListMatches(const CompiledRule& rule, const v1::Relation& relation,
                             DecideContext& context) const {
  auto in_list = [&](const std::string& user) {
    if (user.empty()) return false;
    if (rule.users.contains(user)) return true;
    if (context.store == nullptr) return false;
    absl::StatusOr<bool> found = context.store->InList(rule.id, user);
    if (!found.ok()) {
      ++context.store_errors;
      return false;
    }
    return *found;
  };
  switch (rule.side) {
    case SIDE_FROM:
      return in_list(relation.from_user());
    case SIDE_TO:
      return in_list(relation.to_user());
    default:
      return in_list(relation.from_user()) || in_list(relation.to_user());
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

v1::Decision RuleEngine::Decide(const v1::FriendshipEvent& event, DecideContext& context) const {
  v1::Decision decision;
  decision.set_event_id(event.event_id());
  decision.set_verdict(v1::VERDICT_ALLOW);
  const bool before = event.phase() == v1::PHASE_BEFORE;
  // OpenIM lets a before-remark answer replace the remark: there a mask rule
  // masks instead of refusing.
  const bool can_mask_remark = before && event.vendor() == v1::VENDOR_OPENIM &&
                               event.type() == v1::EVENT_TYPE_FRIEND_REMARK_SET;

  absl::InlinedVector<size_t, 64> applicable;
  for (size_t r = 0; r < rules_.size(); ++r) {
    if (Applies(rules_[r], event)) applicable.push_back(r);
  }
  absl::InlinedVector<size_t, 8> matched;  // rule indices, for matched_rule_ids
  auto note_match = [&](size_t r, v1::TargetVerdict* target) {
    target->add_rule_ids(rules_[r].id);
    for (size_t m : matched) {
      if (m == r) return;
    }
    matched.push_back(r);
  };
  auto hit = [&](size_t r, v1::TargetVerdict* target) {
    note_match(r, target);
    if (rules_[r].dry_run) {
      decision.set_dry_run(true);
    } else if (target->verdict() != v1::VERDICT_REFUSE) {
      target->set_verdict(v1::VERDICT_REFUSE);
      FillReason(rules_[r], event.vendor(), target->mutable_reason());
    }
  };

  int refused = 0;
  for (int i = 0; i < event.relations_size(); ++i) {
    const v1::Relation& relation = event.relations(i);
    v1::TargetVerdict* target = decision.add_targets();
    target->set_relation_index(i);
    target->set_to_user(relation.to_user());
    target->set_verdict(v1::VERDICT_ALLOW);

    // 1. Exemptions.
    bool exempt_all = false;
    absl::InlinedVector<size_t, 8> bypassed;
    for (size_t r : applicable) {
      const CompiledRule& rule = rules_[r];
      if (rule.kind != Kind::kExempt || !ListMatches(rule, relation, context)) continue;
      note_match(r, target);
      if (rule.dry_run) continue;  // a dry-run exemption exempts nothing
      if (rule.bypass.empty()) exempt_all = true;
      bypassed.insert(bypassed.end(), rule.bypass.begin(), rule.bypass.end());
    }
    if (exempt_all) continue;
    auto is_bypassed = [&](size_t r) {
      for (size_t b : bypassed) {
        if (b == r) return true;
      }
      return false;
    };

    // 2. Stateless rules, in file order.
    for (size_t r : applicable) {
      const CompiledRule& rule = rules_[r];
      if (is_bypassed(r)) continue;
      if (rule.kind == Kind::kBlocklist) {
        if (ListMatches(rule, relation, context)) hit(r, target);
      } else if (rule.kind == Kind::kContent) {
        const bool in_wording = rule.read_wording && rule.words.Contains(relation.wording());
        bool in_remark = false;
        if (rule.read_remark) {
          // Mask the remark as it stands after earlier mask rules.
          const std::string& current =
              decision.mutation().has_remark() ? decision.mutation().remark() : relation.remark();
          if (rule.mask && can_mask_remark && !in_wording && !rule.dry_run) {
            std::string masked;
            if (rule.words.Mask(current, &masked)) {
              note_match(r, target);
              decision.mutable_mutation()->set_remark(std::move(masked));
            }
            continue;
          }
          in_remark = rule.words.Contains(current);
        }
        if (in_wording || in_remark) hit(r, target);
      }
    }

    // 3. Rate limits, only for relations still allowed (a refused request
    // did not happen and must not count).
    for (size_t r : applicable) {
      const CompiledRule& rule = rules_[r];
      if (rule.kind != Kind::kRateLimit || is_bypassed(r)) continue;
      if (before && target->verdict() == v1::VERDICT_REFUSE) break;
      const std::string& user = rule.side == SIDE_TO ? relation.to_user() : relation.from_user();
      if (user.empty()) continue;
      const CounterKey key{rule.id, event.tenant(), static_cast<int>(event.type()), user};
      if (before && !rule.dry_run) {
        absl::StatusOr<bool> acquired =
            context.store->TryAcquire(key, rule.limit, rule.window, context.now);
        if (!acquired.ok()) {
          ++context.store_errors;
        } else if (!*acquired) {
          hit(r, target);
        }
      } else {
        // After-phase (it happened: count it) or dry-run (it will happen).
        absl::StatusOr<uint32_t> earlier =
            context.store->Record(key, rule.limit, rule.window, context.now);
        if (!earlier.ok()) {
          ++context.store_errors;
        } else if (*earlier >= rule.limit) {
          hit(r, target);
        }
      }
    }
    if (target->verdict() == v1::VERDICT_REFUSE) {
      ++refused;
      if (decision.verdict() != v1::VERDICT_REFUSE) {
        decision.set_verdict(v1::VERDICT_REFUSE);
        *decision.mutable_reason() = target->reason();
      }
    }
  }
  for (size_t r : matched) decision.add_matched_rule_ids(rules_[r].id);

  // Import filtering: keep the import, minus the refused users.
  if (before && event.type() == v1::EVENT_TYPE_FRIENDS_IMPORTED && imports_ == IMPORT_MODE_FILTER &&
      refused > 0 && refused < event.relations_size()) {
    decision.set_verdict(v1::VERDICT_ALLOW);
    decision.clear_reason();
    v1::FriendList* list = decision.mutable_mutation()->mutable_friend_user_ids();
    for (const v1::TargetVerdict& t : decision.targets()) {
      if (t.verdict() != v1::VERDICT_REFUSE) list->add_user_ids(t.to_user());
    }
  }
  return decision;
}

}  // namespace friendgate::policy
