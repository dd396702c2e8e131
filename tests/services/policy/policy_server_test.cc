// The assembled policy service on a real gRPC port: admin API, reloads (also
// under load), WatchEvents (filters, a stalled watcher, draining), metrics,
// and WatchEvents fed by the real gateway binary.

#include "services/policy/policy_server.h"

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <thread>

#include "absl/time/clock.h"
#include "friendgate/v1/policy_admin.grpc.pb.h"
#include "friendgate/v1/policy_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/support/data.h"
#include "tests/support/http.h"
#include "tests/support/process.h"

namespace friendgate::policy {
namespace {

using ::testing::HasSubstr;

constexpr char kRulesA[] = R"(
rules:
  - id: bl
    events: [friend_request, friend_response]
    blocklist: {users: [blocked_user]}
    refusal: {tencent_code: 38100}
  - id: runtime
    blocklist: {}
    refusal: {tencent_code: 38150}
  - id: requests
    events: [friend_request]
    rate_limit: {limit: 100000, window_seconds: 60}
)";
// Same users blocked, another code: every decision is one of the two.
constexpr char kRulesB[] = R"(
rules:
  - id: bl
    events: [friend_request, friend_response]
    blocklist: {users: [blocked_user]}
    refusal: {tencent_code: 38101}
  - id: runtime
    blocklist: {}
)";
constexpr char kRulesInvalid[] = R"(
rules:
  - id: bl
    blocklist: {userz: [blocked_user]}
)";

std::string MakeTempDir() {
  std::string templ = ::testing::TempDir() + "policysrvXXXXXX";
  return std::string(mkdtemp(templ.data()));
}

// Replaces `path` atomically, as editors and ConfigMaps do.
void WriteFile(const std::string& path, std::string_view text) {
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp, std::ios::trunc) << text;
  ASSERT_EQ(std::rename(tmp.c_str(), path.c_str()), 0);
}

v1::DecideRequest Request(const std::string& to, const std::string& tenant = "1400000000",
                          v1::EventType type = v1::EVENT_TYPE_FRIEND_REQUEST) {
  v1::DecideRequest request;
  v1::FriendshipEvent* e = request.mutable_event();
  e->set_event_id("ev");
  e->set_vendor(v1::VENDOR_TENCENT);
  e->set_tenant(tenant);
  e->set_type(type);
  e->set_phase(v1::PHASE_BEFORE);
  e->set_actor("alice");
  v1::Relation* r = e->add_relations();
  r->set_from_user("alice");
  r->set_to_user(to);
  return request;
}

void SetDeadline(grpc::ClientContext* context, absl::Duration d = absl::Seconds(10)) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + d));
}

class PolicyServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    rules_path_ = dir_ + "/rules.yaml";
    WriteFile(rules_path_, kRulesA);
  }

  void Start(absl::Duration poll = absl::ZeroDuration(), std::string rules_path = "",
             std::vector<DecisionObserver*> observers = {}) {
    PolicyServer::Options options;
    options.observers = std::move(observers);
    options.rules_path = rules_path.empty() ? rules_path_ : rules_path;
    options.metrics_listen = "127.0.0.1:0";
    options.decision_log = dir_ + "/decisions.log";
    options.decision_log_salt = "pepper";
    options.state_file = dir_ + "/state.txtpb";
    options.rules_poll = poll;
    options.recent_decisions = recent_decisions_;
    options.max_watchers = max_watchers_;
    auto server = PolicyServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->grpc_port()),
                                   grpc::InsecureChannelCredentials());
    policy_ = v1::PolicyService::NewStub(channel_);
    admin_ = v1::PolicyAdmin::NewStub(channel_);
  }

  grpc::Status Decide(const v1::DecideRequest& request, v1::Decision* decision) {
    grpc::ClientContext context;
    SetDeadline(&context);
    return policy_->Decide(&context, request, decision);
  }
  v1::Verdict VerdictFor(const std::string& to) {
    v1::Decision d;
    grpc::Status s = Decide(Request(to), &d);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return d.verdict();
  }
  v1::GetRulesResponse GetRules() {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::GetRulesResponse response;
    EXPECT_TRUE(admin_->GetRules(&context, {}, &response).ok());
    return response;
  }
  grpc::Status Reload() {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::ReloadRulesResponse response;
    return admin_->ReloadRules(&context, {}, &response);
  }
  grpc::Status AddEntry(const std::string& list, const std::string& user) {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::AddListEntryRequest request;
    request.set_list(list);
    request.set_user_id(user);
    v1::AddListEntryResponse response;
    return admin_->AddListEntry(&context, request, &response);
  }

  std::string dir_;
  std::string rules_path_;
  size_t recent_decisions_ = 10000;
  size_t max_watchers_ = 1000;
  std::unique_ptr<PolicyServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::PolicyService::Stub> policy_;
  std::unique_ptr<v1::PolicyAdmin::Stub> admin_;
};

