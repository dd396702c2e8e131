// Google Benchmarks for the gateway's per-request work, on the vendors'
// sample bodies (tests/data): each vendor parser, each answer writer, the
// metrics update, and the Decide round trip over gRPC to an in-process
// policy service on a loopback port with examples/rules.yaml.
//
//   build/<dir>/bench/gateway/gateway_micro_bench [--benchmark_filter=Parse]

#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gateway/core/grpc_policy_client.h"
#include "gateway/core/metrics.h"
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

// PolicyService.Decide over gRPC on loopback: the gateway's client (callback
// API, deadline) against the real policy service in this process.
void DecideRoundTrip(benchmark::State& state) {
  policy::PolicyServer::Options options;
  options.rules_path = Source("examples/rules.yaml");
  options.decision_log = "off";
  options.rules_poll = absl::ZeroDuration();
  auto server = policy::PolicyServer::Start(options);
  if (!server.ok()) {
    state.SkipWithError("policy server did not start");
    return;
  }
  auto channel =
      MakePolicyChannel("127.0.0.1:" + std::to_string((*server)->grpc_port()), "pick_first");
  GrpcPolicyClient client(v1::PolicyService::NewStub(channel));
  const tencent::Command* command = tencent::FindCommand("Sns.CallbackPrevFriendResponse");
  v1::FriendshipEvent event;
  if (!tencent::ParseBody(*command, Read("tests/data/tencent/Sns.CallbackPrevFriendResponse.json"),
                          kLimits, &event)
           .ok()) {
    state.SkipWithError("parse failed");
    return;
  }
  event.set_event_id("bench-event");
  event.set_vendor(v1::VENDOR_TENCENT);
  event.set_tenant("1400000000");
  event.set_type(command->type);
  event.set_phase(command->phase);
  event.set_vendor_command(std::string(command->name));
  int64_t refused = 0;
  for (auto _ : state) {
    absl::StatusOr<v1::Decision> decision = client.Decide(event, absl::Now() + absl::Seconds(1));
    if (!decision.ok()) {
      state.SkipWithError("Decide failed");
      break;
    }
    refused += decision->targets_size();
  }
  state.counters["targets"] =
      benchmark::Counter(static_cast<double>(refused), benchmark::Counter::kAvgIterations);
  (*server)->Drain(absl::Seconds(1));
}
BENCHMARK(DecideRoundTrip)->UseRealTime();

}  // namespace
}  // namespace friendgate::gateway

BENCHMARK_MAIN();
