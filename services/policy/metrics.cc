#include "services/policy/metrics.h"

#include <prometheus/text_serializer.h>

#include <sstream>

namespace friendgate::policy {
namespace {

std::string Lower(std::string s, std::string_view prefix) {
  if (s.compare(0, prefix.size(), prefix.data(), prefix.size()) == 0) s.erase(0, prefix.size());
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  return {1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 5e-3, 0.025, 0.1};
}

}  // namespace

PolicyMetrics::PolicyMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      decisions_(prometheus::BuildCounter()
                     .Name("friendgate_policy_decisions_total")
                     .Help("Decisions by event type, phase and verdict.")
                     .Register(*registry_)),
      rule_matches_(
          prometheus::BuildCounter()
              .Name("friendgate_policy_rule_matches_total")
              .Help("Relations each rule matched (enforced, dry-run, exemptions and masks).")
              .Register(*registry_)),
      decide_seconds_(prometheus::BuildHistogram()
                          .Name("friendgate_policy_decide_seconds")
                          .Help("Time to decide one event (rules, state, log).")
                          .Register(*registry_)
                          .Add({}, LatencyBuckets())),
      reloads_(prometheus::BuildCounter()
                   .Name("friendgate_policy_rules_reloads_total")
                   .Help("Rules reload attempts by result (ok, refused).")
                   .Register(*registry_)),
      reloads_ok_(reloads_.Add({{"result", "ok"}})),
      reloads_failed_(reloads_.Add({{"result", "refused"}})),
      rules_active_(prometheus::BuildGauge()
                        .Name("friendgate_policy_rules_active")
                        .Help("Rules in the active rule set.")
                        .Register(*registry_)
                        .Add({})),
      watchers_(prometheus::BuildGauge()
                    .Name("friendgate_policy_watchers")
                    .Help("Open WatchEvents streams.")
                    .Register(*registry_)
                    .Add({})),
      watch_dropped_(prometheus::BuildCounter()
                         .Name("friendgate_policy_watch_dropped_total")
                         .Help("Events dropped for WatchEvents streams that read too slowly.")
                         .Register(*registry_)
                         .Add({})),
      watch_refused_(prometheus::BuildCounter()
                         .Name("friendgate_policy_watch_refused_total")
                         .Help("WatchEvents streams refused at --max-watchers.")
                         .Register(*registry_)
                         .Add({})),
      counter_keys_(prometheus::BuildGauge()
                        .Name("friendgate_policy_store_counter_keys")
                        .Help("Rate-limit counters in memory (at most --max-counter-keys).")
                        .Register(*registry_)
                        .Add({})),
      list_entries_(prometheus::BuildGauge()
                        .Name("friendgate_policy_store_list_entries")
                        .Help("Run-time list entries (at most --max-list-entries).")
                        .Register(*registry_)
                        .Add({})),
      counters_evicted_(prometheus::BuildCounter()
                            .Name("friendgate_policy_store_counters_evicted_total")
                            .Help("Counters dropped at --max-counter-keys before their window "
                                  "passed (least recently used first).")
                            .Register(*registry_)
                            .Add({})),
      list_adds_refused_(prometheus::BuildCounter()
                             .Name("friendgate_policy_store_list_adds_refused_total")
                             .Help("AddListEntry calls refused at --max-list-entries.")
                             .Register(*registry_)
                             .Add({})),
      duplicate_events_(prometheus::BuildCounter()
                            .Name("friendgate_policy_duplicate_events_total")
                            .Help("After-events not decided again: their event_id was seen in the "
                                  "last hour (a gateway's retry).")
                            .Register(*registry_)
                            .Add({})),
      dedupe_ids_(prometheus::BuildGauge()
                      .Name("friendgate_policy_event_dedupe_ids")
                      .Help("After-event ids remembered for retry dedupe (at most 500,000, "
                            "one hour).")
                      .Register(*registry_)
                      .Add({})),
      dedupe_evicted_(prometheus::BuildCounter()
                          .Name("friendgate_policy_event_dedupe_evicted_total")
                          .Help("After-event ids forgotten at the cap before their hour passed "
                                "(oldest first).")
                          .Register(*registry_)
                          .Add({})),
      store_errors_(prometheus::BuildCounter()
                        .Name("friendgate_policy_store_errors_total")
                        .Help("State store calls that failed, by operation (during decisions "
                              "the rule involved is skipped).")
                        .Register(*registry_)),
      admin_unauthenticated_(prometheus::BuildGauge()
                                 .Name("friendgate_policy_admin_unauthenticated")
                                 .Help("1 when the admin API listens beyond loopback with neither "
                                       "--admin-tokens-file nor --tls-client-ca-file.")
                                 .Register(*registry_)
                                 .Add({})),
      events_dropped_(prometheus::BuildCounter()
                          .Name("friendgate_policy_events_dropped_total")
                          .Help("Decided events dropped before reaching the shared event stream: "
                                "the oldest, when the buffer of events waiting for Redis was full.")
                          .Register(*registry_)
                          .Add({})),
      events_buffered_(prometheus::BuildGauge()
                           .Name("friendgate_policy_events_buffered")
                           .Help("Decided events waiting to be appended to the shared event "
                                 "stream (Redis down or slow).")
                           .Register(*registry_)
                           .Add({})) {
  // Every operation's series exists from the start (at 0), so rates and
  // alerts see it before the first failure.
  for (const char* op : {"acquire", "record", "count", "in_list", "add", "remove", "list_entries",
                         "sync", "append", "read_events"}) {
    store_errors_.Add({{"op", op}});
  }
  for (int t = 0; t < kTypes; ++t) {
    if (!v1::EventType_IsValid(t) || t == 0) continue;
    for (int p = 1; p < kPhases; ++p) {
      for (int v = 1; v < kVerdicts; ++v) {
        by_outcome_[(t * kPhases + p) * kVerdicts + v] = &decisions_.Add(
            {{"event_type",
              Lower(v1::EventType_Name(static_cast<v1::EventType>(t)), "EVENT_TYPE_")},
             {"phase", Lower(v1::Phase_Name(static_cast<v1::Phase>(p)), "PHASE_")},
             {"verdict", Lower(v1::Verdict_Name(static_cast<v1::Verdict>(v)), "VERDICT_")}});
      }
    }
  }
}

void PolicyMetrics::ObserveDecision(const v1::FriendshipEvent& event, const v1::Decision& decision,
                                    absl::Duration latency, int /*store_errors*/) {
  const int t = event.type(), p = event.phase(), v = decision.verdict();
  if (t > 0 && t < kTypes && p > 0 && p < kPhases && v > 0 && v < kVerdicts) {
    if (prometheus::Counter* c = by_outcome_[(t * kPhases + p) * kVerdicts + v]) c->Increment();
  }
  decide_seconds_.Observe(absl::ToDoubleSeconds(latency));
  // Failed store calls are counted where they fail, by operation (CountStoreError).
  if (decision.matched_rule_ids_size() == 0) return;
  for (const v1::TargetVerdict& target : decision.targets()) {
    for (const std::string& id : target.rule_ids()) rule_matches_.Add({{"rule", id}}).Increment();
  }
}

void PolicyMetrics::CountReload(bool ok) { (ok ? reloads_ok_ : reloads_failed_).Increment(); }
void PolicyMetrics::SetRulesActive(size_t rules) { rules_active_.Set(static_cast<double>(rules)); }
void PolicyMetrics::SetWatchers(size_t watchers) { watchers_.Set(static_cast<double>(watchers)); }
void PolicyMetrics::SetAdminUnauthenticated(bool open) { admin_unauthenticated_.Set(open ? 1 : 0); }
void PolicyMetrics::CountWatchDropped(uint64_t n) {
  watch_dropped_.Increment(static_cast<double>(n));
}

void PolicyMetrics::CountWatchRefused() { watch_refused_.Increment(); }

void PolicyMetrics::ObserveMemoryStore(const PolicyStore::Stats& stats,
                                       const MemoryStore::Bounds& bounds) {
  counter_keys_.Set(static_cast<double>(stats.counter_keys));
  list_entries_.Set(static_cast<double>(stats.list_entries));
  absl::MutexLock lock(&bounds_mu_);
  counters_evicted_.Increment(
      static_cast<double>(bounds.counters_evicted - bounds_seen_.counters_evicted));
  list_adds_refused_.Increment(
      static_cast<double>(bounds.list_adds_refused - bounds_seen_.list_adds_refused));
  bounds_seen_ = bounds;
}

void PolicyMetrics::CountDuplicateEvent() { duplicate_events_.Increment(); }

void PolicyMetrics::ObserveEventDedupe(size_t ids, uint64_t evicted) {
  dedupe_ids_.Set(static_cast<double>(ids));
  absl::MutexLock lock(&bounds_mu_);
  dedupe_evicted_.Increment(static_cast<double>(evicted - dedupe_evicted_seen_));
  dedupe_evicted_seen_ = evicted;
}

void PolicyMetrics::CountStoreError(std::string_view op) {
  store_errors_.Add({{"op", std::string(op)}}).Increment();
}

void PolicyMetrics::CountEventsDropped(uint64_t n) {
  events_dropped_.Increment(static_cast<double>(n));
}

void PolicyMetrics::SetEventsBuffered(size_t n) { events_buffered_.Set(static_cast<double>(n)); }

std::string PolicyMetrics::Render() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

}  // namespace friendgate::policy
