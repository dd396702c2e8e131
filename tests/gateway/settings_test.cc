#include "gateway/core/settings.h"

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/data.h"
#include "tests/support/process.h"

namespace friendgate::gateway {
namespace {

using ::testing::HasSubstr;

std::optional<std::string> Env(const std::string& name) {
  if (name == "TOKEN") return "xxxxyyyy";
  if (name == "FRIENDGATE_TENCENT_TOKEN_1400000001") return "tok";
  if (name == "PW") return "pw";
  return std::nullopt;
}

std::string ErrorOf(std::string_view yaml) {
  auto s = ParseGatewaySettings(yaml, "gw.yaml", Env);
  return s.ok() ? "OK" : std::string(s.status().message());
}

TEST(GatewaySettingsTest, ExampleConfigLoadsWithDefaults) {
  std::ifstream in(testing::SourcePath("examples/gateway.yaml"));
  std::string yaml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto s = ParseGatewaySettings(yaml, "examples/gateway.yaml", Env);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->tencent.enabled);
  EXPECT_EQ(s->tencent.apps.size(), 2u);
  EXPECT_EQ(s->tencent.apps.at("1400000000").tokens, nullptr);
  EXPECT_THAT(*s->tencent.apps.at("1400000001").tokens->values(), ::testing::ElementsAre("tok"));
  EXPECT_EQ(s->tencent.answer_budget, absl::Milliseconds(1500));
  EXPECT_EQ(s->tencent.default_refusal_code, 38001);
  ASSERT_EQ(s->openim.size(), 1u);
  EXPECT_EQ(s->openim[0].path_prefix, "/openim");
  EXPECT_EQ(s->openim[0].name, "openim");
  EXPECT_EQ(s->openim[0].basic_credentials, nullptr);
  EXPECT_EQ(s->max_body_bytes, 1u << 20);
  EXPECT_EQ(s->keep_alive_max_requests, 100u);
  EXPECT_EQ(s->policy_batching.max_batch_size, 64u);
  EXPECT_EQ(s->policy_batching.max_in_flight_batches, 2u);
  // Set by the example for a machine shared with the policy service.
  EXPECT_EQ(s->io_threads, 1u);
}

TEST(GatewaySettingsTest, DefaultsWhereTheConfigIsSilent) {
  auto s = ParseGatewaySettings("openim: [{}]\n", "gw.yaml", Env);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_GE(s->io_threads, 1u);
  EXPECT_LE(s->io_threads, 4u);
  EXPECT_EQ(s->max_connections, 4096u);
  EXPECT_EQ(s->policy_batching.max_batch_size, 64u);
  EXPECT_EQ(s->policy_batching.max_in_flight_batches, 2u);
  EXPECT_EQ(s->policy_batching.max_queued_events, 4096u);
  EXPECT_FALSE(s->worker_threads_ignored);
}

TEST(GatewaySettingsTest, DeprecatedWorkerThreadsStillLoads) {
  auto s = ParseGatewaySettings("http: {worker_threads: 64}\nopenim: [{}]\n", "gw.yaml", Env);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->worker_threads_ignored);
}

TEST(GatewaySettingsTest, HttpKeys) {
  auto s = ParseGatewaySettings(
      "http: {io_threads: 3, max_connections: 50, keep_alive_max_requests: 7, read_timeout_ms: "
      "250}\n"
      "policy: {max_batch_size: 1, max_in_flight_batches: 9, max_queued_events: 10}\n"
      "openim: [{}]\n",
      "gw.yaml", Env);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->io_threads, 3u);
  EXPECT_EQ(s->max_connections, 50u);
  EXPECT_FALSE(s->worker_threads_ignored);
  EXPECT_EQ(s->policy_batching.max_batch_size, 1u);
  EXPECT_EQ(s->policy_batching.max_in_flight_batches, 9u);
  EXPECT_EQ(s->policy_batching.max_queued_events, 10u);
  EXPECT_EQ(s->keep_alive_max_requests, 7u);
  EXPECT_EQ(s->read_timeout, absl::Milliseconds(250));
}

TEST(GatewaySettingsTest, FailureModesPerCommand) {
  auto s = ParseGatewaySettings(R"(
tencent:
  apps: [{sdk_app_id: "1"}]
  failure_mode:
    action: allow
    deny_code: 38500
    commands: {Sns.CallbackPrevFriendAdd: deny}
)",
                                "gw.yaml", Env);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->tencent.failure.Denies("Sns.CallbackPrevFriendAdd"));
  EXPECT_FALSE(s->tencent.failure.Denies("Sns.CallbackPrevFriendResponse"));
  EXPECT_EQ(s->tencent.failure.deny_code, 38500);
}

