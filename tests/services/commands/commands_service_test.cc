// FriendshipCommands over a real gRPC server on a free port, built from a
// YAML config exactly as the policy main builds it, against both emulators.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "common/strings.h"
#include "common/yaml_proto.h"
#include "friendgate/v1/friendship_commands.grpc.pb.h"
#include "services/commands/component.h"
#include "tests/services/commands/vendor_emulators.h"

namespace friendgate::commands {
namespace {

using friendgate::testing::OpenImEmulator;
using friendgate::testing::TencentEmulator;

constexpr char kTencentKey[] = "tencent-key-for-tests";
constexpr char kOpenImSecret[] = "openim-secret-for-tests";

class CommandsServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    friendgate::testing::TencentEmulatorOptions t;
    t.secret_key = kTencentKey;
    tencent_ = std::make_unique<TencentEmulator>(t);
    friendgate::testing::OpenImEmulatorOptions o;
    o.secret = kOpenImSecret;
    openim_ = std::make_unique<OpenImEmulator>(o);

    setenv("FG_TEST_TENCENT_KEY", kTencentKey, 1);
    secret_file_ = StrCat(::testing::TempDir(), "/openim-secret");
    std::ofstream(secret_file_) << kOpenImSecret << "\n";
    const std::string yaml = StrCat(R"(
tencent:
  - sdk_app_id: 1400000000
    admin_identifier: administrator
    secret_key: {env: FG_TEST_TENCENT_KEY}
    base_url: )",
                                    tencent_->base_url(), R"(
openim:
  - name: openim
    api_base_url: )",
                                    openim_->base_url(), R"(
    admin_user_id: imAdmin
    secret: {file: )",
                                    secret_file_, R"(}
)");
    CommandsConfig config;
    ASSERT_TRUE(ParseYamlToProto(yaml, "commands.yaml", &config).ok());
    auto component = CommandsComponent::FromConfig(config);
    ASSERT_TRUE(component.ok()) << component.status();
    component_ = std::move(*component);

    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    component_->Register(builder);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port, 0);
    stub_ = v1::FriendshipCommands::NewStub(
        grpc::CreateChannel(StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    component_.reset();
  }

  grpc::Status Delete(const v1::DeleteFriendsRequest& request, v1::DeleteFriendsResponse* out) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return stub_->DeleteFriends(&context, request, out);
  }

  std::unique_ptr<TencentEmulator> tencent_;
  std::unique_ptr<OpenImEmulator> openim_;
  std::string secret_file_;
  std::unique_ptr<CommandsComponent> component_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::FriendshipCommands::Stub> stub_;
};

v1::DeleteFriendsRequest Request(const std::string& tenant, std::vector<std::string> to,
                                 v1::DeleteMode mode = v1::DELETE_MODE_ONE_WAY) {
  v1::DeleteFriendsRequest r;
  r.set_tenant(tenant);
  r.set_from_user("alice");
  for (auto& t : to) r.add_to_users(t);
  r.set_mode(mode);
  return r;
}

TEST_F(CommandsServiceTest, OneRpcDeletesOnTencent) {
  tencent_->graph().AddMutual("alice", "bob");
  v1::DeleteFriendsResponse response;
  grpc::Status status =
      Delete(Request("1400000000", {"bob", "carol", "bob"}, v1::DELETE_MODE_BOTH), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.vendor(), v1::VENDOR_TENCENT);
  ASSERT_EQ(response.results_size(), 2);  // the duplicate "bob" is deleted once
  EXPECT_EQ(response.results(0).to_user(), "bob");
  EXPECT_EQ(response.results(0).outcome(), v1::DELETE_OUTCOME_DELETED);
  EXPECT_EQ(response.results(1).outcome(), v1::DELETE_OUTCOME_NOT_A_FRIEND);
  EXPECT_FALSE(tencent_->graph().Has("bob", "alice"));
  EXPECT_EQ(tencent_->auth_failures(), 0);
}