TEST_F(PolicyServerTest, DecidesAndLogsWithHashedUsers) {
  Start();
  v1::Decision d;
  ASSERT_TRUE(Decide(Request("blocked_user"), &d).ok());
  EXPECT_EQ(d.verdict(), v1::VERDICT_REFUSE);
  EXPECT_EQ(d.reason().vendor_code(), 38100);
  EXPECT_EQ(d.decision_id().size(), 32u);
  v1::DecideRequest bad = Request("x");
  bad.mutable_event()->clear_type();
  EXPECT_EQ(Decide(bad, &d).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  std::ifstream in(dir_ + "/decisions.log");
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_THAT(line, HasSubstr(R"("log":"decision")"));
  EXPECT_THAT(line, HasSubstr(R"("matched_rule_ids":["bl"])"));
  EXPECT_THAT(line, HasSubstr(R"("verdict":"VERDICT_REFUSE")"));
  EXPECT_THAT(line, HasSubstr(R"("latency_us":)"));
  // HMAC-SHA256("pepper", "blocked_user"), first 16 hex characters.
  EXPECT_THAT(line, HasSubstr(R"("to":"314180070612ce72")"));
  EXPECT_THAT(line, ::testing::Not(HasSubstr("blocked_user")));
}

// What a mutual-delete enforcer registers at wiring time.
class RecordingObserver : public DecisionObserver {
 public:
  void OnDecided(const v1::FriendshipEvent& event, const v1::Decision& decision) override {
    absl::MutexLock lock(&mu_);
    seen_.emplace_back(event.type(), decision.decision_id());
  }
  std::vector<std::pair<v1::EventType, std::string>> seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::pair<v1::EventType, std::string>> seen_ ABSL_GUARDED_BY(mu_);
};

TEST_F(PolicyServerTest, RegisteredObserversSeeEveryDecision) {
  RecordingObserver observer;
  Start(absl::ZeroDuration(), "", {&observer});
  v1::DecideRequest deleted = Request("bob", "1400000000", v1::EVENT_TYPE_FRIEND_DELETED);
  deleted.mutable_event()->set_phase(v1::PHASE_AFTER);
  v1::Decision d1, d2;
  ASSERT_TRUE(Decide(deleted, &d1).ok());
  ASSERT_TRUE(Decide(Request("blocked_user"), &d2).ok());
  const auto seen = observer.seen();  // called before Decide answered
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].first, v1::EVENT_TYPE_FRIEND_DELETED);
  EXPECT_EQ(seen[0].second, d1.decision_id());
  EXPECT_EQ(seen[1].second, d2.decision_id());
}

