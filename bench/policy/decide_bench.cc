// Decide in-process with 1,000,000 blocklist entries and 50 rules (30
// blocklists, 10 content rules, 5 rate limits, 5 exemptions), the in-memory
// store with 1,000 run-time list entries and a fixed pool of 100,000 users. Reports the median and
// p99 of single Decide calls (timed one by one) and the process's RSS.
//
//   build/<dir>/bench/policy/policy_decide_bench --benchmark_min_time=2
//
// With FRIENDGATE_BENCH_REDIS=redis://HOST:PORT the store is a RedisStore
// there instead (prefix "bench:", flushed first), holding 1,000,000 run-time
// entries of blocklist-1 (so the replica's local copy of a big list counts in
// the RSS); rate limits then cost one Redis round trip each.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/ids.h"
#include "common/redis/redis_client.h"
#include "services/policy/clock.h"
#include "services/policy/decision_log.h"
#include "services/policy/memory_event_log.h"
#include "services/policy/memory_store.h"
#include "services/policy/metrics.h"
#include "services/policy/policy_decider.h"
#include "services/policy/redis_store.h"
#include "services/policy/rule_engine.h"

namespace friendgate::policy {
namespace {

constexpr int kBlockedUsers = 1'000'000;
constexpr int kUserPool = 100'000;

std::string UserId(int i) { return "user_" + std::to_string(i); }

double RssMb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

std::unique_ptr<PolicyStore> OpenRedis(const std::string& url);

struct Fixture {
  std::shared_ptr<const RuleEngine> engine;
  std::unique_ptr<PolicyStore> store;
  std::vector<v1::FriendshipEvent> events;
  double rss_before_mb = 0;
  double rss_after_load_mb = 0;

