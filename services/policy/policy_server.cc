#include "services/policy/policy_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <httplib.h>

#include "common/log.h"
#include "common/strings.h"

namespace friendgate::policy {
namespace {

constexpr absl::Duration kSweepInterval = absl::Seconds(30);

bool SplitHostPort(const std::string& listen, std::string* host, int* port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  *host = listen.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  int p = 0;
  if (!absl::SimpleAtoi(ToAbsl(std::string_view(listen).substr(colon + 1)), &p) || p < 0 ||
      p > 65535) {
    return false;
  }
  *port = p;
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PolicyServer>> PolicyServer::Start(Options options) {
  std::unique_ptr<PolicyServer> s(new PolicyServer());
  s->options_ = std::move(options);
  s->clock_ = s->options_.clock != nullptr ? s->options_.clock : &s->system_clock_;

  auto rules = RulesManager::Create(s->options_.rules_path);
  if (!rules.ok()) return rules.status();
  s->rules_ = std::move(*rules);
  auto store = MemoryStore::Open(s->options_.state_file);
  if (!store.ok()) return store.status();
  s->store_ = std::move(*store);
  s->metrics_ = std::make_unique<PolicyMetrics>();
  s->metrics_->SetRulesActive(s->rules_->engine()->rule_count());
  PolicyMetrics* metrics = s->metrics_.get();
  RulesManager* manager = s->rules_.get();
  s->rules_->SetReloadListener([metrics, manager](bool ok) {
    metrics->CountReload(ok);
    metrics->SetRulesActive(manager->engine()->rule_count());
  });
  if (s->options_.decision_log != "off" && !s->options_.decision_log.empty()) {
    auto log = DecisionLog::Open(s->options_.decision_log, s->options_.decision_log_salt);
    if (!log.ok()) return log.status();
    s->log_ = std::move(*log);
  }
  s->recent_ = std::make_unique<RecentDecisions>(s->options_.recent_decisions, s->clock_);
  s->hub_ = std::make_unique<WatchHub>(s->clock_);
  s->hub_->on_watchers_changed = [metrics](size_t n) { metrics->SetWatchers(n); };
  s->hub_->on_dropped = [metrics](uint64_t n) { metrics->CountWatchDropped(n); };
  s->decider_ = std::make_unique<PolicyDecider>(s->rules_.get(), s->store_.get(), s->clock_,
                                                s->log_.get(), s->metrics_.get());
  s->decider_->SetDedupe(&s->dedupe_);
  s->decider_->AddObserver(s->recent_.get());
  s->decider_->AddObserver(s->hub_.get());
  for (DecisionObserver* observer : s->options_.observers) s->decider_->AddObserver(observer);
  s->policy_service_ = std::make_unique<PolicyServiceImpl>(s->decider_.get());
  s->admin_service_ = std::make_unique<PolicyAdminImpl>(s->rules_.get(), s->store_.get(),
                                                        s->recent_.get(), s->hub_.get(), s->clock_);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(s->options_.grpc_listen, grpc::InsecureServerCredentials(),
                           &s->grpc_port_);
  builder.RegisterService(s->policy_service_.get());
  builder.RegisterService(s->admin_service_.get());
  for (grpc::Service* service : s->options_.services) builder.RegisterService(service);
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || s->grpc_port_ == 0) {
    return absl::UnavailableError(StrCat("cannot listen on ", s->options_.grpc_listen));
  }
  if (!s->options_.metrics_listen.empty()) {
    if (absl::Status st = s->StartMetrics(s->options_.metrics_listen); !st.ok()) return st;
  }
  if (s->options_.rules_poll > absl::ZeroDuration()) {
    s->rules_->StartWatching(s->options_.rules_poll);
  }
  PolicyServer* self = s.get();
  s->maintenance_ = std::thread([self] { self->MaintenanceLoop(); });
  return s;
}

absl::Status PolicyServer::StartMetrics(const std::string& listen) {
  std::string host;
  int port = 0;
  if (!SplitHostPort(listen, &host, &port)) {
    return absl::InvalidArgumentError(StrCat("--metrics-listen: not host:port: ", listen));
  }
  http_ = std::make_unique<httplib::Server>();
  // Debian's cpp-httplib leaves Nagle on: small answers would wait ~40 ms.
  http_->set_tcp_nodelay(true);
  http_->new_task_queue = [] { return new httplib::ThreadPool(2); };
  PolicyMetrics* metrics = metrics_.get();
  http_->Get("/metrics", [metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics->Render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  if (port == 0) {
    metrics_port_ = http_->bind_to_any_port(host);
  } else {
    metrics_port_ = http_->bind_to_port(host, port) ? port : -1;
  }
  if (metrics_port_ <= 0) return absl::UnavailableError(StrCat("cannot listen on ", listen));
  httplib::Server* http = http_.get();
  http_thread_ = std::thread([http] { http->listen_after_bind(); });
  return absl::OkStatus();
}

void PolicyServer::MaintenanceLoop() {
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), kSweepInterval);
      if (stopping_) return;
    }
    store_->SweepExpired(clock_->Now());
  }
}

void PolicyServer::Reload() {
  rules_->Reload("sighup").IgnoreError();
  if (log_ != nullptr) {
    if (absl::Status s = log_->Reopen(); !s.ok()) {
      log::Error("decision log reopen failed", {{"error", std::string(s.message())}});
    }
  }
}

void PolicyServer::Drain(absl::Duration deadline) {
  if (drained_) return;
  drained_ = true;
  // NOT_SERVING first, so the gateway's readiness flips before we stop.
  server_->GetHealthCheckService()->SetServingStatus(false);
  rules_->StopWatching();
  hub_->Shutdown();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + deadline));
  server_->Wait();
  if (http_ != nullptr) {
    http_->stop();
    if (http_thread_.joinable()) http_thread_.join();
  }
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (maintenance_.joinable()) maintenance_.join();
}

PolicyServer::~PolicyServer() {
  // The watcher thread reports to metrics_, which is destroyed first.
  if (rules_ != nullptr) rules_->StopWatching();
  if (server_ != nullptr) Drain(absl::ZeroDuration());
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (maintenance_.joinable()) maintenance_.join();
  if (http_ != nullptr) {
    http_->stop();
    if (http_thread_.joinable()) http_thread_.join();
  }
}

}  // namespace friendgate::policy
