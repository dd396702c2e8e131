#include "services/policy/explain.h"

#include <algorithm>

#include "common/strings.h"

namespace friendgate::policy {
namespace {

v1::RuleOutcome OutcomeOf(RuleTrace::Outcome outcome) {
  switch (outcome) {
    case RuleTrace::Outcome::kMatched:
      return v1::RULE_OUTCOME_MATCHED;
    case RuleTrace::Outcome::kNotMatched:
      return v1::RULE_OUTCOME_NOT_MATCHED;
    case RuleTrace::Outcome::kExempted:
      return v1::RULE_OUTCOME_EXEMPTED;
    case RuleTrace::Outcome::kSkipped:
      return v1::RULE_OUTCOME_SKIPPED;
  }
  return v1::RULE_OUTCOME_UNSPECIFIED;
}

std::string_view OutcomeWord(v1::RuleOutcome outcome) {
  switch (outcome) {
    case v1::RULE_OUTCOME_MATCHED:
      return "matched";
    case v1::RULE_OUTCOME_NOT_MATCHED:
      return "no match";
    case v1::RULE_OUTCOME_EXEMPTED:
      return "exempted";
    case v1::RULE_OUTCOME_SKIPPED:
      return "skipped";
    default:
      return "?";
  }
}

// What a match did, after the why.
std::string Effect(const v1::RuleExplanation& rule) {
  if (rule.outcome() != v1::RULE_OUTCOME_MATCHED) return "";
  if (rule.dry_run()) return " [dry run: reported, not enforced]";
  if (rule.refused()) return " => refuse";
  if (rule.kind() == "exempt") return " => exempt";
  return "";
}

std::string Pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

}  // namespace

std::string VerdictWord(v1::Verdict verdict) {
  return verdict == v1::VERDICT_REFUSE ? "refuse" : "allow";
}

v1::ExplainResponse ExplainEvent(const RuleEngine& engine, const v1::FriendshipEvent& event,
                                 DecideContext& context) {
  Explanation explanation = engine.Explain(event, context);
  v1::ExplainResponse out;
  out.set_verdict(VerdictWord(explanation.decision.verdict()));
  out.set_rules_version(engine.version());
  for (size_t i = 0; i < explanation.relations.size(); ++i) {
    const v1::Relation& relation = event.relations(static_cast<int>(i));
    v1::RelationExplanation* r = out.add_relations();
    r->set_relation_index(static_cast<int>(i));
    r->set_from_user(relation.from_user());
    r->set_to_user(relation.to_user());
    r->set_verdict(VerdictWord(explanation.decision.targets(static_cast<int>(i)).verdict()));
    for (RuleTrace& trace : explanation.relations[i]) {
      v1::RuleExplanation* rule = r->add_rules();
      rule->set_rule_id(std::move(trace.rule_id));
      rule->set_kind(std::move(trace.kind));
      rule->set_outcome(OutcomeOf(trace.outcome));
      rule->set_why(std::move(trace.why));
      rule->set_dry_run(trace.dry_run);
      rule->set_refused(trace.refused);
    }
  }
  *out.mutable_decision() = std::move(explanation.decision);
  out.set_text(ExplanationText(out));
  return out;
}

std::string ExplanationText(const v1::ExplainResponse& e) {
  const v1::Decision& d = e.decision();
  std::string text = StrCat("decision: ", e.verdict());
  if (d.verdict() == v1::VERDICT_REFUSE) {
    text += StrCat(" (code ", d.reason().vendor_code(), ", reason ", d.reason().reason());
    if (!d.reason().message().empty()) text += StrCat(": \"", d.reason().message(), "\"");
    text += ")";
  }
  if (d.dry_run()) text += " [a dry-run rule would refuse]";
  text += "\n";
  if (d.mutation().has_remark())
    text += StrCat("remark replaced by: \"", d.mutation().remark(), "\"\n");
  if (d.mutation().has_friend_user_ids()) {
    text += "import keeps:";
    for (const std::string& u : d.mutation().friend_user_ids().user_ids()) text += " " + u;
    text += "\n";
  }
  size_t id_width = 0;
  size_t kind_width = 0;
  for (const v1::RelationExplanation& r : e.relations()) {
    for (const v1::RuleExplanation& rule : r.rules()) {
      id_width = std::max(id_width, rule.rule_id().size());
      kind_width = std::max(kind_width, rule.kind().size());
    }
  }
  for (const v1::RelationExplanation& r : e.relations()) {
    text += StrCat("relation ", r.relation_index(), ": ", r.from_user(), " -> ", r.to_user(), ": ",
                   r.verdict(), "\n");
    for (const v1::RuleExplanation& rule : r.rules()) {
      text +=
          StrCat("  ", Pad(rule.rule_id(), id_width), "  ", Pad(rule.kind(), kind_width), "  ",
                 Pad(std::string(OutcomeWord(rule.outcome())), 10), rule.why(), Effect(rule), "\n");
    }
  }
  text += StrCat("rules version: ", e.rules_version(), "\n");
  return text;
}

}  // namespace friendgate::policy
