// friendgate-gateway: the HTTP edge for vendor callbacks. Wiring only: flags,
// config, the policy channel, adapters, server, signals.

#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/cli.h"
#include "common/log.h"
#include "common/signals.h"
#include "common/strings.h"
#include "gateway/core/decider.h"
#include "gateway/core/grpc_policy_client.h"
#include "gateway/core/health_watcher.h"
#include "gateway/core/http_server.h"
#include "gateway/core/metrics.h"
#include "gateway/core/policy_channel.h"
#include "gateway/core/policy_tls.h"
#include "gateway/core/settings.h"
#include "gateway/openim/adapter.h"
#include "gateway/tencent/adapter.h"

namespace {

using namespace friendgate;
using namespace friendgate::gateway;

struct Flags {
  std::string http_listen = "127.0.0.1:8080";
  std::string policy_target = "127.0.0.1:50051";
  std::string config;
  std::string log_level = "info";
};

// "host:port" or "[v6]:port".
bool SplitHostPort(const std::string& address, std::string* host, int* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  *host = address.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  return absl::SimpleAtoi(address.substr(colon + 1), port) && *port >= 0 && *port <= 65535;
}

// Each connection is a file descriptor: lift the soft limit (often 1024) to
// the hard one, as far as max_connections and gRPC need.
void RaiseOpenFileLimit(size_t max_connections) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t wanted = std::min<rlim_t>(limit.rlim_max, max_connections + 256);
  if (limit.rlim_cur >= wanted) return;
  limit.rlim_cur = wanted;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    log::Warn("cannot raise the open file limit", {{"wanted", static_cast<int64_t>(wanted)}});
  }
}