TEST_F(PolicyServerTest, AdminChangesAreSeenByTheNextDecideAndSurviveRestart) {
  Start();
  EXPECT_EQ(VerdictFor("mallory"), v1::VERDICT_ALLOW);
  ASSERT_TRUE(AddEntry("runtime", "mallory").ok());
  v1::Decision d;
  ASSERT_TRUE(Decide(Request("mallory"), &d).ok());
  EXPECT_EQ(d.verdict(), v1::VERDICT_REFUSE);
  EXPECT_EQ(d.reason().vendor_code(), 38150);

  EXPECT_EQ(AddEntry("nope", "mallory").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(AddEntry("requests", "mallory").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(AddEntry("runtime", "").error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::ListListEntriesRequest request;
    request.set_list("runtime");
    v1::ListListEntriesResponse response;
    ASSERT_TRUE(admin_->ListListEntries(&context, request, &response).ok());
    ASSERT_EQ(response.user_ids_size(), 1);
    EXPECT_EQ(response.user_ids(0), "mallory");
  }
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::GetCounterRequest request;
    request.set_rule_id("requests");
    request.set_tenant("1400000000");
    request.set_event_type(v1::EVENT_TYPE_FRIEND_REQUEST);
    request.set_user_id("alice");
    v1::GetCounterResponse response;
    ASSERT_TRUE(admin_->GetCounter(&context, request, &response).ok());
    EXPECT_EQ(response.count(), 1u);  // the allowed request; refused ones are not counted
    EXPECT_EQ(response.limit(), 100000u);
  }
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::ListRecentDecisionsRequest request;
    v1::ListRecentDecisionsResponse response;
    ASSERT_TRUE(admin_->ListRecentDecisions(&context, request, &response).ok());
    ASSERT_EQ(response.decisions_size(), 2);
    EXPECT_EQ(response.decisions(0).decision().verdict(), v1::VERDICT_REFUSE);  // newest first
    EXPECT_EQ(response.decisions(1).decision().verdict(), v1::VERDICT_ALLOW);
  }
  // The state file keeps the entry across a restart.
  server_.reset();
  Start();
  EXPECT_EQ(VerdictFor("mallory"), v1::VERDICT_REFUSE);
  grpc::ClientContext context;
  SetDeadline(&context);
  v1::RemoveListEntryRequest remove;
  remove.set_list("runtime");
  remove.set_user_id("mallory");
  v1::RemoveListEntryResponse removed;
  ASSERT_TRUE(admin_->RemoveListEntry(&context, remove, &removed).ok());
  EXPECT_TRUE(removed.removed());
  EXPECT_EQ(VerdictFor("mallory"), v1::VERDICT_ALLOW);
}

TEST_F(PolicyServerTest, ReloadValidThenInvalidKeepsTheOldRules) {
  Start();
  const std::string version_a = GetRules().version();
  WriteFile(rules_path_, kRulesB);
  ASSERT_TRUE(Reload().ok());
  v1::GetRulesResponse rules = GetRules();
  EXPECT_NE(rules.version(), version_a);
  EXPECT_EQ(rules.rules_size(), 2);
  EXPECT_EQ(rules.reloads_ok(), 1u);
  v1::Decision d;
  ASSERT_TRUE(Decide(Request("blocked_user"), &d).ok());
  EXPECT_EQ(d.reason().vendor_code(), 38101);

  WriteFile(rules_path_, kRulesInvalid);
  const grpc::Status refused = Reload();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("userz"));
  rules = GetRules();
  EXPECT_EQ(rules.reloads_failed(), 1u);
  EXPECT_THAT(rules.last_reload_error(), HasSubstr("unknown key 'userz'"));
  EXPECT_TRUE(rules.has_last_reload_error_time());
  EXPECT_EQ(rules.rules_size(), 2);  // still B
  ASSERT_TRUE(Decide(Request("blocked_user"), &d).ok());
  EXPECT_EQ(d.reason().vendor_code(), 38101);

  const testing::HttpResult metrics = testing::Get(server_->metrics_port(), "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_THAT(metrics.body,
              HasSubstr(R"(friendgate_policy_rules_reloads_total{result="refused"} 1)"));
  EXPECT_THAT(metrics.body, HasSubstr(R"(friendgate_policy_rules_reloads_total{result="ok"} 1)"));
  EXPECT_THAT(
      metrics.body,
      HasSubstr(
          R"(friendgate_policy_decisions_total{event_type="friend_request",phase="before",verdict="refuse"} 2)"));
  EXPECT_THAT(metrics.body, HasSubstr(R"(friendgate_policy_rule_matches_total{rule="bl"} 2)"));
  EXPECT_THAT(metrics.body, HasSubstr("friendgate_policy_decide_seconds_bucket"));
}

