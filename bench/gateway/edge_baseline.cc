// bench_edge_baseline: the ceiling of the gateway's own HTTP edge on this
// machine. gateway/core/http_server (the event loop the gateway runs, with
// the gateway's default HTTP settings) routing to an adapter that answers
// each benchmark sample with the gateway's own answer, fixed, at once: no
// parsing, no policy service. scripts/bench runs it beside the cpp-httplib
// baseline (bench_baseline_server) so that the bridge can be compared with
// both.
//
//   bench_edge_baseline --listen=127.0.0.1:0 --io-threads=2
// logs {"msg":"listening","http":"127.0.0.1:PORT"} on stderr.

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "bench/gateway/fixed_answers.h"
#include "gateway/core/callback_adapter.h"
#include "gateway/core/http_server.h"
#include "gateway/core/metrics.h"
#include "gateway/core/settings.h"

namespace {

using namespace friendgate::gateway;

class FixedAnswers final : public CallbackAdapter {
 public:
  void Handle(const HttpRequest& request, Respond respond) override {
    std::move(respond)(HttpAnswer{
        200, friendgate::bench::FixedAnswer(request.path, request.Query("CallbackCommand"))});
  }
  std::string ErrorBody(const HttpRequest&, int, std::string_view) override { return "{}"; }
};

class AlwaysHealthy final : public PolicyHealth {
 public:
  bool Healthy() const override { return true; }
};

}  // namespace

int main(int argc, char** argv) {
  using friendgate::bench::ServerFlags;
  const std::optional<ServerFlags> flags =
      friendgate::bench::ParseServerFlags(argc, argv, "bench_edge_baseline", "io-threads", 2);
  if (!flags) return 2;
  GatewaySettings settings;  // the gateway's HTTP defaults
  settings.io_threads = static_cast<size_t>(flags->threads);
  AlwaysHealthy health;
  GatewayMetrics metrics;
  FixedAnswers answers;
  HttpServer server(settings, &health, &metrics);
  server.RouteExact("/tencent/callback", &answers);
  server.RoutePrefix("/openim", &answers);
  absl::StatusOr<int> bound = server.Bind(flags->host, flags->port);
  if (!bound.ok()) {
    std::cerr << "bench_edge_baseline: " << bound.status().message() << "\n";
    return 1;
  }
  std::fprintf(stderr, "{\"msg\":\"listening\",\"http\":\"%s:%d\",\"io_threads\":%d}\n",
               flags->host.c_str(), *bound, flags->threads);
  server.Serve();
  return 0;
}
