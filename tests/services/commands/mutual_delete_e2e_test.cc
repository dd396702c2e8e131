// Mutual-delete enforcement end to end, through the gateway's real
// after-callback:
//
//   DeleteFriends RPC (alice -> bob, one way)
//     -> Tencent emulator deletes alice->bob and sends Sns.CallbackFriendDelete
//     -> friendgate-gateway (the real binary) -> PolicyService (in-process
//        PolicyServer with examples/rules.yaml) -> MutualDeleteObserver
//     -> reverse delete bob->alice through the same Tencent client
//     -> the emulator sends that delete's own callback -> ... deduplicated.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <fstream>

#include "common/json_writer.h"
#include "common/strings.h"
#include "common/yaml_proto.h"
#include "friendgate/v1/friendship_commands.grpc.pb.h"
#include "services/commands/component.h"
#include "services/commands/mutual_delete_observer.h"
#include "services/policy/policy_server.h"
#include "tests/services/commands/vendor_emulators.h"
#include "tests/support/http.h"
#include "tests/support/process.h"

namespace friendgate::commands {
namespace {

using friendgate::testing::Edge;

constexpr char kKey[] = "e2e-tencent-key";

template <typename F>
bool Eventually(F done, absl::Duration timeout = absl::Seconds(15)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return done();
}

// What Tencent POSTs for an after-delete (vendor-protocols.md).
std::string FriendDeleteCallback(const std::vector<Edge>& pairs) {
  std::string body;
  JsonWriter w(body);
  w.BeginObject().Key("CallbackCommand").String("Sns.CallbackFriendDelete");
  w.Key("PairList").BeginArray();
  for (const auto& [from, to] : pairs) {
    w.BeginObject().Key("From_Account").String(from).Key("To_Account").String(to).EndObject();
  }
  w.EndArray().EndObject();
  return body;
}

// Makes the emulator POST its after-callbacks to the gateway, as Tencent
// does; counts the callbacks the gateway answered OK.
void SendCallbacksToGateway(friendgate::testing::TencentEmulator& tencent, int http_port,
                            std::atomic<int>* answered_ok) {
  tencent.OnDeleted([http_port, answered_ok](const std::vector<Edge>& removed) {
    auto result = friendgate::testing::Post(
        http_port,
        "/tencent/callback?SdkAppid=1400000000&CallbackCommand=Sns.CallbackFriendDelete"
        "&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI",
        FriendDeleteCallback(removed), {{"Content-Type", "application/json"}});
    if (result.status == 200 && result.body.find("\"ActionStatus\":\"OK\"") != std::string::npos) {
      ++*answered_ok;
    }
  });
}

// One DeleteFriends RPC, one way, on tenant 1400000000.
grpc::Status DeleteOneWay(int port, const std::string& from, const std::string& to,
                          v1::DeleteFriendsResponse* response) {
  auto stub = v1::FriendshipCommands::NewStub(
      grpc::CreateChannel(StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  v1::DeleteFriendsRequest request;
  request.set_tenant("1400000000");
  request.set_from_user(from);
  request.add_to_users(to);
  request.set_mode(v1::DELETE_MODE_ONE_WAY);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return stub->DeleteFriends(&context, request, response);
}

TEST(MutualDeleteEndToEnd, OneWayDeleteBecomesMutualThroughTheGateway) {
  friendgate::testing::TencentEmulatorOptions emulator_options;
  emulator_options.secret_key = kKey;
  friendgate::testing::TencentEmulator tencent(emulator_options);
  tencent.graph().AddMutual("alice", "bob");

  // The commands component, configured as an operator would.
  setenv("FG_E2E_TENCENT_KEY", kKey, 1);
  CommandsConfig config;
  ASSERT_TRUE(ParseYamlToProto(StrCat(R"(
tencent:
  - sdk_app_id: 1400000000
    admin_identifier: administrator
    secret_key: {env: FG_E2E_TENCENT_KEY}
    base_url: )",
                                      tencent.base_url(), R"(
    mutual_delete: true
)"),
                               "commands.yaml", &config)
                  .ok());
  auto component = CommandsComponent::FromConfig(config);
  ASSERT_TRUE(component.ok()) << component.status();
  MutualDeleteObserver observer(&(*component)->mutual_delete());

  // The real policy service, with the observer hooked in before any event.
  policy::PolicyServer::Options policy_options;
  policy_options.rules_path = friendgate::testing::SourcePath("examples/rules.yaml");
  policy_options.decision_log = "off";
  policy_options.rules_poll = absl::ZeroDuration();
  policy_options.observers.push_back(&observer);
  auto policy = policy::PolicyServer::Start(policy_options);
  ASSERT_TRUE(policy.ok()) << policy.status();

  // FriendshipCommands on a server of its own, so this test can read the
  // enforcer's counters in-process; the next test serves it from the real
  // friendgate-policy binary, on the policy port.
  grpc::ServerBuilder builder;
  int commands_port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &commands_port);
  (*component)->Register(builder);
  std::unique_ptr<grpc::Server> commands_server = builder.BuildAndStart();
  ASSERT_NE(commands_server, nullptr);

  // The real gateway in front of the policy.
  int http_port = 0;
  auto gateway = friendgate::testing::StartGateway(
      friendgate::testing::SourcePath("examples/gateway.yaml"),
      StrCat("127.0.0.1:", (*policy)->grpc_port()), &http_port,
      {StrCat("FRIENDGATE_TENCENT_TOKEN_1400000001=", friendgate::testing::kExampleTencentToken)});
  ASSERT_NE(gateway, nullptr);
  ASSERT_TRUE(friendgate::testing::WaitForHttpStatus(http_port, "/readyz", 200, absl::Seconds(20)));

  // The emulator sends its after-callbacks to the gateway, like Tencent.
  std::atomic<int> callbacks_ok{0};
  SendCallbacksToGateway(tencent, http_port, &callbacks_ok);

  // A service deletes one way with one RPC.
  v1::DeleteFriendsResponse response;
  const grpc::Status status = DeleteOneWay(commands_port, "alice", "bob", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.results(0).outcome(), v1::DELETE_OUTCOME_DELETED);

  // The reverse delete happens, and its own callback is recognised.
  ASSERT_TRUE(Eventually([&] { return !tencent.graph().Has("bob", "alice"); }))
      << "gateway stderr:\n"
      << gateway->Stderr();
  ASSERT_TRUE(Eventually([&] {
    return callbacks_ok.load() == 2 && (*component)->mutual_delete().stats().deduplicated == 1;
  })) << "callbacks "
      << callbacks_ok.load() << ", deduplicated "
      << (*component)->mutual_delete().stats().deduplicated;
  const auto stats = (*component)->mutual_delete().stats();
  EXPECT_EQ(stats.enqueued, 1);
  EXPECT_EQ(stats.deleted, 1);
  // Exactly two vendor calls: the RPC's and the one reverse delete.
  EXPECT_EQ(tencent.request_count(), 2);
  EXPECT_EQ(tencent.auth_failures(), 0);

  // The vendor retries the first callback (after-callback retry is a console
  // option): nothing is sent again.
  auto again = friendgate::testing::Post(
      http_port,
      "/tencent/callback?SdkAppid=1400000000&CallbackCommand=Sns.CallbackFriendDelete"
      "&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI",
      FriendDeleteCallback({{"alice", "bob"}}), {{"Content-Type", "application/json"}});
  EXPECT_EQ(again.status, 200);
  ASSERT_TRUE(Eventually([&] { return (*component)->mutual_delete().stats().deduplicated == 2; }));
  EXPECT_EQ(tencent.request_count(), 2);

  tencent.OnDeleted(nullptr);
  gateway.reset();
  commands_server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  (*policy)->Drain(absl::Seconds(2));
}

// The same flow as operators deploy it: both real binaries, friendgate-policy
// started with --commands-config, FriendshipCommands served on the policy
// port, Tencent played by the emulator.
TEST(MutualDeleteEndToEnd, ThroughTheRealPolicyBinaryWithCommandsConfig) {
  friendgate::testing::TencentEmulatorOptions emulator_options;
  emulator_options.secret_key = kKey;
  friendgate::testing::TencentEmulator tencent(emulator_options);
  tencent.graph().AddMutual("carol", "dave");

  const std::string config_path = ::testing::TempDir() + "/commands_e2e.yaml";
  std::ofstream(config_path) << StrCat(R"(
tencent:
  - sdk_app_id: 1400000000
    admin_identifier: administrator
    secret_key: {env: FG_E2E_TENCENT_KEY}
    base_url: )",
                                       tencent.base_url(), R"(
    mutual_delete: true
)");
  setenv("FG_E2E_TENCENT_KEY", kKey, 1);  // inherited by the child process
  int policy_port = 0;
  auto policy = friendgate::testing::StartPolicy(
      friendgate::testing::SourcePath("examples/rules.yaml"), &policy_port,
      {"--commands-config=" + config_path, "--decision-log=off"});
  ASSERT_NE(policy, nullptr);
  int http_port = 0;
  auto gateway = friendgate::testing::StartGateway(
      friendgate::testing::SourcePath("examples/gateway.yaml"), StrCat("127.0.0.1:", policy_port),
      &http_port,
      {StrCat("FRIENDGATE_TENCENT_TOKEN_1400000001=", friendgate::testing::kExampleTencentToken)});
  ASSERT_NE(gateway, nullptr);
  ASSERT_TRUE(friendgate::testing::WaitForHttpStatus(http_port, "/readyz", 200, absl::Seconds(20)));

