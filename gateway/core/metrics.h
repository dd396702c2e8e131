#ifndef FRIENDGATE_GATEWAY_CORE_METRICS_H_
#define FRIENDGATE_GATEWAY_CORE_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace friendgate::gateway {

// The gateway's Prometheus metrics. Label values come only from fixed sets
// (known commands, or "unknown"), never from request data, so a caller cannot
// grow the number of series.
class GatewayMetrics {
 public:
  GatewayMetrics();

  // One answered callback. `result`: allow, refuse, partial (some targets
  // refused), ok (after-callback), bad_request, unauthorized, forbidden,
  // not_found, too_large, unknown_command.
  void CountRequest(std::string_view vendor, std::string_view command, std::string_view result);
  // The policy service could not answer: `reason` is timeout, unavailable,
  // overloaded, message_too_large, invalid_answer or error; `action` is allow
  // or deny (what the vendor was told).
  void CountFallback(std::string_view vendor, std::string_view command, std::string_view reason,
                     std::string_view action);
  // A callback that could not be read: `action` is deny (refused where the
  // vendor allows) or allow (answered with an error).
  void CountUnreadable(std::string_view vendor, std::string_view command, std::string_view action);
  // The after-event spool: `outcome` is spooled, delivered_late or dropped.
  void CountSpool(std::string_view outcome);
  void SetSpoolSize(size_t events, size_t bytes);
  // accept(2) failed: `reason` is fd_limit (EMFILE, ENFILE), no_memory
  // (ENOBUFS, ENOMEM) or other.
  void CountAcceptError(std::string_view reason);
  // At http.max_connections: a connection evicted to make room for a new one
  // (the one waiting longest without a complete request), or a new one
  // refused (every open connection had a request in progress).
  void CountConnectionEvicted();
  void CountConnectionRefused();
  // http.tls: a connection closed because its TLS handshake failed (not TLS,
  // a client that does not trust the certificate, a timeout).
  void CountTlsHandshakeFailure();
  void ObserveRequestSeconds(std::string_view vendor, double seconds);
  void ObservePolicySeconds(double seconds);
  void SetPolicyHealthy(bool healthy);

  // The Prometheus text exposition format.
  std::string Render() const;

 private:
  // The series of one family by their label values. Family::Add builds a
  // label map (allocations) and takes the family's mutex on every call; this
  // finds a series again under a shared lock without allocating. Series live
  // as long as their family (they are never removed).
  template <typename Metric>
  class SeriesCache {
   public:
    template <typename Make>
    Metric& Get(std::initializer_list<std::string_view> values, const Make& make);

   private:
    absl::Mutex mu_;
    absl::flat_hash_map<std::string, Metric*> series_ ABSL_GUARDED_BY(mu_);
  };

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& fallbacks_;
  prometheus::Family<prometheus::Counter>& unreadable_;
  prometheus::Family<prometheus::Counter>& spool_events_;
  prometheus::Counter& spooled_;
  prometheus::Counter& delivered_late_;
  prometheus::Counter& spool_dropped_;
  prometheus::Gauge& spool_size_events_;
  prometheus::Gauge& spool_size_bytes_;
  prometheus::Family<prometheus::Counter>& accept_errors_;
  prometheus::Counter& accept_fd_limit_;
  prometheus::Counter& accept_no_memory_;
  prometheus::Counter& accept_other_;
  prometheus::Family<prometheus::Counter>& connections_shed_;
  prometheus::Counter& connections_evicted_;
  prometheus::Counter& connections_refused_;
  prometheus::Counter& tls_handshake_failures_;
  prometheus::Family<prometheus::Histogram>& request_seconds_;
  prometheus::Histogram& policy_seconds_;
  prometheus::Gauge& policy_healthy_;
  SeriesCache<prometheus::Counter> requests_cache_;
  SeriesCache<prometheus::Counter> fallbacks_cache_;
  SeriesCache<prometheus::Counter> unreadable_cache_;
  SeriesCache<prometheus::Histogram> request_seconds_cache_;
};

}  // namespace friendgate::gateway

#endif  // FRIENDGATE_GATEWAY_CORE_METRICS_H_