// A Kubernetes ConfigMap volume: rules.yaml -> ..data/rules.yaml, and an
// update swaps the ..data symlink to a new directory.
TEST_F(PolicyServerTest, FileWatchSeesAConfigMapSymlinkSwap) {
  ASSERT_EQ(mkdir((dir_ + "/..v1").c_str(), 0700), 0);
  ASSERT_EQ(mkdir((dir_ + "/..v2").c_str(), 0700), 0);
  WriteFile(dir_ + "/..v1/cm.yaml", kRulesA);
  WriteFile(dir_ + "/..v2/cm.yaml", kRulesB);
  ASSERT_EQ(symlink("..v1", (dir_ + "/..data").c_str()), 0);
  ASSERT_EQ(symlink("..data/cm.yaml", (dir_ + "/cm.yaml").c_str()), 0);
  Start(absl::Milliseconds(20), dir_ + "/cm.yaml");
  const std::string version_a = GetRules().version();
  ASSERT_EQ(symlink("..v2", (dir_ + "/..data_tmp").c_str()), 0);
  ASSERT_EQ(std::rename((dir_ + "/..data_tmp").c_str(), (dir_ + "/..data").c_str()), 0);
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (GetRules().version() == version_a && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));  // polling with a deadline
  }
  EXPECT_NE(GetRules().version(), version_a);
  EXPECT_EQ(GetRules().rules_size(), 2);
}

TEST_F(PolicyServerTest, ReloadsUnderLoadFailNoCall) {
  Start(absl::Milliseconds(5));
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0}, wrong{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      auto stub = v1::PolicyService::NewStub(channel_);
      while (!stop.load()) {
        grpc::ClientContext context;
        SetDeadline(&context);
        v1::Decision d;
        const grpc::Status s = stub->Decide(&context, Request("blocked_user"), &d);
        if (!s.ok()) {
          failed.fetch_add(1);
        } else if (d.verdict() != v1::VERDICT_REFUSE ||
                   (d.reason().vendor_code() != 38100 && d.reason().vendor_code() != 38101)) {
          wrong.fetch_add(1);
        } else {
          ok.fetch_add(1);
        }
      }
    });
  }
  // Valid A, valid B, invalid, through the admin API and the file watcher.
  for (int i = 0; i < 30; ++i) {
    WriteFile(rules_path_, i % 3 == 0 ? kRulesA : i % 3 == 1 ? kRulesB : kRulesInvalid);
    (void)Reload();
  }
  // Let the load run until a few hundred calls overlapped the reloads.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (ok.load() < 500 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  stop = true;
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GE(ok.load(), 500);
  const v1::GetRulesResponse rules = GetRules();
  EXPECT_GE(rules.reloads_ok(), 20u);
  EXPECT_GE(rules.reloads_failed(), 10u);
}

