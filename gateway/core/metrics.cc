#include "gateway/core/metrics.h"

#include <prometheus/text_serializer.h>

#include <cstring>
#include <sstream>

namespace friendgate::gateway {
namespace {

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2};
  return *buckets;
}

}  // namespace

template <typename Metric>
template <typename Make>
Metric& GatewayMetrics::SeriesCache<Metric>::Get(std::initializer_list<std::string_view> values,
                                                 const Make& make) {
  // The key: the values joined by a byte no label value contains here.
  char key[256];
  size_t size = 0;
  for (std::string_view value : values) {
    if (size + value.size() + 1 > sizeof(key)) return make();  // not cached; never here
    std::memcpy(key + size, value.data(), value.size());
    size += value.size();
    key[size++] = '\x1f';
  }
  const absl::string_view k(key, size);
  {
    absl::ReaderMutexLock lock(&mu_);
    if (auto it = series_.find(k); it != series_.end()) return *it->second;
  }
  Metric& metric = make();
  absl::MutexLock lock(&mu_);
  series_.try_emplace(std::string(k), &metric);
  return metric;
}

GatewayMetrics::GatewayMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      requests_(prometheus::BuildCounter()
                    .Name("friendgate_gateway_requests_total")
                    .Help("Vendor callbacks answered, by vendor, command and result.")
                    .Register(*registry_)),
      fallbacks_(prometheus::BuildCounter()
                     .Name("friendgate_gateway_policy_fallbacks_total")
                     .Help("Callbacks answered by the failure mode because the policy service "
                           "did not answer, by reason and the action taken.")
                     .Register(*registry_)),
      unreadable_(prometheus::BuildCounter()
                      .Name("friendgate_gateway_unreadable_total")
                      .Help("Callbacks that could not be read, by the action taken "
                            "(failure_mode.unreadable).")
                      .Register(*registry_)),
      spool_events_(prometheus::BuildCounter()
                        .Name("friendgate_gateway_spool_events_total")
                        .Help("After-events the policy service did not take at once: spooled, "
                              "delivered_late (taken on a retry), dropped (the spool was full).")
                        .Register(*registry_)),
      spooled_(spool_events_.Add({{"outcome", "spooled"}})),
      delivered_late_(spool_events_.Add({{"outcome", "delivered_late"}})),
      spool_dropped_(spool_events_.Add({{"outcome", "dropped"}})),
      spool_size_events_(prometheus::BuildGauge()
                             .Name("friendgate_gateway_spool_events")
                             .Help("After-events waiting in the spool.")
                             .Register(*registry_)
                             .Add({})),
      spool_size_bytes_(prometheus::BuildGauge()
                            .Name("friendgate_gateway_spool_bytes")
                            .Help("Bytes of the after-events waiting in the spool.")
                            .Register(*registry_)
                            .Add({})),
      accept_errors_(prometheus::BuildCounter()
                         .Name("friendgate_gateway_accept_errors_total")
                         .Help("accept(2) failures on the HTTP listener, by reason (fd_limit: "
                               "EMFILE/ENFILE; no_memory; other); each backs off 50 ms.")
                         .Register(*registry_)),
      accept_fd_limit_(accept_errors_.Add({{"reason", "fd_limit"}})),
      accept_no_memory_(accept_errors_.Add({{"reason", "no_memory"}})),
      accept_other_(accept_errors_.Add({{"reason", "other"}})),
      connections_shed_(prometheus::BuildCounter()
                            .Name("friendgate_gateway_connections_shed_total")
                            .Help("Connections closed at http.max_connections: evicted (the one "
                                  "waiting longest without a complete request, for a new one) "
                                  "or refused (a new one, when every open connection was busy).")
                            .Register(*registry_)),
      connections_evicted_(connections_shed_.Add({{"action", "evicted"}})),
      connections_refused_(connections_shed_.Add({{"action", "refused"}})),
      tls_handshake_failures_(prometheus::BuildCounter()
                                  .Name("friendgate_gateway_tls_handshake_failures_total")
                                  .Help("Connections closed because their TLS handshake failed "
                                        "(http.tls): not TLS, an untrusted certificate, a timeout.")
                                  .Register(*registry_)
                                  .Add({})),
      request_seconds_(prometheus::BuildHistogram()
                           .Name("friendgate_gateway_request_duration_seconds")
                           .Help("Time from reading a callback to writing its answer.")
                           .Register(*registry_)),
      policy_seconds_(prometheus::BuildHistogram()
                          .Name("friendgate_gateway_policy_call_duration_seconds")
                          .Help("Duration of PolicyService.Decide calls that completed.")
                          .Register(*registry_)
                          .Add({}, LatencyBuckets())),
      policy_healthy_(prometheus::BuildGauge()
                          .Name("friendgate_gateway_policy_healthy")
                          .Help("1 while the policy service answers its health check.")
                          .Register(*registry_)
                          .Add({})) {}

