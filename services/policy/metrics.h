#ifndef FRIENDGATE_SERVICES_POLICY_METRICS_H_
#define FRIENDGATE_SERVICES_POLICY_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "friendgate/v1/decision.pb.h"
#include "friendgate/v1/event.pb.h"
#include "services/policy/memory_store.h"

namespace friendgate::policy {

// The policy service's Prometheus metrics. Labels come from fixed sets
// (event types, phases, verdicts) or from the rules file (rule ids), never
// from request data.
class PolicyMetrics {
 public:
  PolicyMetrics();

  void ObserveDecision(const v1::FriendshipEvent& event, const v1::Decision& decision,
                       absl::Duration latency, int store_errors);
  void CountReload(bool ok);
  void SetRulesActive(size_t rules);
  void SetWatchers(size_t watchers);
  void CountWatchDropped(uint64_t n);
  void CountWatchRefused();
  // The in-memory store's table sizes and what its bounds did (totals).
  void ObserveMemoryStore(const PolicyStore::Stats& stats, const MemoryStore::Bounds& bounds);
  // An after-event whose event_id was seen recently (a gateway's retry): not
  // decided again.
  void CountDuplicateEvent();
  // The in-process event id set: ids kept, ids pushed out at its cap (total).
  void ObserveEventDedupe(size_t ids, uint64_t evicted);
  // A failed store call, by operation (a fixed set named by the store).
  void CountStoreError(std::string_view op);
  // 1 when the admin API is reachable from other hosts without credentials.
  void SetAdminUnauthenticated(bool open);
  // Decided events dropped before reaching a shared event log (its buffer
  // full while Redis is down), and those waiting in that buffer.
  void CountEventsDropped(uint64_t n);
  void SetEventsBuffered(size_t n);

  // The Prometheus text exposition format.
  std::string Render() const;

 private:
  static constexpr int kTypes = 16;
  static constexpr int kPhases = 3;
  static constexpr int kVerdicts = 3;

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& decisions_;
  prometheus::Family<prometheus::Counter>& rule_matches_;
  prometheus::Histogram& decide_seconds_;
  prometheus::Family<prometheus::Counter>& reloads_;
  prometheus::Counter& reloads_ok_;
  prometheus::Counter& reloads_failed_;
  prometheus::Gauge& rules_active_;
  prometheus::Gauge& watchers_;
  prometheus::Counter& watch_dropped_;
  prometheus::Counter& watch_refused_;
  prometheus::Gauge& counter_keys_;
  prometheus::Gauge& list_entries_;
  prometheus::Counter& counters_evicted_;
  prometheus::Counter& list_adds_refused_;
  prometheus::Counter& duplicate_events_;
  prometheus::Gauge& dedupe_ids_;
  prometheus::Counter& dedupe_evicted_;
  absl::Mutex bounds_mu_;
  MemoryStore::Bounds bounds_seen_ ABSL_GUARDED_BY(bounds_mu_);
  uint64_t dedupe_evicted_seen_ ABSL_GUARDED_BY(bounds_mu_) = 0;
  prometheus::Family<prometheus::Counter>& store_errors_;
  prometheus::Gauge& admin_unauthenticated_;
  prometheus::Counter& events_dropped_;
  prometheus::Gauge& events_buffered_;
  // Cached series: Family::Add takes a lock and hashes labels.
  std::array<prometheus::Counter*, kTypes * kPhases * kVerdicts> by_outcome_{};
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_METRICS_H_