// Reads a WatchEvents stream on a thread of its own.
class Watcher {
 public:
  Watcher(v1::PolicyAdmin::Stub* admin, v1::WatchEventsRequest request, bool read = true) {
    context_.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(120)));
    reader_ = admin->WatchEvents(&context_, request);
    reader_->WaitForInitialMetadata();  // registered: every later event is ours
    if (read) StartReading();
  }
  ~Watcher() {
    context_.TryCancel();
    if (!thread_.joinable()) StartReading();  // to Finish the call
    thread_.join();
  }
  void StartReading() {
    thread_ = std::thread([this] {
      v1::WatchEventsResponse item;
      while (reader_->Read(&item)) {
        absl::MutexLock lock(&mu_);
        if (item.has_dropped()) {
          dropped_ += item.dropped().count();
        } else {
          events_.push_back(item.event());
        }
      }
      grpc::Status s = reader_->Finish();
      absl::MutexLock lock(&mu_);
      done_ = true;
      status_ = s;
    });
  }
  // Waits until `n` events arrived (or `dropped` reports), with a deadline.
  bool WaitFor(size_t n, bool want_dropped = false) {
    absl::MutexLock lock(&mu_);
    auto ready = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return events_.size() >= n && (!want_dropped || dropped_ > 0);
    };
    return mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Seconds(60));
  }
  bool WaitDone() {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&done_), absl::Seconds(30));
  }
  std::vector<v1::DecidedEvent> events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  uint64_t dropped() {
    absl::MutexLock lock(&mu_);
    return dropped_;
  }
  grpc::Status status() {
    absl::MutexLock lock(&mu_);
    return status_;
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::WatchEventsResponse>> reader_;
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<v1::DecidedEvent> events_ ABSL_GUARDED_BY(mu_);
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

TEST_F(PolicyServerTest, WatchEventsFiltersByTenantAndType) {
  Start();
  v1::WatchEventsRequest request;
  request.add_tenants("t1");
  request.add_event_types(v1::EVENT_TYPE_FRIEND_RESPONSE);
  Watcher filtered(admin_.get(), request);
  Watcher all(admin_.get(), {});
  v1::Decision d;
  ASSERT_TRUE(Decide(Request("a", "t2", v1::EVENT_TYPE_FRIEND_RESPONSE), &d).ok());
  ASSERT_TRUE(Decide(Request("b", "t1", v1::EVENT_TYPE_FRIEND_REQUEST), &d).ok());
  ASSERT_TRUE(Decide(Request("blocked_user", "t1", v1::EVENT_TYPE_FRIEND_RESPONSE), &d).ok());
  ASSERT_TRUE(all.WaitFor(3));
  ASSERT_TRUE(filtered.WaitFor(1));
  const auto events = filtered.events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event().relations(0).to_user(), "blocked_user");
  EXPECT_EQ(events[0].decision().verdict(), v1::VERDICT_REFUSE);
  EXPECT_EQ(events[0].decision().decision_id(), d.decision_id());
  EXPECT_TRUE(events[0].has_decided_time());
  EXPECT_EQ(all.events().size(), 3u);
}

TEST_F(PolicyServerTest, StalledWatcherDoesNotBlockDecisionsOrOtherWatchers) {
  Start();
  v1::WatchEventsRequest small;
  small.set_buffer_size(2);
  // The stalled client gets a small HTTP/2 window, so the server's writes
  // to it block after a few events instead of filling client buffers.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 16384);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto stalled_channel =
      grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(server_->grpc_port()),
                                grpc::InsecureChannelCredentials(), args);
  auto stalled_admin = v1::PolicyAdmin::NewStub(stalled_channel);
  Watcher stalled(stalled_admin.get(), small, /*read=*/false);
  // The healthy watcher may lag by all the events (the writer thread yields
  // to the deciding threads on a busy machine, so it can fall behind while
  // decisions run flat out; it must then catch up, losing nothing).
  v1::WatchEventsRequest unhurried;
  unhurried.set_buffer_size(10000);
  Watcher healthy(admin_.get(), unhurried);
  // Enough events (with long payloads) to fill the stalled stream's HTTP/2
  // window and then its 2-slot buffer many times over.
  constexpr int kEvents = 3000;
  const std::string padding(1000, 'p');
  for (int i = 0; i < kEvents; ++i) {
    v1::DecideRequest request = Request("u" + std::to_string(i));
    request.mutable_event()->mutable_relations(0)->set_wording(padding);
    v1::Decision d;
    ASSERT_TRUE(Decide(request, &d).ok()) << i;
  }
  ASSERT_TRUE(healthy.WaitFor(kEvents))
      << healthy.events().size() << " dropped " << healthy.dropped();
  EXPECT_EQ(healthy.events().size(), static_cast<size_t>(kEvents));
  EXPECT_EQ(healthy.dropped(), 0u);
  // The stalled watcher, reading at last, is told what it missed.
  stalled.StartReading();
  ASSERT_TRUE(stalled.WaitFor(1, /*want_dropped=*/true))
      << "events " << stalled.events().size() << " dropped " << stalled.dropped();
  EXPECT_GT(stalled.dropped(), 0u);
  EXPECT_LT(stalled.events().size(), static_cast<size_t>(kEvents));
  EXPECT_THAT(testing::Get(server_->metrics_port(), "/metrics").body,
              HasSubstr("friendgate_policy_watch_dropped_total"));
}

