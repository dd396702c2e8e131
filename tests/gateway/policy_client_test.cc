// GrpcPolicyClient (batching, deadlines, fallback, overload, shutdown) against
// real gRPC servers on free ports: the real policy service in-process with
// examples/rules.yaml, and small PolicyService implementations that lack
// DecideBatch, never answer, or answer wrongly.

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gateway/core/grpc_policy_client.h"
#include "gateway/core/policy_channel.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/policy/policy_server.h"
#include "services/policy/policy_service.h"

namespace friendgate::gateway {
namespace {

using ::testing::HasSubstr;

// Generous: only a hang makes a test wait this long.
constexpr absl::Duration kWaitLimit = absl::Seconds(60);

// An OpenIM friend request: the example rules refuse it when `to` is
// blocked_user and allow it otherwise.
v1::FriendshipEvent Request(const std::string& id, const std::string& from, const std::string& to) {
  v1::FriendshipEvent e;
  e.set_event_id(id);
  e.set_vendor(v1::VENDOR_OPENIM);
  e.set_tenant("openim");
  e.set_type(v1::EVENT_TYPE_FRIEND_REQUEST);
  e.set_phase(v1::PHASE_BEFORE);
  e.set_actor(from);
  v1::Relation* r = e.add_relations();
  r->set_from_user(from);
  r->set_to_user(to);
  return e;
}

// Collects the answers of `n` Decide calls, by index, and how often each came.
class Answers {
 public:
  explicit Answers(size_t n) : results_(n, absl::UnknownError("no answer")), counts_(n, 0) {}

  DecisionCallback For(size_t i) {
    return [this, i](absl::StatusOr<v1::Decision> result) {
      absl::MutexLock lock(&mu_);
      results_[i] = std::move(result);
      ++counts_[i];
      ++arrived_;
    };
  }
  // Waits (polling the condition, with a generous limit) until `n` arrived.
  bool WaitFor(size_t n) {
    absl::MutexLock lock(&mu_);
    auto ready = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return arrived_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&ready), kWaitLimit);
  }
  size_t arrived() {
    absl::MutexLock lock(&mu_);
    return arrived_;
  }
  absl::StatusOr<v1::Decision> result(size_t i) {
    absl::MutexLock lock(&mu_);
    return results_[i];
  }
  // Indexes answered other than exactly once.
  std::vector<size_t> NotOnce() {
    absl::MutexLock lock(&mu_);
    std::vector<size_t> bad;
    for (size_t i = 0; i < counts_.size(); ++i) {
      if (counts_[i] != 1) bad.push_back(i);
    }
    return bad;
  }

 private:
  absl::Mutex mu_;
  std::vector<absl::StatusOr<v1::Decision>> results_ ABSL_GUARDED_BY(mu_);
  std::vector<int> counts_ ABSL_GUARDED_BY(mu_);
  size_t arrived_ ABSL_GUARDED_BY(mu_) = 0;
};

// A gRPC server on a free loopback port serving `service`.
struct TestServer {
  explicit TestServer(grpc::Service* service) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service);
    server = builder.BuildAndStart();
  }
  ~TestServer() { server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(5))); }

  std::shared_ptr<v1::PolicyService::StubInterface> Stub() const {
    return v1::PolicyService::NewStub(
        MakePolicyChannel("127.0.0.1:" + std::to_string(port), "pick_first"));
  }

  int port = 0;
  std::unique_ptr<grpc::Server> server;
};

// The real policy service (examples/rules.yaml) in-process.
std::unique_ptr<policy::PolicyServer> StartPolicy() {
  policy::PolicyServer::Options options;
  options.rules_path = std::string(FRIENDGATE_SOURCE_DIR) + "/examples/rules.yaml";
  options.decision_log = "off";
  options.rules_poll = absl::ZeroDuration();
  auto server = policy::PolicyServer::Start(options);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(*server) : nullptr;
}

