// OpenIM's eleven friend commands against the running binaries: exact
// answers with numeric codes, header case, trailing newlines, bad input, and
// the policy service gone.

#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/data.h"
#include "tests/support/http.h"
#include "tests/support/process.h"

namespace friendgate::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kAllow[] = R"({"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0})";
constexpr char kBlocked[] =
    R"({"actionCode":0,"errCode":20100,"errMsg":"this user cannot make or answer friend requests",)"
    R"("errDlt":"","nextCode":1})";

const char* const kCommands[] = {
    "callbackBeforeAddFriendCommand",      "callbackAfterAddFriendCommand",
    "callbackBeforeAddFriendAgreeCommand", "callbackAfterAddFriendAgreeCommand",
    "callbackAfterDeleteFriendCommand",    "callbackBeforeImportFriendsCommand",
    "callbackAfterImportFriendsCommand",   "callbackBeforeSetFriendRemarkCommand",
    "callbackAfterSetFriendRemarkCommand", "callbackBeforeAddBlackCommand",
    "callbackAfterRemoveBlackCommand"};

class OpenImE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stack_ = StartStack();
    ASSERT_NE(stack_.gateway, nullptr);
  }
  HttpResult Send(const std::string& command, const std::string& body,
                  std::vector<std::pair<std::string, std::string>> headers = {
                      {"operationID", "op-1"}}) {
    // What open-im-server sends: JSON content type, operationID, a trailing newline.
    headers.emplace_back("Content-Type", "application/json; charset=utf-8");
    return Post(stack_.http_port, "/openim/" + command, body, headers);
  }
  Stack stack_;
};

TEST_F(OpenImE2eTest, EveryCommandIsAllowedForOrdinaryUsers) {
  for (const char* command : kCommands) {
    const std::string body = TestData(std::string("openim/") + command + ".json");
    ASSERT_EQ(body.back(), '\n') << command;
    const HttpResult r = Send(command, body);
    EXPECT_EQ(r.status, 200) << command;
    EXPECT_EQ(r.content_type, "application/json") << command;
    EXPECT_EQ(r.body, kAllow) << command;
  }
}

TEST_F(OpenImE2eTest, BlockedUserIsRefusedWithNumericCodes) {
  EXPECT_EQ(
      Send("callbackBeforeAddFriendCommand",
           R"({"callbackCommand":"callbackBeforeAddFriendCommand","fromUserID":"blocked_user",)"
           R"("toUserID":"u2","reqMsg":"hi","ex":""})"
           "\n")
          .body,
      kBlocked);
  EXPECT_EQ(Send("callbackBeforeAddFriendCommand",
                 R"({"callbackCommand":"callbackBeforeAddFriendCommand","fromUserID":"u1",)"
                 R"("toUserID":"blocked_user","reqMsg":"hi","ex":""})"
                 "\n")
                .body,
            kBlocked);
  // Agreeing to blocked_user's request is a friend response involving it.
  EXPECT_EQ(
      Send(
          "callbackBeforeAddFriendAgreeCommand",
          R"({"callbackCommand":"callbackBeforeAddFriendAgreeCommand","fromUserID":"blocked_user",)"
          R"("blackUserID":"u2","HandleResult":1,"HandleMsg":"ok"})"
          "\n")
          .body,
      kBlocked);
  // After-callbacks are notifications: always allowed.
  EXPECT_EQ(
      Send("callbackAfterAddFriendCommand",
           R"({"callbackCommand":"callbackAfterAddFriendCommand","fromUserID":"blocked_user",)"
           R"("toUserID":"u2","reqMsg":"hi"})"
           "\n")
          .body,
      kAllow);
  // Other event types are not covered by the example rule.
  EXPECT_EQ(
      Send(
          "callbackBeforeAddBlackCommand",
          R"({"callbackCommand":"callbackBeforeAddBlackCommand","ownerUserID":"blocked_user","blackUserID":"u2"})")
          .body,
      kAllow);
}

TEST_F(OpenImE2eTest, OperationIdHeaderInAnyCaseAndTheContenttypeQuery) {
  const std::string body = TestData("openim/callbackAfterDeleteFriendCommand.json");
  EXPECT_EQ(Send("callbackAfterDeleteFriendCommand", body, {{"Operationid", "a"}}).body, kAllow);
  EXPECT_EQ(Send("callbackAfterDeleteFriendCommand", body, {{"OPERATIONID", "b"}}).body, kAllow);
  EXPECT_EQ(Send("callbackAfterDeleteFriendCommand", body, {}).body, kAllow);
  EXPECT_EQ(
      Post(stack_.http_port, "/openim/callbackAfterDeleteFriendCommand?contenttype=json", body)
          .body,
      kAllow);
}

