// The acceptance check of issue 17 with the real binaries: the policy service
// with TLS, mTLS and --admin-tokens-file, the gateway with policy.tls;
// callbacks are decided as before; admin calls without a token, with a read
// token and with a write token; a plaintext client cannot reach the port.

#include <grpcpp/grpcpp.h>

#include "common/grpc_tls.h"
#include "friendgate/v1/policy_admin.grpc.pb.h"
#include "friendgate/v1/policy_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/certs.h"
#include "tests/support/data.h"
#include "tests/support/http.h"
#include "tests/support/process.h"

namespace friendgate::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kReadToken[] = "e2e-read-token-4b1d";
constexpr char kWriteToken[] = "e2e-write-token-93ac";

std::string Prev(const std::string& to) {
  return R"({"CallbackCommand":"Sns.CallbackPrevFriendAdd","Requester_Account":"alice",)"
         R"("From_Account":"alice","FriendItem":[{"To_Account":")" +
         to +
         R"(","AddSource":"AddSource_Type_Android"}],"AddType":"Add_Type_Both",)"
         R"("ForceAddFlags":0,"EventTime":1700000000000})";
}
constexpr char kPath[] =
    "/tencent/callback?SdkAppid=1400000000&CallbackCommand=Sns.CallbackPrevFriendAdd"
    "&contenttype=json&ClientIP=10.0.0.1&OptPlatform=Android";

class SecurityE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("securitye2e");
    ca_ = MakeTestCa(dir_ + "/pki", "ca");
    server_ = IssueCert(ca_, "policy", "policy", "DNS:policy.test");
    gateway_ = IssueCert(ca_, "gateway", "gateway", "");
    admin_ = IssueCert(ca_, "admin", "admin-cli", "");
    ASSERT_FALSE(admin_.cert_file.empty());
    const std::string tokens = WriteFileIn(
        dir_, "admin-tokens",
        std::string("read ") + kReadToken + " dashboards\nwrite " + kWriteToken + " ops\n");
    policy_ =
        StartPolicy(SourcePath("examples/rules.yaml"), &policy_port_,
                    {"--tls-cert-file=" + server_.cert_file, "--tls-key-file=" + server_.key_file,
                     "--tls-client-ca-file=" + ca_.cert_file, "--admin-tokens-file=" + tokens});
    ASSERT_NE(policy_, nullptr);
    const std::string config = WriteFileIn(dir_, "gateway-tls.yaml", R"(
policy:
  health_check_interval_ms: 200
  tls:
    ca_file: )" + ca_.cert_file + R"(
    cert_file: )" + gateway_.cert_file + R"(
    key_file: )" + gateway_.key_file + R"(
    server_name: policy.test
tencent:
  apps:
    - sdk_app_id: "1400000000"
)");
    gateway_process_ =
        StartGateway(config, "127.0.0.1:" + std::to_string(policy_port_), &http_port_);
    ASSERT_NE(gateway_process_, nullptr);
    ASSERT_TRUE(WaitForHttpStatus(http_port_, "/readyz", 200, absl::Seconds(20)))
        << gateway_process_->Stderr();
  }

  std::shared_ptr<grpc::Channel> Channel(const TestCert& cert) {
    auto creds = MakeClientTlsCredentials({ca_.cert_file, cert.cert_file, cert.key_file});
    EXPECT_TRUE(creds.ok()) << creds.status();
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("policy.test");
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(policy_port_), *creds, args);
  }
  grpc::Status Block(const std::shared_ptr<grpc::Channel>& channel, const std::string& token,
                     const std::string& user) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    v1::AddListEntryRequest request;
    request.set_list("blocked-user-no-friend-requests");
    request.set_user_id(user);
    v1::AddListEntryResponse response;
    return v1::PolicyAdmin::NewStub(channel)->AddListEntry(&context, request, &response);
  }

  std::string dir_;
  TestCa ca_;
  TestCert server_, gateway_, admin_;
  std::unique_ptr<Process> policy_;
  std::unique_ptr<Process> gateway_process_;
  int policy_port_ = 0;
  int http_port_ = 0;
};

TEST_F(SecurityE2eTest, TlsGatewayDecidesAndAdminNeedsTheRightToken) {
  // Callbacks are decided as before, over mTLS.
  HttpResult r = Post(http_port_, kPath, Prev("blocked_user"));
  EXPECT_THAT(r.body, HasSubstr(R"("To_Account":"blocked_user","ResultCode":38100)"));
  r = Post(http_port_, kPath, Prev("carol"));
  EXPECT_THAT(r.body, HasSubstr(R"("To_Account":"carol","ResultCode":0)"));

  auto admin = Channel(admin_);
  EXPECT_EQ(Block(admin, "", "carol").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Block(admin, "wrong-token", "carol").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Block(admin, kReadToken, "carol").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(Post(http_port_, kPath, Prev("carol")).body, HasSubstr(R"("ResultCode":0)"));
  ASSERT_TRUE(Block(admin, kWriteToken, "carol").ok());
  EXPECT_THAT(Post(http_port_, kPath, Prev("carol")).body,
              HasSubstr(R"("To_Account":"carol","ResultCode":38100)"));

  // A plaintext client cannot reach the TLS port.
  auto plain = grpc::CreateChannel("127.0.0.1:" + std::to_string(policy_port_),
                                   grpc::InsecureChannelCredentials());
  EXPECT_EQ(Block(plain, kWriteToken, "dave").error_code(), grpc::StatusCode::UNAVAILABLE);
  // Nor one with a TLS client but no certificate (mTLS).
  EXPECT_EQ(Block(Channel({}), kWriteToken, "dave").error_code(), grpc::StatusCode::UNAVAILABLE);

  // Every admin call is logged with the caller's identity, never the token.
  const std::string log = policy_->WaitForLine(R"("caller":"ops")", absl::Seconds(5));
  EXPECT_THAT(log, HasSubstr(R"("method":"AddListEntry")"));
  const std::string all = policy_->Stderr();
  EXPECT_THAT(all, HasSubstr(R"("caller":"dashboards")"));
  EXPECT_THAT(all, ::testing::Not(HasSubstr(kWriteToken)));
  EXPECT_THAT(all, ::testing::Not(HasSubstr(kReadToken)));
  EXPECT_THAT(all, ::testing::Not(HasSubstr("wrong-token")));
}

TEST(SecurityE2eStartTest, GatewayWithAMissingCaFileStopsAtStartNamingTheKey) {
  const std::string config = WriteFileIn(MakeTempDir("securitye2e"), "gateway-bad-tls.yaml", R"(
policy:
  tls:
    ca_file: /nonexistent/ca.pem
tencent:
  apps:
    - sdk_app_id: "1400000000"
)");
  auto gateway = Process::Start(
      GatewayBinary(),
      {"--http-listen=127.0.0.1:0", "--policy-target=127.0.0.1:1", "--config=" + config});
  ASSERT_NE(gateway, nullptr);
  // The line is waited for, not read after the exit: the reader may lag.
  EXPECT_THAT(gateway->WaitForLine("policy.tls.ca_file", absl::Seconds(20)),
              HasSubstr("policy.tls.ca_file"));
  EXPECT_EQ(gateway->WaitExit(absl::Seconds(20)), 1);
}

}  // namespace
}  // namespace friendgate::testing
