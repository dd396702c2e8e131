#include "services/policy/rule_engine.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "common/strings.h"

namespace friendgate::policy {
namespace {

absl::Status RuleError(int index, const Rule& rule, std::string_view text) {
  const std::string name = rule.id().empty() ? StrCat("rules[", index, "]")
                                             : StrCat("rules[", index, "] (id '", rule.id(), "')");
  return absl::InvalidArgumentError(StrCat(name, ": ", text));
}

uint32_t MaskOf(const google::protobuf::RepeatedField<int>& values) {
  uint32_t mask = 0;
  for (int v : values) mask |= 1u << v;
  return mask;
}

// "friend_request" for EVENT_TYPE_FRIEND_REQUEST: the spelling of the rules file.
std::string ShortName(const std::string& full_name, std::string_view prefix) {
  std::string_view name = full_name;
  if (name.substr(0, prefix.size()) == prefix) name.remove_prefix(prefix.size());
  return absl::AsciiStrToLower(ToAbsl(name));
}

// The rules file's name for a relation's answer: an unset action and one
// this version does not know are both `unknown`.
Response ResponseOf(const v1::Relation& relation) {
  switch (relation.response_action()) {
    case v1::RESPONSE_ACTION_AGREE_AND_ADD:
      return RESPONSE_AGREE_AND_ADD;
    case v1::RESPONSE_ACTION_AGREE:
      return RESPONSE_AGREE;
    case v1::RESPONSE_ACTION_REJECT:
      return RESPONSE_REJECT;
    default:
      return RESPONSE_UNKNOWN;
  }
}

}  // namespace

absl::Status RuleEngine::Compile(int index, const Rule& rule, UserSet users_file,
                                 CompiledRule* compiled) {
  compiled->kind = FindRuleKind(rule.kind_case());
  if (compiled->kind == nullptr) {
    return RuleError(index, rule, StrCat("needs a rule kind (", RuleKindNames(), ")"));
  }
  for (const std::string& tenant : rule.tenants()) {
    if (tenant.empty()) return RuleError(index, rule, "tenants must not contain an empty name");
  }
  absl::StatusOr<VendorCodes> codes = VendorCodes::FromRefusal(rule.refusal());
  if (!codes.ok()) return RuleError(index, rule, ToStd(codes.status().message()));
  absl::StatusOr<std::unique_ptr<RuleEvaluator>> evaluator =
      compiled->kind->compile(KindInput{rule, std::move(users_file)});
  if (!evaluator.ok()) return RuleError(index, rule, ToStd(evaluator.status().message()));

  compiled->id = rule.id();
  compiled->dry_run = rule.mode() == MODE_DRY_RUN;
  compiled->tenants.insert(rule.tenants().begin(), rule.tenants().end());
  compiled->event_mask = MaskOf(rule.events());
  compiled->phase_mask = MaskOf(rule.phases());
  compiled->response_mask = MaskOf(rule.responses());
  compiled->codes = *codes;
  const Refusal& refusal = rule.refusal();
  compiled->reason =
      refusal.reason().empty() ? std::string(compiled->kind->default_reason) : refusal.reason();
  compiled->message = refusal.message();
  compiled->detail = refusal.detail();
  compiled->evaluator = std::move(*evaluator);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<const RuleEngine>> RuleEngine::Create(
    const RulesFile& file, std::vector<UserSet> users_files, std::string version) {
  std::unique_ptr<RuleEngine> engine(new RuleEngine());
  engine->version_ = std::move(version);
  engine->imports_ = ImportFilter(file.imports());
  users_files.resize(file.rules_size());
  RuleIndex index;
  for (int i = 0; i < file.rules_size(); ++i) {
    const Rule& rule = file.rules(i);
    if (rule.id().empty()) return RuleError(i, rule, "'id' is required");
    if (!index.index_of.emplace(rule.id(), i).second) return RuleError(i, rule, "duplicate id");
    CompiledRule& compiled = engine->rules_.emplace_back();
    if (absl::Status s = Compile(i, rule, std::move(users_files[i]), &compiled); !s.ok()) return s;
    index.stages.push_back(compiled.kind->stage);
  }
  // Kinds that name other rules resolve them once all ids are known.
  for (int i = 0; i < file.rules_size(); ++i) {
    if (absl::Status s = engine->rules_[i].evaluator->Link(index); !s.ok()) {
      return RuleError(i, file.rules(i), ToStd(s.message()));
    }
    engine->order_.push_back(i);
  }
  std::stable_sort(engine->order_.begin(), engine->order_.end(),
                   [&](size_t a, size_t b) { return index.stages[a] < index.stages[b]; });
  return std::unique_ptr<const RuleEngine>(std::move(engine));
}

const RuleEngine::CompiledRule* RuleEngine::Find(std::string_view id) const {
  for (const CompiledRule& r : rules_) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

std::vector<RuleEngine::RuleInfo> RuleEngine::Describe() const {
  std::vector<RuleInfo> out;
  out.reserve(rules_.size());
  for (const CompiledRule& r : rules_) {
    out.push_back({r.id, r.kind->name, r.dry_run, r.evaluator->static_users()});
  }
  return out;
}

bool RuleEngine::IsListRule(std::string_view id) const {
  const CompiledRule* rule = Find(id);
  return rule != nullptr && rule->evaluator->takes_list_entries();
}

bool RuleEngine::RateLimitOf(std::string_view id, uint32_t* limit, absl::Duration* window) const {
  const CompiledRule* rule = Find(id);
  return rule != nullptr && rule->evaluator->rate_limit(limit, window);
}

// The state of one Decide or Explain call.
class RuleEngine::Run {
 public:
  Run(const RuleEngine& engine, const v1::FriendshipEvent& event, DecideContext& context,
      Explanation* explanation)
      : engine_(engine), event_(event), context_(context), explanation_(explanation) {
    decision_.set_event_id(event.event_id());
    decision_.set_verdict(v1::VERDICT_ALLOW);
    // Explaining considers every rule; deciding only those in the event's scope.
    for (size_t r : engine.order_) {
      if (explanation != nullptr || InEventScope(engine.rules_[r], nullptr))
        candidates_.push_back(r);
    }
  }

  v1::Decision Finish() {
    int refused = 0;
    for (int i = 0; i < event_.relations_size(); ++i) {
      if (DecideRelation(i) == v1::VERDICT_REFUSE) ++refused;
    }
    for (size_t r : matched_) decision_.add_matched_rule_ids(engine_.rules_[r].id);
    engine_.imports_.Apply(event_, refused, decision_);
    return std::move(decision_);
  }

 private:
  bool InEventScope(const CompiledRule& rule, std::string* why) const {
    auto out = [&](std::string_view key, const std::string& value) {
      if (why != nullptr) *why = StrCat(key, " ", value, " is not listed");
      return false;
    };
    if (rule.event_mask != 0 && (rule.event_mask & (1u << event_.type())) == 0) {
      return out("event", ShortName(v1::EventType_Name(event_.type()), "EVENT_TYPE_"));
    }
    if (rule.phase_mask != 0 && (rule.phase_mask & (1u << event_.phase())) == 0) {
      return out("phase", ShortName(v1::Phase_Name(event_.phase()), "PHASE_"));
    }
    if (!rule.tenants.empty() && !rule.tenants.contains(event_.tenant())) {
      return out("tenant", StrCat("'", event_.tenant(), "'"));
    }
    return true;
  }

  bool InRelationScope(const CompiledRule& rule, const v1::Relation& relation,
                       std::string* why) const {
    if (rule.response_mask == 0 || event_.type() != v1::EVENT_TYPE_FRIEND_RESPONSE) return true;
    const Response response = ResponseOf(relation);
    if ((rule.response_mask & (1u << response)) != 0) return true;
    if (why != nullptr) {
      *why = StrCat("response ", ShortName(Response_Name(response), "RESPONSE_"), " is not listed");
    }
    return false;
  }

  void NoteMatch(size_t r, v1::TargetVerdict& target) {
    target.add_rule_ids(engine_.rules_[r].id);
    if (std::find(matched_.begin(), matched_.end(), r) == matched_.end()) matched_.push_back(r);
  }

  // A refusing match: the first enforced one gives the relation's reason.
  bool Refuse(const CompiledRule& rule, v1::TargetVerdict& target) {
    if (rule.dry_run) {
      decision_.set_dry_run(true);
      return false;
    }
    if (target.verdict() == v1::VERDICT_REFUSE) return false;
    target.set_verdict(v1::VERDICT_REFUSE);
    v1::Reason* reason = target.mutable_reason();
    reason->set_vendor_code(rule.codes.For(event_.vendor()));
    reason->set_reason(rule.reason);
    reason->set_message(rule.message);
    reason->set_detail(rule.detail);
    return true;
  }

  v1::Verdict DecideRelation(int index) {
    const v1::Relation& relation = event_.relations(index);
    v1::TargetVerdict& target = *decision_.add_targets();
    target.set_relation_index(index);
    target.set_to_user(relation.to_user());
    target.set_verdict(v1::VERDICT_ALLOW);
    std::vector<RuleTrace>* traces =
        explanation_ != nullptr ? &explanation_->relations.emplace_back() : nullptr;
    const bool before = event_.phase() == v1::PHASE_BEFORE;

    // Exemptions met so far: (bypassed rule, exempting rule); a rule index
    // of kAll bypasses every non-exempt rule.
    constexpr size_t kAll = ~size_t{0};
    absl::InlinedVector<std::pair<size_t, size_t>, 8> bypassed;
    auto exempted_by = [&](size_t r) -> const CompiledRule* {
      for (const auto& [rule, by] : bypassed) {
        if (rule == r || rule == kAll) return &engine_.rules_[by];
      }
      return nullptr;
    };

    for (size_t r : candidates_) {
      const CompiledRule& rule = engine_.rules_[r];
      RuleTrace* trace = nullptr;
      if (traces != nullptr) {
        trace = &traces->emplace_back();
        trace->rule_id = rule.id;
        trace->kind = std::string(rule.kind->name);
        trace->dry_run = rule.dry_run;
      }
      std::string* why = trace != nullptr ? &trace->why : nullptr;
      if ((traces != nullptr && !InEventScope(rule, why)) ||
          !InRelationScope(rule, relation, why)) {
        continue;  // kSkipped
      }
      const Stage stage = rule.kind->stage;
      if (const CompiledRule* by = stage != Stage::kExempt ? exempted_by(r) : nullptr) {
        if (trace != nullptr) {
          trace->outcome = RuleTrace::Outcome::kExempted;
          trace->why = StrCat("bypassed by exemption '", by->id, "'");
        }
        continue;
      }
      if (stage == Stage::kCount && before && target.verdict() == v1::VERDICT_REFUSE) {
        if (why != nullptr) *why = "relation already refused: not counted";
        continue;
      }
      RelationInput input{event_, relation, context_, decision_, why};
      const Match match = rule.evaluator->Evaluate(input);
      if (trace != nullptr) {
        trace->outcome =
            match == Match::kNo ? RuleTrace::Outcome::kNotMatched : RuleTrace::Outcome::kMatched;
      }
      switch (match) {
        case Match::kNo:
          break;
        case Match::kYes: {
          NoteMatch(r, target);
          const bool refused = Refuse(rule, target);
          if (trace != nullptr) trace->refused = refused;
          break;
        }
        case Match::kMutated:
          NoteMatch(r, target);
          break;
        case Match::kExempt:
          NoteMatch(r, target);
          if (rule.dry_run) break;  // a dry-run exemption exempts nothing
          if (rule.evaluator->bypass().empty()) bypassed.emplace_back(kAll, r);
          for (size_t b : rule.evaluator->bypass()) bypassed.emplace_back(b, r);
          break;
      }
    }
    if (target.verdict() == v1::VERDICT_REFUSE && decision_.verdict() != v1::VERDICT_REFUSE) {
      decision_.set_verdict(v1::VERDICT_REFUSE);
      *decision_.mutable_reason() = target.reason();
    }
    return target.verdict();
  }

  const RuleEngine& engine_;
  const v1::FriendshipEvent& event_;
  DecideContext& context_;
  Explanation* explanation_;
  v1::Decision decision_;
  absl::InlinedVector<size_t, 64> candidates_;
  absl::InlinedVector<size_t, 8> matched_;  // rule indices, for matched_rule_ids
};

v1::Decision RuleEngine::Decide(const v1::FriendshipEvent& event, DecideContext& context) const {
  return Run(*this, event, context, nullptr).Finish();
}

Explanation RuleEngine::Explain(const v1::FriendshipEvent& event, DecideContext& context) const {
  Explanation explanation;
  const bool read_only = context.read_only;
  context.read_only = true;
  explanation.decision = Run(*this, event, context, &explanation).Finish();
  context.read_only = read_only;
  return explanation;
}

}  // namespace friendgate::policy