void GatewayMetrics::CountRequest(std::string_view vendor, std::string_view command,
                                  std::string_view result) {
  requests_cache_
      .Get({vendor, command, result},
           [&]() -> prometheus::Counter& {
             return requests_.Add({{"vendor", std::string(vendor)},
                                   {"command", std::string(command)},
                                   {"result", std::string(result)}});
           })
      .Increment();
}

void GatewayMetrics::CountFallback(std::string_view vendor, std::string_view command,
                                   std::string_view reason, std::string_view action) {
  fallbacks_cache_
      .Get({vendor, command, reason, action},
           [&]() -> prometheus::Counter& {
             return fallbacks_.Add({{"vendor", std::string(vendor)},
                                    {"command", std::string(command)},
                                    {"reason", std::string(reason)},
                                    {"action", std::string(action)}});
           })
      .Increment();
}

void GatewayMetrics::CountUnreadable(std::string_view vendor, std::string_view command,
                                     std::string_view action) {
  unreadable_cache_
      .Get({vendor, command, action},
           [&]() -> prometheus::Counter& {
             return unreadable_.Add({{"vendor", std::string(vendor)},
                                     {"command", std::string(command)},
                                     {"action", std::string(action)}});
           })
      .Increment();
}

void GatewayMetrics::CountSpool(std::string_view outcome) {
  if (outcome == "spooled") {
    spooled_.Increment();
  } else if (outcome == "delivered_late") {
    delivered_late_.Increment();
  } else {
    spool_dropped_.Increment();
  }
}

void GatewayMetrics::SetSpoolSize(size_t events, size_t bytes) {
  spool_size_events_.Set(static_cast<double>(events));
  spool_size_bytes_.Set(static_cast<double>(bytes));
}

void GatewayMetrics::CountAcceptError(std::string_view reason) {
  if (reason == "fd_limit") {
    accept_fd_limit_.Increment();
  } else if (reason == "no_memory") {
    accept_no_memory_.Increment();
  } else {
    accept_other_.Increment();
  }
}

void GatewayMetrics::CountConnectionEvicted() { connections_evicted_.Increment(); }
void GatewayMetrics::CountConnectionRefused() { connections_refused_.Increment(); }

void GatewayMetrics::CountTlsHandshakeFailure() { tls_handshake_failures_.Increment(); }

void GatewayMetrics::ObserveRequestSeconds(std::string_view vendor, double seconds) {
  request_seconds_cache_
      .Get({vendor},
           [&]() -> prometheus::Histogram& {
             return request_seconds_.Add({{"vendor", std::string(vendor)}}, LatencyBuckets());
           })
      .Observe(seconds);
}

void GatewayMetrics::ObservePolicySeconds(double seconds) { policy_seconds_.Observe(seconds); }

void GatewayMetrics::SetPolicyHealthy(bool healthy) { policy_healthy_.Set(healthy ? 1 : 0); }

std::string GatewayMetrics::Render() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

}  // namespace friendgate::gateway
