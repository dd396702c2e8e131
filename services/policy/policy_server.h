#ifndef FRIENDGATE_SERVICES_POLICY_POLICY_SERVER_H_
#define FRIENDGATE_SERVICES_POLICY_POLICY_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/grpc_tls.h"
#include "services/policy/admin_auth.h"
#include "services/policy/admin_service.h"
#include "services/policy/authorized_services.h"
#include "services/policy/clock.h"
#include "services/policy/decision_log.h"
#include "services/policy/event_dedupe.h"
#include "services/policy/event_log.h"
#include "services/policy/memory_store.h"
#include "services/policy/metrics.h"
#include "services/policy/policy_decider.h"
#include "services/policy/policy_service.h"
#include "services/policy/rules_manager.h"
#include "services/policy/watch_hub.h"

namespace httplib {
class Server;
}

namespace friendgate::policy {

// The policy service assembled: rules, store, decider, gRPC server
// (PolicyService, PolicyAdmin, health, reflection) and the metrics HTTP
// endpoint. main.cc turns flags into Options; tests start it in-process.
class PolicyServer {
 public:
  struct Options {
    std::string grpc_listen = "127.0.0.1:0";
    std::string rules_path;
    std::string metrics_listen;           // empty: no metrics endpoint
    std::string decision_log = "stderr";  // "stderr", "off" or a file path
    // User ids in the decision log: a keyed hash (the key: the salt when
    // set, else a random key per process) or, with log_user_ids_plain, as is.
    std::string decision_log_salt;
    bool log_user_ids_plain = false;
    std::string state_file;  // empty: run-time entries not kept
    // Bounds of the in-memory store (when `store` is null: the caller's store
    // has its own).
    MemoryStore::Limits store_limits;
    // The store (store_factory.h); null: a MemoryStore with `state_file` and
    // `store_limits`. (Shared only so that Options stays copyable.)
    std::shared_ptr<PolicyStore> store;
    absl::Duration rules_poll = absl::Seconds(1);  // zero: no file watch
    // Size of the in-process event log (ListRecentDecisions, WatchEvents
    // lag and resume); at least 1.
    size_t recent_decisions = 10000;
    // The event log to use instead of the in-process one (e.g. a shared
    // one). Must outlive the server.
    EventLog* event_log = nullptr;
    // Remembers after-events' event ids so that a gateway's retry (same
    // event_id, within an hour) is counted once. Null: this process's memory
    // (MemoryEventDedupe, 500,000 ids); a shared one (Redis) for several
    // replicas. Shared only so that Options stays copyable.
    std::shared_ptr<EventDedupe> event_dedupe;
    // Concurrent WatchEvents streams; more are refused (RESOURCE_EXHAUSTED).
    size_t max_watchers = 1000;
    // GRPC_ARG_MAX_CONNECTION_AGE_MS: each client connection gets GOAWAY after
    // about this long (gRPC adds +-10% jitter), so that clients re-resolve DNS and
    // spread onto new replicas; calls in flight then get the grace. Zero: off.
    absl::Duration max_connection_age = absl::Minutes(5);
    absl::Duration max_connection_age_grace = absl::Seconds(30);
    const Clock* clock = nullptr;  // null: the system clock
    // Threads that decide (PolicyServiceImpl). 0: inline on gRPC's callback
    // threads, right when deciding never waits (the in-memory store); a
    // remote store (Redis: a round trip per rate limit) wants some.
    size_t decide_threads = 0;
    // Events waiting for a decide thread; a call that does not fit is
    // refused with RESOURCE_EXHAUSTED.
    size_t decide_queue = 10000;
    // Told about every decided event, after the built-in ones (recent
    // decisions, WatchEvents). Must outlive the server; must not block.
    std::vector<DecisionObserver*> observers;
    // Extra gRPC services on the same port. Must outlive the server.
    std::vector<grpc::Service*> services;
    // friendgate.v1.FriendshipCommands, served behind admin authorization
    // (role `commands`). Optional; must outlive the server.
    v1::FriendshipCommands::CallbackService* commands = nullptr;
    // TLS on the gRPC port when cert_file is set; mTLS when client_ca_file is.
    ServerTlsFiles tls;
    // `ROLE TOKEN` lines (admin_auth.h). Empty: the admin API is open.
    std::string admin_tokens_file;
    // How often the tokens file is checked for changes.
    absl::Duration admin_tokens_poll = absl::Seconds(1);
  };

  static absl::StatusOr<std::unique_ptr<PolicyServer>> Start(Options options);
  ~PolicyServer();

  int grpc_port() const { return grpc_port_; }
  int metrics_port() const { return metrics_port_; }
  // The admin API can be reached from other hosts without any credentials.
  bool admin_unauthenticated() const { return admin_unauthenticated_; }

  // SIGHUP: reloads the rules and reopens the decision log file.
  void Reload();
  // NOT_SERVING, end watch streams, stop taking calls; in-flight calls get
  // until `deadline`.
  void Drain(absl::Duration deadline);

  RulesManager& rules() { return *rules_; }
  PolicyDecider& decider() { return *decider_; }
  PolicyMetrics& metrics() { return *metrics_; }

 private:
  PolicyServer() = default;
  absl::Status SetUpAdminAuth();
  absl::Status StartMetrics(const std::string& listen);
  void MaintenanceLoop();

  Options options_;
  SystemClock system_clock_;
  const Clock* clock_ = nullptr;
  std::unique_ptr<RulesManager> rules_;
  std::shared_ptr<PolicyStore> store_;
  std::unique_ptr<PolicyMetrics> metrics_;
  std::unique_ptr<DecisionLog> log_;
  std::unique_ptr<EventLog> own_event_log_;
  EventLog* event_log_ = nullptr;
  std::unique_ptr<EventLogRecorder> recorder_;
  // Gateways' retried after-events (same event_id) within an hour count once.
  std::shared_ptr<EventDedupe> dedupe_;
  std::unique_ptr<WatchHub> hub_;
  std::unique_ptr<PolicyDecider> decider_;
  // Declared before server_: destroyed after it has stopped (its tasks finish calls).
  std::unique_ptr<WorkerPool> decide_pool_;
  std::unique_ptr<PolicyServiceImpl> policy_service_;
  std::unique_ptr<PolicyAdminImpl> admin_service_;
  std::unique_ptr<AdminAuthorizer> admin_auth_;
  std::unique_ptr<AuthorizedPolicyAdmin> authorized_admin_;
  std::unique_ptr<AuthorizedFriendshipCommands> authorized_commands_;
  bool admin_unauthenticated_ = false;
  std::unique_ptr<grpc::Server> server_;
  int grpc_port_ = 0;
  std::unique_ptr<httplib::Server> http_;
  std::thread http_thread_;
  int metrics_port_ = 0;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool drained_ = false;
  std::thread maintenance_;
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_POLICY_SERVER_H_
