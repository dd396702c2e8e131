#include "services/policy/policy_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <httplib.h>

#include <algorithm>
#include <climits>

#include "absl/strings/match.h"
#include "common/log.h"
#include "common/strings.h"
#include "services/policy/memory_event_log.h"

namespace friendgate::policy {
namespace {

constexpr absl::Duration kSweepInterval = absl::Seconds(30);
// Gateways retry spooled after-events for much less than an hour; 500,000 ids
// take about 20 MB at most (about 40 bytes each: the set and the age order).
constexpr absl::Duration kDedupeWindow = absl::Hours(1);
constexpr size_t kDedupeMaxIds = 500000;

// A duration as a gRPC channel argument (int milliseconds).
int ClampedMs(absl::Duration d) {
  return static_cast<int>(std::clamp<int64_t>(absl::ToInt64Milliseconds(d), 0, INT32_MAX));
}

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

bool IsLoopback(const std::string& listen) {
  std::string host;
  int port = 0;
  if (absl::StartsWith(listen, "unix:")) return true;
  if (!SplitHostPort(listen, &host, &port)) return false;
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

}  // namespace

absl::StatusOr<std::unique_ptr<PolicyServer>> PolicyServer::Start(Options options) {
  std::unique_ptr<PolicyServer> s(new PolicyServer());
  s->options_ = std::move(options);
  s->clock_ = s->options_.clock != nullptr ? s->options_.clock : &s->system_clock_;

  auto rules = RulesManager::Create(s->options_.rules_path);
  if (!rules.ok()) return rules.status();
  s->rules_ = std::move(*rules);
  if (s->options_.store != nullptr) {
    s->store_ = std::move(s->options_.store);
  } else {
    auto store = MemoryStore::Open(s->options_.state_file, s->options_.store_limits);
    if (!store.ok()) return store.status();
    s->store_ = std::move(*store);
  }
  s->metrics_ = std::make_unique<PolicyMetrics>();
  s->store_->SetErrorListener(
      [metrics = s->metrics_.get()](std::string_view op) { metrics->CountStoreError(op); });
  s->metrics_->SetRulesActive(s->rules_->engine()->rule_count());
  PolicyMetrics* metrics = s->metrics_.get();
  RulesManager* manager = s->rules_.get();
  s->rules_->SetReloadListener([metrics, manager](bool ok) {
    metrics->CountReload(ok);
    metrics->SetRulesActive(manager->engine()->rule_count());
  });
  if (s->options_.decision_log != "off" && !s->options_.decision_log.empty()) {
    auto log = DecisionLog::Open(
        s->options_.decision_log,
        UserIdFormatter(s->options_.log_user_ids_plain ? UserIdFormatter::Mode::kPlain
                                                       : UserIdFormatter::Mode::kHashed,
                        s->options_.decision_log_salt));
    if (!log.ok()) return log.status();
    s->log_ = std::move(*log);
  }
  if (s->options_.event_log != nullptr) {
    s->event_log_ = s->options_.event_log;
  } else {
    s->own_event_log_ = std::make_unique<MemoryEventLog>(s->options_.recent_decisions);
    s->event_log_ = s->own_event_log_.get();
  }
  s->event_log_->SetDropListener([metrics](uint64_t n) { metrics->CountEventsDropped(n); });
  s->event_log_->SetErrorListener([metrics](std::string_view op) { metrics->CountStoreError(op); });
  s->recorder_ = std::make_unique<EventLogRecorder>(s->event_log_, s->clock_);
  s->hub_ = std::make_unique<WatchHub>(s->event_log_, s->options_.max_watchers);
  s->hub_->on_watchers_changed = [metrics](size_t n) { metrics->SetWatchers(n); };
  s->hub_->on_dropped = [metrics](uint64_t n) { metrics->CountWatchDropped(n); };
  s->hub_->on_refused = [metrics] { metrics->CountWatchRefused(); };
  s->decider_ = std::make_unique<PolicyDecider>(s->rules_.get(), s->store_.get(), s->clock_,
                                                s->log_.get(), s->metrics_.get());
  s->dedupe_ = s->options_.event_dedupe != nullptr
                   ? s->options_.event_dedupe
                   : std::make_shared<MemoryEventDedupe>(kDedupeWindow, kDedupeMaxIds);
  s->decider_->SetDedupe(s->dedupe_.get());
  s->dedupe_->SetErrorListener([metrics](std::string_view op) { metrics->CountStoreError(op); });
  s->decider_->AddObserver(s->recorder_.get());
  for (DecisionObserver* observer : s->options_.observers) s->decider_->AddObserver(observer);
  if (s->options_.decide_threads > 0) {
    s->decide_pool_ = std::make_unique<WorkerPool>(s->options_.decide_threads,
                                                   std::max<size_t>(s->options_.decide_queue, 1));
  }
  s->policy_service_ =
      std::make_unique<PolicyServiceImpl>(s->decider_.get(), s->decide_pool_.get());
  s->admin_service_ = std::make_unique<PolicyAdminImpl>(s->rules_.get(), s->store_.get(),
                                                        s->event_log_, s->hub_.get(), s->clock_);

  if (absl::Status st = s->SetUpAdminAuth(); !st.ok()) return st;
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!s->options_.tls.cert_file.empty() || !s->options_.tls.key_file.empty() ||
      !s->options_.tls.client_ca_file.empty()) {
    auto tls = MakeServerTlsCredentials(s->options_.tls);
    if (!tls.ok()) return tls.status();
    credentials = *std::move(tls);
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(s->options_.grpc_listen, credentials, &s->grpc_port_);
  if (s->options_.max_connection_age > absl::ZeroDuration()) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                               ClampedMs(s->options_.max_connection_age));
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                               ClampedMs(s->options_.max_connection_age_grace));
  }
  builder.RegisterService(s->policy_service_.get());
  builder.RegisterService(s->authorized_admin_.get());
  if (s->authorized_commands_ != nullptr) builder.RegisterService(s->authorized_commands_.get());
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

