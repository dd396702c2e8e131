// Tencent's six Sns callbacks, its signature and every kind of bad input,
// against the running binaries.

#include <ctime>
#include <fstream>

#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "gateway/tencent/signature.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/data.h"
#include "tests/support/http.h"
#include "tests/support/process.h"

namespace friendgate::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kOk[] = R"({"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""})";
constexpr char kToken[] = "s3cret-token";

std::string Path(const std::string& app, const std::string& command,
                 const std::string& extra = "") {
  return "/tencent/callback?SdkAppid=" + app + "&CallbackCommand=" + command +
         "&contenttype=json&ClientIP=10.0.0.1&OptPlatform=Android" + extra;
}

class TencentE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stack_ = StartStack(SourcePath("examples/rules.yaml"), SourcePath("examples/gateway.yaml"),
                        {std::string("FRIENDGATE_TENCENT_TOKEN_1400000001=") + kToken});
    ASSERT_NE(stack_.gateway, nullptr);
  }
  HttpResult Send(const std::string& command, const std::string& body,
                  const std::string& app = "1400000000", const std::string& extra = "") {
    return Post(stack_.http_port, Path(app, command, extra), body);
  }
  Stack stack_;
};

TEST_F(TencentE2eTest, AllSixCommandsAnswerExactly) {
  EXPECT_EQ(
      Send("Sns.CallbackPrevFriendAdd", TestData("tencent/Sns.CallbackPrevFriendAdd.json")).body,
      R"({"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ResultItem":[)"
      R"({"To_Account":"id1","ResultCode":0,"ResultInfo":""},)"
      R"({"To_Account":"blocked_user","ResultCode":38100,)"
      R"("ResultInfo":"this user cannot make or answer friend requests"}]})");
  // The sample declines the blocked user's request: a decline passes.
  EXPECT_THAT(Send("Sns.CallbackPrevFriendResponse",
                   TestData("tencent/Sns.CallbackPrevFriendResponse.json"))
                  .body,
              HasSubstr(R"({"To_Account":"blocked_user","ResultCode":0)"));
  for (const char* after : {"Sns.CallbackFriendAdd", "Sns.CallbackFriendDelete",
                            "Sns.CallbackBlackListAdd", "Sns.CallbackBlackListDelete"}) {
    const HttpResult r = Send(after, TestData(std::string("tencent/") + after + ".json"));
    EXPECT_EQ(r.status, 200) << after;
    EXPECT_EQ(r.body, kOk) << after;
  }
  // After-callbacks are answered OK even when a blocked user appears.
  EXPECT_EQ(
      Send(
          "Sns.CallbackFriendAdd",
          R"({"PairList":[{"From_Account":"blocked_user","To_Account":"x","Initiator_Account":"x"}]})")
          .body,
      kOk);
}

TEST_F(TencentE2eTest, ResultItemsFollowTheRequestOrderAtTheListLimit) {
  std::string body = R"({"From_Account":"a","FriendItem":[)";
  std::string expected = R"({"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ResultItem":[)";
  for (int i = 0; i < 1000; ++i) {
    const std::string to = i == 500 ? "blocked_user" : "u" + std::to_string(i);
    body += (i ? "," : "") + std::string(R"({"To_Account":")") + to + "\"}";
    expected +=
        (i ? "," : "") + std::string(R"({"To_Account":")") + to +
        (i == 500
             ? R"(","ResultCode":38100,"ResultInfo":"this user cannot make or answer friend requests"})"
             : R"(","ResultCode":0,"ResultInfo":""})");
  }
  body += "]}";
  expected += "]}";
  EXPECT_EQ(Send("Sns.CallbackPrevFriendAdd", body).body, expected);
}

TEST_F(TencentE2eTest, SignedAppChecksSignAndTime) {
  const std::string now = std::to_string(std::time(nullptr));
  const std::string body = TestData("tencent/Sns.CallbackFriendDelete.json");
  const std::string good =
      "&RequestTime=" + now + "&Sign=" + gateway::tencent::ComputeSign(kToken, now);
  EXPECT_EQ(Send("Sns.CallbackFriendDelete", body, "1400000001", good).body, kOk);

  HttpResult r = Send("Sns.CallbackFriendDelete", body, "1400000001");
  EXPECT_EQ(r.status, 401);
  EXPECT_THAT(r.body, HasSubstr(R"("ActionStatus":"FAIL")"));
  const std::string old = std::to_string(std::time(nullptr) - 3600);
  r = Send("Sns.CallbackFriendDelete", body, "1400000001",
           "&RequestTime=" + old + "&Sign=" + gateway::tencent::ComputeSign(kToken, old));
  EXPECT_EQ(r.status, 401);
  EXPECT_THAT(r.body, HasSubstr("window"));
  r = Send("Sns.CallbackFriendDelete", body, "1400000001",
           "&RequestTime=" + now + "&Sign=" + gateway::tencent::ComputeSign("wrong", now));
  EXPECT_EQ(r.status, 401);
  EXPECT_THAT(r.body, HasSubstr("Sign does not match"));
}

