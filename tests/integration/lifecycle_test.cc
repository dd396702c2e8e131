// How the binaries start, refuse bad configuration, report readiness, and stop.

#include <signal.h>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/data.h"
#include "tests/support/http.h"
#include "tests/support/process.h"

namespace friendgate::testing {
namespace {

using ::testing::HasSubstr;

// Runs a binary to completion and returns {exit code, stderr}.
std::pair<int, std::string> RunToExit(const std::string& binary,
                                      const std::vector<std::string>& args) {
  auto p = Process::Start(binary, args);
  if (p == nullptr) return {-1, ""};
  const int code = p->WaitExit(absl::Seconds(20));
  return {code, p->Stderr()};
}

TEST(LifecycleTest, HelpAndVersionExitZero) {
  for (const std::string& binary : {PolicyBinary(), GatewayBinary()}) {
    EXPECT_EQ(RunToExit(binary, {"--help"}).first, 0) << binary;
    EXPECT_EQ(RunToExit(binary, {"--version"}).first, 0) << binary;
  }
}

TEST(LifecycleTest, BadFlagsAndFilesFailWithOneClearLine) {
  auto [code, err] = RunToExit(GatewayBinary(), {"--config=x.yaml", "--listen=1"});
  EXPECT_EQ(code, 2);
  EXPECT_THAT(err, HasSubstr("unknown flag --listen"));
  std::tie(code, err) = RunToExit(PolicyBinary(), {});
  EXPECT_EQ(code, 2);
  EXPECT_THAT(err, HasSubstr("--rules is required"));
  std::tie(code, err) = RunToExit(PolicyBinary(), {"--rules=/nonexistent/rules.yaml"});
  EXPECT_EQ(code, 1);
  EXPECT_THAT(err, HasSubstr("/nonexistent/rules.yaml: cannot open file"));
  const std::string bad_rules =
      WriteTempFile("bad_rules.yaml", "rules:\n  - id: r1\n    blocklist:\n      userz: [a]\n");
  std::tie(code, err) = RunToExit(PolicyBinary(), {"--rules=" + bad_rules});
  EXPECT_EQ(code, 1);
  EXPECT_THAT(err, HasSubstr("bad_rules.yaml:4: unknown key 'userz' in rules[0].blocklist"));
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  const std::string bad_gateway = WriteTempFile("bad_gw.yaml", "tencent:\n  appz: []\n");
  std::tie(code, err) = RunToExit(GatewayBinary(), {"--config=" + bad_gateway});
  EXPECT_EQ(code, 1);
  EXPECT_THAT(err, HasSubstr("bad_gw.yaml:2: unknown key 'appz' in tencent"));
  // A misspelt failure-mode command would otherwise leave it at the default.
  const std::string typo_gateway = WriteTempFile(
      "typo_gw.yaml",
      "openim:\n  - failure_mode:\n      commands:\n        callbackBeforeAddFriendComand: deny\n");
  std::tie(code, err) = RunToExit(GatewayBinary(), {"--config=" + typo_gateway});
  EXPECT_EQ(code, 1);
  EXPECT_THAT(err, HasSubstr("typo_gw.yaml:4: unknown key 'callbackBeforeAddFriendComand' in "
                             "openim[0].failure_mode.commands"));
  std::tie(code, err) = RunToExit(GatewayBinary(), {"--config=/nonexistent/gw.yaml"});
  EXPECT_EQ(code, 1);
  EXPECT_THAT(err, HasSubstr("/nonexistent/gw.yaml"));
}

TEST(LifecycleTest, GatewayWithoutItsTokenVariableRefusesToStart) {
  auto [code, err] =
      RunToExit(GatewayBinary(), {"--config=" + SourcePath("examples/gateway.yaml")});
  EXPECT_EQ(code, 1);
  EXPECT_THAT(err, HasSubstr("FRIENDGATE_TENCENT_TOKEN_1400000001 is not set"));
}

TEST(LifecycleTest, LogsAreJsonLines) {
  Stack stack = StartStack();
  ASSERT_NE(stack.gateway, nullptr);
  for (Process* p : {stack.policy.get(), stack.gateway.get()}) {
    const std::string err = p->Stderr();
    size_t start = 0;
    while (start < err.size()) {
      const size_t end = err.find('\n', start);
      const std::string line = err.substr(start, end - start);
      EXPECT_EQ(line.front(), '{') << line;
      EXPECT_EQ(line.back(), '}') << line;
      EXPECT_THAT(line, HasSubstr(R"("level":")"));
      start = end + 1;
    }
  }
}

TEST(LifecycleTest, ReadinessFollowsThePolicyService) {
  Stack stack = StartStack();
  ASSERT_NE(stack.gateway, nullptr);
  EXPECT_EQ(Get(stack.http_port, "/healthz").status, 200);
  EXPECT_EQ(Get(stack.http_port, "/readyz").status, 200);
  stack.policy->Signal(SIGTERM);
  ASSERT_EQ(stack.policy->WaitExit(absl::Seconds(10)), 0);
  EXPECT_TRUE(WaitForHttpStatus(stack.http_port, "/readyz", 503, absl::Seconds(20)));
  EXPECT_EQ(Get(stack.http_port, "/healthz").status, 200);
  // A policy service back on the same address makes the gateway ready again.
  auto again = Process::Start(PolicyBinary(),
                              {"--grpc-listen=127.0.0.1:" + std::to_string(stack.policy_port),
                               "--rules=" + SourcePath("examples/rules.yaml")});
  ASSERT_NE(again, nullptr);
  ASSERT_FALSE(again->WaitForLine("listening", absl::Seconds(20)).empty()) << again->Stderr();
  EXPECT_TRUE(WaitForHttpStatus(stack.http_port, "/readyz", 200, absl::Seconds(20)));
  EXPECT_EQ(Post(stack.http_port, "/openim/callbackAfterDeleteFriendCommand",
                 TestData("openim/callbackAfterDeleteFriendCommand.json"))
                .status,
            200);
}

TEST(LifecycleTest, SigtermAndSigintDrainAndExitZero) {
  Stack stack = StartStack();
  ASSERT_NE(stack.gateway, nullptr);
  stack.gateway->Signal(SIGTERM);
  EXPECT_EQ(stack.gateway->WaitExit(absl::Seconds(20)), 0) << stack.gateway->Stderr();
  EXPECT_THAT(stack.gateway->Stderr(), HasSubstr(R"("msg":"draining")"));
  EXPECT_THAT(stack.gateway->Stderr(), HasSubstr(R"("msg":"stopped")"));
  stack.policy->Signal(SIGINT);
  EXPECT_EQ(stack.policy->WaitExit(absl::Seconds(20)), 0) << stack.policy->Stderr();
  EXPECT_THAT(stack.policy->Stderr(), HasSubstr(R"("msg":"stopped")"));
}

TEST(LifecycleTest, PolicyServesHealthAndReflection) {
  int port = 0;
  auto policy = StartPolicy(SourcePath("examples/rules.yaml"), &port);
  ASSERT_NE(policy, nullptr);
  // The gateway's readiness is driven by grpc.health.v1; a gateway pointed at
  // this policy service must become ready.
  int http = 0;
  auto gateway = StartGateway(WriteTempFile("gw_min.yaml", "openim: [{}]\n"),
                              "127.0.0.1:" + std::to_string(port), &http);
  ASSERT_NE(gateway, nullptr);
  EXPECT_TRUE(WaitForHttpStatus(http, "/readyz", 200, absl::Seconds(20)));
}

}  // namespace
}  // namespace friendgate::testing