  Fixture() {
    rss_before_mb = RssMb();
    RulesFile file;
    std::vector<RuleEngine::UserSet> users(50);
    // Rule 0: the big list. Every 100th user of the pool is in it.
    Rule* big = file.add_rules();
    big->set_id("big-blocklist");
    big->mutable_blocklist();
    for (int i = 0; i < kBlockedUsers; ++i) users[0].insert(UserId(i * 100 + 7));
    for (int r = 1; r < 30; ++r) {
      Rule* rule = file.add_rules();
      rule->set_id("blocklist-" + std::to_string(r));
      if (r % 3 == 0) rule->add_events(v1::EVENT_TYPE_FRIEND_REQUEST);
      if (r % 5 == 0) rule->add_tenants("1400000000");
      for (int u = 0; u < 100; ++u)
        rule->mutable_blocklist()->add_users("other_" + std::to_string(r * 1000 + u));
    }
    for (int r = 0; r < 10; ++r) {
      Rule* rule = file.add_rules();
      rule->set_id("content-" + std::to_string(r));
      for (int w = 0; w < 20; ++w) {
        rule->mutable_content()->add_words("badword" + std::to_string(r * 100 + w));
      }
    }
    for (int r = 0; r < 5; ++r) {
      Rule* rule = file.add_rules();
      rule->set_id("rate-" + std::to_string(r));
      rule->add_events(r % 2 == 0 ? v1::EVENT_TYPE_FRIEND_REQUEST : v1::EVENT_TYPE_FRIEND_DELETED);
      rule->mutable_rate_limit()->set_limit(100000);
      rule->mutable_rate_limit()->set_window_seconds(60);
    }
    for (int r = 0; r < 5; ++r) {
      Rule* rule = file.add_rules();
      rule->set_id("exempt-" + std::to_string(r));
      rule->mutable_exempt()->add_users("admin_" + std::to_string(r));
    }
    engine = std::shared_ptr<const RuleEngine>(RuleEngine::Create(file, std::move(users)).value());
    if (const char* url = std::getenv("FRIENDGATE_BENCH_REDIS"); url != nullptr && *url != '\0') {
      store = OpenRedis(url);
    } else {
      store = std::move(MemoryStore::Open("").value());
      // Run-time entries exist, so list lookups take the store's lock path.
      for (int u = 0; u < 1000; ++u)
        (void)store->AddToList("blocklist-1", "runtime_" + std::to_string(u));
    }
    rss_after_load_mb = RssMb();

    std::mt19937 rng(42);
    std::uniform_int_distribution<int> pick(0, kUserPool * 100);
    for (int i = 0; i < 10000; ++i) {
      v1::FriendshipEvent e;
      e.set_event_id("0123456789abcdef0123456789abcdef");
      e.set_vendor(v1::VENDOR_TENCENT);
      e.set_tenant("1400000000");
      e.set_type(v1::EVENT_TYPE_FRIEND_REQUEST);
      e.set_phase(v1::PHASE_BEFORE);
      const std::string from = UserId(pick(rng));
      e.set_actor(from);
      // One target, every 8th event five (a Tencent batch add).
      const int targets = i % 8 == 0 ? 5 : 1;
      for (int t = 0; t < targets; ++t) {
        v1::Relation* r = e.add_relations();
        r->set_from_user(from);
        // 1 in 20 targets blocked.
        r->set_to_user(i % 20 == 0 ? UserId(((i / 20) % kBlockedUsers) * 100 + 7)
                                   : UserId(pick(rng)));
        r->set_wording(i % 50 == 0 ? "hello badword503 there" : "hello, let's be friends");
      }
      events.push_back(std::move(e));
    }
  }
};

// A RedisStore on `url` with 1,000,000 entries in blocklist-1, loaded into
// its local copy before the clock starts.
std::unique_ptr<PolicyStore> OpenRedis(const std::string& url) {
  redis::Options options = redis::ParseUrl(url).value();
  options.call_timeout = absl::Seconds(5);
  redis::Client loader(options);
  auto stale = loader.Call({"KEYS", "bench:*"}).value();
  for (const redis::Reply& key : stale.elements) (void)loader.Call({"DEL", key.str});
  constexpr int kRuntimeEntries = 1'000'000;
  constexpr int kBatch = 10'000;
  std::vector<std::string> users;
  for (int u = 0; u < kRuntimeEntries; u += kBatch) {
    users.clear();
    for (int i = u; i < u + kBatch; ++i) users.push_back("runtime_" + std::to_string(i));
    std::vector<std::string_view> zadd = {"ZADD", "bench:list:{blocklist-1}"};
    for (const std::string& user : users) {
      zadd.push_back("0");
      zadd.push_back(user);
    }
    (void)loader.Call(zadd, absl::Seconds(30)).value();
  }
  (void)loader.Call({"SET", "bench:listver:{blocklist-1}", "1"}).value();
  // Generous: the first page of the big list is read on the decision path.
  options.call_timeout = absl::Seconds(1);
  RedisStore::Options store_options;
  store_options.prefix = "bench:";
  store_options.load_timeout = absl::Seconds(30);
  std::unique_ptr<PolicyStore> store(
      RedisStore::Open(std::make_unique<redis::Client>(options), store_options).value());
  (void)store->InList("blocklist-1", "runtime_0").value();  // loads the 1,000,000
  return store;
}

Fixture& GetFixture() {
  static Fixture* fixture = new Fixture();
  return *fixture;
}

void Report(benchmark::State& state, std::vector<double>& ns, const Fixture& f) {
  std::sort(ns.begin(), ns.end());
  if (ns.empty()) return;
  state.counters["median_us"] = ns[ns.size() / 2] / 1000.0;
  state.counters["p99_us"] = ns[std::min(ns.size() - 1, ns.size() * 99 / 100)] / 1000.0;
  state.counters["rss_mb"] = RssMb();
  state.counters["rss_rules_mb"] = f.rss_after_load_mb - f.rss_before_mb;
}

// RuleEngine::Decide alone: rules + store.
void BM_EngineDecide(benchmark::State& state) {
  Fixture& f = GetFixture();
  SystemClock clock;
  std::vector<double> ns;
  ns.reserve(1 << 20);
  size_t i = 0;
  for (auto _ : state) {
    const v1::FriendshipEvent& event = f.events[i++ % f.events.size()];
    const auto start = std::chrono::steady_clock::now();
    DecideContext context{f.store.get(), clock.Now()};
    v1::Decision d = f.engine->Decide(event, context);
    benchmark::DoNotOptimize(d);
    ns.push_back(
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count());
  }
  Report(state, ns, f);
}
BENCHMARK(BM_EngineDecide)->Unit(benchmark::kMicrosecond);

// What PolicyDecider runs per call: engine, decision id, metrics, the event
// log (the in-process ring), and the decision log (hashed users) to
// /dev/null.
void BM_DeciderDecide(benchmark::State& state) {
  Fixture& f = GetFixture();
  SystemClock clock;
  PolicyMetrics metrics;
  MemoryEventLog events(10000);
  EventLogRecorder recorder(&events, &clock);
  auto log = DecisionLog::Open("/dev/null", UserIdFormatter(UserIdFormatter::Mode::kHashed, "salt"))
                 .value();
  std::vector<double> ns;
  ns.reserve(1 << 20);
  size_t i = 0;
  for (auto _ : state) {
    const v1::FriendshipEvent& event = f.events[i++ % f.events.size()];
    const auto start = std::chrono::steady_clock::now();
    DecideContext context{f.store.get(), clock.Now()};
    v1::Decision d = f.engine->Decide(event, context);
    d.set_decision_id(NewId());
    const auto decided = std::chrono::steady_clock::now();
    const absl::Duration latency = absl::FromChrono(decided - start);
    metrics.ObserveDecision(event, d, latency, context.store_errors);
    log->Write(event, d, latency);
    recorder.OnDecided(event, d);
    benchmark::DoNotOptimize(d);
    ns.push_back(
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count());
  }
  Report(state, ns, f);
}
BENCHMARK(BM_DeciderDecide)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace friendgate::policy

int main(int argc, char** argv) {
  // As friendgate-policy's main does (Debian's Abseil checks lock order on
  // every lock otherwise).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