// Serves the real policy service's answers (its decider) and counts the calls
// it serves. With `batch` false it lacks DecideBatch, like a team's own
// minimal policy service.
class CountingPolicyService final : public v1::PolicyService::CallbackService {
 public:
  CountingPolicyService(policy::PolicyDecider* decider, bool batch)
      : real_(decider), batch_(batch) {}

  grpc::ServerUnaryReactor* Decide(grpc::CallbackServerContext* context,
                                   const v1::DecideRequest* request,
                                   v1::Decision* response) override {
    decide_calls.fetch_add(1);
    return real_.Decide(context, request, response);
  }
  grpc::ServerUnaryReactor* DecideBatch(grpc::CallbackServerContext* context,
                                        const v1::DecideBatchRequest* request,
                                        v1::DecideBatchResponse* response) override {
    if (!batch_) return nullptr;  // gRPC answers UNIMPLEMENTED
    batch_calls.fetch_add(1);
    batched_events.fetch_add(request->events_size());
    int largest = largest_batch.load();
    while (request->events_size() > largest &&
           !largest_batch.compare_exchange_weak(largest, request->events_size())) {
    }
    return real_.DecideBatch(context, request, response);
  }

  std::atomic<int> decide_calls{0};
  std::atomic<int> batch_calls{0};
  std::atomic<int> batched_events{0};
  std::atomic<int> largest_batch{0};

 private:
  policy::PolicyServiceImpl real_;
  const bool batch_;
};

// Calls `decide(index)` for indexes 0 .. threads*per_thread-1 from `threads`
// threads at once; returns when all calls returned.
void FromThreads(int threads, int per_thread, const std::function<void(size_t)>& decide) {
  std::vector<std::thread> callers;
  for (int t = 0; t < threads; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) decide(static_cast<size_t>(t) * per_thread + i);
    });
  }
  for (std::thread& t : callers) t.join();
}

// Sends `threads` x `per_thread` concurrent Decide calls through `client`,
// to blocked_user for every third event, and checks each answer is the
// decision for its own event.
void DecideConcurrentlyAndCheck(GrpcPolicyClient& client, int threads, int per_thread) {
  const size_t n = static_cast<size_t>(threads) * per_thread;
  Answers answers(n);
  FromThreads(threads, per_thread, [&](size_t index) {
    const std::string to = index % 3 == 0 ? "blocked_user" : "friend" + std::to_string(index);
    client.Decide(Request("ev-" + std::to_string(index), "user" + std::to_string(index), to),
                  absl::Now() + absl::Seconds(30), answers.For(index));
  });
  ASSERT_TRUE(answers.WaitFor(n)) << answers.arrived() << " of " << n;
  EXPECT_THAT(answers.NotOnce(), ::testing::IsEmpty());
  for (size_t i = 0; i < n; ++i) {
    const absl::StatusOr<v1::Decision> d = answers.result(i);
    ASSERT_TRUE(d.ok()) << i << ": " << d.status();
    EXPECT_EQ(d->event_id(), "ev-" + std::to_string(i));
    if (i % 3 == 0) {
      EXPECT_EQ(d->verdict(), v1::VERDICT_REFUSE) << i;
      EXPECT_EQ(d->reason().vendor_code(), 20100) << i;
    } else {
      EXPECT_EQ(d->verdict(), v1::VERDICT_ALLOW) << i;
    }
  }
}

// What the server saw of DecideConcurrentlyAndCheck(threads, per_thread)
// through a client with `options`, the real policy service answering.
struct Served {
  int decide_calls = 0;
  int batch_calls = 0;
  int batched_events = 0;
  int largest_batch = 0;
};
Served DecideThroughRealPolicy(const PolicyBatchOptions& options, bool server_batches, int threads,
                               int per_thread) {
  auto policy = StartPolicy();
  if (policy == nullptr) return {};
  CountingPolicyService service(&policy->decider(), server_batches);
  TestServer server(&service);
  {
    GrpcPolicyClient client(server.Stub(), options);
    DecideConcurrentlyAndCheck(client, threads, per_thread);
  }
  return {service.decide_calls.load(), service.batch_calls.load(), service.batched_events.load(),
          service.largest_batch.load()};
}

