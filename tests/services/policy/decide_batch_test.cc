// PolicyService.DecideBatch on the assembled policy service (real gRPC on a
// free port, examples/rules.yaml): the same decisions as Decide, in order,
// seen by observers once each; the contract's limits and errors.

#include <grpcpp/grpcpp.h>

#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "friendgate/v1/policy_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "services/policy/policy_server.h"

namespace friendgate::policy {
namespace {

using ::testing::HasSubstr;

v1::FriendshipEvent Event(std::string id, v1::Vendor vendor, v1::EventType type, v1::Phase phase,
                          const std::string& from, const std::vector<std::string>& to) {
  v1::FriendshipEvent e;
  e.set_event_id(std::move(id));
  e.set_vendor(vendor);
  e.set_tenant(vendor == v1::VENDOR_TENCENT ? "1400000000" : "openim");
  e.set_type(type);
  e.set_phase(phase);
  e.set_actor(from);
  for (const std::string& user : to) {
    v1::Relation* r = e.add_relations();
    r->set_from_user(from);
    r->set_to_user(user);
  }
  return e;
}

// One event of each kind examples/rules.yaml treats differently.
std::vector<v1::FriendshipEvent> ExampleEvents() {
  std::vector<v1::FriendshipEvent> events;
  events.push_back(Event("ev-0", v1::VENDOR_TENCENT, v1::EVENT_TYPE_FRIEND_REQUEST,
                         v1::PHASE_BEFORE, "alice", {"bob", "blocked_user"}));
  events.push_back(Event("ev-1", v1::VENDOR_OPENIM, v1::EVENT_TYPE_FRIEND_RESPONSE,
                         v1::PHASE_BEFORE, "blocked_user", {"carol"}));
  events.push_back(Event("ev-2", v1::VENDOR_TENCENT, v1::EVENT_TYPE_FRIEND_DELETED, v1::PHASE_AFTER,
                         "alice", {"bob"}));
  events.push_back(Event("ev-3", v1::VENDOR_OPENIM, v1::EVENT_TYPE_FRIENDS_IMPORTED,
                         v1::PHASE_BEFORE, "user123",
                         {"user456", "banned_import_example", "user789"}));
  v1::FriendshipEvent remark = Event("ev-4", v1::VENDOR_OPENIM, v1::EVENT_TYPE_FRIEND_REMARK_SET,
                                     v1::PHASE_BEFORE, "user123", {"user456"});
  remark.mutable_relations(0)->set_remark("the examplesl_ur guy");
  events.push_back(remark);
  v1::FriendshipEvent spam = Event("ev-5", v1::VENDOR_TENCENT, v1::EVENT_TYPE_FRIEND_REQUEST,
                                   v1::PHASE_BEFORE, "dave", {"erin"});
  spam.mutable_relations(0)->set_wording("want to BUY FOLLOWERS?");
  events.push_back(spam);
  events.push_back(Event("ev-6", v1::VENDOR_TENCENT, v1::EVENT_TYPE_FRIEND_REQUEST,
                         v1::PHASE_BEFORE, "friendgate_admin", {"blocked_user"}));
  return events;
}

class RecordingObserver : public DecisionObserver {
 public:
  void OnDecided(const v1::FriendshipEvent& event, const v1::Decision& decision) override {
    absl::MutexLock lock(&mu_);
    seen_.emplace_back(event.event_id(), decision.decision_id());
  }
  std::vector<std::pair<std::string, std::string>> seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::pair<std::string, std::string>> seen_ ABSL_GUARDED_BY(mu_);
};

// Parameter: PolicyServer::Options::decide_threads (0: inline on gRPC's
// threads; else a pool, as with a remote store, a batch's events decided
// concurrently).
class DecideBatchTest : public ::testing::TestWithParam<size_t> {
 protected:
  void SetUp() override {
    PolicyServer::Options options;
    options.rules_path = std::string(FRIENDGATE_SOURCE_DIR) + "/examples/rules.yaml";
    options.decision_log = "off";
    options.rules_poll = absl::ZeroDuration();
    options.observers = {&observer_};
    options.decide_threads = GetParam();
    auto server = PolicyServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    stub_ = v1::PolicyService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_->grpc_port()), grpc::InsecureChannelCredentials()));
  }

  grpc::Status DecideBatch(const std::vector<v1::FriendshipEvent>& events,
                           v1::DecideBatchResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    v1::DecideBatchRequest request;
    for (const v1::FriendshipEvent& e : events) *request.add_events() = e;
    return stub_->DecideBatch(&context, request, response);
  }

  v1::Decision Decide(const v1::FriendshipEvent& event) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    v1::DecideRequest request;
    *request.mutable_event() = event;
    v1::Decision decision;
    const grpc::Status status = stub_->Decide(&context, request, &decision);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return decision;
  }

  RecordingObserver observer_;
  std::unique_ptr<PolicyServer> server_;
  std::unique_ptr<v1::PolicyService::Stub> stub_;
};

