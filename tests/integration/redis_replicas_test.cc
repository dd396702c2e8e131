// Two real friendgate-policy replicas sharing one real redis-server (the
// acceptance check of the shared store): list entries and rate limits agree
// across replicas, entries survive a restart, and with Redis gone decisions
// keep coming.

#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iostream>
#include <set>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/strings.h"
#include "friendgate/v1/policy_admin.grpc.pb.h"
#include "friendgate/v1/policy_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/support/http.h"
#include "tests/support/process.h"
#include "tests/support/redis_server.h"

namespace friendgate::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kRules[] = R"(
rules:
  - id: runtime-block
    blocklist: {}
    refusal: {tencent_code: 38150}
  - id: five-per-minute
    mode: enforce
    tenants: ["1400000005"]
    events: [friend_request]
    phases: [before]
    rate_limit: {limit: 5, window_seconds: 60, per: from}
    refusal: {tencent_code: 38200}
)";
constexpr char kTenant[] = "1400000000";
constexpr char kLimitedTenant[] = "1400000005";

// One policy replica: the binary and its gRPC stubs.
struct Replica {
  std::unique_ptr<Process> process;
  int port = 0;
  int metrics_port = 0;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::PolicyService::Stub> policy;
  std::unique_ptr<v1::PolicyAdmin::Stub> admin;
};

class RedisReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_ = RedisServer::Start();
    ASSERT_NE(redis_, nullptr);
    std::string templ = ::testing::TempDir() + "replicasXXXXXX";
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    rules_path_ = templ + "/rules.yaml";
    std::ofstream(rules_path_) << kRules;
  }

  Replica StartReplica(std::vector<std::string> extra_args = {}) {
    Replica r;
    std::vector<std::string> args = {StrCat("--store=redis://127.0.0.1:", redis_->port()),
                                     "--decision-log=off", "--metrics-listen=127.0.0.1:0"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    r.process = StartPolicy(rules_path_, &r.port, args);
    if (r.process == nullptr) return r;
    r.metrics_port = PortFromLogLine(
        r.process->WaitForLine("\"msg\":\"listening\"", absl::Seconds(1)), "metrics");
    r.channel =
        grpc::CreateChannel(StrCat("127.0.0.1:", r.port), grpc::InsecureChannelCredentials());
    r.policy = v1::PolicyService::NewStub(r.channel);
    r.admin = v1::PolicyAdmin::NewStub(r.channel);
    return r;
  }

  std::unique_ptr<RedisServer> redis_;
  std::string rules_path_;
};

v1::DecideRequest Request(const std::string& from, const std::string& to,
                          const std::string& tenant = kTenant) {
  v1::DecideRequest request;
  v1::FriendshipEvent* e = request.mutable_event();
  e->set_event_id("ev");
  e->set_vendor(v1::VENDOR_TENCENT);
  e->set_tenant(tenant);
  e->set_type(v1::EVENT_TYPE_FRIEND_REQUEST);
  e->set_phase(v1::PHASE_BEFORE);
  e->set_actor(from);
  v1::Relation* rel = e->add_relations();
  rel->set_from_user(from);
  rel->set_to_user(to);
  return request;
}

// One Decide with its own deadline; the status says whether it answered in time.
grpc::Status Decide(Replica& r, const v1::DecideRequest& request, v1::Decision* decision,
                    absl::Duration deadline = absl::Seconds(10)) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  return r.policy->Decide(&context, request, decision);
}

v1::Verdict VerdictOf(Replica& r, const std::string& from, const std::string& to) {
  v1::Decision decision;
  grpc::Status s = Decide(r, Request(from, to), &decision);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return decision.verdict();
}

// Adds (or removes) `user` on the run-time blocklist through `r`.
grpc::Status ChangeEntry(Replica& r, const std::string& user, bool add) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  if (add) {
    v1::AddListEntryRequest request;
    request.set_list("runtime-block");
    request.set_user_id(user);
    v1::AddListEntryResponse response;
    return r.admin->AddListEntry(&context, request, &response);
  }
  v1::RemoveListEntryRequest request;
  request.set_list("runtime-block");
  request.set_user_id(user);
  v1::RemoveListEntryResponse response;
  return r.admin->RemoveListEntry(&context, request, &response);
}
grpc::Status AddEntry(Replica& r, const std::string& user) { return ChangeEntry(r, user, true); }
grpc::Status RemoveEntry(Replica& r, const std::string& user) {
  return ChangeEntry(r, user, false);
}