TEST(GrpcPolicyClientTest, ConcurrentCallsAreBatchedAndEachGetsItsOwnDecision) {
  const Served served = DecideThroughRealPolicy({}, /*server_batches=*/true, 8, 500);
  EXPECT_EQ(served.batched_events, 4000);
  EXPECT_EQ(served.decide_calls, 0);
  EXPECT_LT(served.batch_calls, 4000);
  EXPECT_GT(served.largest_batch, 1);
  EXPECT_LE(served.largest_batch, 64);  // the default max_batch_size
}

TEST(GrpcPolicyClientTest, BatchSizeOneSendsOneDecidePerEvent) {
  PolicyBatchOptions options;
  options.max_batch_size = 1;
  const Served served = DecideThroughRealPolicy(options, /*server_batches=*/true, 4, 100);
  EXPECT_EQ(served.decide_calls, 400);
  EXPECT_EQ(served.batch_calls, 0);
}

TEST(GrpcPolicyClientTest, FallsBackToDecideWhenTheServerLacksDecideBatch) {
  // Concurrent from the start: the refused batches and everything queued
  // behind them are re-sent one by one.
  const Served served = DecideThroughRealPolicy({}, /*server_batches=*/false, 8, 100);
  EXPECT_EQ(served.decide_calls, 800);
}

// Answers nothing: every call stays open until the client cancels it or the
// server shuts down.
class SilentPolicyService final : public v1::PolicyService::CallbackService {
 public:
  grpc::ServerUnaryReactor* Decide(grpc::CallbackServerContext*, const v1::DecideRequest*,
                                   v1::Decision*) override {
    return new SilentReactor;
  }
  grpc::ServerUnaryReactor* DecideBatch(grpc::CallbackServerContext*,
                                        const v1::DecideBatchRequest* request,
                                        v1::DecideBatchResponse*) override {
    events.fetch_add(request->events_size());
    return new SilentReactor;
  }

  std::atomic<int> events{0};

 private:
  class SilentReactor final : public grpc::ServerUnaryReactor {
    void OnCancel() override { Finish(grpc::Status::CANCELLED); }
    void OnDone() override { delete this; }
  };
};

// Sends events ev-<from> .. ev-<to - 1> from this thread, one after the other.
void DecideRange(GrpcPolicyClient& client, Answers& answers, size_t from, size_t to,
                 absl::Time deadline) {
  for (size_t i = from; i < to; ++i) {
    client.Decide(Request("ev-" + std::to_string(i), "a", "b"), deadline, answers.For(i));
  }
}

void ExpectAllErrors(Answers& answers, size_t from, size_t to, absl::StatusCode code) {
  for (size_t i = from; i < to; ++i) {
    EXPECT_EQ(answers.result(i).status().code(), code) << i << ": " << answers.result(i).status();
  }
}

TEST(GrpcPolicyClientTest, QueuedEventsExpireAtTheirDeadlineWhileACallIsOutstanding) {
  SilentPolicyService service;
  TestServer server(&service);
  PolicyBatchOptions options;
  options.max_batch_size = 4;
  options.max_in_flight_batches = 1;
  constexpr size_t kQueued = 20;
  Answers answers(1 + kQueued);
  {
    GrpcPolicyClient client(server.Stub(), options);
    // Takes the only call slot, and the server never answers it.
    DecideRange(client, answers, 0, 1, absl::InfiniteFuture());
    DecideRange(client, answers, 1, 1 + kQueued, absl::Now() + absl::Milliseconds(100));
    ASSERT_TRUE(answers.WaitFor(kQueued)) << answers.arrived();
    // The queued events, not the outstanding one (it has no deadline).
    EXPECT_EQ(answers.result(0).status().code(), absl::StatusCode::kUnknown);
    ExpectAllErrors(answers, 1, 1 + kQueued, absl::StatusCode::kDeadlineExceeded);
    EXPECT_LE(service.events.load(), 1);  // they were never sent
  }
  // Destroying the client cancelled the outstanding call.
  EXPECT_EQ(answers.arrived(), 1 + kQueued);
  EXPECT_EQ(answers.result(0).status().code(), absl::StatusCode::kCancelled);
  EXPECT_THAT(answers.NotOnce(), ::testing::IsEmpty());
}

