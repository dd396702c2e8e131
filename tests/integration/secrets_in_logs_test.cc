// No secret in any log line at any level: both binaries at debug level,
// every error path that touches a secret (a bad Sign, bad Basic credentials,
// an emptied and an unreadable token file, bad admin tokens, a read token
// writing, malformed token files at start), then every byte either process
// wrote is searched for every secret used and for values derived from them.

#include <grpcpp/grpcpp.h>

#include <csignal>
#include <cstdio>
#include <ctime>

#include "absl/strings/escaping.h"
#include "friendgate/v1/policy_admin.grpc.pb.h"
#include "gateway/tencent/signature.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/data.h"
#include "tests/support/http.h"
#include "tests/support/process.h"

namespace friendgate::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kTencentToken[] = "tencent-cb-token-Q7v2";
constexpr char kNextTencentToken[] = "tencent-cb-token-next-Z3";
constexpr char kOpenImPassword[] = "openim-basic-pw-K9x4";
constexpr char kReadToken[] = "admin-read-token-M1c8";
constexpr char kWriteToken[] = "admin-write-token-W5t0";
constexpr char kSalt[] = "decision-salt-S8j2";

std::string SignedPath(const std::string& sign, const std::string& time) {
  return "/tencent/callback?SdkAppid=1400000001&CallbackCommand=Sns.CallbackFriendDelete"
         "&contenttype=json&RequestTime=" +
         time + "&Sign=" + sign;
}

grpc::Status AddEntry(int port, const std::string& authorization) {
  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  if (!authorization.empty()) context.AddMetadata("authorization", authorization);
  v1::AddListEntryRequest request;
  request.set_list("blocked-user-no-friend-requests");
  request.set_user_id("mallory");
  v1::AddListEntryResponse response;
  return v1::PolicyAdmin::NewStub(channel)->AddListEntry(&context, request, &response);
}