TEST_P(DecideBatchTest, AnswersInOrderWithTheDecisionsOfDecide) {
  const std::vector<v1::FriendshipEvent> events = ExampleEvents();
  v1::DecideBatchResponse response;
  const grpc::Status status = DecideBatch(events, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.decisions_size(), static_cast<int>(events.size()));

  // Each event decided once, seen by the observers like Decide: in order
  // when decided inline, in any order when a pool decides them concurrently.
  auto seen = observer_.seen();
  ASSERT_EQ(seen.size(), events.size());
  if (GetParam() > 0) {
    std::map<std::string, std::string> by_event(seen.begin(), seen.end());
    ASSERT_EQ(by_event.size(), events.size());
    for (size_t i = 0; i < events.size(); ++i) seen[i] = *by_event.find(events[i].event_id());
  }
  for (size_t i = 0; i < events.size(); ++i) {
    const v1::Decision& batched = response.decisions(static_cast<int>(i));
    EXPECT_EQ(batched.event_id(), events[i].event_id());
    EXPECT_EQ(seen[i].first, events[i].event_id());
    EXPECT_EQ(seen[i].second, batched.decision_id());
    EXPECT_EQ(batched.decision_id().size(), 32u);
    // Decide on the same event: the same decision but for its fresh id. (An
    // after-event's id is its identity: the same id again is a gateway's
    // retry, not decided twice; so the after-event gets a new id here.)
    v1::FriendshipEvent again = events[i];
    if (again.phase() == v1::PHASE_AFTER) again.set_event_id(again.event_id() + "-again");
    v1::Decision single = Decide(again);
    EXPECT_NE(single.decision_id(), batched.decision_id());
    single.clear_decision_id();
    single.clear_event_id();
    v1::Decision batched_without_id = batched;
    batched_without_id.clear_decision_id();
    batched_without_id.clear_event_id();
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(batched_without_id, single))
        << i << ": batch " << batched_without_id.ShortDebugString() << "\nDecide "
        << single.ShortDebugString();
  }
  // What examples/rules.yaml promises for these events.
  EXPECT_EQ(response.decisions(0).verdict(), v1::VERDICT_REFUSE);
  EXPECT_EQ(response.decisions(0).targets(0).verdict(), v1::VERDICT_ALLOW);
  EXPECT_EQ(response.decisions(0).targets(1).verdict(), v1::VERDICT_REFUSE);
  EXPECT_EQ(response.decisions(0).targets(1).reason().vendor_code(), 38100);
  EXPECT_EQ(response.decisions(1).verdict(), v1::VERDICT_REFUSE);
  EXPECT_EQ(response.decisions(2).verdict(), v1::VERDICT_ALLOW);
  EXPECT_THAT(response.decisions(3).mutation().friend_user_ids().user_ids(),
              ::testing::ElementsAre("user456", "user789"));
  EXPECT_EQ(response.decisions(4).mutation().remark(), "the ************ guy");
  EXPECT_TRUE(response.decisions(5).dry_run());
  EXPECT_EQ(response.decisions(6).verdict(), v1::VERDICT_ALLOW);
}

TEST_P(DecideBatchTest, EmptyBatchIsOkWithNoDecisions) {
  v1::DecideBatchResponse response;
  const grpc::Status status = DecideBatch({}, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.decisions_size(), 0);
  EXPECT_TRUE(observer_.seen().empty());
}

