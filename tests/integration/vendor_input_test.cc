// What the vendors really send (../shared/reference/vendor-protocols.md, "What
// the vendors really send"), through real HTTP to the real binaries with the
// example rules: loosely typed, oversized and empty bodies are decided, and
// what cannot be read is refused where the vendor allows it.

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/data.h"
#include "tests/support/http.h"
#include "tests/support/process.h"

namespace friendgate::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kOpenImAllow[] =
    R"({"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0})";
constexpr char kOpenImBlocked[] =
    R"({"actionCode":0,"errCode":20100,"errMsg":"this user cannot make or answer friend requests",)"
    R"("errDlt":"","nextCode":1})";
constexpr char kTencentOk[] = R"({"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""})";
constexpr char kUnreadable[] = "callback could not be read";

// 5,002 bytes with the example rules' masked word at byte 4,990.
std::string LongRemark() { return std::string(4989, 'r') + " examplesl_ur"; }
std::string LongRemarkMasked() { return std::string(4989, 'r') + " " + std::string(12, '*'); }

class VendorInputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack_ = new Stack(StartStack());
    ASSERT_NE(stack_->gateway, nullptr);
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }
  static HttpResult OpenIm(const std::string& path, const std::string& body) {
    return Post(stack_->http_port, path, body,
                {{"operationID", "op-1"}, {"Content-Type", "application/json; charset=utf-8"}});
  }
  static HttpResult Tencent(const std::string& command, const std::string& body,
                            const std::string& path = "/tencent/callback") {
    return Post(stack_->http_port,
                path + "?SdkAppid=1400000000&CallbackCommand=" + command +
                    "&contenttype=json&ClientIP=1.2.3.4&OptPlatform=Web",
                body);
  }
  static Stack* stack_;
};

Stack* VendorInputTest::stack_ = nullptr;

TEST_F(VendorInputTest, OpenImBodiesOfAnySizeAndShapeAreDecided) {
  struct Case {
    std::string name, path, body, answer;
  };
  const std::string long_text(5000, 'w');
  const std::string long_id(129, 'x');
  const std::vector<Case> cases = {
      {"reqMsg of 5000 bytes", "/openim/callbackBeforeAddFriendCommand",
       R"({"callbackCommand":"callbackBeforeAddFriendCommand","fromUserID":"blocked_user",)"
       R"("toUserID":"u2","reqMsg":")" +
           long_text + R"(","ex":null})" + "\n",
       kOpenImBlocked},
      {"HandleMsg of 5000 bytes, HandleResult as a string",
       "/openim/callbackBeforeAddFriendAgreeCommand",
       R"({"callbackCommand":"callbackBeforeAddFriendAgreeCommand","fromUserID":"u1",)"
       R"("blackUserID":"blocked_user","HandleResult":"1","HandleMsg":")" +
           long_text + R"("})" + "\n",
       kOpenImBlocked},
      {"a 129-byte id", "/openim/callbackBeforeAddFriendCommand",
       R"({"fromUserID":"blocked_user","toUserID":")" + long_id + R"(","reqMsg":"hi"})" + "\n",
       kOpenImBlocked},
      {"the same, as a 129-byte acting id", "/openim/callbackBeforeAddFriendCommand",
       R"({"fromUserID":")" + long_id + R"(","toUserID":"blocked_user","reqMsg":"hi"})" + "\n",
       kOpenImBlocked},
      {"a doubled slash (base URL ending in /)", "/openim//callbackBeforeAddFriendCommand",
       R"({"fromUserID":"blocked_user","toUserID":"u2","reqMsg":"hi"})"
       "\n",
       kOpenImBlocked},
      {"a trailing slash", "/openim/callbackBeforeAddFriendCommand/",
       R"({"fromUserID":"blocked_user","toUserID":"u2","reqMsg":"hi"})"
       "\n",
       kOpenImBlocked},
      {"HTML escaped and unknown fields", "/openim/callbackBeforeAddFriendCommand",
       R"({"fromUserID":"blocked_user","toUserID":"u2","reqMsg":"\u003cb\u003e","newer":{"x":[1]}})"
       "\n",
       kOpenImBlocked},
      {"an import of nobody (null)", "/openim/callbackBeforeImportFriendsCommand",
       R"({"ownerUserID":"u1","friendUserIDs":null})"
       "\n",
       kOpenImAllow},
      {"an import of nobody ([])", "/openim/callbackBeforeImportFriendsCommand",
       R"({"ownerUserID":"u1","friendUserIDs":[]})"
       "\n",
       kOpenImAllow},
      {"a 5000-byte remark masked at byte 4990", "/openim/callbackBeforeSetFriendRemarkCommand",
       R"({"ownerUserID":"u1","friendUserID":"u2","remark":")" + LongRemark() + R"("})" + "\n",
       R"({"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0,"remark":")" +
           LongRemarkMasked() + R"("})"},
  };
  for (const Case& c : cases) {
    const HttpResult r = OpenIm(c.path, c.body);
    EXPECT_EQ(r.status, 200) << c.name;
    EXPECT_EQ(r.body, c.answer) << c.name;
  }
}