int Run(const Flags& flags) {
  std::string host;
  int port = 0;
  if (!SplitHostPort(flags.http_listen, &host, &port)) {
    std::cerr << "friendgate-gateway: --http-listen must be host:port, got '" << flags.http_listen
              << "'\n";
    return 2;
  }
  absl::StatusOr<GatewaySettings> loaded = LoadGatewaySettings(flags.config);
  if (!loaded.ok()) {
    std::cerr << "friendgate-gateway: " << loaded.status().message() << "\n";
    return 1;
  }
  const GatewaySettings settings = *std::move(loaded);
  if (settings.worker_threads_ignored) {
    log::Warn("http.worker_threads is deprecated and ignored; see http.io_threads",
              {{"config", flags.config}});
  }
  RaiseOpenFileLimit(settings.max_connections);
  // Token and password files are re-read when they change (rotation with overlap).
  const std::unique_ptr<FileChangeWatcher> secret_files =
      WatchSecretFiles(ReloadableSecrets(settings), absl::Seconds(2));

  absl::StatusOr<PolicyChannelSecurity> security = MakePolicyChannelSecurity(settings);
  if (!security.ok()) {
    std::cerr << "friendgate-gateway: " << flags.config << ": " << security.status().message()
              << "\n";
    return 1;
  }
  auto channel = MakePolicyChannel(flags.policy_target, settings.load_balancing,
                                   settings.policy_batching.max_message_bytes, *security);
  HealthWatcher health(grpc::health::v1::Health::NewStub(channel), settings.health_check_interval,
                       settings.health_check_timeout);
  GrpcPolicyClient policy(v1::PolicyService::NewStub(channel), settings.policy_batching);
  GatewayMetrics metrics;
  // Room for the DecideBatchRequest around one event.
  Decider decider(&policy, &metrics, settings.policy_batching.max_message_bytes - 1024);
  absl::StatusOr<std::unique_ptr<EventSpool>> spool =
      EventSpool::Open(settings.spool, &policy, &metrics);
  if (!spool.ok()) {
    std::cerr << "friendgate-gateway: " << spool.status().message() << "\n";
    return 1;
  }
  decider.SetSpool(spool->get());
  const UserIdFormatter user_ids(settings.log_user_ids, settings.log_salt);
  decider.SetUserIds(&user_ids);
  // http.tls: the certificate is re-read when its files change; new
  // connections get the new one, open ones keep theirs.
  std::unique_ptr<ServerTlsContext> http_tls;
  std::unique_ptr<FileChangeWatcher> http_tls_files;
  if (settings.http_tls.has_value()) {
    absl::StatusOr<std::unique_ptr<ServerTlsContext>> loaded_tls =
        ServerTlsContext::Load(settings.http_tls->cert_file, settings.http_tls->key_file);
    if (!loaded_tls.ok()) {
      std::cerr << "friendgate-gateway: " << flags.config << ": " << loaded_tls.status().message()
                << "\n";
      return 1;
    }
    http_tls = *std::move(loaded_tls);
    http_tls_files = http_tls->WatchFiles(absl::Seconds(2));
  }
  HttpServer server(settings, &health, &metrics);
  if (http_tls != nullptr) server.UseTls(http_tls.get());

  std::vector<std::unique_ptr<CallbackAdapter>> adapters;
  if (settings.tencent.enabled) {
    adapters.push_back(std::make_unique<tencent::TencentAdapter>(settings.tencent, settings.limits,
                                                                 &decider, &metrics));
    server.RouteExact(settings.tencent.path, adapters.back().get());
  }
  for (const OpenImSettings& instance : settings.openim) {
    adapters.push_back(
        std::make_unique<openim::OpenImAdapter>(instance, settings.limits, &decider, &metrics));
    server.RoutePrefix(instance.path_prefix, adapters.back().get());
  }

  absl::StatusOr<int> bound = server.Bind(host, port);
  if (!bound.ok()) {
    std::cerr << "friendgate-gateway: " << bound.status().message() << "\n";
    return 1;
  }
  // http.metrics_listen: /metrics on its own server (one thread), not on the callback port.
  GatewaySettings metrics_settings = settings;
  metrics_settings.io_threads = 1;
  std::optional<HttpServer> metrics_server;
  std::string metrics_address;
  if (!settings.metrics_listen.empty()) {
    std::string mhost;
    int mport = 0;
    if (!SplitHostPort(settings.metrics_listen, &mhost, &mport)) {
      std::cerr << "friendgate-gateway: " << flags.config
                << ": http.metrics_listen: must be host:port\n";
      return 1;
    }
    metrics_server.emplace(metrics_settings, &health, &metrics);
    absl::StatusOr<int> mbound = metrics_server->Bind(mhost, mport);
    if (!mbound.ok()) {
      std::cerr << "friendgate-gateway: http.metrics_listen: " << mbound.status().message() << "\n";
      return 1;
    }
    server.DisableMetrics();
    metrics_address = StrCat(mhost, ":", *mbound);
  }
  std::thread metrics_serving([&] {
    if (metrics_server) metrics_server->Serve();
  });
  absl::Notification stopped;
  std::thread serving([&] {
    server.Serve();
    stopped.Notify();
  });
  if (!server.WaitUntilServing(absl::Seconds(5)) ||
      (metrics_server && !metrics_server->WaitUntilServing(absl::Seconds(5)))) {
    std::cerr << "friendgate-gateway: the HTTP server did not start\n";
    std::_Exit(1);
  }
  log::Info("listening", {{"http", StrCat(host, ":", *bound)},
                          {"metrics", metrics_address},
                          {"policy_target", flags.policy_target},
                          {"policy_tls", security->credentials != nullptr},
                          {"https", http_tls != nullptr},
                          {"tencent_path", settings.tencent.enabled ? settings.tencent.path : ""},
                          {"openim_instances", static_cast<int64_t>(settings.openim.size())},
                          {"version", FRIENDGATE_VERSION}});

  for (;;) {
    const int sig = WaitForSignal();
    if (sig == SIGHUP) {
      log::Info("SIGHUP ignored: the gateway config is read at start; roll the pods to change it");
      continue;
    }
    log::Info("draining",
              {{"signal", sig},
               {"drain_accept_s", absl::ToInt64Seconds(settings.drain_accept)},
               {"drain_timeout_ms", absl::ToInt64Milliseconds(settings.drain_timeout)}});
    break;
  }
  // /readyz 503 while still accepting: load balancers and Services stop sending first.
  server.BeginDrain();
  absl::SleepFor(settings.drain_accept);
  // The spool's flush gets what is left of the drain time after the requests.
  const absl::Time drain_deadline = absl::Now() + settings.drain_timeout;
  server.Stop();
  if (!stopped.WaitForNotificationWithTimeout(settings.drain_timeout)) {
    log::Warn("drain timeout passed with requests in flight; exiting");
    std::_Exit(0);
  }
  serving.join();
  // What the policy service has not taken yet gets the rest of the drain time.
  if (const size_t left = (*spool)->Flush(drain_deadline); left > 0) {
    log::Warn(settings.spool.dir.empty() ? "spooled after-events lost at exit"
                                         : "spooled after-events left in the spool directory",
              {{"events", static_cast<int64_t>(left)}});
  }
  if (metrics_server) metrics_server->Stop();
  metrics_serving.join();
  log::Info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's Abseil is built without NDEBUG, so every absl::Mutex lock (gRPC's
  // too) would run the deadlock detector under one process-wide lock: about
  // 4% of the gateway's CPU under load (bench/RESULTS.md). Tests keep it on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  BlockShutdownSignals();
  log::SetComponent("gateway");
  Flags flags;
  FlagSet cli("friendgate-gateway",
              "The friendgate gateway: answers Tencent Cloud IM and OpenIM friendship callbacks\n"
              "over HTTP, asking the policy service (friendgate.v1.PolicyService) for each\n"
              "decision. Routes: POST <tencent.path>, POST <openim prefix>/<command>,\n"
              "GET /healthz, GET /readyz, GET /metrics. SIGTERM/SIGINT drain and exit 0.");
  cli.AddString("http-listen", &flags.http_listen,
                "Address for HTTP, host:port (port 0 picks a free port, logged at start).");
  cli.AddString("policy-target", &flags.policy_target,
                "gRPC target of the policy service (host:port or dns:///name:port).");
  cli.AddString("config", &flags.config,
                "Path of the gateway config (YAML, docs/gateway-config.md).",
                /*required=*/true);
  cli.AddString("log-level", &flags.log_level, "debug, info, warn or error.");
  switch (cli.Parse(argc, argv)) {
    case FlagSet::Outcome::kExitSuccess:
      return 0;
    case FlagSet::Outcome::kExitUsage:
      return 2;
    case FlagSet::Outcome::kRun:
      break;
  }
  log::Level level;
  if (!log::ParseLevel(flags.log_level, &level)) {
    std::cerr << "friendgate-gateway: --log-level must be debug, info, warn or error\n";
    return 2;
  }
  log::SetMinLevel(level);
  return Run(flags);
}