TEST(GrpcPolicyClientTest, EveryCallToASilentServerFailsByItsDeadline) {
  SilentPolicyService service;
  TestServer server(&service);
  PolicyBatchOptions unary;
  unary.max_batch_size = 1;
  for (const PolicyBatchOptions& options : {PolicyBatchOptions{}, unary}) {
    constexpr size_t kCalls = 300;
    Answers answers(kCalls);
    GrpcPolicyClient client(server.Stub(), options);
    DecideRange(client, answers, 0, kCalls, absl::Now() + absl::Milliseconds(200));
    ASSERT_TRUE(answers.WaitFor(kCalls)) << answers.arrived();
    for (size_t i = 0; i < kCalls; ++i) {
      EXPECT_FALSE(answers.result(i).ok()) << i;
    }
    EXPECT_THAT(answers.NotOnce(), ::testing::IsEmpty());
  }
}

TEST(GrpcPolicyClientTest, AFullQueueAnswersOverloadedAtOnce) {
  SilentPolicyService service;
  TestServer server(&service);
  PolicyBatchOptions batched;
  batched.max_batch_size = 2;
  batched.max_in_flight_batches = 1;
  batched.max_queued_events = 3;
  PolicyBatchOptions unary = batched;
  unary.max_batch_size = 1;  // then: at most 3 calls outstanding
  for (const PolicyBatchOptions& options : {batched, unary}) {
    const size_t accepted = options.max_batch_size == 1 ? 3 : 1 + 3;  // in flight + queued
    constexpr size_t kCalls = 9;
    Answers answers(kCalls);
    {
      GrpcPolicyClient client(server.Stub(), options);
      DecideRange(client, answers, 0, kCalls, absl::InfiniteFuture());
      // Refused before Decide returned.
      EXPECT_EQ(answers.arrived(), kCalls - accepted);
      ExpectAllErrors(answers, accepted, kCalls, absl::StatusCode::kResourceExhausted);
      EXPECT_THAT(answers.result(kCalls - 1).status().message(), HasSubstr("overloaded"));
    }
    ExpectAllErrors(answers, 0, accepted, absl::StatusCode::kCancelled);
    EXPECT_THAT(answers.NotOnce(), ::testing::IsEmpty());
  }
}