TEST_F(CommandsServiceTest, OneRpcDeletesOnOpenIm) {
  openim_->graph().AddMutual("alice", "bob");
  v1::DeleteFriendsResponse response;
  grpc::Status status = Delete(Request("openim", {"bob"}, v1::DELETE_MODE_BOTH), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.vendor(), v1::VENDOR_OPENIM);
  ASSERT_EQ(response.results_size(), 1);
  EXPECT_EQ(response.results(0).outcome(), v1::DELETE_OUTCOME_DELETED);
  EXPECT_FALSE(openim_->graph().Has("alice", "bob"));
  EXPECT_FALSE(openim_->graph().Has("bob", "alice"));
  EXPECT_EQ(openim_->delete_calls(), 2);
}

TEST_F(CommandsServiceTest, BadRequestsAreRefusedBeforeAnyVendorCall) {
  v1::DeleteFriendsResponse response;
  EXPECT_EQ(Delete(Request("nope", {"bob"}), &response).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Delete(Request("openim", {}), &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Delete(Request("openim", {"bob"}, v1::DELETE_MODE_UNSPECIFIED), &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Delete(Request("openim", {std::string(200, 'x')}), &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  std::vector<std::string> many(10001, "u");
  for (size_t i = 0; i < many.size(); ++i) many[i] += std::to_string(i);
  EXPECT_EQ(Delete(Request("1400000000", many), &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(tencent_->request_count(), 0);
  EXPECT_EQ(openim_->delete_calls(), 0);
}

TEST_F(CommandsServiceTest, TheCallersDeadlineBoundsRetries) {
  tencent_->graph().Add("alice", "bob");
  tencent_->FailNextRequests(1000, 30006);
  tencent_->SetDelay(absl::Milliseconds(100));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  v1::DeleteFriendsResponse response;
  grpc::Status status = stub_->DeleteFriends(&context, Request("1400000000", {"bob"}), &response);
  // Either the server answered FAILED within the deadline, or the deadline
  // hit first; never DELETED, and never more than the default 4 attempts.
  if (status.ok()) {
    EXPECT_EQ(response.results(0).outcome(), v1::DELETE_OUTCOME_FAILED);
  } else {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  EXPECT_LE(tencent_->request_count(), 4);
}

TEST(CommandsConfigTest, SecretsNeverInlineAndErrorsNameTheProblem) {
  CommandsConfig config;
  // A secret written inline is not part of the schema.
  absl::Status inline_secret = ParseYamlToProto(R"(
tencent:
  - sdk_app_id: 1
    admin_identifier: a
    secret_key: "abc"
)",
                                                "c.yaml", &config);
  EXPECT_FALSE(inline_secret.ok());

  config.Clear();
  ASSERT_TRUE(ParseYamlToProto(R"(
tencent:
  - sdk_app_id: 1
    admin_identifier: a
    secret_key: {env: FG_TEST_UNSET_VARIABLE_XYZ}
)",
                               "c.yaml", &config)
                  .ok());
  unsetenv("FG_TEST_UNSET_VARIABLE_XYZ");
  auto component = CommandsComponent::FromConfig(config);
  ASSERT_FALSE(component.ok());
  EXPECT_NE(component.status().message().find("FG_TEST_UNSET_VARIABLE_XYZ"), std::string::npos);

  config.Clear();
  setenv("FG_TEST_KEY", "k", 1);
  ASSERT_TRUE(ParseYamlToProto(R"(
tencent:
  - sdk_app_id: 1
    admin_identifier: a
    secret_key: {env: FG_TEST_KEY}
    rate_per_second: 200
    burst: 10
)",
                               "c.yaml", &config)
                  .ok());
  component = CommandsComponent::FromConfig(config);
  ASSERT_FALSE(component.ok());
  EXPECT_NE(component.status().message().find("at most 200"), std::string::npos);
}

TEST(CommandsConfigTest, ExampleConfigLoads) {
  setenv("FRIENDGATE_TENCENT_SECRET_KEY_1400000000", "example", 1);
  setenv("FRIENDGATE_OPENIM_SECRET", "example", 1);
  auto component = CommandsComponent::Create(FRIENDGATE_SOURCE_DIR "/examples/commands.yaml");
  ASSERT_TRUE(component.ok()) << component.status();
  EXPECT_NE((*component)->tenants().Find("1400000000"), nullptr);
  EXPECT_NE((*component)->tenants().Find("openim"), nullptr);
}

}  // namespace
}  // namespace friendgate::commands
