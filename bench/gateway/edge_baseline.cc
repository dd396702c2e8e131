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
#include <cstdlib>
#include <iostream>
#include <string>

#include "gateway/core/callback_adapter.h"
#include "gateway/core/http_server.h"
#include "gateway/core/metrics.h"
#include "gateway/core/settings.h"

namespace {

using namespace friendgate::gateway;

// The gateway's answers to the three benchmark samples (tests/data) with
// examples/rules.yaml; the same as bench_baseline_server's.
constexpr char kTencentOk[] = R"({"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""})";
constexpr char kTencentPrevFriendResponse[] =
    R"({"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ResultItem":[)"
    R"({"To_Account":"id1","ResultCode":0,"ResultInfo":""},)"
    R"({"To_Account":"blocked_user","ResultCode":38100,)"
    R"("ResultInfo":"this user cannot make or answer friend requests"}]})";
constexpr char kOpenImOk[] = R"({"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0})";

class FixedAnswers final : public CallbackAdapter {
 public:
  void Handle(const HttpRequest& request, Respond respond) override {
    const char* answer = kOpenImOk;
    if (request.path == "/tencent/callback") {
      answer = request.Query("CallbackCommand") == "Sns.CallbackPrevFriendResponse"
                   ? kTencentPrevFriendResponse
                   : kTencentOk;
    }
    std::move(respond)(HttpAnswer{200, answer});
  }
  std::string ErrorBody(const HttpRequest&, int, std::string_view) override { return "{}"; }
};

class AlwaysHealthy final : public PolicyHealth {
 public:
  bool Healthy() const override { return true; }
};

bool Flag(const char* arg, const char* name, std::string* value) {
  const std::string prefix = std::string("--") + name + "=";
  if (std::string(arg).rfind(prefix, 0) != 0) return false;
  *value = std::string(arg).substr(prefix.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:0";
  std::string threads_flag = "2";
  for (int i = 1; i < argc; ++i) {
    if (!Flag(argv[i], "listen", &listen) && !Flag(argv[i], "io-threads", &threads_flag)) {
      std::cerr << "usage: bench_edge_baseline [--listen=HOST:PORT] [--io-threads=N]\n";
      return 2;
    }
  }
  const size_t colon = listen.rfind(':');
  const int threads = std::atoi(threads_flag.c_str());
  if (colon == std::string::npos || threads <= 0) {
    std::cerr << "bench_edge_baseline: bad --listen or --io-threads\n";
    return 2;
  }
  GatewaySettings settings;  // the gateway's HTTP defaults
  settings.io_threads = static_cast<size_t>(threads);
  AlwaysHealthy health;
  GatewayMetrics metrics;
  FixedAnswers answers;
  HttpServer server(settings, &health, &metrics);
  server.RouteExact("/tencent/callback", &answers);
  server.RoutePrefix("/openim", &answers);
  const std::string host = listen.substr(0, colon);
  absl::StatusOr<int> bound = server.Bind(host, std::atoi(listen.c_str() + colon + 1));
  if (!bound.ok()) {
    std::cerr << "bench_edge_baseline: " << bound.status().message() << "\n";
    return 1;
  }
  std::fprintf(stderr, "{\"msg\":\"listening\",\"http\":\"%s:%d\",\"io_threads\":%d}\n",
               host.c_str(), *bound, threads);
  server.Serve();
  return 0;
}
