#include "tools/conformance/conformance.h"

#include <grpcpp/client_context.h>

#include <algorithm>
#include <set>
#include <utility>

#include "common/ids.h"
#include "common/strings.h"
#include "friendgate/v1/policy_service.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace friendgate::conformance {
namespace {

namespace v1 = ::friendgate::v1;
using Clock = std::chrono::steady_clock;

// The vendors' refusal code ranges (docs/api.md, Reason.vendor_code).
constexpr int32_t kTencentMin = 38000;
constexpr int32_t kTencentMax = 39000;
constexpr int32_t kOpenImMin = 20001;
constexpr int32_t kOpenImMax = 29999;
constexpr int kBatchSize = 3;

absl::Status FromGrpc(const grpc::Status& status, std::string_view what) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      StrCat(what, ": ", status.error_message()));
}

void SetDeadline(grpc::ClientContext& context, std::chrono::milliseconds deadline) {
  context.set_deadline(std::chrono::system_clock::now() + deadline);
}

v1::FriendshipEvent MakeEvent(v1::Vendor vendor, v1::EventType type, v1::Phase phase,
                              const std::string& command, const std::string& from,
                              const std::vector<std::string>& to) {
  v1::FriendshipEvent event;
  event.set_event_id(NewId());
  event.set_vendor(vendor);
  event.set_tenant(vendor == v1::VENDOR_TENCENT ? "1400000000" : "conformance");
  event.set_type(type);
  event.set_phase(phase);
  event.set_vendor_command(command);
  event.set_actor(from);
  for (const std::string& user : to) {
    v1::Relation* relation = event.add_relations();
    relation->set_from_user(from);
    relation->set_to_user(user);
  }
  return event;
}

absl::Status CheckCode(const v1::FriendshipEvent& event, const v1::Reason& reason,
                       std::string_view where) {
  const int32_t code = reason.vendor_code();
  const bool tencent = event.vendor() == v1::VENDOR_TENCENT;
  const int32_t min = tencent ? kTencentMin : kOpenImMin;
  const int32_t max = tencent ? kTencentMax : kOpenImMax;
  if (code == 0 || (code >= min && code <= max)) return absl::OkStatus();
  return absl::FailedPreconditionError(StrCat(
      where, ".reason.vendor_code ", code, " is outside the ", tencent ? "Tencent" : "OpenIM",
      " refusal range [", min, ", ", max, "] (0 means: the gateway's default)"));
}

// Everything the gateway relies on in one decision for `event`.
absl::Status CheckDecision(const v1::FriendshipEvent& event, const v1::Decision& decision) {
  if (decision.event_id() != event.event_id()) {
    return absl::FailedPreconditionError(StrCat("event_id is \"", decision.event_id(),
                                                "\", expected the event's \"", event.event_id(),
                                                "\""));
  }
  if (decision.decision_id().empty()) {
    return absl::FailedPreconditionError("decision_id is empty");
  }
  if (decision.verdict() == v1::VERDICT_REFUSE) {
    if (absl::Status s = CheckCode(event, decision.reason(), "decision"); !s.ok()) return s;
  }
  std::vector<bool> seen(event.relations_size(), false);
  for (int i = 0; i < decision.targets_size(); ++i) {
    const v1::TargetVerdict& target = decision.targets(i);
    const std::string where = StrCat("targets[", i, "]");
    const int index = target.relation_index();
    if (index < 0 || index >= event.relations_size()) {
      return absl::FailedPreconditionError(StrCat(where, ".relation_index ", index,
                                                  " is not an index of the event's ",
                                                  event.relations_size(), " relations"));
    }
    if (seen[index]) {
      return absl::FailedPreconditionError(
          StrCat(where, ": a second verdict for relation ", index));
    }
    seen[index] = true;
    if (target.to_user() != event.relations(index).to_user()) {
      return absl::FailedPreconditionError(StrCat(where, ".to_user is \"", target.to_user(),
                                                  "\", relation ", index, " is to \"",
                                                  event.relations(index).to_user(), "\""));
    }
    if (target.verdict() == v1::VERDICT_REFUSE) {
      if (absl::Status s = CheckCode(event, target.reason(), where); !s.ok()) return s;
    }
  }
  if (decision.has_mutation()) {
    const v1::Mutation& mutation = decision.mutation();
    const bool openim_before =
        event.vendor() == v1::VENDOR_OPENIM && event.phase() == v1::PHASE_BEFORE;
    if (mutation.has_remark() &&
        !(openim_before && event.type() == v1::EVENT_TYPE_FRIEND_REMARK_SET)) {
      return absl::FailedPreconditionError(
          "mutation.remark is set, but only an OpenIM FRIEND_REMARK_SET event before the "
          "operation can change the remark");
    }
    if (mutation.has_friend_user_ids()) {
      if (!(openim_before && event.type() == v1::EVENT_TYPE_FRIENDS_IMPORTED)) {
        return absl::FailedPreconditionError(
            "mutation.friend_user_ids is set, but only an OpenIM FRIENDS_IMPORTED event before "
            "the operation can change the list");
      }
      std::set<std::string> sent;
      for (const v1::Relation& relation : event.relations()) sent.insert(relation.to_user());
      for (const std::string& user : mutation.friend_user_ids().user_ids()) {
        if (sent.count(user) == 0) {
          return absl::FailedPreconditionError(StrCat("mutation.friend_user_ids adds \"", user,
                                                      "\", who is not in the imported list"));
        }
      }
    }
  }
  return absl::OkStatus();
}