TEST(GrpcPolicyClientTest, DestroyingTheClientAnswersEverythingPending) {
  SilentPolicyService service;
  TestServer server(&service);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100;
  Answers answers(kThreads * kPerThread);
  {
    GrpcPolicyClient client(server.Stub());
    FromThreads(kThreads, kPerThread, [&](size_t index) {
      client.Decide(Request("ev-" + std::to_string(index), "a", "b"), absl::InfiniteFuture(),
                    answers.For(index));
    });
    EXPECT_EQ(answers.arrived(), 0u);
  }
  // Every callback ran before the destructor returned.
  EXPECT_EQ(answers.arrived(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_THAT(answers.NotOnce(), ::testing::IsEmpty());
  ExpectAllErrors(answers, 0, kThreads * kPerThread, absl::StatusCode::kCancelled);
}

// Answers DecideBatch wrongly for some events: the id "wrong-id" gets a
// decision for another event, "dropped" gets none (nor do the events after
// it in the same batch).
class WrongAnswersService final : public v1::PolicyService::CallbackService {
 public:
  grpc::ServerUnaryReactor* DecideBatch(grpc::CallbackServerContext* context,
                                        const v1::DecideBatchRequest* request,
                                        v1::DecideBatchResponse* response) override {
    for (const v1::FriendshipEvent& event : request->events()) {
      if (event.event_id() == "dropped") break;
      v1::Decision* d = response->add_decisions();
      d->set_event_id(event.event_id() == "wrong-id" ? "another" : event.event_id());
      d->set_verdict(v1::VERDICT_ALLOW);
    }
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

TEST(GrpcPolicyClientTest, AMissingOrMismatchedDecisionIsAnError) {
  WrongAnswersService service;
  TestServer server(&service);
  GrpcPolicyClient client(server.Stub());
  const std::vector<std::string> ids = {"good", "wrong-id", "dropped"};
  for (size_t i = 0; i < ids.size(); ++i) {
    Answers answers(1);  // one at a time: each event is a batch of its own
    client.Decide(Request(ids[i], "a", "b"), absl::Now() + absl::Seconds(30), answers.For(0));
    ASSERT_TRUE(answers.WaitFor(1));
    const absl::StatusOr<v1::Decision> d = answers.result(0);
    if (i == 0) {
      ASSERT_TRUE(d.ok()) << d.status();
      EXPECT_EQ(d->event_id(), "good");
    } else {
      EXPECT_EQ(d.status().code(), absl::StatusCode::kInternal) << ids[i] << ": " << d.status();
      EXPECT_EQ(FallbackReasonOf(d.status()), "invalid_answer") << ids[i];
    }
  }
}

// Events of 700 KB each, 32 of them at once: batched by size, never past the
// 4 MiB the policy service accepts (before, a batch of 64 failed whole with
// RESOURCE_EXHAUSTED, labelled "overloaded").
TEST(GrpcPolicyClientTest, BatchesStayUnderTheMessageSizeLimit) {
  auto policy = StartPolicy();
  ASSERT_NE(policy, nullptr);
  CountingPolicyService service(&policy->decider(), /*batch=*/true);
  TestServer server(&service);
  PolicyBatchOptions options;
  options.max_in_flight_batches = 1;  // everything else queues and batches
  GrpcPolicyClient client(server.Stub(), options);
  // Connected first: this test is about sizes, not a cold start.
  Answers warm(1);
  client.Decide(Request("warm", "a", "b"), absl::Now() + absl::Seconds(30), warm.For(0));
  ASSERT_TRUE(warm.WaitFor(1));
  ASSERT_TRUE(warm.result(0).ok()) << warm.result(0).status();
  constexpr size_t kEvents = 32;
  Answers answers(kEvents);
  FromThreads(8, kEvents / 8, [&](size_t i) {
    v1::FriendshipEvent event = Request("big-" + std::to_string(i), "user", "friend");
    event.mutable_relations(0)->set_wording(std::string(700 << 10, 'w'));
    client.Decide(event, absl::Now() + absl::Seconds(60), answers.For(i));
  });
  ASSERT_TRUE(answers.WaitFor(kEvents));
  for (size_t i = 0; i < kEvents; ++i) {
    const absl::StatusOr<v1::Decision> d = answers.result(i);
    ASSERT_TRUE(d.ok()) << i << ": " << d.status();
  }
  EXPECT_GT(service.largest_batch.load(), 1);
  EXPECT_LE(service.largest_batch.load(), 5);  // 5 x 700 KB < 4 MiB < 6 x 700 KB
}

// One event over the limit on its own is refused before it is sent, and says
// why: message_too_large, not overloaded.
TEST(GrpcPolicyClientTest, AnEventOverTheLimitIsTooLargeNotOverloaded) {
  auto policy = StartPolicy();
  ASSERT_NE(policy, nullptr);
  CountingPolicyService service(&policy->decider(), /*batch=*/true);
  TestServer server(&service);
  GrpcPolicyClient client(server.Stub());
  Answers answers(1);
  v1::FriendshipEvent event = Request("huge", "user", "friend");
  event.mutable_relations(0)->set_wording(std::string(5 << 20, 'w'));
  client.Decide(event, absl::Now() + absl::Seconds(60), answers.For(0));
  ASSERT_TRUE(answers.WaitFor(1));
  const absl::StatusOr<v1::Decision> d = answers.result(0);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kResourceExhausted) << d.status();
  EXPECT_THAT(std::string(d.status().message()), ::testing::HasSubstr("larger than max"));
}

}  // namespace
}  // namespace friendgate::gateway