TEST(GatewaySettingsTest, AMisspeltFailureModeCommandIsRefusedWithItsLine) {
  // Without the check, the typo would leave Sns.CallbackPrevFriendAdd at the
  // default action: an intended deny would silently become an allow.
  EXPECT_THAT(ErrorOf("tencent:\n"
                      "  apps: [{sdk_app_id: \"1\"}]\n"
                      "  failure_mode:\n"
                      "    commands:\n"
                      "      Sns.CallbackPrevFriendAd: deny\n"),
              HasSubstr("gw.yaml:5: unknown key 'Sns.CallbackPrevFriendAd' in "
                        "tencent.failure_mode.commands (expected: Sns.CallbackPrevFriendAdd, "
                        "Sns.CallbackPrevFriendResponse)"));
  // Each vendor has its own commands: Tencent's name is unknown to OpenIM.
  EXPECT_THAT(ErrorOf("openim:\n"
                      "  - name: a\n"
                      "  - name: b\n"
                      "    path_prefix: /b\n"
                      "    failure_mode: {commands: {Sns.CallbackPrevFriendAdd: deny}}\n"),
              HasSubstr("gw.yaml:5: unknown key 'Sns.CallbackPrevFriendAdd' in "
                        "openim[1].failure_mode.commands"));
  // After-callbacks are always answered OK: a failure mode there is a mistake.
  EXPECT_THAT(ErrorOf("openim: [{failure_mode: {commands: {callbackAfterAddFriendCommand: "
                      "deny}}}]\n"),
              HasSubstr("openim[0].failure_mode.commands[callbackAfterAddFriendCommand]: an "
                        "after-callback is always answered OK"));
  auto s = ParseGatewaySettings(
      "openim: [{failure_mode: {commands: {callbackBeforeAddBlackCommand: deny}}}]\n", "gw.yaml",
      Env);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->openim[0].failure.Denies("callbackBeforeAddBlackCommand"));
}

TEST(GatewaySettingsTest, SecretsFromEnvAndFiles) {
  const std::string path = ::testing::TempDir() + "/pw.txt";
  std::ofstream(path) << "filepw\n";
  auto s = ParseGatewaySettings(
      "openim:\n  - basic_auth: {username: im, password_file: " + path + "}\n", "gw.yaml", Env);
  ASSERT_TRUE(s.ok()) << s.status();
  // trailing newline trimmed
  EXPECT_THAT(*s->openim[0].basic_credentials->values(), ::testing::ElementsAre("im:filepw"));
}

TEST(GatewaySettingsTest, MistakesAreNamed) {
  EXPECT_THAT(ErrorOf("tencent:\n  apps: [{sdk_app_id: \"1\", tokn_env: X}]\n"),
              HasSubstr("gw.yaml:2: unknown key 'tokn_env' in tencent.apps[0]"));
  EXPECT_THAT(ErrorOf("tencent:\n  apps: [{sdk_app_id: \"1\", token_env: MISSING}]\n"),
              HasSubstr("tencent.apps[0].token_env: environment variable MISSING is not set"));
  EXPECT_THAT(ErrorOf("tencent:\n  apps: [{sdk_app_id: abc}]\n"), HasSubstr("sdk_app_id"));
  EXPECT_THAT(ErrorOf("tencent:\n  apps: [{sdk_app_id: \"1\"}, {sdk_app_id: \"1\"}]\n"),
              HasSubstr("listed twice"));
  EXPECT_THAT(ErrorOf("tencent:\n  default_refusal_code: 37000\n  apps: [{sdk_app_id: \"1\"}]\n"),
              HasSubstr("tencent.default_refusal_code: must be in [38000, 39000]"));
  EXPECT_THAT(ErrorOf("tencent:\n  answer_budget_ms: 2000\n  apps: [{sdk_app_id: \"1\"}]\n"),
              HasSubstr("Tencent waits 2 s"));
  EXPECT_THAT(
      ErrorOf("tencent:\n  failure_mode: {deny_code: 20001}\n  apps: [{sdk_app_id: \"1\"}]\n"),
      HasSubstr("tencent.failure_mode.deny_code"));
  EXPECT_THAT(ErrorOf("openim: [{name: a}, {name: a, path_prefix: /b}]\n"),
              HasSubstr("used twice"));
  EXPECT_THAT(ErrorOf("openim: [{path_prefix: /a}, {name: b, path_prefix: /a}]\n"),
              HasSubstr("used twice"));
  EXPECT_THAT(ErrorOf("openim: [{path_prefix: a/}]\n"), HasSubstr("path_prefix"));
  EXPECT_THAT(ErrorOf("openim: [{allowed_networks: [10.0.0.0/99]}]\n"),
              HasSubstr("openim[0].allowed_networks[0]"));
  EXPECT_THAT(ErrorOf("openim: [{basic_auth: {username: u}}]\n"),
              HasSubstr("needs password_env or password_file"));
  EXPECT_THAT(
      ErrorOf("openim: [{basic_auth: {username: u, password_env: PW, password_file: /x}}]\n"),
      HasSubstr("not both"));
  EXPECT_THAT(ErrorOf("http: {worker_threads: 0}\n"),
              HasSubstr("at least one Tencent app or OpenIM"));
  EXPECT_THAT(ErrorOf("policy: {load_balancing: random}\nopenim: [{}]\n"),
              HasSubstr("pick_first or round_robin"));
  EXPECT_THAT(ErrorOf("http: {io_threads: 65}\nopenim: [{}]\n"), HasSubstr("http.io_threads"));
  EXPECT_THAT(ErrorOf("http: {tls: {cert_file: /c.pem}}\nopenim: [{}]\n"),
              HasSubstr("http.tls: cert_file and key_file are both required"));
  EXPECT_THAT(ErrorOf("policy: {max_batch_size: 1001}\nopenim: [{}]\n"),
              HasSubstr("policy.max_batch_size"));
}

}  // namespace
}  // namespace friendgate::gateway
