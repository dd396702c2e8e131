// Decide throughput of the assembled policy service (real gRPC on loopback,
// in-process) with 0 and with 200 slow WatchEvents clients, in the same run.
// A slow watcher reads one message every 20 ms, so it is always behind and
// its stream is always full. Reports decides_per_s for each, and for the
// run with watchers its ratio to the run without (issue 16: >= 0.9).
//
//   build/<dir>/bench/policy/policy_watch_bench
//   BENCH_SECONDS=5 (default) sets how long each run drives load.

#include <benchmark/benchmark.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "friendgate/v1/policy_admin.grpc.pb.h"
#include "friendgate/v1/policy_service.grpc.pb.h"
#include "services/policy/policy_server.h"

namespace friendgate::policy {
namespace {

constexpr char kRules[] = R"(
rules:
  - id: bl
    events: [friend_request, friend_response]
    blocklist: {users: [blocked_user]}
  - id: requests
    events: [friend_request]
    rate_limit: {limit: 100000, window_seconds: 60}
)";
constexpr int kCallers = 4;
constexpr int kWatcherThreads = 4;

absl::Duration RunLength() {
  const char* s = std::getenv("BENCH_SECONDS");
  const int seconds = s != nullptr ? std::atoi(s) : 0;
  return absl::Seconds(seconds > 0 ? seconds : 5);
}

PolicyServer& Server() {
  static PolicyServer* server = [] {
    char dir[] = "/tmp/policy_watch_benchXXXXXX";
    const std::string path = std::string(mkdtemp(dir)) + "/rules.yaml";
    std::ofstream(path) << kRules;
    PolicyServer::Options options;
    options.rules_path = path;
    options.decision_log = "off";
    options.rules_poll = absl::ZeroDuration();
    return PolicyServer::Start(options).value().release();
  }();
  return *server;
}

std::string Target() { return "127.0.0.1:" + std::to_string(Server().grpc_port()); }

// `n` watchers that each read one message every 20 ms, on a few threads.
class SlowWatchers {
 public:
  explicit SlowWatchers(int n) {
    if (n == 0) return;
    channel_ = grpc::CreateChannel(Target(), grpc::InsecureChannelCredentials());
    auto admin = v1::PolicyAdmin::NewStub(channel_);
    for (int i = 0; i < n; ++i) {
      auto w = std::make_unique<Watch>();
      w->context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Minutes(10)));
      w->reader = admin->WatchEvents(&w->context, {});
      w->reader->WaitForInitialMetadata();
      watches_.push_back(std::move(w));
    }
    for (int t = 0; t < kWatcherThreads; ++t) {
      threads_.emplace_back([this, t] {
        v1::WatchEventsResponse item;
        while (!stop_.load()) {
          for (size_t i = t; i < watches_.size(); i += kWatcherThreads) {
            if (!stop_.load() && watches_[i]->reader->Read(&item)) reads_.fetch_add(1);
          }
          absl::SleepFor(absl::Milliseconds(20));
        }
      });
    }
  }
  // Messages the watchers read so far.
  int64_t reads() const { return reads_.load(); }

  ~SlowWatchers() {
    stop_.store(true);
    for (auto& w : watches_) w->context.TryCancel();
    for (auto& t : threads_) t.join();
    for (auto& w : watches_) (void)w->reader->Finish();
  }

 private:
  struct Watch {
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReader<v1::WatchEventsResponse>> reader;
  };
  std::shared_ptr<grpc::Channel> channel_;
  std::vector<std::unique_ptr<Watch>> watches_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> reads_{0};
};

// Decide calls from kCallers threads for `length`; returns calls per second.
double DriveDecides(absl::Duration length) {
  auto channel = grpc::CreateChannel(Target(), grpc::InsecureChannelCredentials());
  auto stub = v1::PolicyService::NewStub(channel);
  std::atomic<int64_t> done{0};
  std::atomic<int64_t> failed{0};
  const absl::Time start = absl::Now();
  const absl::Time end = start + length;
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      v1::DecideRequest request;
      v1::FriendshipEvent* e = request.mutable_event();
      e->set_event_id("0123456789abcdef0123456789abcdef");
      e->set_vendor(v1::VENDOR_TENCENT);
      e->set_tenant("1400000000");
      e->set_type(v1::EVENT_TYPE_FRIEND_REQUEST);
      e->set_phase(v1::PHASE_BEFORE);
      v1::Relation* r = e->add_relations();
      r->set_wording("hello, let's be friends");
      int64_t i = 0;
      while (absl::Now() < end) {
        e->set_actor("user_" + std::to_string(c) + "_" + std::to_string(i % 1000));
        r->set_from_user(e->actor());
        r->set_to_user("user_" + std::to_string(i++ % 997));
        grpc::ClientContext context;
        context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
        v1::Decision decision;
        if (stub->Decide(&context, request, &decision).ok()) {
          done.fetch_add(1);
        } else {
          failed.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : callers) t.join();
  if (failed.load() > 0) return -1;
  return static_cast<double>(done.load()) / absl::ToDoubleSeconds(absl::Now() - start);
}

double without_watchers = 0;

// Once, before the first measured run: connections, counters, allocator.
void WarmUp() {
  static bool done = [] {
    DriveDecides(absl::Seconds(1));
    return true;
  }();
  (void)done;
}

void BM_DecideWithSlowWatchers(benchmark::State& state) {
  const int watchers = static_cast<int>(state.range(0));
  Server();
  WarmUp();
  double rate = 0;
  int64_t reads = 0;
  for (auto _ : state) {
    SlowWatchers slow(watchers);
    rate = DriveDecides(RunLength());
    reads = slow.reads();
  }
  if (rate < 0) {
    state.SkipWithError("a Decide call failed");
    return;
  }
  state.counters["decides_per_s"] = rate;
  state.counters["watchers"] = watchers;
  state.counters["watch_reads"] = static_cast<double>(reads);
  if (watchers == 0) {
    without_watchers = rate;
  } else if (without_watchers > 0) {
    state.counters["ratio_vs_0"] = rate / without_watchers;
  }
}
BENCHMARK(BM_DecideWithSlowWatchers)
    ->Arg(0)
    ->Arg(200)
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kSecond);

}  // namespace
}  // namespace friendgate::policy

int main(int argc, char** argv) {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