absl::Status PolicyServer::SetUpAdminAuth() {
  if (options_.admin_tokens_file.empty()) {
    admin_auth_ = std::make_unique<AdminAuthorizer>();
  } else {
    auto auth = AdminAuthorizer::FromFile(options_.admin_tokens_file, options_.admin_tokens_poll);
    if (!auth.ok()) return auth.status();
    admin_auth_ = *std::move(auth);
  }
  authorized_admin_ =
      std::make_unique<AuthorizedPolicyAdmin>(admin_service_.get(), admin_auth_.get());
  if (options_.commands != nullptr) {
    authorized_commands_ =
        std::make_unique<AuthorizedFriendshipCommands>(options_.commands, admin_auth_.get());
  }
  // mTLS keeps strangers off the whole port; without it or tokens, anyone
  // who reaches a non-loopback port can edit lists and watch every event.
  admin_unauthenticated_ = !admin_auth_->enforcing() && options_.tls.client_ca_file.empty() &&
                           !IsLoopback(options_.grpc_listen);
  metrics_->SetAdminUnauthenticated(admin_unauthenticated_);
  if (admin_unauthenticated_) {
    log::Warn(
        "the admin API (PolicyAdmin, FriendshipCommands) is open to anyone who reaches this "
        "port: set --admin-tokens-file or --tls-client-ca-file",
        {{"grpc_listen", options_.grpc_listen}});
  }
  return absl::OkStatus();
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
  // The bounds metrics are the in-memory store's; other stores have none.
  MemoryStore* memory_store = dynamic_cast<MemoryStore*>(store_.get());
  // Likewise the in-process event id set's.
  MemoryEventDedupe* memory_dedupe = dynamic_cast<MemoryEventDedupe*>(dedupe_.get());
  EventLog* events = event_log_;
  http_->Get("/metrics", [metrics, memory_store, memory_dedupe, events](const httplib::Request&,
                                                                        httplib::Response& res) {
    metrics->SetEventsBuffered(events->buffered());
    if (memory_store != nullptr) {
      metrics->ObserveMemoryStore(memory_store->GetStats(), memory_store->bounds());
    }
    if (memory_dedupe != nullptr) {
      metrics->ObserveEventDedupe(memory_dedupe->size(), memory_dedupe->evicted());
    }
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
  // A log that outlives the server (a shared one) must not report to its
  // metrics.
  if (event_log_ != nullptr) {
    event_log_->SetDropListener({});
    event_log_->SetErrorListener({});
  }
}

}  // namespace friendgate::policy