TEST_F(VendorInputTest, UnreadableOpenImBeforeCallbacksAreRefused) {
  struct Case {
    std::string name, command, body;
    int status;
  };
  const std::vector<Case> cases = {
      {"not JSON", "callbackBeforeAddFriendCommand", "{\"fromUserID\":\"a\",", 400},
      {"wrong type", "callbackBeforeAddFriendCommand",
       R"({"fromUserID":{"id":"a"},"toUserID":"b"})", 400},
      {"no toUserID", "callbackBeforeAddBlackCommand", R"({"ownerUserID":"a"})", 400},
      {"over max_body_bytes", "callbackBeforeSetFriendRemarkCommand",
       R"({"ownerUserID":"a","friendUserID":"b","remark":")" + std::string(1 << 20, 'r') + "\"}",
       413},
  };
  for (const Case& c : cases) {
    const HttpResult r = OpenIm("/openim/" + c.command, c.body);
    EXPECT_EQ(r.status, c.status) << c.name;
    // OpenIM reads the body whatever the status: the refusal shape stops it.
    EXPECT_THAT(r.body, StartsWith(R"({"actionCode":0,"errCode":20001,"errMsg":")" +
                                   std::string(kUnreadable)))
        << c.name;
    EXPECT_THAT(r.body, HasSubstr(R"("nextCode":1})")) << c.name;
  }
  // An after-callback has nothing to refuse: the error shape, OpenIM goes on.
  const HttpResult after = OpenIm("/openim/callbackAfterDeleteFriendCommand", "nope");
  EXPECT_EQ(after.status, 400);
  EXPECT_THAT(after.body, StartsWith(R"({"actionCode":1,"errCode":400)"));
  const std::string metrics = Get(stack_->http_port, "/metrics").body;
  EXPECT_THAT(metrics, HasSubstr(R"(friendgate_gateway_unreadable_total{action="deny",)"
                                 R"(command="callbackBeforeAddFriendCommand",vendor="openim"} 2)"));
  EXPECT_THAT(metrics,
              HasSubstr(R"(friendgate_gateway_unreadable_total{action="dropped",)"
                        R"(command="callbackAfterDeleteFriendCommand",vendor="openim"} 1)"));
}

TEST_F(VendorInputTest, TencentLooseBodiesAreDecided) {
  const std::string refused_blocked =
      R"({"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ResultItem":[)"
      R"({"To_Account":"blocked_user","ResultCode":38100,)"
      R"("ResultInfo":"this user cannot make or answer friend requests"},)"
      R"({"To_Account":"u3","ResultCode":0,"ResultInfo":""}]})";
  struct Case {
    std::string name, body;
  };
  const std::vector<Case> cases = {
      {"EventTime and ForceAddFlags as strings, nulls",
       R"({"CallbackCommand":"Sns.CallbackPrevFriendAdd","Requester_Account":null,)"
       R"("From_Account":"u1","AddType":"Add_Type_Both","ForceAddFlags":"0",)"
       R"("EventTime":"1670574414123","FriendItem":[)"
       R"({"To_Account":"blocked_user","Remark":null,"GroupName":null,"AddWording":null},)"
       R"({"To_Account":"u3","Remark":"","AddSource":null}]})"},
      {"EventTime as a float",
       R"({"From_Account":"u1","EventTime":1670574414123.0,"ForceAddFlags":1.0,"FriendItem":[)"
       R"({"To_Account":"blocked_user"},{"To_Account":"u3"}]})"},
      {"a 5000-byte AddWording",
       R"({"From_Account":"u1","FriendItem":[{"To_Account":"blocked_user","AddWording":")" +
           std::string(5000, 'w') + R"("},{"To_Account":"u3"}]})"},
  };
  for (const Case& c : cases) {
    const HttpResult r = Tencent("Sns.CallbackPrevFriendAdd", c.body);
    EXPECT_EQ(r.status, 200) << c.name;
    EXPECT_EQ(r.body, refused_blocked) << c.name;
  }
  // A 129-byte target is decided (and allowed by the example rules); the
  // blocked acting user refuses it.
  const std::string long_id(129, 'x');
  EXPECT_EQ(
      Tencent(
          "Sns.CallbackPrevFriendAdd",
          R"({"From_Account":"blocked_user","FriendItem":[{"To_Account":")" + long_id + R"("}]})")
          .body,
      R"({"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ResultItem":[{"To_Account":")" +
          long_id +
          R"(","ResultCode":38100,"ResultInfo":"this user cannot make or answer friend requests"}]})");
  // A doubled slash still reaches the Tencent route.
  EXPECT_EQ(Tencent("Sns.CallbackPrevFriendAdd",
                    R"({"From_Account":"u1","FriendItem":[{"To_Account":"blocked_user"},)"
                    R"({"To_Account":"u3"}]})",
                    "//tencent//callback/")
                .body,
            refused_blocked);
}