TEST_F(OpenImE2eTest, BadInputGetsValidJsonAndTheServerKeepsServing) {
  struct Case {
    std::string command, body;
    int status;
    std::string says;
    bool refused;  // a before-callback that cannot be read is refused
  };
  const std::vector<Case> cases = {
      {"callbackBeforeSendSingleMsgCommand", "{}", 404, "not a friend callback command", false},
      {"callbackAfterDeleteFriendCommand", "not json\n", 400, "not valid JSON", false},
      {"callbackAfterDeleteFriendCommand", "", 400, "not valid JSON", false},
      {"callbackAfterDeleteFriendCommand", R"({"ownerUserID":"a"})", 400,
       "friendUserID is required", false},
      {"callbackBeforeAddFriendAgreeCommand",
       R"({"fromUserID":"a","blackUserID":"b","HandleResult":"yes"})", 400,
       "HandleResult must be an integer", true},
      {"callbackBeforeImportFriendsCommand", R"({"ownerUserID":"a","friendUserIDs":[true]})", 400,
       "friendUserIDs[0] must be a string", true},
  };
  for (const Case& c : cases) {
    const HttpResult r = Send(c.command, c.body);
    EXPECT_EQ(r.status, c.status) << c.command << " " << c.body.substr(0, 60);
    EXPECT_THAT(r.body,
                HasSubstr(c.refused ? R"("actionCode":0,"errCode":20001)"
                                    : R"("actionCode":1,"errCode":)" + std::to_string(c.status)));
    EXPECT_THAT(r.body, HasSubstr(c.says));
    EXPECT_THAT(r.body, HasSubstr(c.refused ? R"("nextCode":1})" : R"("nextCode":0})"));
  }
  const HttpResult big = Send("callbackAfterDeleteFriendCommand", std::string(2 << 20, ' '));
  EXPECT_EQ(big.status, 413);
  EXPECT_THAT(big.body, HasSubstr(R"("actionCode":1,"errCode":413)"));
  // A POST outside every prefix is not OpenIM's business: plain JSON 404.
  const HttpResult other = Post(stack_.http_port, "/elsewhere", "{}");
  EXPECT_EQ(other.status, 404);
  EXPECT_THAT(other.body, HasSubstr("error"));
  EXPECT_EQ(Send("callbackAfterDeleteFriendCommand",
                 TestData("openim/callbackAfterDeleteFriendCommand.json"))
                .body,
            kAllow);
}

TEST(OpenImInstancesTest, SeveralInstancesWithTheirOwnPrefixAndCredentials) {
  const std::string config = ::testing::TempDir() + "/gw_openim.yaml";
  const std::string pw_file = ::testing::TempDir() + "/openim_b_pw";
  std::ofstream(pw_file) << "pw-b\n";
  std::ofstream(config)
      << "openim:\n"
         "  - name: im-a\n    path_prefix: /im/a\n"
         "    basic_auth: {username: a, password_env: OPENIM_A_PASSWORD}\n"
         "  - name: im-b\n    path_prefix: /im/b\n    default_refusal_code: 29000\n"
         "    basic_auth: {username: b, password_file: " +
             pw_file +
             "}\n"
             "    allowed_networks: [127.0.0.0/8]\n"
             "  - name: im-c\n    path_prefix: /im/c\n    allowed_networks: [10.0.0.0/8]\n";
  int policy_port = 0;
  auto policy = StartPolicy(SourcePath("examples/rules.yaml"), &policy_port);
  ASSERT_NE(policy, nullptr);
  int port = 0;
  auto gateway = StartGateway(config, "127.0.0.1:" + std::to_string(policy_port), &port,
                              {"OPENIM_A_PASSWORD=pw-a"});
  ASSERT_NE(gateway, nullptr);
  ASSERT_TRUE(WaitForHttpStatus(port, "/readyz", 200, absl::Seconds(20)));
  const std::string body = TestData("openim/callbackAfterDeleteFriendCommand.json");
  const auto basic = [](const std::string& creds) {
    return std::vector<std::pair<std::string, std::string>>{
        {"Authorization", "Basic " + absl::Base64Escape(creds)}};
  };
  EXPECT_EQ(Post(port, "/im/a/callbackAfterDeleteFriendCommand", body, basic("a:pw-a")).body,
            kAllow);
  EXPECT_EQ(Post(port, "/im/a/callbackAfterDeleteFriendCommand", body, basic("b:pw-b")).status,
            401);
  EXPECT_EQ(Post(port, "/im/a/callbackAfterDeleteFriendCommand", body).status, 401);
  EXPECT_EQ(Post(port, "/im/b/callbackAfterDeleteFriendCommand", body, basic("b:pw-b")).body,
            kAllow);
  EXPECT_EQ(Post(port, "/im/c/callbackAfterDeleteFriendCommand", body).status, 403);
  // The old default prefix is not served by this config.
  EXPECT_EQ(Post(port, "/openim/callbackAfterDeleteFriendCommand", body).status, 404);
}

TEST(OpenImPolicyDownTest, StoppedPolicyStillGetsAValidAnswerInTime) {
  Stack stack = StartStack();
  ASSERT_NE(stack.gateway, nullptr);
  stack.policy->Signal(SIGTERM);
  ASSERT_EQ(stack.policy->WaitExit(absl::Seconds(10)), 0);
  for (const char* command : kCommands) {
    const absl::Time start = absl::Now();
    const HttpResult r = Post(stack.http_port, std::string("/openim/") + command,
                              TestData(std::string("openim/") + command + ".json"));
    // The default failure mode is allow; OpenIM's own default timeout is 5 s.
    EXPECT_EQ(r.body, kAllow) << command;
    EXPECT_LT(absl::Now() - start, absl::Seconds(5)) << command;
  }
  EXPECT_THAT(
      Get(stack.http_port, "/metrics").body,
      HasSubstr(
          R"(friendgate_gateway_policy_fallbacks_total{action="allow",command="callbackBeforeAddFriendCommand")"));
  EXPECT_TRUE(WaitForHttpStatus(stack.http_port, "/readyz", 503, absl::Seconds(20)));
}

}  // namespace
}  // namespace friendgate::testing
