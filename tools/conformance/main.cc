// friendgate-conformance: checks that a friendgate.v1.PolicyService
// implementation answers what the gateway relies on (docs/api.md, "Bring your
// own policy engine"). Prints PASS/FAIL per check; exits 0 when all pass,
// 1 when one fails or the target cannot be reached, 2 on a usage error.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <chrono>
#include <iostream>

#include "common/cli.h"
#include "tools/conformance/conformance.h"

int main(int argc, char** argv) {
  std::string target;
  std::string refuse_user;
  int64_t deadline_ms = 1500;
  int64_t connect_timeout_ms = 10000;
  friendgate::FlagSet flags("friendgate-conformance",
                            "Checks a PolicyService implementation against what the gateway "
                            "relies on.");
  flags.AddString("target", &target, "host:port of the PolicyService under test", true);
  flags.AddString("refuse-user", &refuse_user,
                  "a user the implementation refuses (checks refusals too); empty: shape only");
  flags.AddInt("deadline-ms", &deadline_ms, "deadline of each call (1-60000)");
  flags.AddInt("connect-timeout-ms", &connect_timeout_ms, "time to connect (1-600000)");
  switch (flags.Parse(argc, argv)) {
    case friendgate::FlagSet::Outcome::kRun:
      break;
    case friendgate::FlagSet::Outcome::kExitSuccess:
      return 0;
    case friendgate::FlagSet::Outcome::kExitUsage:
      return 2;
  }
  if (deadline_ms < 1 || deadline_ms > 60000 || connect_timeout_ms < 1 ||
      connect_timeout_ms > 600000) {
    std::cerr << "friendgate-conformance: --deadline-ms or --connect-timeout-ms out of range\n";
    return 2;
  }

  auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(std::chrono::system_clock::now() +
                                 std::chrono::milliseconds(connect_timeout_ms))) {
    std::cout << "FAIL connect: no connection to " << target << " within " << connect_timeout_ms
              << " ms\n";
    return 1;
  }
  friendgate::conformance::Options options;
  options.refuse_user = refuse_user;
  options.deadline = std::chrono::milliseconds(deadline_ms);
  int failed = 0;
  const auto results = friendgate::conformance::RunChecks(channel, options);
  for (const auto& result : results) {
    if (result.status.ok()) {
      std::cout << "PASS " << result.name << (result.note.empty() ? "" : " (" + result.note + ")")
                << "\n";
    } else {
      ++failed;
      std::cout << "FAIL " << result.name << ": " << result.status.message() << "\n";
    }
  }
  std::cout << "friendgate-conformance: " << results.size() - failed << " passed, " << failed
            << " failed against " << target << "\n";
  return failed == 0 ? 0 : 1;
}
