#include "services/policy/policy_decider.h"

#include <chrono>

#include "common/ids.h"

namespace friendgate::policy {

v1::Decision PolicyDecider::Decide(const v1::FriendshipEvent& event) {
  if (dedupe_ != nullptr && event.phase() == v1::PHASE_AFTER &&
      !dedupe_->FirstSeen(event.event_id(), clock_->Now())) {
    if (metrics_ != nullptr) metrics_->CountDuplicateEvent();
    v1::Decision repeat;
    repeat.set_event_id(event.event_id());
    repeat.set_decision_id(NewId());
    repeat.set_verdict(v1::VERDICT_ALLOW);
    return repeat;
  }
  const auto start = std::chrono::steady_clock::now();
  const std::shared_ptr<const RuleEngine> engine = rules_->engine();
  DecideContext context{store_, clock_->Now()};
  v1::Decision decision = engine->Decide(event, context);
  decision.set_decision_id(NewId());
  const absl::Duration latency = absl::FromChrono(std::chrono::steady_clock::now() - start);
  if (metrics_ != nullptr)
    metrics_->ObserveDecision(event, decision, latency, context.store_errors);
  if (log_ != nullptr) log_->Write(event, decision, latency);
  for (DecisionObserver* observer : observers_) observer->OnDecided(event, decision);
  return decision;
}

}  // namespace friendgate::policy
