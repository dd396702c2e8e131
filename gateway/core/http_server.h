#ifndef FRIENDGATE_GATEWAY_CORE_HTTP_SERVER_H_
#define FRIENDGATE_GATEWAY_CORE_HTTP_SERVER_H_

#include <httplib.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gateway/core/callback_adapter.h"
#include "gateway/core/metrics.h"
#include "gateway/core/policy_client.h"
#include "gateway/core/settings.h"

namespace friendgate::gateway {

// The gateway's HTTP edge on cpp-httplib: routes vendor callbacks to their
// adapters by exact path or path prefix, serves /healthz, /readyz and
// /metrics, and shapes the library's own errors (413, 500) in the vendor's
// schema.
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
  // Serves until Stop(); returns once every in-flight request finished.
  void Serve();
  // Waits until Serve() accepts connections; false after `timeout`.
  bool WaitUntilServing(absl::Duration timeout) const;
  // /readyz turns 503, the listener closes, keep-alive connections end after
  // their current request. Serve() then returns.
  void Stop();

 private:
  CallbackAdapter* Find(const std::string& path) const;
  void HandlePost(const httplib::Request& request, httplib::Response& response);

  struct Route {
    std::string path;
    bool prefix;
    CallbackAdapter* adapter;
  };

  const GatewaySettings& settings_;
  const PolicyHealth* health_;
  GatewayMetrics* metrics_;
  std::vector<Route> routes_;
  std::atomic<bool> draining_{false};
  int listen_fd_ = -1;  // set while binding
  httplib::Server server_;
};

}  // namespace friendgate::gateway

#endif  // FRIENDGATE_GATEWAY_CORE_HTTP_SERVER_H_