bool RelationRefused(const v1::Decision& decision, int index) {
  for (const v1::TargetVerdict& target : decision.targets()) {
    if (target.relation_index() == index) return target.verdict() == v1::VERDICT_REFUSE;
  }
  return decision.verdict() == v1::VERDICT_REFUSE;  // no target verdict: the overall one
}

class Checker {
 public:
  Checker(const std::shared_ptr<grpc::Channel>& channel, Options options)
      : policy_(v1::PolicyService::NewStub(channel)),
        health_(grpc::health::v1::Health::NewStub(channel)),
        options_(std::move(options)) {}

  absl::Status Decide(const v1::FriendshipEvent& event, v1::Decision* decision) {
    grpc::ClientContext context;
    SetDeadline(context, options_.deadline);
    v1::DecideRequest request;
    *request.mutable_event() = event;
    return FromGrpc(policy_->Decide(&context, request, decision), "Decide");
  }

  // Decide, then every invariant of the answer.
  absl::Status DecideAndCheck(const v1::FriendshipEvent& event, v1::Decision* decision) {
    if (absl::Status s = Decide(event, decision); !s.ok()) return s;
    return CheckDecision(event, *decision);
  }

  std::string Innocent(int n) const { return StrCat("conformance-user-", n); }
  std::string Refused(int n) const {
    return options_.refuse_user.empty() ? Innocent(n) : options_.refuse_user;
  }

