#ifndef FRIENDGATE_SERVICES_POLICY_EXPLAIN_H_
#define FRIENDGATE_SERVICES_POLICY_EXPLAIN_H_

#include <string>

#include "friendgate/v1/policy_admin.pb.h"
#include "services/policy/rule_engine.h"

namespace friendgate::policy {

// The answer of PolicyAdmin.Explain and `friendgate-policy eval`: the
// engine's explanation of `event` as a message, with its text.
v1::ExplainResponse ExplainEvent(const RuleEngine& engine, const v1::FriendshipEvent& event,
                                 DecideContext& context);

// "allow" or "refuse" (VERDICT_UNSPECIFIED, which the gateway treats as
// allow: "allow").
std::string VerdictWord(v1::Verdict verdict);

// The text form (ExplainResponse.text): the decision, then per relation one
// line per rule: id, kind, outcome, why.
std::string ExplanationText(const v1::ExplainResponse& explanation);

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_EXPLAIN_H_