TEST_F(TencentE2eTest, BadInputGetsAClearAnswerAndTheServerKeepsServing) {
  struct Case {
    std::string app, command, body;
    int status;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"1499999999", "Sns.CallbackFriendDelete", "{}", 403, "not served here"},
      {"", "Sns.CallbackFriendDelete", "{}", 403, "SdkAppid is missing"},
      {"1400000000", "Sns.CallbackFriendDelete", "this is not json", 400, "not valid JSON"},
      {"1400000000", "Sns.CallbackFriendDelete", R"({"PairList":"x"})", 400,
       "PairList must be an array"},
      {"1400000000", "Sns.CallbackFriendDelete",
       R"({"PairList":[{"From_Account":[1],"To_Account":"b"}]})", 400,
       "PairList[0].From_Account must be a string"},
      // No target can be read, so none can be refused (see vendor_input_test).
      {"1400000000", "Sns.CallbackPrevFriendAdd", R"({"FriendItem":[{"To_Account":1.5}]})", 400,
       "must be a string"},
  };
  for (const Case& c : cases) {
    const HttpResult r = Send(c.command, c.body, c.app);
    EXPECT_EQ(r.status, c.status) << c.body.substr(0, 80);
    EXPECT_THAT(r.body, HasSubstr(R"("ActionStatus":"FAIL","ErrorCode":1)"));
    EXPECT_THAT(r.body, HasSubstr(c.says));
  }
  // Over the body limit: 413, still in Tencent's shape.
  const HttpResult big = Send("Sns.CallbackFriendDelete", std::string(1100000, ' '));
  EXPECT_EQ(big.status, 413);
  EXPECT_THAT(big.body, HasSubstr(R"("ActionStatus":"FAIL")"));
  EXPECT_THAT(big.body, HasSubstr("larger than 1048576 bytes"));
  // Unknown commands from a valid app are acknowledged.
  EXPECT_EQ(Send("Sns.CallbackFutureThing", R"({"a":1})").body, kOk);
  // And the gateway still serves.
  EXPECT_EQ(
      Send("Sns.CallbackFriendDelete", TestData("tencent/Sns.CallbackFriendDelete.json")).body,
      kOk);
  EXPECT_EQ(Get(stack_.http_port, "/healthz").status, 200);
  const std::string metrics = Get(stack_.http_port, "/metrics").body;
  EXPECT_THAT(
      metrics,
      HasSubstr(R"(command="Sns.CallbackFriendDelete",result="bad_request",vendor="tencent"} 3)"));
  EXPECT_THAT(
      metrics,
      HasSubstr(R"(command="Sns.CallbackPrevFriendAdd",result="bad_request",vendor="tencent"} 1)"));
  EXPECT_THAT(
      metrics,
      HasSubstr(R"(command="Sns.CallbackFriendDelete",result="forbidden",vendor="tencent"} 2)"));
  EXPECT_THAT(
      metrics,
      HasSubstr(R"(command="Sns.CallbackFriendDelete",result="too_large",vendor="tencent"} 1)"));
  EXPECT_THAT(metrics, HasSubstr(R"(result="unknown_command",vendor="tencent"} 1)"));
}

TEST(TencentPolicyDownTest, AnswersInTimeWithTheFailureModeWhenThePolicyIsGoneOrSilent) {
  // A listener that accepts TCP but never speaks HTTP/2: the worst kind of slow.
  const std::string config = ::testing::TempDir() + "/gw_fast.yaml";
  {
    std::ofstream out(config);
    out << "tencent:\n  answer_budget_ms: 300\n  apps: [{sdk_app_id: \"1400000000\"}]\n"
           "  failure_mode: {action: allow, commands: {Sns.CallbackPrevFriendAdd: deny}}\n";
  }
  SilentListener silent;
  ASSERT_NE(silent.port(), 0);

  for (const std::string& target : {silent.address(), std::string("127.0.0.1:1")}) {
    int port = 0;
    auto gateway = StartGateway(config, target, &port);
    ASSERT_NE(gateway, nullptr);
    EXPECT_EQ(Get(port, "/readyz").status, 503);
    const absl::Time start = absl::Now();
    const HttpResult deny = Post(port, Path("1400000000", "Sns.CallbackPrevFriendAdd"),
                                 TestData("tencent/Sns.CallbackPrevFriendAdd.json"));
    const absl::Duration took = absl::Now() - start;
    EXPECT_EQ(
        deny.body,
        R"({"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ResultItem":[)"
        R"({"To_Account":"id1","ResultCode":38001,"ResultInfo":"service temporarily unavailable"},)"
        R"({"To_Account":"blocked_user","ResultCode":38001,"ResultInfo":"service temporarily unavailable"}]})")
        << target;
    // Tencent gives up after 2 s; the budget here is 0.3 s.
    EXPECT_LT(took, absl::Seconds(2)) << target;
    const HttpResult allow = Post(port, Path("1400000000", "Sns.CallbackPrevFriendResponse"),
                                  TestData("tencent/Sns.CallbackPrevFriendResponse.json"));
    EXPECT_THAT(allow.body, HasSubstr(R"("To_Account":"blocked_user","ResultCode":0)"));
    EXPECT_EQ(Post(port, Path("1400000000", "Sns.CallbackFriendDelete"),
                   TestData("tencent/Sns.CallbackFriendDelete.json"))
                  .body,
              kOk);
    EXPECT_THAT(
        Get(port, "/metrics").body,
        HasSubstr(
            R"(friendgate_gateway_policy_fallbacks_total{action="deny",command="Sns.CallbackPrevFriendAdd")"));
    // Logged before the answer; the pipe may deliver it after.
    EXPECT_THAT(gateway->WaitForLine("applied the failure mode", absl::Seconds(5)),
                HasSubstr("applied the failure mode"));
  }
}

}  // namespace
}  // namespace friendgate::testing