  CheckResult Health() {
    grpc::ClientContext context;
    SetDeadline(context, options_.deadline);
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    absl::Status status =
        FromGrpc(health_->Check(&context, request, &response), "grpc.health.v1.Health/Check(\"\")");
    if (status.ok() && response.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
      status = absl::FailedPreconditionError(
          StrCat("Health/Check(\"\") answered ",
                 grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status()),
                 ", expected SERVING (the gateway's /readyz follows it)"));
    }
    return {"health", status, ""};
  }

  CheckResult Tencent() {
    // Tencent decides per target: the refused user sits between two others.
    v1::FriendshipEvent event =
        MakeEvent(v1::VENDOR_TENCENT, v1::EVENT_TYPE_FRIEND_REQUEST, v1::PHASE_BEFORE,
                  "Sns.CallbackPrevFriendAdd", Innocent(0), {Innocent(1), Refused(2), Innocent(3)});
    v1::Decision decision;
    absl::Status status = DecideAndCheck(event, &decision);
    if (status.ok() && !options_.refuse_user.empty() && !RelationRefused(decision, 1)) {
      status = absl::FailedPreconditionError(
          StrCat("relation 1 (to \"", options_.refuse_user, "\", --refuse-user) was not refused"));
    }
    return {"decide_tencent_per_target", status, ""};
  }

  CheckResult OpenIm() {
    v1::FriendshipEvent event =
        MakeEvent(v1::VENDOR_OPENIM, v1::EVENT_TYPE_FRIEND_REQUEST, v1::PHASE_BEFORE,
                  "callbackBeforeAddFriendCommand", Innocent(0), {Refused(1)});
    v1::Decision decision;
    absl::Status status = DecideAndCheck(event, &decision);
    if (status.ok() && !options_.refuse_user.empty() && decision.verdict() != v1::VERDICT_REFUSE) {
      status = absl::FailedPreconditionError(
          StrCat("the OpenIM request to \"", options_.refuse_user,
                 "\" (--refuse-user) was not refused by the overall verdict, which OpenIM reads"));
    }
    return {"decide_openim", status, ""};
  }

  CheckResult Mutations() {
    const std::vector<v1::FriendshipEvent> events = {
        MakeEvent(v1::VENDOR_OPENIM, v1::EVENT_TYPE_FRIENDS_IMPORTED, v1::PHASE_BEFORE,
                  "callbackBeforeImportFriendsCommand", Innocent(0),
                  {Innocent(1), Refused(2), Innocent(3)}),
        MakeEvent(v1::VENDOR_OPENIM, v1::EVENT_TYPE_FRIEND_REMARK_SET, v1::PHASE_BEFORE,
                  "callbackBeforeSetFriendRemarkCommand", Innocent(0), {Innocent(1)}),
        MakeEvent(v1::VENDOR_OPENIM, v1::EVENT_TYPE_FRIENDS_IMPORTED, v1::PHASE_AFTER,
                  "callbackAfterImportFriendsCommand", Refused(0), {Innocent(1), Refused(2)}),
        MakeEvent(v1::VENDOR_TENCENT, v1::EVENT_TYPE_FRIENDS_IMPORTED, v1::PHASE_BEFORE,
                  "Sns.CallbackPrevFriendImport", Innocent(0), {Innocent(1), Refused(2)}),
        MakeEvent(v1::VENDOR_TENCENT, v1::EVENT_TYPE_FRIEND_ADDED, v1::PHASE_AFTER,
                  "Sns.CallbackFriendAdd", Refused(0), {Innocent(1)}),
    };
    for (const v1::FriendshipEvent& event : events) {
      v1::Decision decision;
      if (absl::Status s = DecideAndCheck(event, &decision); !s.ok()) {
        return {"mutation_only_where_allowed",
                absl::Status(s.code(), StrCat(event.vendor_command(), ": ", s.message())), ""};
      }
    }
    return {"mutation_only_where_allowed", absl::OkStatus(), ""};
  }

  CheckResult InvalidEvent() {
    v1::FriendshipEvent event =
        MakeEvent(v1::VENDOR_TENCENT, v1::EVENT_TYPE_UNSPECIFIED, v1::PHASE_BEFORE,
                  "Sns.CallbackPrevFriendAdd", Innocent(0), {Innocent(1)});
    v1::Decision decision;
    absl::Status status = Decide(event, &decision);
    if (status.ok()) {
      status = absl::FailedPreconditionError(
          "Decide accepted an event without a type; expected INVALID_ARGUMENT");
    } else if (status.code() == absl::StatusCode::kInvalidArgument) {
      status = absl::OkStatus();
    } else {
      status = absl::FailedPreconditionError(
          StrCat("an event without a type got ", absl::StatusCodeToString(status.code()),
                 ", expected INVALID_ARGUMENT (", status.message(), ")"));
    }
    return {"decide_invalid_event", status, ""};
  }

  CheckResult Batch() {
    v1::DecideBatchRequest request;
    for (int i = 0; i < kBatchSize; ++i) {
      *request.add_events() = MakeEvent(i % 2 == 0 ? v1::VENDOR_TENCENT : v1::VENDOR_OPENIM,
                                        v1::EVENT_TYPE_FRIEND_REQUEST, v1::PHASE_BEFORE, "batch",
                                        Innocent(10 * i), {Innocent(10 * i + 1), Refused(2)});
    }
    grpc::ClientContext context;
    SetDeadline(context, options_.deadline);
    v1::DecideBatchResponse response;
    const grpc::Status rpc = policy_->DecideBatch(&context, request, &response);
    if (rpc.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      return {"decide_batch", absl::OkStatus(),
              "UNIMPLEMENTED: the gateway uses Decide for every event"};
    }
    if (absl::Status s = FromGrpc(rpc, "DecideBatch"); !s.ok()) return {"decide_batch", s, ""};
    if (response.decisions_size() != kBatchSize) {
      return {
          "decide_batch",
          absl::FailedPreconditionError(StrCat("DecideBatch of ", kBatchSize, " events answered ",
                                               response.decisions_size(), " decisions")),
          ""};
    }
    for (int i = 0; i < kBatchSize; ++i) {
      if (absl::Status s = CheckDecision(request.events(i), response.decisions(i)); !s.ok()) {
        return {"decide_batch",
                absl::Status(s.code(), StrCat("decisions[", i, "] (answers events[", i,
                                              "], in request order): ", s.message())),
                ""};
      }
    }
    return {"decide_batch", absl::OkStatus(), ""};
  }

  CheckResult Deadlines() {
    constexpr int kCalls = 5;
    Clock::duration slowest{};
    for (int i = 0; i < kCalls; ++i) {
      v1::FriendshipEvent event =
          MakeEvent(v1::VENDOR_TENCENT, v1::EVENT_TYPE_FRIEND_REQUEST, v1::PHASE_BEFORE,
                    "Sns.CallbackPrevFriendAdd", Innocent(0), {Innocent(i + 1)});
      v1::Decision decision;
      const Clock::time_point start = Clock::now();
      absl::Status status = Decide(event, &decision);
      slowest = std::max(slowest, Clock::now() - start);
      if (!status.ok()) {
        return {"deadlines",
                absl::Status(status.code(),
                             StrCat("call ", i + 1, " of ", kCalls, " within a ",
                                    options_.deadline.count(), " ms deadline: ", status.message())),
                ""};
      }
    }
    return {"deadlines", absl::OkStatus(),
            StrCat(kCalls, " calls, each within ", options_.deadline.count(), " ms; slowest ",
                   std::chrono::duration_cast<std::chrono::milliseconds>(slowest).count(), " ms")};
  }

 private:
  std::unique_ptr<v1::PolicyService::Stub> policy_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
  Options options_;
};

}  // namespace

std::vector<CheckResult> RunChecks(const std::shared_ptr<grpc::Channel>& channel,
                                   const Options& options) {
  Checker checker(channel, options);
  return {checker.Health(),       checker.Tencent(), checker.OpenIm(),   checker.Mutations(),
          checker.InvalidEvent(), checker.Batch(),   checker.Deadlines()};
}

}  // namespace friendgate::conformance
