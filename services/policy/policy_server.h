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
#include "services/policy/admin_service.h"
#include "services/policy/clock.h"
#include "services/policy/decision_log.h"
#include "services/policy/memory_store.h"
#include "services/policy/metrics.h"
#include "services/policy/policy_decider.h"
#include "services/policy/policy_service.h"
#include "services/policy/recent_decisions.h"
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
    std::string metrics_listen;                    // empty: no metrics endpoint
    std::string decision_log = "stderr";           // "stderr", "off" or a file path
    std::string decision_log_salt;                 // non-empty: hash user ids
    std::string state_file;                        // empty: run-time entries not kept
    absl::Duration rules_poll = absl::Seconds(1);  // zero: no file watch
    size_t recent_decisions = 256;
    const Clock* clock = nullptr;  // null: the system clock
    // Told about every decided event, after the built-in ones (recent
    // decisions, WatchEvents). Must outlive the server; must not block.
    std::vector<DecisionObserver*> observers;
    // Extra gRPC services on the same port (e.g. FriendshipCommands). Must
    // outlive the server.
    std::vector<grpc::Service*> services;
  };

  static absl::StatusOr<std::unique_ptr<PolicyServer>> Start(Options options);
  ~PolicyServer();

  int grpc_port() const { return grpc_port_; }
  int metrics_port() const { return metrics_port_; }

  // SIGHUP: reloads the rules and reopens the decision log file.
  void Reload();
  // NOT_SERVING, end watch streams, stop taking calls; in-flight calls get
  // until `deadline`.
  void Drain(absl::Duration deadline);

  RulesManager& rules() { return *rules_; }
  PolicyDecider& decider() { return *decider_; }
  WatchHub& hub() { return *hub_; }
  MemoryStore& store() { return *store_; }
  PolicyMetrics& metrics() { return *metrics_; }

 private:
  PolicyServer() = default;
  absl::Status StartMetrics(const std::string& listen);
  void MaintenanceLoop();

  Options options_;
  SystemClock system_clock_;
  const Clock* clock_ = nullptr;
  std::unique_ptr<RulesManager> rules_;
  std::unique_ptr<MemoryStore> store_;
  std::unique_ptr<PolicyMetrics> metrics_;
  std::unique_ptr<DecisionLog> log_;
  std::unique_ptr<RecentDecisions> recent_;
  // Gateways' retried after-events (same event_id) within an hour count once.
  EventDedupe dedupe_{absl::Hours(1), 500000};
  std::unique_ptr<WatchHub> hub_;
  std::unique_ptr<PolicyDecider> decider_;
  std::unique_ptr<PolicyServiceImpl> policy_service_;
  std::unique_ptr<PolicyAdminImpl> admin_service_;
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