// Polls until `r` answers `verdict` for alice -> `to`, at most `deadline`.
bool VerdictWithin(Replica& r, const std::string& to, v1::Verdict verdict,
                   absl::Duration deadline) {
  const absl::Time end = absl::Now() + deadline;
  for (;;) {
    if (VerdictOf(r, "alice", to) == verdict) return true;
    if (absl::Now() >= end) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
}

TEST_F(RedisReplicasTest, ReplicasAgreeSurviveRestartsAndOutlastRedis) {
  Replica a = StartReplica();
  Replica b = StartReplica();
  ASSERT_TRUE(a.process && b.process);

  // An entry added on one replica is enforced by the other within 1 s.
  ASSERT_EQ(VerdictOf(b, "alice", "mallory"), v1::VERDICT_ALLOW);
  ASSERT_TRUE(AddEntry(a, "mallory").ok());
  EXPECT_TRUE(VerdictWithin(b, "mallory", v1::VERDICT_REFUSE, absl::Seconds(1)));
  EXPECT_EQ(VerdictOf(a, "alice", "mallory"), v1::VERDICT_REFUSE);
  // And its removal too.
  ASSERT_TRUE(RemoveEntry(b, "mallory").ok());
  EXPECT_TRUE(VerdictWithin(a, "mallory", v1::VERDICT_ALLOW, absl::Seconds(1)));

  // A rate limit of 5/min: exactly 5 allowed out of 12 calls alternating
  // between the replicas.
  int allowed = 0;
  for (int i = 0; i < 12; ++i) {
    v1::Decision decision;
    ASSERT_TRUE(
        Decide(i % 2 == 0 ? a : b, Request("spammer", StrCat("u", i), kLimitedTenant), &decision)
            .ok());
    if (decision.verdict() == v1::VERDICT_ALLOW) ++allowed;
  }
  EXPECT_EQ(allowed, 5);

  // An entry survives a replica restart.
  ASSERT_TRUE(AddEntry(a, "eve").ok());
  b.process->Signal(SIGTERM);
  ASSERT_EQ(b.process->WaitExit(absl::Seconds(20)), 0);
  b = StartReplica();
  ASSERT_NE(b.process, nullptr);
  EXPECT_EQ(VerdictOf(b, "alice", "eve"), v1::VERDICT_REFUSE);
  {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    v1::ListListEntriesRequest request;
    request.set_list("runtime-block");
    v1::ListListEntriesResponse response;
    ASSERT_TRUE(b.admin->ListListEntries(&context, request, &response).ok());
    ASSERT_EQ(response.user_ids_size(), 1);
    EXPECT_EQ(response.user_ids(0), "eve");
  }

  // Redis silent (stopped: connections accepted, nothing answered), then
  // killed: Decide still answers OK, each answer before its own RPC deadline
  // of 1.5 s; entries answer from the local cache, rate limits fail open.
  // The slowest answer is printed for the record (not asserted: the machine
  // is shared).
  auto decide_without_redis = [&](const char* phase) {
    absl::Duration slowest;
    for (int i = 0; i < 12; ++i) {
      Replica& r = i % 2 == 0 ? a : b;
      v1::Decision limited;
      const absl::Time start = absl::Now();
      grpc::Status s =
          Decide(r, Request("spammer", "x", kLimitedTenant), &limited, absl::Milliseconds(1500));
      slowest = std::max(slowest, absl::Now() - start);
      ASSERT_TRUE(s.ok()) << phase << ", replica " << i % 2 << ": " << s.error_message();
      EXPECT_EQ(limited.verdict(), v1::VERDICT_ALLOW);  // fail open
      v1::Decision listed;
      s = Decide(r, Request("alice", "eve"), &listed, absl::Milliseconds(1500));
      ASSERT_TRUE(s.ok()) << phase << ": " << s.error_message();
      EXPECT_EQ(listed.verdict(), v1::VERDICT_REFUSE);  // from the cache
    }
    std::cout << "Redis " << phase << ": slowest rate-limited Decide " << slowest << "\n";
  };
  redis_->Pause();
  decide_without_redis("stopped");
  redis_->Resume();
  redis_->Kill();
  decide_without_redis("killed");
  // Counted, and the replicas stay in the Service.
  const HttpResult metrics = Get(a.metrics_port, "/metrics");
  const std::string series = "friendgate_policy_store_errors_total{op=\"acquire\"} ";
  const size_t at = metrics.body.find(series);
  ASSERT_NE(at, std::string::npos) << metrics.body;
  EXPECT_GT(std::stod(metrics.body.substr(at + series.size())), 0);
  {
    auto health = grpc::health::v1::Health::NewStub(a.channel);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    ASSERT_TRUE(health->Check(&context, request, &response).ok());
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  }

  // Redis back (empty: the test runs it without persistence): the replicas
  // use it again without a restart.
  ASSERT_TRUE(redis_->Restart()) << redis_->Log();
  const absl::Time end = absl::Now() + absl::Seconds(10);
  while (!AddEntry(b, "trudy").ok() && absl::Now() < end) absl::SleepFor(absl::Milliseconds(20));
  EXPECT_TRUE(VerdictWithin(a, "trudy", v1::VERDICT_REFUSE, absl::Seconds(10)));
}

// A WatchEvents stream (the policy's admin API) on one replica.
struct Watch {
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::WatchEventsResponse>> reader;
};

std::unique_ptr<Watch> StartWatch(Replica& r, const std::string& start_after = "") {
  auto w = std::make_unique<Watch>();
  w->context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
  v1::WatchEventsRequest request;
  request.set_start_after(start_after);
  w->reader = r.admin->WatchEvents(&w->context, request);
  // Headers come once the stream has its position.
  w->reader->WaitForInitialMetadata();
  return w;
}

// Reads until every id in `want` was seen (or the stream ends); returns the
// event ids read, in order, and the number of `dropped` items.
std::vector<std::string> ReadUntil(Watch& w, std::set<std::string> want, std::string* last_position,
                                   int* dropped_items) {
  std::vector<std::string> ids;
  v1::WatchEventsResponse response;
  while (!want.empty() && w.reader->Read(&response)) {
    if (response.has_dropped()) {
      ++*dropped_items;
      continue;
    }
    ids.push_back(response.event().event().event_id());
    want.erase(ids.back());
    *last_position = response.event().position();
  }
  return ids;
}

v1::DecideRequest RequestWithId(const std::string& event_id) {
  v1::DecideRequest request = Request("alice", "bob");
  request.mutable_event()->set_event_id(event_id);
  return request;
}

TEST_F(RedisReplicasTest, AWatcherOnOneReplicaSeesTheOthersDecisionsAndResumes) {
  Replica a = StartReplica();
  Replica b = StartReplica();
  ASSERT_TRUE(a.process && b.process);
  v1::Decision decision;

  auto watch = StartWatch(a);
  ASSERT_TRUE(Decide(b, RequestWithId("w1"), &decision).ok());
  std::string position;
  int dropped = 0;
  EXPECT_THAT(ReadUntil(*watch, {"w1"}, &position, &dropped), ::testing::ElementsAre("w1"));
  ASSERT_FALSE(position.empty());
  watch->context.TryCancel();
  watch->reader->Finish().IgnoreError();

  // Disconnected: three decisions on both replicas, then a resume.
  ASSERT_TRUE(Decide(b, RequestWithId("w2"), &decision).ok());
  ASSERT_TRUE(Decide(a, RequestWithId("w3"), &decision).ok());
  ASSERT_TRUE(Decide(b, RequestWithId("w4"), &decision).ok());
  auto resumed = StartWatch(a, position);
  std::string resumed_position;
  EXPECT_THAT(ReadUntil(*resumed, {"w2", "w3", "w4"}, &resumed_position, &dropped),
              ::testing::UnorderedElementsAre("w2", "w3", "w4"));
  EXPECT_EQ(dropped, 0);
  // And the stream goes on with new decisions, from either replica.
  ASSERT_TRUE(Decide(b, RequestWithId("w5"), &decision).ok());
  EXPECT_THAT(ReadUntil(*resumed, {"w5"}, &resumed_position, &dropped),
              ::testing::ElementsAre("w5"));
  resumed->context.TryCancel();
  resumed->reader->Finish().IgnoreError();

  // ListRecentDecisions on b reads the same stream: a's decision is there.
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  v1::ListRecentDecisionsRequest request;
  request.set_limit(10);
  v1::ListRecentDecisionsResponse response;
  ASSERT_TRUE(b.admin->ListRecentDecisions(&context, request, &response).ok());
  std::vector<std::string> recent;
  for (const v1::DecidedEvent& e : response.decisions()) recent.push_back(e.event().event_id());
  // Newest first, in stream order. Each replica appends from its own thread,
  // so two replicas' events decided close together may reach the stream in
  // either order (w3 on a between w2 and w4 on b); one replica's keep theirs.
  // w1 was read before the others were decided, w5 after they were read back.
  ASSERT_THAT(recent, ::testing::UnorderedElementsAre("w5", "w4", "w3", "w2", "w1"));
  EXPECT_EQ(recent.front(), "w5");
  EXPECT_EQ(recent.back(), "w1");
  EXPECT_LT(std::find(recent.begin(), recent.end(), "w4"),
            std::find(recent.begin(), recent.end(), "w2"));
}

double MetricValue(int port, const std::string& series) {
  const HttpResult metrics = Get(port, "/metrics");
  // The sample line (not the # HELP line that names the series too).
  const size_t at = metrics.body.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(metrics.body.substr(at + series.size() + 2));
}

TEST_F(RedisReplicasTest, RedisKilledAndRestartedUnderLoadLosesNoDecisionAndNoEvent) {
  // A buffer larger than what 2 s of decisions can fill here.
  Replica a = StartReplica({"--event-buffer=1000000"});
  Replica b = StartReplica({"--event-buffer=1000000"});
  ASSERT_TRUE(a.process && b.process);

  // Four callers deciding on both replicas, each call with an RPC deadline
  // of 1.5 s: a late answer is a failed call.
  enum Phase { kUp, kDown, kBack };
  std::atomic<int> phase{kUp};
  std::atomic<bool> stop{false};
  absl::Mutex mu;
  std::vector<std::string> failures;
  std::set<std::string> decided_while_down;
  int decided = 0;
  absl::Duration slowest;
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; !stop.load(); ++i) {
        const std::string id = StrCat("load-", t, "-", i);
        const int before = phase.load();
        v1::Decision decision;
        const absl::Time start = absl::Now();
        grpc::Status s = Decide((i + t) % 2 == 0 ? a : b, RequestWithId(id), &decision,
                                absl::Milliseconds(1500));
        const absl::Duration took = absl::Now() - start;
        absl::MutexLock lock(&mu);
        ++decided;
        slowest = std::max(slowest, took);
        if (!s.ok()) failures.push_back(StrCat(id, ": ", s.error_message()));
        if (before == kDown && phase.load() == kDown) decided_while_down.insert(id);
      }
    });
  }
  absl::SleepFor(absl::Seconds(1));
  redis_->Kill();
  phase = kDown;
  absl::SleepFor(absl::Seconds(2));
  phase = kBack;
  ASSERT_TRUE(redis_->Restart()) << redis_->Log();
  absl::SleepFor(absl::Seconds(2));
  stop = true;
  for (std::thread& t : callers) t.join();
  std::cout << "under load: " << decided << " decisions, " << decided_while_down.size()
            << " while Redis was down, slowest " << slowest << "\n";
  EXPECT_THAT(failures, ::testing::IsEmpty());
  ASSERT_FALSE(decided_while_down.empty());

  // The events decided while Redis was down were buffered and appended
  // after the restart (the restarted Redis started empty): a watcher reading
  // the stream from its start finds every one of them.
  for (Replica* r : {&a, &b}) {
    const absl::Time end = absl::Now() + absl::Seconds(30);
    while (MetricValue(r->metrics_port, "friendgate_policy_events_buffered") != 0 &&
           absl::Now() < end) {
      absl::SleepFor(absl::Milliseconds(50));
    }
    EXPECT_EQ(MetricValue(r->metrics_port, "friendgate_policy_events_buffered"), 0);
    EXPECT_EQ(MetricValue(r->metrics_port, "friendgate_policy_events_dropped_total"), 0);
  }
  auto watch = StartWatch(a, "0-0");
  std::string position;
  int dropped = 0;
  std::vector<std::string> read = ReadUntil(*watch, decided_while_down, &position, &dropped);
  watch->context.TryCancel();
  watch->reader->Finish().IgnoreError();
  std::set<std::string> missing = decided_while_down;
  for (const std::string& id : read) missing.erase(id);
  EXPECT_THAT(missing, ::testing::IsEmpty());
  EXPECT_EQ(dropped, 0);
}

