// Google Benchmarks for the gateway's per-request work, on the vendors'
// sample bodies (tests/data): each vendor parser, each answer writer, the
// metrics update, and the Decide round trip over gRPC to an in-process
// policy service on a loopback port with examples/rules.yaml, alone and with
// 32 calls outstanding (batched).
//
//   build/<dir>/bench/gateway/gateway_micro_bench [--benchmark_filter=Parse]

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gateway/core/grpc_policy_client.h"
#include "gateway/core/metrics.h"
#include "gateway/core/policy_channel.h"
#include "gateway/openim/codec.h"
#include "gateway/tencent/codec.h"
#include "services/policy/policy_server.h"

namespace friendgate::gateway {
namespace {

std::string Source(const std::string& relative) {
  return std::string(FRIENDGATE_SOURCE_DIR) + "/" + relative;
}

std::string Read(const std::string& relative) {
  std::ifstream in(Source(relative), std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", relative.c_str());
    std::abort();
  }
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const InputLimitSettings kLimits;

// As in the gateway's main: Debian's Abseil would run its deadlock detector on
// every lock.
const bool kDeadlockDetectionOff = [] {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return true;
}();

// Times `parse(body, &event)` per iteration; both vendors' parsers share it.
template <typename Parse>
void ParseLoop(benchmark::State& state, const std::string& body, Parse parse) {
  for (auto _ : state) {
    v1::FriendshipEvent event;
    if (!parse(body, &event).ok()) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(event);
  }
  state.SetBytesProcessed(state.iterations() * body.size());
}

void TencentParse(benchmark::State& state, const char* command_name) {
  const tencent::Command* command = tencent::FindCommand(command_name);
  ParseLoop(state, Read(std::string("tests/data/tencent/") + command_name + ".json"),
            [command](const std::string& body, v1::FriendshipEvent* event) {
              return tencent::ParseBody(*command, body, kLimits, event);
            });
}
BENCHMARK_CAPTURE(TencentParse, FriendDelete, "Sns.CallbackFriendDelete");
BENCHMARK_CAPTURE(TencentParse, PrevFriendResponse, "Sns.CallbackPrevFriendResponse");
BENCHMARK_CAPTURE(TencentParse, PrevFriendAdd, "Sns.CallbackPrevFriendAdd");

void OpenImParse(benchmark::State& state, const char* command_name) {
  const openim::Command* command = openim::FindCommand(command_name);
  ParseLoop(state, Read(std::string("tests/data/openim/") + command_name + ".json"),
            [command](const std::string& body, v1::FriendshipEvent* event) {
              return openim::ParseBody(*command, body, kLimits, event);
            });
}
BENCHMARK_CAPTURE(OpenImParse, AfterDeleteFriend, "callbackAfterDeleteFriendCommand");
BENCHMARK_CAPTURE(OpenImParse, BeforeAddFriend, "callbackBeforeAddFriendCommand");

// A decision refusing the second relation, as examples/rules.yaml decides
// the PrevFriendResponse sample.
v1::Decision RefuseSecond(const v1::FriendshipEvent& event) {
  v1::Decision decision;
  decision.set_event_id(event.event_id());
  decision.set_verdict(v1::VERDICT_ALLOW);
  v1::TargetVerdict* target = decision.add_targets();
  target->set_relation_index(1);
  target->set_to_user(event.relations(1).to_user());
  target->set_verdict(v1::VERDICT_REFUSE);
  target->mutable_reason()->set_vendor_code(38100);
  target->mutable_reason()->set_message("this user cannot make or answer friend requests");
  return decision;
}

void TencentRenderBeforeAnswer(benchmark::State& state) {
  const tencent::Command* command = tencent::FindCommand("Sns.CallbackPrevFriendResponse");
  v1::FriendshipEvent event;
  if (!tencent::ParseBody(*command, Read("tests/data/tencent/Sns.CallbackPrevFriendResponse.json"),
                          kLimits, &event)
           .ok()) {
    state.SkipWithError("parse failed");
    return;
  }
  const v1::Decision decision = RefuseSecond(event);
  for (auto _ : state) {
    tencent::BeforeAnswer answer = tencent::RenderBeforeAnswer(event, decision, 38001);
    benchmark::DoNotOptimize(answer);
  }
}
BENCHMARK(TencentRenderBeforeAnswer);

void TencentRenderOk(benchmark::State& state) {
  for (auto _ : state) {
    std::string answer = tencent::RenderOk();
    benchmark::DoNotOptimize(answer);
  }
}
BENCHMARK(TencentRenderOk);

void OpenImRenderAnswer(benchmark::State& state, const char* command_name) {
  const openim::Command* command = openim::FindCommand(command_name);
  v1::FriendshipEvent event;
  if (!openim::ParseBody(*command, Read(std::string("tests/data/openim/") + command_name + ".json"),
                         kLimits, &event)
           .ok()) {
    state.SkipWithError("parse failed");
    return;
  }
  v1::Decision decision;
  decision.set_verdict(v1::VERDICT_ALLOW);
  for (auto _ : state) {
    openim::Answer answer = openim::RenderAnswer(*command, event, decision, 20001);
    benchmark::DoNotOptimize(answer);
  }
}
BENCHMARK_CAPTURE(OpenImRenderAnswer, AfterDeleteFriend, "callbackAfterDeleteFriendCommand");
BENCHMARK_CAPTURE(OpenImRenderAnswer, BeforeAddFriend, "callbackBeforeAddFriendCommand");

// The per-request metric updates of one answered callback.
void MetricsPerRequest(benchmark::State& state) {
  GatewayMetrics metrics;
  for (auto _ : state) {
    metrics.CountRequest("tencent", "Sns.CallbackFriendDelete", "ok");
    metrics.ObservePolicySeconds(0.0004);
    metrics.ObserveRequestSeconds("tencent", 0.0006);
  }
}
BENCHMARK(MetricsPerRequest)->Threads(1)->Threads(2);

// The policy service in this process on a loopback port (examples/rules.yaml),
// the gateway's client on its own channel, and the PrevFriendResponse sample
// as the event.
class DecideFixture {
 public:
  explicit DecideFixture(benchmark::State& state, PolicyBatchOptions batching = {}) {
    policy::PolicyServer::Options options;
    options.rules_path = Source("examples/rules.yaml");
    options.decision_log = "off";
    options.rules_poll = absl::ZeroDuration();
    auto server = policy::PolicyServer::Start(options);
    if (!server.ok()) {
      state.SkipWithError("policy server did not start");
      return;
    }
    server_ = *std::move(server);
    const tencent::Command* command = tencent::FindCommand("Sns.CallbackPrevFriendResponse");
    if (!tencent::ParseBody(*command,
                            Read("tests/data/tencent/Sns.CallbackPrevFriendResponse.json"), kLimits,
                            &event_)
             .ok()) {
      state.SkipWithError("parse failed");
      return;
    }
    event_.set_event_id("bench-event");
    event_.set_vendor(v1::VENDOR_TENCENT);
    event_.set_tenant("1400000000");
    event_.set_type(command->type);
    event_.set_phase(command->phase);
    event_.set_vendor_command(std::string(command->name));
    client_ = std::make_unique<GrpcPolicyClient>(
        v1::PolicyService::NewStub(
            MakePolicyChannel("127.0.0.1:" + std::to_string(server_->grpc_port()), "pick_first")),
        batching);
  }
  ~DecideFixture() {
    client_.reset();
    if (server_ != nullptr) server_->Drain(absl::Seconds(1));
  }

  bool ok() const { return client_ != nullptr; }
  GrpcPolicyClient& client() { return *client_; }
  const v1::FriendshipEvent& event() const { return event_; }

 private:
  std::unique_ptr<policy::PolicyServer> server_;
  v1::FriendshipEvent event_;
  std::unique_ptr<GrpcPolicyClient> client_;
};

// CPU time of this whole process (client, server and gRPC threads).
double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Reports the process's CPU time per decision: gateway client and policy
// service together, the number the 2-core budget is about.
void ReportProcessCpu(benchmark::State& state, double cpu_start, int64_t decisions) {
  state.counters["process_cpu_us_per_decision"] =
      (ProcessCpuSeconds() - cpu_start) * 1e6 /
      static_cast<double>(std::max<int64_t>(decisions, 1));
}

// PolicyService over gRPC on loopback, one call at a time: the latency of a
// lone request (it always goes out alone, as a batch of one).
void DecideRoundTrip(benchmark::State& state) {
  DecideFixture fixture(state);
  if (!fixture.ok()) return;
  int64_t targets = 0;
  const double cpu_start = ProcessCpuSeconds();
  for (auto _ : state) {
    absl::Notification answered;
    absl::StatusOr<v1::Decision> decision;
    fixture.client().Decide(fixture.event(), absl::Now() + absl::Seconds(1),
                            [&](absl::StatusOr<v1::Decision> result) {
                              decision = std::move(result);
                              answered.Notify();
                            });
    answered.WaitForNotification();
    if (!decision.ok()) {
      state.SkipWithError("Decide failed");
      break;
    }
    targets += decision->targets_size();
  }
  ReportProcessCpu(state, cpu_start, state.iterations());
  state.counters["targets"] =
      benchmark::Counter(static_cast<double>(targets), benchmark::Counter::kAvgIterations);
}
BENCHMARK(DecideRoundTrip)->UseRealTime();

// 32 Decide calls outstanding at all times, as with 32 busy vendor
// connections: each answer sends the next event from its callback, so events
// queue behind the calls in flight and go out in batches. The argument is
// max_batch_size (1: one unary Decide per event, for comparison). One
// iteration waits for 32 answers; items_per_second is decisions per second.
void DecideRoundTripConcurrent(benchmark::State& state) {
  constexpr int64_t kOutstanding = 32;
  absl::Mutex mu;
  int64_t sent = 0;      // guarded by mu
  int64_t answered = 0;  // guarded by mu
  int64_t failed = 0;    // guarded by mu
  bool stop = false;     // guarded by mu
  PolicyBatchOptions batching;
  batching.max_batch_size = static_cast<size_t>(state.range(0));
  DecideFixture fixture(state, batching);  // after what its callbacks use
  if (!fixture.ok()) return;
  // The caller has counted the call in `sent`.
  std::function<void()> send = [&] {
    fixture.client().Decide(fixture.event(), absl::Now() + absl::Seconds(1),
                            [&](absl::StatusOr<v1::Decision> result) {
                              bool again;
                              {
                                // One critical section: the drain below never
                                // sees this answer counted but not the next send.
                                absl::MutexLock lock(&mu);
                                ++answered;
                                if (!result.ok()) ++failed;
                                again = !stop;
                                if (again) ++sent;
                              }
                              if (again) send();
                            });
  };
  const double cpu_start = ProcessCpuSeconds();
  for (int64_t i = 0; i < kOutstanding; ++i) {
    {
      absl::MutexLock lock(&mu);
      ++sent;
    }
    send();
  }
  int64_t target = 0;
  for (auto _ : state) {
    target += kOutstanding;
    absl::MutexLock lock(&mu);
    auto reached = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu) { return answered >= target; };
    mu.Await(absl::Condition(&reached));
  }
  absl::MutexLock lock(&mu);
  stop = true;
  auto drained = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu) { return answered == sent; };
  mu.Await(absl::Condition(&drained));
  if (failed > 0) state.SkipWithError("Decide failed");
  ReportProcessCpu(state, cpu_start, answered);
  state.SetItemsProcessed(state.iterations() * kOutstanding);
}
BENCHMARK(DecideRoundTripConcurrent)->Arg(64)->Arg(1)->UseRealTime();

}  // namespace
}  // namespace friendgate::gateway

BENCHMARK_MAIN();