TEST(SecretsInLogsTest, NoSecretInAnyOutputOfEitherBinary) {
  const std::string dir = MakeTempDir("secretlogs");
  const std::string tokens_file = dir + "/admin-tokens";
  ReplaceFile(tokens_file, std::string("read ") + kReadToken + "\nwrite " + kWriteToken + " ops\n");
  const std::string salt_file = dir + "/salt";
  ReplaceFile(salt_file, kSalt);
  const std::string tencent_token_file = dir + "/tencent-token";
  ReplaceFile(tencent_token_file, std::string(kTencentToken) + "\n");
  const std::string password_file = dir + "/openim-password";
  ReplaceFile(password_file, kOpenImPassword);
  const std::string config = dir + "/gateway.yaml";
  ReplaceFile(config, R"(
tencent:
  apps:
    - sdk_app_id: "1400000001"
      token_file: )" + tencent_token_file +
                          R"(
openim:
  - basic_auth: {username: im, password_file: )" +
                          password_file + R"(}
)");

  std::vector<std::unique_ptr<Process>> processes;
  auto policy = Process::Start(
      PolicyBinary(),
      {"--grpc-listen=127.0.0.1:0", "--rules=" + SourcePath("examples/rules.yaml"),
       "--log-level=debug", "--decision-log=stderr", "--decision-log-salt-file=" + salt_file,
       "--admin-tokens-file=" + tokens_file});
  ASSERT_NE(policy, nullptr);
  const int policy_port =
      PortFromLogLine(policy->WaitForLine(R"("msg":"listening")", absl::Seconds(20)), "grpc");
  ASSERT_NE(policy_port, 0) << policy->Stderr();
  auto gateway =
      Process::Start(GatewayBinary(), {"--http-listen=127.0.0.1:0",
                                       "--policy-target=127.0.0.1:" + std::to_string(policy_port),
                                       "--config=" + config, "--log-level=debug"});
  ASSERT_NE(gateway, nullptr);
  const int http_port =
      PortFromLogLine(gateway->WaitForLine(R"("msg":"listening")", absl::Seconds(20)), "http");
  ASSERT_NE(http_port, 0) << gateway->Stderr();
  ASSERT_TRUE(WaitForHttpStatus(http_port, "/readyz", 200, absl::Seconds(20)));

  const std::string now = std::to_string(std::time(nullptr));
  const std::string body = TestData("tencent/Sns.CallbackFriendDelete.json");
  const std::string good_sign = gateway::tencent::ComputeSign(kTencentToken, now);
  // Bad Sign, a Sign out of the window, then a good one (decided, logged).
  EXPECT_EQ(
      Post(http_port, SignedPath(gateway::tencent::ComputeSign("guess", now), now), body).status,
      401);
  EXPECT_EQ(Post(http_port,
                 SignedPath(gateway::tencent::ComputeSign(kTencentToken, "1000"), "1000"), body)
                .status,
            401);
  EXPECT_EQ(Post(http_port, SignedPath(good_sign, now), body).status, 200);
  // Bad Basic credentials, and good ones.
  const std::string openim_body = TestData("openim/callbackAfterDeleteFriendCommand.json");
  for (const std::string& credentials :
       {std::string("im:wrong"), std::string("other:") + kOpenImPassword}) {
    EXPECT_EQ(Post(http_port, "/openim/callbackAfterDeleteFriendCommand", openim_body,
                   {{"Authorization", "Basic " + absl::Base64Escape(credentials)}})
                  .status,
              401);
  }
  EXPECT_EQ(
      Post(http_port, "/openim/callbackAfterDeleteFriendCommand", openim_body,
           {{"Authorization", "Basic " + absl::Base64Escape(std::string("im:") + kOpenImPassword)}})
          .status,
      200);
  // A bad token file: emptied (refused on reload), then the rotation's
  // second token, then gone.
  ReplaceFile(tencent_token_file, "\n");
  gateway->WaitForLine("secret file not reloaded", absl::Seconds(20));
  ReplaceFile(tencent_token_file, std::string(kTencentToken) + "\n" + kNextTencentToken + "\n");
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (
      Post(http_port, SignedPath(gateway::tencent::ComputeSign(kNextTencentToken, now), now), body)
              .status != 200 &&
      absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  std::remove(tencent_token_file.c_str());
  gateway->WaitForLine("tencent.apps[0].token_file", absl::Seconds(20));
  ReplaceFile(password_file, "");
  gateway->WaitForLine("openim[0].basic_auth.password_file", absl::Seconds(20));

  // Bad admin tokens; a read token writing; a write token.
  EXPECT_EQ(AddEntry(policy_port, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(AddEntry(policy_port, "Bearer not-the-token").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(AddEntry(policy_port, std::string("Basic ") + kWriteToken).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(AddEntry(policy_port, std::string("Bearer ") + kReadToken).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(AddEntry(policy_port, std::string("Bearer ") + kWriteToken).ok());
  // A tokens file that no longer parses: the line is named, the token not.
  ReplaceFile(tokens_file, std::string("superuser ") + kWriteToken + "\n");
  policy->WaitForLine("admin tokens file not reloaded", absl::Seconds(20));

  // Starts that fail on a secret file: a malformed tokens file, an empty
  // token file, a Basic password file that is missing.
  const std::string bad_tokens = dir + "/bad-tokens";
  ReplaceFile(bad_tokens, std::string("admin ") + kWriteToken + "\n");
  processes.push_back(Process::Start(
      PolicyBinary(), {"--grpc-listen=127.0.0.1:0", "--rules=" + SourcePath("examples/rules.yaml"),
                       "--log-level=debug", "--admin-tokens-file=" + bad_tokens}));
  const std::string bad_config = dir + "/bad-gateway.yaml";
  ReplaceFile(bad_config, R"(
tencent:
  apps:
    - sdk_app_id: "1400000001"
      token_file: )" + dir + R"(/missing-token
)");
  processes.push_back(
      Process::Start(GatewayBinary(), {"--http-listen=127.0.0.1:0", "--policy-target=127.0.0.1:1",
                                       "--config=" + bad_config, "--log-level=debug"}));
  for (auto& p : processes) {
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->WaitExit(absl::Seconds(20)), 1) << p->Stderr();
  }

  policy->Signal(SIGTERM);
  gateway->Signal(SIGTERM);
  EXPECT_EQ(gateway->WaitExit(absl::Seconds(30)), 0);
  EXPECT_EQ(policy->WaitExit(absl::Seconds(30)), 0);

  std::string output = policy->Stderr() + gateway->Stderr();
  for (auto& p : processes) output += p->Stderr();
  // The error paths were really taken (so the search below means something).
  EXPECT_THAT(output, HasSubstr("Sign does not match"));
  EXPECT_THAT(output, HasSubstr("missing or wrong credentials"));
  EXPECT_THAT(output, HasSubstr("admin call refused"));
  EXPECT_THAT(output, HasSubstr("bad-tokens:1"));
  EXPECT_THAT(output, HasSubstr("missing-token"));
  for (const std::string& secret :
       {std::string(kTencentToken), std::string(kNextTencentToken), std::string(kOpenImPassword),
        std::string(kReadToken), std::string(kWriteToken), std::string(kSalt), good_sign,
        absl::Base64Escape(std::string("im:") + kOpenImPassword)}) {
    EXPECT_EQ(output.find(secret), std::string::npos) << "secret in the logs: " << secret;
  }
}

}  // namespace
}  // namespace friendgate::testing
