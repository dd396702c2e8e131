#include "gateway/core/decider.h"

#include <memory>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "common/log.h"
#include "common/strings.h"

namespace friendgate::gateway {
namespace {

// The reason label: one of a fixed set (metric label values).
std::string_view FallbackReason(const absl::Status& status) {
  if (std::optional<std::string> tagged = FallbackReasonOf(status)) {
    if (*tagged == "message_too_large") return "message_too_large";
    if (*tagged == "invalid_answer") return "invalid_answer";
  }
  switch (status.code()) {
    case absl::StatusCode::kDeadlineExceeded:
      return "timeout";
    case absl::StatusCode::kUnavailable:
      return "unavailable";
    case absl::StatusCode::kResourceExhausted:
      // gRPC's own size checks ("Sent/Received message larger than max") say
      // RESOURCE_EXHAUSTED too: a message too large is not an overload.
      if (absl::StrContains(status.message(), "message larger than max")) {
        return "message_too_large";
      }
      return "overloaded";
    default:
      return "error";
  }
}

}  // namespace

void Decider::Decide(const v1::FriendshipEvent& event, std::string_view vendor_label,
                     std::string_view command_label, absl::Time received,
                     absl::Duration answer_budget, const FailurePolicy& failure, DecideDone done) {
  const absl::Time deadline = received + answer_budget - kAnswerMargin;
  if (max_event_bytes_ != 0 && event.phase() == v1::PHASE_AFTER && event.relations_size() > 1 &&
      event.ByteSizeLong() > max_event_bytes_) {
    return DecideInParts(event, vendor_label, command_label, deadline, failure, std::move(done));
  }
  DecideOne(event, vendor_label, command_label, deadline, failure, std::move(done));
}

void Decider::DecideInParts(const v1::FriendshipEvent& event, std::string_view vendor_label,
                            std::string_view command_label, absl::Time deadline,
                            const FailurePolicy& failure, DecideDone done) {
  struct Parts {
    absl::Mutex mu;
    std::vector<v1::FriendshipEvent> events;
    size_t pending ABSL_GUARDED_BY(mu) = 0;
    bool fallback ABSL_GUARDED_BY(mu) = false;
    std::string event_id;
    DecideDone done;
  };
  auto parts = std::make_shared<Parts>();
  parts->event_id = event.event_id();
  parts->done = std::move(done);
  v1::FriendshipEvent header = event;
  header.clear_relations();
  // The part's event id adds a few bytes to the header's.
  const size_t header_bytes = header.ByteSizeLong() + 16;
  size_t part_bytes = 0;
  for (const v1::Relation& relation : event.relations()) {
    // A relation's share of the message: its bytes, a tag and a length.
    const size_t bytes = relation.ByteSizeLong() + 6;
    if (parts->events.empty() ||
        (part_bytes + bytes > max_event_bytes_ && parts->events.back().relations_size() > 0)) {
      parts->events.push_back(header);
      parts->events.back().set_event_id(StrCat(event.event_id(), "/", parts->events.size()));
      part_bytes = header_bytes;
    }
    *parts->events.back().add_relations() = relation;
    part_bytes += bytes;
  }
  {
    absl::MutexLock lock(&parts->mu);
    parts->pending = parts->events.size();
  }
  log::Info("after-event sent in parts under the message size limit",
            {{"event_id", event.event_id()},
             {"relations", static_cast<int64_t>(event.relations_size())},
             {"parts", static_cast<int64_t>(parts->events.size())}});
  for (const v1::FriendshipEvent& part : parts->events) {
    DecideOne(part, vendor_label, command_label, deadline, failure, [parts](DecideResult result) {
      bool last = false;
      {
        absl::MutexLock lock(&parts->mu);
        parts->fallback = parts->fallback || result.fallback;
        last = --parts->pending == 0;
      }
      if (!last) return;
      DecideResult whole;
      whole.fallback = parts->fallback;
      whole.decision.set_event_id(parts->event_id);
      whole.decision.set_verdict(v1::VERDICT_ALLOW);
      std::move(parts->done)(std::move(whole));
    });
  }
}

void Decider::DecideOne(const v1::FriendshipEvent& event, std::string_view vendor_label,
                        std::string_view command_label, absl::Time deadline,
                        const FailurePolicy& failure, DecideDone done) {
  const absl::Time start = absl::Now();
  // What a fallback needs, so that the event itself need not be kept.
  const bool deny = event.phase() == v1::PHASE_BEFORE && failure.Denies(event.vendor_command());
  // An after-event is alive until `done` runs (its owner holds it), so a
  // failed one can still be spooled from the callback.
  const v1::FriendshipEvent* to_spool =
      event.phase() == v1::PHASE_AFTER && spool_ != nullptr ? &event : nullptr;
  client_->Decide(event, deadline,
                  [this, start, deny, to_spool, asked = &event, event_id = event.event_id(),
                   vendor_label, command_label, &failure,
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
                    // User ids as log.user_ids says (a keyed hash by default).
                    std::string actor, to_user;
                    if (user_ids_ != nullptr) {
                      actor = user_ids_->Format(asked->actor());
                      if (asked->relations_size() > 0) {
                        to_user = user_ids_->Format(asked->relations(0).to_user());
                      }
                    }
                    log::Warn("policy service did not decide; applied the failure mode",
                              {{"event_id", event_id},
                               {"actor", actor},
                               {"to_user", to_user},
                               {"relations", asked->relations_size()},
                               {"vendor", vendor_label},
                               {"command", command_label},
                               {"reason", reason},
                               {"action", action},
                               {"error", std::string(decision.status().message())}});
                    // A message too large would be too large on every retry.
                    if (to_spool != nullptr && reason != "message_too_large")
                      spool_->Add(*to_spool);
                    std::move(done)(std::move(result));
                  });
}

}  // namespace friendgate::gateway