TEST_F(VendorInputTest, TencentAfterCallbacksOfAnyLength) {
  // A two-way delete of 1,000 friends: 2,000 pairs.
  std::string pairs;
  for (int i = 0; i < 2000; ++i) {
    pairs += (i ? "," : "") + std::string(R"({"From_Account":"u)") + std::to_string(i % 2) +
             R"(","To_Account":"f)" + std::to_string(i / 2) + "\"}";
  }
  EXPECT_EQ(Tencent("Sns.CallbackFriendDelete", R"({"PairList":[)" + pairs + "]}").body,
            kTencentOk);
  EXPECT_EQ(Tencent("Sns.CallbackFriendDelete", R"({"PairList":[]})").body, kTencentOk);
  EXPECT_EQ(Tencent("Sns.CallbackBlackListAdd", R"({"PairList":null})").body, kTencentOk);
  EXPECT_EQ(Tencent("Sns.CallbackPrevFriendAdd", R"({"From_Account":"u1","FriendItem":[]})").body,
            R"({"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ResultItem":[]})");
  const std::string metrics = Get(stack_->http_port, "/metrics").body;
  EXPECT_THAT(metrics,
              HasSubstr(R"(command="Sns.CallbackFriendDelete",result="ok",vendor="tencent"} 1)"));
  EXPECT_THAT(
      metrics,
      HasSubstr(R"(command="Sns.CallbackFriendDelete",result="empty",vendor="tencent"} 1)"));
}

TEST_F(VendorInputTest, UnreadableTencentBeforeCallbacksRefuseEveryReadableTarget) {
  const HttpResult r =
      Tencent("Sns.CallbackPrevFriendAdd",
              R"({"From_Account":"u1","ForceAddFlags":{"x":1},"FriendItem":[{"To_Account":"u2"},)"
              R"({"To_Account":"u3"}]})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(
      r.body,
      R"({"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ResultItem":[)"
      R"({"To_Account":"u2","ResultCode":38001,"ResultInfo":"callback could not be read"},)"
      R"({"To_Account":"u3","ResultCode":38001,"ResultInfo":"callback could not be read"}]})");
  // Truncated JSON: the targets before the cut are still refused.
  const HttpResult cut =
      Tencent("Sns.CallbackPrevFriendResponse",
              R"({"From_Account":"u1","ResponseFriendItem":[{"To_Account":"u9")");
  EXPECT_EQ(cut.status, 200);
  EXPECT_THAT(cut.body, HasSubstr(R"({"To_Account":"u9","ResultCode":38001)"));
  // No readable target: the 4xx stays, in Tencent's shape.
  const HttpResult none = Tencent("Sns.CallbackPrevFriendAdd", "garbage");
  EXPECT_EQ(none.status, 400);
  EXPECT_THAT(none.body, StartsWith(R"({"ActionStatus":"FAIL","ErrorCode":1)"));
}

TEST(VendorInputAllowTest, UnreadableAllowAnswersTheErrorInstead) {
  const std::string config = WriteTempFile("gw_unreadable_allow.yaml", R"(
tencent:
  apps: [{sdk_app_id: "1400000000"}]
  failure_mode: {unreadable: allow}
openim:
  - failure_mode: {unreadable: allow}
)");
  Stack stack = StartStack(SourcePath("examples/rules.yaml"), config);
  ASSERT_NE(stack.gateway, nullptr);
  const HttpResult openim = Post(stack.http_port, "/openim/callbackBeforeAddFriendCommand", "{");
  EXPECT_EQ(openim.status, 400);
  EXPECT_THAT(openim.body, StartsWith(R"({"actionCode":1,"errCode":400)"));
  const HttpResult tencent =
      Post(stack.http_port,
           "/tencent/callback?SdkAppid=1400000000&CallbackCommand=Sns.CallbackPrevFriendAdd",
           R"({"From_Account":"u1","ForceAddFlags":{},"FriendItem":[{"To_Account":"u2"}]})");
  EXPECT_EQ(tencent.status, 400);
  EXPECT_THAT(tencent.body, StartsWith(R"({"ActionStatus":"FAIL","ErrorCode":1)"));
  EXPECT_THAT(Get(stack.http_port, "/metrics").body,
              HasSubstr(R"(friendgate_gateway_unreadable_total{action="allow",)"
                        R"(command="Sns.CallbackPrevFriendAdd",vendor="tencent"} 1)"));
}

}  // namespace
}  // namespace friendgate::testing
