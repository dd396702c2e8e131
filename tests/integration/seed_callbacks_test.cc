// Issue 2's acceptance check: the three seed callbacks through the real gRPC hop.

#include "gtest/gtest.h"
#include "tests/support/data.h"
#include "tests/support/http.h"
#include "tests/support/process.h"

namespace friendgate::testing {
namespace {

constexpr char kTencentQuery[] =
    "/tencent/callback?SdkAppid=1400000000&CallbackCommand=%s&contenttype=json"
    "&ClientIP=127.0.0.1&OptPlatform=RESTAPI";

std::string TencentPath(const std::string& command) {
  char buf[256];
  std::snprintf(buf, sizeof buf, kTencentQuery, command.c_str());
  return buf;
}

TEST(SeedCallbacksTest, TencentFriendDeleteIsAcknowledged) {
  Stack stack = StartStack();
  ASSERT_NE(stack.gateway, nullptr);
  const HttpResult r = Post(stack.http_port, TencentPath("Sns.CallbackFriendDelete"),
                            TestData("tencent/Sns.CallbackFriendDelete.json"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, R"({"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""})");
}

// The sample declines (Response_Action_Reject) the blocked user's request: a
// decline always passes (examples/rules.yaml, `responses`).
TEST(SeedCallbacksTest, TencentPrevFriendResponseLetsADeclineOfTheBlockedUserPass) {
  Stack stack = StartStack();
  ASSERT_NE(stack.gateway, nullptr);
  const HttpResult r = Post(stack.http_port, TencentPath("Sns.CallbackPrevFriendResponse"),
                            TestData("tencent/Sns.CallbackPrevFriendResponse.json"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ResultItem":[)"
                    R"({"To_Account":"id1","ResultCode":0,"ResultInfo":""},)"
                    R"({"To_Account":"blocked_user","ResultCode":0,"ResultInfo":""}]})");
}

TEST(SeedCallbacksTest, TencentResponseByTheBlockedUserRefusesEveryTarget) {
  Stack stack = StartStack();
  ASSERT_NE(stack.gateway, nullptr);
  const HttpResult r = Post(
      stack.http_port, TencentPath("Sns.CallbackPrevFriendResponse"),
      R"({"CallbackCommand":"Sns.CallbackPrevFriendResponse","Requester_Account":"blocked_user",)"
      R"("From_Account":"blocked_user","ResponseFriendItem":[{"To_Account":"a","ResponseAction":"Response_Action_Agree"},)"
      R"({"To_Account":"b","ResponseAction":"Response_Action_AgreeAndAdd"}],"EventTime":1631777645424})");
  EXPECT_EQ(
      r.body,
      R"({"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ResultItem":[)"
      R"({"To_Account":"a","ResultCode":38100,"ResultInfo":"this user cannot make or answer friend requests"},)"
      R"({"To_Account":"b","ResultCode":38100,"ResultInfo":"this user cannot make or answer friend requests"}]})");
}

TEST(SeedCallbacksTest, OpenImAfterDeleteFriendAnswersWithNumbers) {
  Stack stack = StartStack();
  ASSERT_NE(stack.gateway, nullptr);
  const HttpResult r = Post(
      stack.http_port, "/openim/callbackAfterDeleteFriendCommand?contenttype=json",
      TestData("openim/callbackAfterDeleteFriendCommand.json"), {{"operationID", "1700000000000"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0})");
}

}  // namespace
}  // namespace friendgate::testing