TEST_P(DecideBatchTest, AtMostAThousandEvents) {
  std::vector<v1::FriendshipEvent> events;
  for (int i = 0; i < 1001; ++i) {
    events.push_back(Event("ev-" + std::to_string(i), v1::VENDOR_TENCENT,
                           v1::EVENT_TYPE_FRIEND_DELETED, v1::PHASE_AFTER, "alice",
                           {"u" + std::to_string(i)}));
  }
  v1::DecideBatchResponse response;
  const grpc::Status refused = DecideBatch(events, &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("1000"));
  EXPECT_TRUE(observer_.seen().empty());

  events.pop_back();
  const grpc::Status status = DecideBatch(events, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.decisions_size(), 1000);
  EXPECT_EQ(response.decisions(999).event_id(), "ev-999");
  EXPECT_EQ(observer_.seen().size(), 1000u);
}

TEST_P(DecideBatchTest, AnInvalidEventRefusesTheWholeBatchNamingItsIndex) {
  std::vector<v1::FriendshipEvent> events = ExampleEvents();
  events[3].clear_type();
  v1::DecideBatchResponse response;
  grpc::Status status = DecideBatch(events, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("events[3]"));

  events = ExampleEvents();
  events[0].clear_phase();
  status = DecideBatch(events, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("events[0]"));
  // Nothing of either batch was decided.
  EXPECT_TRUE(observer_.seen().empty());
}

TEST_P(DecideBatchTest, AnAfterEventSentAgainWithItsIdIsNotDecidedTwice) {
  std::vector<v1::FriendshipEvent> after;
  for (const v1::FriendshipEvent& e : ExampleEvents()) {
    if (e.phase() == v1::PHASE_AFTER) after.push_back(e);
  }
  ASSERT_FALSE(after.empty());
  v1::DecideBatchResponse first, retry;
  ASSERT_TRUE(DecideBatch(after, &first).ok());
  // A gateway's retry (its answer was lost): the same events, the same ids.
  ASSERT_TRUE(DecideBatch(after, &retry).ok());
  ASSERT_EQ(retry.decisions_size(), static_cast<int>(after.size()));
  for (int i = 0; i < retry.decisions_size(); ++i) {
    EXPECT_EQ(retry.decisions(i).event_id(), after[i].event_id());
    EXPECT_EQ(retry.decisions(i).verdict(), v1::VERDICT_ALLOW);
    EXPECT_EQ(retry.decisions(i).decision_id().size(), 32u);
  }
  // Decided (and seen by the observers) once each.
  EXPECT_EQ(observer_.seen().size(), after.size());
  // A before-event is decided every time it is asked.
  const v1::FriendshipEvent before = ExampleEvents()[0];
  ASSERT_EQ(before.phase(), v1::PHASE_BEFORE);
  Decide(before);
  Decide(before);
  EXPECT_EQ(observer_.seen().size(), after.size() + 2);
}

}  // namespace
// A batch that does not fit in the decide queue is refused whole, at once
// (the gateway applies its failure mode), not queued without bound.
TEST(DecideQueueTest, ABatchLargerThanTheQueueIsRefusedWithResourceExhausted) {
  PolicyServer::Options options;
  options.rules_path = std::string(FRIENDGATE_SOURCE_DIR) + "/examples/rules.yaml";
  options.decision_log = "off";
  options.rules_poll = absl::ZeroDuration();
  options.decide_threads = 1;
  options.decide_queue = 2;
  auto server = PolicyServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = v1::PolicyService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string((*server)->grpc_port()), grpc::InsecureChannelCredentials()));
  v1::DecideBatchRequest request;
  for (const v1::FriendshipEvent& e : ExampleEvents()) *request.add_events() = e;
  ASSERT_GT(request.events_size(), 2);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  v1::DecideBatchResponse response;
  const grpc::Status status = stub->DecideBatch(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_EQ(response.decisions_size(), 0);
  // Two events fit.
  request.mutable_events()->DeleteSubrange(2, request.events_size() - 2);
  grpc::ClientContext again;
  again.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  const grpc::Status ok = stub->DecideBatch(&again, request, &response);
  EXPECT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_EQ(response.decisions_size(), 2);
}

INSTANTIATE_TEST_SUITE_P(InlineAndPool, DecideBatchTest, ::testing::Values(0, 3),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           return info.param == 0 ? std::string("Inline")
                                                  : "Pool" + std::to_string(info.param);
                         });

}  // namespace friendgate::policy
