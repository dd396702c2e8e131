// friendgate-policy: the gRPC policy service. Wiring only: flags, the
// assembled server (policy_server.h), signals.

#include <csignal>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/synchronization/mutex.h"
#include "common/cli.h"
#include "common/files.h"
#include "common/log.h"
#include "common/signals.h"
#include "common/strings.h"
#include "services/commands/component.h"
#include "services/commands/mutual_delete_observer.h"
#include "services/commands/redis_shared_limits.h"
#include "services/policy/policy_server.h"
#include "services/policy/policy_tool.h"
#include "services/policy/store_factory.h"

namespace {

struct Flags {
  std::string grpc_listen = "127.0.0.1:50051";
  std::string rules;
  std::string metrics_listen;
  std::string decision_log = "stderr";
  std::string decision_log_salt_file;
  std::string log_user_ids = "hashed";
  std::string state_file;
  int64_t rules_poll_ms = 1000;
  int64_t recent_decisions = 10000;
  int64_t max_watchers = 1000;
  int64_t decide_threads = -1;  // -1: 0 with the memory store, 2 x --store-pool-size with Redis
  int64_t decide_queue = 10000;
  int64_t max_counter_keys = 200000;
  int64_t max_list_entries = 10000;
  std::string log_level = "info";
  int64_t drain_timeout_ms = 5000;
  std::string commands_config;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  int64_t tls_reload_s = 10;
  std::string admin_tokens_file;
  int64_t max_connection_age_ms = 300000;
  int64_t max_connection_age_grace_ms = 30000;
  friendgate::policy::StoreFlags store;
};

int Run(const Flags& flags) {
  using namespace friendgate;
  policy::PolicyServer::Options options;
  options.grpc_listen = flags.grpc_listen;
  options.rules_path = flags.rules;
  options.metrics_listen = flags.metrics_listen;
  options.decision_log = flags.decision_log;
  options.state_file = flags.state_file;
  absl::StatusOr<UserIdFormatter::Mode> user_ids = UserIdFormatter::ParseMode(flags.log_user_ids);
  if (!user_ids.ok()) {
    std::cerr << "friendgate-policy: --log-user-ids: " << user_ids.status().message() << "\n";
    return 2;
  }
  options.log_user_ids_plain = *user_ids == UserIdFormatter::Mode::kPlain;
  options.rules_poll = absl::Milliseconds(flags.rules_poll_ms);
  if (flags.recent_decisions < 1 || flags.max_watchers < 0 || flags.max_counter_keys < 0 ||
      flags.max_list_entries < 0) {
    std::cerr << "friendgate-policy: --recent-decisions must be at least 1; --max-watchers, "
                 "--max-counter-keys and --max-list-entries at least 0\n";
    return 2;
  }
  options.store_limits.max_counter_keys = static_cast<size_t>(flags.max_counter_keys);
  options.store_limits.max_list_entries = static_cast<size_t>(flags.max_list_entries);
  auto store = policy::OpenStore(flags.store, flags.state_file, options.store_limits);
  if (!store.ok()) {
    std::cerr << "friendgate-policy: " << store.status().message() << "\n";
    return absl::IsInvalidArgument(store.status()) ? 2 : 1;
  }
  options.store = std::move(store->store);
  options.recent_decisions = static_cast<size_t>(flags.recent_decisions);
  // With Redis, the shared event stream; declared before the server, so it
  // is destroyed (buffered events flushed) after the server has stopped.
  std::unique_ptr<policy::EventLog> event_log =
      policy::OpenEventLog(flags.store, *store, options.recent_decisions);
  options.event_log = event_log.get();
  options.event_dedupe = policy::OpenEventDedupe(flags.store, *store);
  options.max_watchers = static_cast<size_t>(flags.max_watchers);
  if (flags.decide_threads < -1 || flags.decide_threads > 1024 || flags.decide_queue < 1) {
    std::cerr << "friendgate-policy: --decide-threads must be -1 (auto) to 1024, --decide-queue "
                 "at least 1\n";
    return 2;
  }
  options.decide_threads = flags.decide_threads >= 0 ? static_cast<size_t>(flags.decide_threads)
                           : store->redis != nullptr
                               ? static_cast<size_t>(2 * flags.store.pool_size)
                               : 0;
  options.decide_queue = static_cast<size_t>(flags.decide_queue);
  options.tls = {flags.tls_cert_file, flags.tls_key_file, flags.tls_client_ca_file,
                 absl::Seconds(std::max<int64_t>(1, flags.tls_reload_s))};
  options.admin_tokens_file = flags.admin_tokens_file;
  options.max_connection_age =
      absl::Milliseconds(std::max<int64_t>(0, flags.max_connection_age_ms));
  options.max_connection_age_grace =
      absl::Milliseconds(std::max<int64_t>(0, flags.max_connection_age_grace_ms));
  if (!flags.decision_log_salt_file.empty()) {
    absl::StatusOr<std::string> salt = ReadFileToString(flags.decision_log_salt_file, 4096);
    if (salt.ok()) {
      options.decision_log_salt = std::string(absl::StripTrailingAsciiWhitespace(*salt));
    }
    if (!salt.ok() || options.decision_log_salt.empty()) {
      std::cerr << "friendgate-policy: --decision-log-salt-file: cannot read a non-empty salt\n";
      return 1;
    }
  }
  // Declared before the server, so they are destroyed after it has stopped.
  std::unique_ptr<commands::RedisSharedLimits> shared_limits;  // with a Redis store
  if (store->redis != nullptr) {
    shared_limits = std::make_unique<commands::RedisSharedLimits>(store->redis, flags.store.prefix);
  }
  std::unique_ptr<commands::CommandsComponent> commands_component;
  std::unique_ptr<commands::MutualDeleteObserver> mutual_delete;
  if (!flags.commands_config.empty()) {
    auto created = commands::CommandsComponent::Create(flags.commands_config, shared_limits.get());
    if (!created.ok()) {
      std::cerr << "friendgate-policy: " << created.status().message() << "\n";
      return 1;
    }
    commands_component = std::move(*created);
    mutual_delete =
        std::make_unique<commands::MutualDeleteObserver>(&commands_component->mutual_delete());
    options.observers.push_back(mutual_delete.get());
    options.commands = &commands_component->service();
  }
  auto server = policy::PolicyServer::Start(std::move(options));
  if (!server.ok()) {
    std::cerr << "friendgate-policy: " << server.status().message() << "\n";
    return 1;
  }
  const policy::RulesManager::Status rules = (*server)->rules().GetStatus();
  log::Info("rules loaded", {{"path", flags.rules},
                             {"version", rules.version},
                             {"rules", static_cast<int64_t>(rules.rule_count)}});
  const std::string host = flags.grpc_listen.substr(0, flags.grpc_listen.rfind(':'));
  if ((*server)->metrics_port() > 0) {
    const std::string mhost = flags.metrics_listen.substr(0, flags.metrics_listen.rfind(':'));
    log::Info("listening", {{"grpc", StrCat(host, ":", (*server)->grpc_port())},
                            {"metrics", StrCat(mhost, ":", (*server)->metrics_port())},
                            {"version", FRIENDGATE_VERSION}});
  } else {
    log::Info("listening", {{"grpc", StrCat(host, ":", (*server)->grpc_port())},
                            {"version", FRIENDGATE_VERSION}});
  }

  for (;;) {
    const int sig = WaitForSignal();
    if (sig == SIGHUP) {
      (*server)->Reload();
      continue;
    }
    log::Info("draining", {{"signal", sig}, {"drain_timeout_ms", flags.drain_timeout_ms}});
    break;
  }
  (*server)->Drain(absl::Milliseconds(flags.drain_timeout_ms));
  log::Info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (friendgate::policy::IsToolCommand(argc, argv)) {
    return friendgate::policy::RunToolCommand(argc, argv);  // test, eval: docs/rules.md
  }
  // Debian's Abseil is built with mutex deadlock detection on: it costs a
  // graph update on every lock, on the decision path. Tests keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  friendgate::BlockShutdownSignals();
  friendgate::log::SetComponent("policy");
  Flags flags;
  friendgate::FlagSet cli(
      "friendgate-policy",
      "The friendgate policy service: decides friendship events over gRPC\n"
      "(friendgate.v1.PolicyService, friendgate.v1.PolicyAdmin, grpc.health.v1.Health,\n"
      "reflection). The rules file is watched; SIGHUP also reloads it (and reopens the\n"
      "decision log file); SIGTERM/SIGINT drain and exit 0.\n"
      "For rule authors: `friendgate-policy test --help`, `friendgate-policy eval --help`.");
  cli.AddString("grpc-listen", &flags.grpc_listen,
                "Address for gRPC, host:port (port 0 picks a free port, logged at start).");
  cli.AddString("rules", &flags.rules, "Path of the rules file (YAML, docs/rules.md).",
                /*required=*/true);
  cli.AddString("metrics-listen", &flags.metrics_listen,
                "Address for Prometheus /metrics over HTTP, host:port (port 0: a free port,\n"
                "logged as \"metrics\"). Empty: no metrics endpoint.");
  cli.AddString("decision-log", &flags.decision_log,
                "Where the decision log (one JSON line per decision) goes: stderr, off, or a\n"
                "file path (appended to).");
  cli.AddString("decision-log-salt-file", &flags.decision_log_salt_file,
                "File holding a secret key for --log-user-ids=hashed (HMAC-SHA256, first 16 hex\n"
                "characters). Without it, a random key per process: hashes then correlate\n"
                "lines of one process only.");
  cli.AddString("log-user-ids", &flags.log_user_ids,
                "How log lines write user ids: hashed (a keyed hash, the default) or plain.");
  cli.AddString("state-file", &flags.state_file,
                "File keeping run-time blocklist/exempt entries across restarts (--store=memory\n"
                "only). Empty: none.");
  friendgate::policy::AddStoreFlags(cli, &flags.store);
  cli.AddInt("rules-poll-ms", &flags.rules_poll_ms,
             "How often the rules file (and its users files) are checked for changes; 0: never.");
  cli.AddInt("recent-decisions", &flags.recent_decisions,
             "How many decided events the in-process event log keeps: what\n"
             "PolicyAdmin.ListRecentDecisions can return and how far a WatchEvents stream can\n"
             "fall behind or resume (start_after). With Redis, the newest events kept in memory\n"
             "for watchers (the stream itself holds --event-stream-max-len). At least 1.");
  cli.AddInt("max-watchers", &flags.max_watchers,
             "Concurrent WatchEvents streams; more are refused with RESOURCE_EXHAUSTED.");
  cli.AddInt("decide-threads", &flags.decide_threads,
             "Threads that decide Decide/DecideBatch calls. 0: inline on gRPC's threads (right\n"
             "for the memory store, where deciding never waits). With Redis a decision may wait\n"
             "for a round trip (rate limits), which must not block gRPC's few callback threads.\n"
             "-1 (default): 0 with --store=memory, 2 x --store-pool-size with Redis.");
  cli.AddInt("decide-queue", &flags.decide_queue,
             "With --decide-threads: events waiting for a thread; a call that does not fit is\n"
             "refused with RESOURCE_EXHAUSTED (the gateway applies its failure mode).");
  cli.AddInt("max-counter-keys", &flags.max_counter_keys,
             "Rate-limit counters kept in memory (one per rule, tenant, event type and user).\n"
             "At the cap, expired counters go first, then the least recently used (they\n"
             "restart from zero). --store=memory only. 0: no cap.");
  cli.AddInt("max-list-entries", &flags.max_list_entries,
             "Run-time blocklist/exempt entries (AddListEntry) kept; beyond it AddListEntry\n"
             "is refused with RESOURCE_EXHAUSTED. --store=memory only. 0: no cap.");
  cli.AddString("commands-config", &flags.commands_config,
                "Path of the outbound-commands config (YAML, docs/commands.md): serves "
                "friendgate.v1.FriendshipCommands and mutual-delete enforcement. Optional.");
  cli.AddString("tls-cert-file", &flags.tls_cert_file,
                "PEM certificate chain: serve gRPC over TLS (with --tls-key-file). Re-read\n"
                "when it changes. Empty: plaintext.");
  cli.AddString("tls-key-file", &flags.tls_key_file, "PEM private key of --tls-cert-file.");
  cli.AddString("tls-client-ca-file", &flags.tls_client_ca_file,
                "PEM CA bundle: clients must present a certificate signed by it (mTLS).");
  cli.AddInt("tls-reload-s", &flags.tls_reload_s,
             "How often the TLS files are checked for changes, in seconds.");
  cli.AddString("admin-tokens-file", &flags.admin_tokens_file,
                "File of `ROLE TOKEN [NAME]` lines (roles read, write, commands): PolicyAdmin\n"
                "and FriendshipCommands then need `authorization: Bearer TOKEN`. Re-read when\n"
                "it changes. Empty: the admin API is open (docs/security.md).");
  cli.AddInt("max-connection-age-ms", &flags.max_connection_age_ms,
             "A client connection gets GOAWAY after about this long, so that clients\n"
             "re-resolve DNS and spread onto new replicas (0: never).");
  cli.AddInt("max-connection-age-grace-ms", &flags.max_connection_age_grace_ms,
             "After that GOAWAY, how long calls in flight (and WatchEvents streams) may go on.");
  cli.AddString("log-level", &flags.log_level, "debug, info, warn or error.");
  cli.AddInt("drain-timeout-ms", &flags.drain_timeout_ms,
             "On SIGTERM, how long in-flight calls may take before they are cancelled.");
  switch (cli.Parse(argc, argv)) {
    case friendgate::FlagSet::Outcome::kExitSuccess:
      return 0;
    case friendgate::FlagSet::Outcome::kExitUsage:
      return 2;
    case friendgate::FlagSet::Outcome::kRun:
      break;
  }
  friendgate::log::Level level;
  if (!friendgate::log::ParseLevel(flags.log_level, &level)) {
    std::cerr << "friendgate-policy: --log-level must be debug, info, warn or error\n";
    return 2;
  }
  friendgate::log::SetMinLevel(level);
  return Run(flags);
}
