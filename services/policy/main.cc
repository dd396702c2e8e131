// friendgate-policy: the gRPC policy service. Wiring only: flags, rules,
// server, signals.

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <csignal>
#include <iostream>

#include "common/strings.h"
#include "absl/time/clock.h"
#include "common/cli.h"
#include "common/log.h"
#include "common/signals.h"
#include "services/policy/policy_service.h"
#include "services/policy/rules_loader.h"

namespace {

struct Flags {
  std::string grpc_listen = "127.0.0.1:50051";
  std::string rules;
  std::string log_level = "info";
  int64_t drain_timeout_ms = 5000;
};

int Run(const Flags& flags) {
  using namespace friendgate;
  auto engine = policy::LoadRules(flags.rules);
  if (!engine.ok()) {
    std::cerr << "friendgate-policy: " << engine.status().message() << "\n";
    return 1;
  }
  log::Info("rules loaded", {{"path", flags.rules},
                             {"rules", static_cast<int64_t>((*engine)->rule_count())}});

  policy::PolicyServiceImpl service(*engine);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(flags.grpc_listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::cerr << "friendgate-policy: cannot listen on " << flags.grpc_listen << "\n";
    return 1;
  }
  const std::string host = flags.grpc_listen.substr(0, flags.grpc_listen.rfind(':'));
  log::Info("listening", {{"grpc", StrCat(host, ":", port)},
                          {"version", FRIENDGATE_VERSION}});

  for (;;) {
    const int sig = WaitForSignal();
    if (sig == SIGHUP) {
      auto reloaded = policy::LoadRules(flags.rules);
      if (reloaded.ok()) {
        service.SetEngine(*reloaded);
        log::Info("rules reloaded", {{"rules", static_cast<int64_t>((*reloaded)->rule_count())}});
      } else {
        log::Error("rules reload refused; keeping the old rules",
                   {{"error", std::string(reloaded.status().message())}});
      }
      continue;
    }
    log::Info("draining", {{"signal", sig}, {"drain_timeout_ms", flags.drain_timeout_ms}});
    break;
  }
  // NOT_SERVING first, so the gateway's readiness flips before we stop.
  server->GetHealthCheckService()->SetServingStatus(false);
  server->Shutdown(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(flags.drain_timeout_ms));
  server->Wait();
  log::Info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  friendgate::BlockShutdownSignals();
  friendgate::log::SetComponent("policy");
  Flags flags;
  friendgate::FlagSet cli("friendgate-policy",
                          "The friendgate policy service: decides friendship events over gRPC\n"
                          "(friendgate.v1.PolicyService, grpc.health.v1.Health, reflection).\n"
                          "SIGHUP reloads the rules file; SIGTERM/SIGINT drain and exit 0.");
  cli.AddString("grpc-listen", &flags.grpc_listen,
                "Address for gRPC, host:port (port 0 picks a free port, logged at start).");
  cli.AddString("rules", &flags.rules, "Path of the rules file (YAML, docs/rules.md).",
                /*required=*/true);
  cli.AddString("log-level", &flags.log_level, "debug, info, warn or error.");
  cli.AddInt("drain-timeout-ms", &flags.drain_timeout_ms,
             "On SIGTERM, how long in-flight calls may take before they are cancelled.");
  switch (cli.Parse(argc, argv)) {
    case friendgate::FlagSet::Outcome::kExitSuccess: return 0;
    case friendgate::FlagSet::Outcome::kExitUsage: return 2;
    case friendgate::FlagSet::Outcome::kRun: break;
  }
  friendgate::log::Level level;
  if (!friendgate::log::ParseLevel(flags.log_level, &level)) {
    std::cerr << "friendgate-policy: --log-level must be debug, info, warn or error\n";
    return 2;
  }
  friendgate::log::SetMinLevel(level);
  return Run(flags);
}