TEST_F(RedisReplicasTest, FlagMistakesAreRefusedAtStart) {
  auto run = [&](std::vector<std::string> args, std::vector<std::string> env = {}) {
    args.insert(args.begin(), {"--grpc-listen=127.0.0.1:0", "--rules=" + rules_path_});
    auto p = Process::Start(PolicyBinary(), args, env);
    EXPECT_NE(p, nullptr);
    const int code = p->WaitExit(absl::Seconds(20));
    return std::make_pair(code, p->Stderr());
  };
  const std::string url = StrCat("--store=redis://127.0.0.1:", redis_->port());
  auto [code, err] = run({url, "--state-file=/tmp/x"});
  EXPECT_EQ(code, 2);
  EXPECT_THAT(err, HasSubstr("--state-file"));
  std::tie(code, err) = run({"--store=redis://:hunter2@127.0.0.1:1"});
  EXPECT_EQ(code, 2);
  EXPECT_THAT(err, HasSubstr("FRIENDGATE_REDIS_PASSWORD"));
  EXPECT_THAT(err, ::testing::Not(HasSubstr("hunter2")));
  std::tie(code, err) = run({"--store=mongodb://x"});
  EXPECT_EQ(code, 2);

  // A password Redis refuses stops the start, and is never printed.
  auto locked = RedisServer::Start({"--requirepass", "right-pw"});
  ASSERT_NE(locked, nullptr);
  const std::string locked_url = StrCat("--store=redis://127.0.0.1:", locked->port());
  std::tie(code, err) = run({locked_url}, {"FRIENDGATE_REDIS_PASSWORD=wrong-pw"});
  EXPECT_EQ(code, 1);
  EXPECT_THAT(err, ::testing::Not(HasSubstr("wrong-pw")));
  std::tie(code, err) = run({locked_url});
  EXPECT_EQ(code, 1);
  EXPECT_THAT(err, HasSubstr("FRIENDGATE_REDIS_PASSWORD"));
  // The right one, from a file.
  const std::string pw_file = rules_path_ + ".pw";
  std::ofstream(pw_file) << "right-pw\n";
  auto p = Process::Start(PolicyBinary(), {"--grpc-listen=127.0.0.1:0", "--rules=" + rules_path_,
                                           locked_url, "--store-password-file=" + pw_file});
  ASSERT_NE(p, nullptr);
  const std::string line = p->WaitForLine("\"msg\":\"listening\"", absl::Seconds(20));
  EXPECT_NE(line, "") << p->Stderr();
  EXPECT_THAT(p->Stderr(), ::testing::Not(HasSubstr("right-pw")));
}

