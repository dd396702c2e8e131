#ifndef FRIENDGATE_GATEWAY_CORE_HTTP_SERVER_H_
#define FRIENDGATE_GATEWAY_CORE_HTTP_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gateway/core/callback_adapter.h"
#include "gateway/core/metrics.h"
#include "gateway/core/policy_client.h"
#include "gateway/core/server_tls.h"
#include "gateway/core/settings.h"

namespace friendgate::gateway {

// The gateway's HTTP/1.1 edge: an event loop (Boost.Beast on Asio) over
// `io_threads` threads. A request never holds a thread while the policy
// service decides: the adapter answers through a callback, which hands the
// answer back to the connection's strand. Routes vendor callbacks to their
// adapters by exact path or path prefix, serves /healthz, /readyz and
// /metrics, and shapes its own errors (413, 400, 500) in the vendor's schema.
//
// Bounds: header block 16 KiB, body `max_body_bytes`, `max_connections`
// open connections (at the limit a new one evicts the connection that has
// waited longest without a complete request; refused when all are busy),
// `read_timeout` for a request once started (and for a TLS handshake),
// `keep_alive_timeout_s` between requests, `keep_alive_max_requests` per
// connection, 5 s to write an answer.
class HttpServer {
 public:
  HttpServer(const GatewaySettings& settings, const PolicyHealth* health, GatewayMetrics* metrics);
  ~HttpServer();

  // `adapter` answers POST `path` exactly.
  void RouteExact(std::string path, CallbackAdapter* adapter);
  // `adapter` answers POST `prefix`/<anything>.
  void RoutePrefix(std::string prefix, CallbackAdapter* adapter);

  // Binds `host:port` (port 0 picks one) and returns the bound port.
  absl::StatusOr<int> Bind(const std::string& host, int port);
  // Serves until Stop(); returns once every in-flight request was answered
  // and every connection closed.
  void Serve();
  // Waits until Serve() accepts connections; false after `timeout`.
  bool WaitUntilServing(absl::Duration timeout) const;
  // First step of a drain: /readyz turns 503 and every answer carries
  // Connection: close, while the server still accepts and answers.
  void BeginDrain();
  // /readyz turns 503, the listener closes, idle keep-alive connections
  // close, busy ones close after their current answer. Serve() then returns.
  void Stop();
  // GET /metrics answers 404 (it is served on its own port).
  void DisableMetrics();
  // Serves HTTPS: each new connection does a TLS handshake (within
  // read_timeout) with `tls`'s current certificate. Call before Serve();
  // `tls` must outlive the server.
  void UseTls(const ServerTlsContext* tls);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace friendgate::gateway

#endif  // FRIENDGATE_GATEWAY_CORE_HTTP_SERVER_H_