  std::atomic<int> callbacks_ok{0};
  SendCallbacksToGateway(tencent, http_port, &callbacks_ok);

  v1::DeleteFriendsResponse response;
  const grpc::Status status = DeleteOneWay(policy_port, "carol", "dave", &response);
  ASSERT_TRUE(status.ok()) << status.error_message() << "\npolicy stderr:\n" << policy->Stderr();
  ASSERT_EQ(response.results(0).outcome(), v1::DELETE_OUTCOME_DELETED);

  // The reverse delete, then its own callback, then nothing more.
  ASSERT_TRUE(Eventually([&] { return !tencent.graph().Has("dave", "carol"); }))
      << "policy stderr:\n"
      << policy->Stderr();
  ASSERT_TRUE(Eventually([&] { return callbacks_ok.load() == 2; }));
  // The echo of the reverse delete is recognised, so no third call can follow.
  EXPECT_NE(policy->WaitForLine("mutual delete skipped", absl::Seconds(15)), "")
      << policy->Stderr();
  EXPECT_EQ(tencent.request_count(), 2);
  EXPECT_EQ(tencent.auth_failures(), 0);

  tencent.OnDeleted(nullptr);
  gateway.reset();
  policy->Signal(SIGTERM);
  EXPECT_EQ(policy->WaitExit(absl::Seconds(20)), 0) << policy->Stderr();
}

}  // namespace
}  // namespace friendgate::commands