// A gateway re-sends a spooled after-event (same event_id) when it got no
// answer; the retry may reach the other replica, which must count it once.
TEST_F(RedisReplicasTest, AnAfterEventRetriedOnTheOtherReplicaIsCountedOnce) {
  Replica a = StartReplica();
  Replica b = StartReplica();
  ASSERT_TRUE(a.process && b.process);
  v1::DecideRequest request = RequestWithId("spooled-1");
  request.mutable_event()->set_phase(v1::PHASE_AFTER);
  v1::Decision first;
  v1::Decision retry;
  ASSERT_TRUE(Decide(a, request, &first).ok());
  ASSERT_TRUE(Decide(b, request, &retry).ok());
  EXPECT_EQ(retry.verdict(), v1::VERDICT_ALLOW);
  EXPECT_EQ(MetricValue(a.metrics_port, "friendgate_policy_duplicate_events_total"), 0);
  EXPECT_EQ(MetricValue(b.metrics_port, "friendgate_policy_duplicate_events_total"), 1);
  // Another id is new on either replica.
  ASSERT_TRUE(Decide(b, RequestWithId("spooled-2"), &retry).ok());
  EXPECT_EQ(MetricValue(b.metrics_port, "friendgate_policy_duplicate_events_total"), 1);

  // Only the first decision reaches the shared stream (appended in the
  // background: wait for it, then count).
  int seen = 0;
  const absl::Time end = absl::Now() + absl::Seconds(10);
  while (seen == 0 && absl::Now() < end) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    v1::ListRecentDecisionsRequest list;
    list.set_limit(10);
    v1::ListRecentDecisionsResponse response;
    ASSERT_TRUE(b.admin->ListRecentDecisions(&context, list, &response).ok());
    for (const v1::DecidedEvent& e : response.decisions()) {
      seen += e.event().event_id() == "spooled-1" ? 1 : 0;
    }
    if (seen == 0) absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(seen, 1);
}

}  // namespace
}  // namespace friendgate::testing