TEST_F(PolicyServerTest, DrainEndsWatchStreamsAndReportsNotServing) {
  Start();
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext health_context;
  SetDeadline(&health_context, absl::Seconds(60));
  auto statuses = health->Watch(&health_context, {});
  grpc::health::v1::HealthCheckResponse status;
  ASSERT_TRUE(statuses->Read(&status));
  EXPECT_EQ(status.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  Watcher watcher(admin_.get(), {});
  std::thread drain([&] { server_->Drain(absl::Seconds(5)); });
  ASSERT_TRUE(statuses->Read(&status));
  EXPECT_EQ(status.status(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  ASSERT_TRUE(watcher.WaitDone());
  EXPECT_EQ(watcher.status().error_code(), grpc::StatusCode::UNAVAILABLE);
  health_context.TryCancel();
  drain.join();
}

// Every delivered event carries its position; a stream that starts after a
// position gets exactly the events decided after it, and
// ListRecentDecisions reads the same log.
TEST_F(PolicyServerTest, WatchEventsResumesAfterAPosition) {
  Start();
  std::string last;
  {
    Watcher first(admin_.get(), {});
    v1::Decision d;
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(Decide(Request("a" + std::to_string(i)), &d).ok());
    ASSERT_TRUE(first.WaitFor(3));
    const auto events = first.events();
    EXPECT_NE(events[0].position(), events[1].position());
    last = events[2].position();
    ASSERT_FALSE(last.empty());
  }
  v1::Decision d;
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(Decide(Request("b" + std::to_string(i)), &d).ok());
  v1::WatchEventsRequest resume;
  resume.set_start_after(last);
  Watcher second(admin_.get(), resume);
  ASSERT_TRUE(second.WaitFor(2));
  ASSERT_TRUE(Decide(Request("c0"), &d).ok());
  ASSERT_TRUE(second.WaitFor(3));
  const auto events = second.events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].event().relations(0).to_user(), "b0");
  EXPECT_EQ(events[1].event().relations(0).to_user(), "b1");
  EXPECT_EQ(events[2].event().relations(0).to_user(), "c0");
  EXPECT_EQ(second.dropped(), 0u);

  grpc::ClientContext context;
  SetDeadline(&context);
  v1::ListRecentDecisionsRequest request;
  request.set_limit(2);
  v1::ListRecentDecisionsResponse recent;
  ASSERT_TRUE(admin_->ListRecentDecisions(&context, request, &recent).ok());
  ASSERT_EQ(recent.decisions_size(), 2);
  EXPECT_EQ(recent.decisions(0).position(), events[2].position());
  EXPECT_EQ(recent.decisions(1).position(), events[1].position());
}

// Resuming after a position the log has trimmed: one `dropped` item with
// the number of events lost, then everything the log still holds.
TEST_F(PolicyServerTest, WatchEventsResumeAfterTrimmedPositionReportsTheGap) {
  recent_decisions_ = 5;
  Start();
  std::string first_position;
  {
    Watcher watcher(admin_.get(), {});
    v1::Decision d;
    ASSERT_TRUE(Decide(Request("x"), &d).ok());
    ASSERT_TRUE(watcher.WaitFor(1));
    first_position = watcher.events()[0].position();
  }
  v1::Decision d;
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(Decide(Request("y" + std::to_string(i)), &d).ok());
  // 13 events, the log keeps 5: events 2-8 are gone.
  v1::WatchEventsRequest resume;
  resume.set_start_after(first_position);
  Watcher watcher(admin_.get(), resume);
  ASSERT_TRUE(watcher.WaitFor(5, /*want_dropped=*/true));
  EXPECT_EQ(watcher.dropped(), 7u);
  const auto events = watcher.events();
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].event().relations(0).to_user(), "y7");
  EXPECT_EQ(events[4].event().relations(0).to_user(), "y11");

  v1::WatchEventsRequest bad;
  bad.set_start_after("not a position");
  Watcher refused(admin_.get(), bad);
  ASSERT_TRUE(refused.WaitDone());
  EXPECT_EQ(refused.status().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(PolicyServerTest, WatchersBeyondTheCapAreRefused) {
  max_watchers_ = 2;
  Start();
  Watcher a(admin_.get(), {});
  Watcher b(admin_.get(), {});
  Watcher c(admin_.get(), {});
  ASSERT_TRUE(c.WaitDone());
  EXPECT_EQ(c.status().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(testing::Get(server_->metrics_port(), "/metrics").body,
              HasSubstr("friendgate_policy_watch_refused_total 1"));
  v1::Decision d;
  ASSERT_TRUE(Decide(Request("z"), &d).ok());
  EXPECT_TRUE(a.WaitFor(1));
  EXPECT_TRUE(b.WaitFor(1));
}

// examples/rules.yaml loads and shows each rule kind as documented.
TEST(ExampleRulesTest, EveryKindBehavesAsDocumented) {
  absl::StatusOr<LoadedRules> loaded = LoadRules(testing::SourcePath("examples/rules.yaml"));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  auto store = MemoryStore::Open("").value();
  FakeClock clock;
  auto decide = [&](v1::FriendshipEvent event) {
    DecideContext context{store.get(), clock.Now()};
    return loaded->engine->Decide(event, context);
  };
  v1::FriendshipEvent request = Request("bob").event();
  *request.add_relations() = request.relations(0);
  request.mutable_relations(1)->set_to_user("blocked_user");
  v1::Decision d = decide(request);
  EXPECT_EQ(d.targets(0).verdict(), v1::VERDICT_ALLOW);
  EXPECT_EQ(d.targets(1).verdict(), v1::VERDICT_REFUSE);
  EXPECT_EQ(d.targets(1).reason().vendor_code(), 38100);
  EXPECT_THAT(d.targets(1).rule_ids(), ::testing::ElementsAre("blocked-user-no-friend-requests"));
  EXPECT_FALSE(d.dry_run());
  // Staff are exempt.
  request.mutable_relations(1)->set_from_user("friendgate_admin");
  EXPECT_EQ(decide(request).targets(1).verdict(), v1::VERDICT_ALLOW);
  // Dry-run content: allowed, reported.
  v1::FriendshipEvent spam = Request("bob").event();
  spam.mutable_relations(0)->set_wording("want to BUY FOLLOWERS?");
  d = decide(spam);
  EXPECT_EQ(d.verdict(), v1::VERDICT_ALLOW);
  EXPECT_TRUE(d.dry_run());
  EXPECT_THAT(d.matched_rule_ids(), ::testing::Contains("spam-wording"));
  // OpenIM import: filtered.
  v1::FriendshipEvent import;
  import.set_vendor(v1::VENDOR_OPENIM);
  import.set_tenant("openim");
  import.set_type(v1::EVENT_TYPE_FRIENDS_IMPORTED);
  import.set_phase(v1::PHASE_BEFORE);
  for (const char* u : {"user456", "banned_import_example", "user789"}) {
    v1::Relation* r = import.add_relations();
    r->set_from_user("user123");
    r->set_to_user(u);
  }
  d = decide(import);
  EXPECT_EQ(d.verdict(), v1::VERDICT_ALLOW);
  EXPECT_THAT(d.mutation().friend_user_ids().user_ids(),
              ::testing::ElementsAre("user456", "user789"));
  // OpenIM remark: masked.
  v1::FriendshipEvent remark = import;
  remark.clear_relations();
  remark.set_type(v1::EVENT_TYPE_FRIEND_REMARK_SET);
  v1::Relation* r = remark.add_relations();
  r->set_from_user("user123");
  r->set_to_user("user456");
  r->set_remark("the examplesl_ur guy");
  d = decide(remark);
  EXPECT_EQ(d.verdict(), v1::VERDICT_ALLOW);
  EXPECT_EQ(d.mutation().remark(), "the ************ guy");
}

// The real binary: SIGHUP reloads (an invalid file is refused and logged),
// /metrics answers on --metrics-listen, SIGTERM drains and exits 0.
TEST(PolicyBinaryTest, SighupReloadsAndMetricsServe) {
  const std::string dir = MakeTempDir();
  WriteFile(dir + "/rules.yaml", kRulesA);
  int port = 0;
  auto policy = testing::StartPolicy(
      dir + "/rules.yaml", &port,
      {"--metrics-listen=127.0.0.1:0", "--rules-poll-ms=0", "--decision-log=off"});
  ASSERT_NE(policy, nullptr);
  const int metrics_port = testing::PortFromLogLine(
      policy->WaitForLine("\"msg\":\"listening\"", absl::Seconds(10)), "metrics");
  ASSERT_NE(metrics_port, 0);
  WriteFile(dir + "/rules.yaml", kRulesB);
  policy->Signal(SIGHUP);
  EXPECT_THAT(policy->WaitForLine("\"msg\":\"rules reloaded\"", absl::Seconds(20)),
              HasSubstr("\"trigger\":\"sighup\""));
  WriteFile(dir + "/rules.yaml", kRulesInvalid);
  policy->Signal(SIGHUP);
  EXPECT_THAT(policy->WaitForLine("rules reload refused", absl::Seconds(20)),
              HasSubstr("unknown key 'userz'"));
  const testing::HttpResult metrics = testing::Get(metrics_port, "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_THAT(metrics.body,
              HasSubstr(R"(friendgate_policy_rules_reloads_total{result="refused"} 1)"));
  EXPECT_THAT(metrics.body, HasSubstr("friendgate_policy_rules_active 2"));
  policy->Signal(SIGTERM);
  EXPECT_EQ(policy->WaitExit(absl::Seconds(20)), 0);
}

// The real binaries: events sent to the gateway as Tencent callbacks reach a
// WatchEvents client of the policy service.
TEST(PolicyStackTest, WatchEventsSeesEventsFromTheRealGateway) {
  testing::Stack stack = testing::StartStack();
  ASSERT_NE(stack.gateway, nullptr);
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(stack.policy_port),
                                     grpc::InsecureChannelCredentials());
  auto admin = v1::PolicyAdmin::NewStub(channel);
  v1::WatchEventsRequest request;
  request.add_tenants("1400000000");
  Watcher watcher(admin.get(), request);
  const testing::HttpResult answer = testing::Post(
      stack.http_port,
      "/tencent/callback?SdkAppid=1400000000&CallbackCommand=Sns.CallbackPrevFriendAdd"
      "&contenttype=json&ClientIP=10.0.0.1&OptPlatform=Android",
      testing::TestData("tencent/Sns.CallbackPrevFriendAdd.json"));
  ASSERT_EQ(answer.status, 200);
  EXPECT_THAT(answer.body, HasSubstr(R"("To_Account":"blocked_user","ResultCode":38100)"));
  ASSERT_TRUE(watcher.WaitFor(1));
  const v1::DecidedEvent event = watcher.events()[0];
  EXPECT_EQ(event.event().vendor(), v1::VENDOR_TENCENT);
  EXPECT_EQ(event.event().type(), v1::EVENT_TYPE_FRIEND_REQUEST);
  EXPECT_EQ(event.event().vendor_command(), "Sns.CallbackPrevFriendAdd");
  ASSERT_EQ(event.decision().targets_size(), 2);
  EXPECT_EQ(event.decision().targets(0).verdict(), v1::VERDICT_ALLOW);
  EXPECT_EQ(event.decision().targets(1).verdict(), v1::VERDICT_REFUSE);
  EXPECT_EQ(event.decision().targets(1).to_user(), "blocked_user");
}

}  // namespace
}  // namespace friendgate::policy
