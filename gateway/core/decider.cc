#include "gateway/core/decider.h"

#include "common/log.h"

namespace friendgate::gateway {
namespace {

std::string_view FallbackReason(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kDeadlineExceeded:
      return "timeout";
    case absl::StatusCode::kUnavailable:
      return "unavailable";
    case absl::StatusCode::kResourceExhausted:
      return "overloaded";
    default:
      return "error";
  }
}

}  // namespace

void Decider::Decide(const v1::FriendshipEvent& event, std::string_view vendor_label,
                     std::string_view command_label, absl::Time received,
                     absl::Duration answer_budget, const FailurePolicy& failure, DecideDone done) {
  const absl::Time start = absl::Now();
  // What a fallback needs, so that the event itself need not be kept.
  const bool deny = event.phase() == v1::PHASE_BEFORE && failure.Denies(event.vendor_command());
  client_->Decide(
      event, received + answer_budget - kAnswerMargin,
      [this, start, deny, event_id = event.event_id(), vendor_label, command_label, &failure,
       done = std::move(done)](absl::StatusOr<v1::Decision> decision) mutable {
        if (decision.ok()) {
          metrics_->ObservePolicySeconds(absl::ToDoubleSeconds(absl::Now() - start));
          std::move(done)(DecideResult{*std::move(decision), false});
          return;
        }
        DecideResult result;
        result.fallback = true;
        v1::Decision& fallback = result.decision;
        fallback.set_event_id(event_id);
        if (deny) {
          fallback.set_verdict(v1::VERDICT_REFUSE);
          v1::Reason* reason = fallback.mutable_reason();
          reason->set_vendor_code(failure.deny_code);
          reason->set_reason("policy_unavailable");
          reason->set_message(failure.deny_message);
        } else {
          fallback.set_verdict(v1::VERDICT_ALLOW);
        }
        const std::string_view reason = FallbackReason(decision.status());
        const std::string_view action = deny ? "deny" : "allow";
        metrics_->CountFallback(vendor_label, command_label, reason, action);
        log::Warn("policy service did not decide; applied the failure mode",
                  {{"event_id", event_id},
                   {"vendor", vendor_label},
                   {"command", command_label},
                   {"reason", reason},
                   {"action", action},
                   {"error", std::string(decision.status().message())}});
        std::move(done)(std::move(result));
      });
}

}  // namespace friendgate::gateway
