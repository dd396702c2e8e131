// The vendor adapters' request flow with a fake policy client: what reaches
// the policy service, and what the vendor is answered when it decides, fails
// or is never asked.

#include <optional>

#include "absl/strings/escaping.h"
#include "gateway/core/decider.h"
#include "gateway/openim/adapter.h"
#include "gateway/tencent/adapter.h"
#include "gateway/tencent/signature.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/data.h"

namespace friendgate::gateway {
namespace {

using ::testing::HasSubstr;
using testing::TestData;

// Decides inline (before Decide returns), so that an adapter answers before
// Handle returns.
class FakePolicy : public PolicyClient {
 public:
  void Decide(const v1::FriendshipEvent& event, absl::Time deadline,
              DecisionCallback done) override {
    events.push_back(event);
    deadlines.push_back(deadline);
    if (!error.ok()) return std::move(done)(error);
    v1::Decision d = decision;
    d.set_event_id(event.event_id());
    std::move(done)(std::move(d));
  }
  absl::Status error;
  v1::Decision decision;
  std::vector<v1::FriendshipEvent> events;
  std::vector<absl::Time> deadlines;
};

const absl::Time kNow = absl::FromUnixSeconds(1669872112);

// The answer `adapter` gives, which with FakePolicy comes before Handle returns.
HttpAnswer HandleNow(CallbackAdapter& adapter, const HttpRequest& request) {
  std::optional<HttpAnswer> answer;
  int calls = 0;
  adapter.Handle(request, [&](HttpAnswer a) {
    ++calls;
    answer = std::move(a);
  });
  EXPECT_EQ(calls, 1) << "respond must be called exactly once";
  return answer.value_or(HttpAnswer{-1, "no answer"});
}

class TencentAdapterTest : public ::testing::Test {
 protected:
  TencentAdapterTest() {
    settings_.enabled = true;
    settings_.apps["1400000000"] = {"1400000000", nullptr};
    settings_.apps["1400000001"] = {"1400000001", SecretList::Fixed({"xxxxyyyy"})};
    settings_.failure.deny_code = 38999;
    settings_.failure.deny_message = "try later";
    policy_.decision.set_verdict(v1::VERDICT_ALLOW);
  }

  HttpAnswer Send(const std::string& app, const std::string& command, const std::string& body,
                  std::vector<std::pair<std::string, std::string>> extra = {}) {
    tencent::TencentAdapter adapter(settings_, limits_, &decider_, &metrics_, [] { return kNow; });
    HttpRequest req;
    req.path = "/tencent/callback";
    if (!app.empty()) req.query.emplace_back("SdkAppid", app);
    if (!command.empty()) req.query.emplace_back("CallbackCommand", command);
    req.query.emplace_back("ClientIP", "10.1.2.3");
    req.query.emplace_back("OptPlatform", "iOS");
    for (auto& [k, v] : extra) req.query.emplace_back(k, v);
    req.body = body;
    return HandleNow(adapter, req);
  }

  TencentSettings settings_;
  InputLimitSettings limits_;
  FakePolicy policy_;
  GatewayMetrics metrics_;
  Decider decider_{&policy_, &metrics_};
};

TEST_F(TencentAdapterTest, NormalizesTheEventAndAnswersWithinTheBudget) {
  const HttpAnswer a = Send("1400000000", "Sns.CallbackFriendDelete",
                            TestData("tencent/Sns.CallbackFriendDelete.json"));
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, R"({"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""})");
  ASSERT_EQ(policy_.events.size(), 1u);
  const v1::FriendshipEvent& e = policy_.events[0];
  EXPECT_EQ(e.vendor(), v1::VENDOR_TENCENT);
  EXPECT_EQ(e.tenant(), "1400000000");
  EXPECT_EQ(e.type(), v1::EVENT_TYPE_FRIEND_DELETED);
  EXPECT_EQ(e.phase(), v1::PHASE_AFTER);
  EXPECT_EQ(e.vendor_command(), "Sns.CallbackFriendDelete");
  EXPECT_EQ(e.client_ip(), "10.1.2.3");
  EXPECT_EQ(e.platform(), "iOS");
  EXPECT_EQ(e.event_id().size(), 32u);
  EXPECT_EQ(e.received_time().seconds(), 1669872112);
  EXPECT_EQ(e.relations_size(), 3);
  // The policy call must end before the vendor's budget does.
  EXPECT_LT(policy_.deadlines[0], kNow + settings_.answer_budget);
  EXPECT_GT(policy_.deadlines[0], kNow + settings_.answer_budget - absl::Milliseconds(100));
}

TEST_F(TencentAdapterTest, UnknownOrMissingAppIsForbiddenAndNeverAsked) {
  HttpAnswer a = Send("1400009999", "Sns.CallbackFriendDelete", "{}");
  EXPECT_EQ(a.status, 403);
  EXPECT_THAT(a.body, HasSubstr(R"("ActionStatus":"FAIL")"));
  a = Send("", "Sns.CallbackFriendDelete", "{}");
  EXPECT_EQ(a.status, 403);
  EXPECT_THAT(a.body, HasSubstr("SdkAppid is missing"));
  EXPECT_TRUE(policy_.events.empty());
}

TEST_F(TencentAdapterTest, SignedAppsNeedAValidRecentSign) {
  const std::string body = TestData("tencent/Sns.CallbackFriendDelete.json");
  const std::string sign = tencent::ComputeSign("xxxxyyyy", "1669872112");
  EXPECT_EQ(Send("1400000001", "Sns.CallbackFriendDelete", body,
                 {{"RequestTime", "1669872112"}, {"Sign", sign}})
                .status,
            200);
  HttpAnswer a = Send("1400000001", "Sns.CallbackFriendDelete", body);
  EXPECT_EQ(a.status, 401);
  EXPECT_THAT(a.body, HasSubstr("RequestTime and Sign are required"));
  a = Send("1400000001", "Sns.CallbackFriendDelete", body,
           {{"RequestTime", "1669872112"}, {"Sign", std::string(64, '0')}});
  EXPECT_EQ(a.status, 401);
  const std::string stale = tencent::ComputeSign("xxxxyyyy", "1669871000");
  a = Send("1400000001", "Sns.CallbackFriendDelete", body,
           {{"RequestTime", "1669871000"}, {"Sign", stale}});
  EXPECT_EQ(a.status, 401);
  EXPECT_THAT(a.body, HasSubstr("outside the accepted window"));
  EXPECT_EQ(policy_.events.size(), 1u);
}

TEST_F(TencentAdapterTest, UnknownCommandsAreAcknowledgedWithoutAsking) {
  const HttpAnswer a = Send("1400000000", "Sns.CallbackSomethingNew", R"({"x":1})");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, R"({"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""})");
  EXPECT_TRUE(policy_.events.empty());
  EXPECT_THAT(metrics_.Render(), HasSubstr(R"(command="unknown",result="unknown_command")"));
}

TEST_F(TencentAdapterTest, BadBodiesGet400WithTheProblemNamed) {
  HttpAnswer a = Send("1400000000", "Sns.CallbackFriendDelete", "{oops");
  EXPECT_EQ(a.status, 400);
  EXPECT_THAT(a.body, HasSubstr("not valid JSON"));
  a = Send("1400000000", "", "{}");
  EXPECT_EQ(a.status, 400);
  EXPECT_THAT(a.body, HasSubstr("CallbackCommand is missing"));
  EXPECT_TRUE(policy_.events.empty());
}

TEST_F(TencentAdapterTest, PolicyFailureFollowsTheCommandsFailureMode) {
  policy_.error = absl::UnavailableError("connection refused");
  settings_.failure.deny_by_command["Sns.CallbackPrevFriendAdd"] = true;
  HttpAnswer a = Send("1400000000", "Sns.CallbackPrevFriendAdd",
                      TestData("tencent/Sns.CallbackPrevFriendAdd.json"));
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body,
            R"({"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ResultItem":[)"
            R"({"To_Account":"id1","ResultCode":38999,"ResultInfo":"try later"},)"
            R"({"To_Account":"blocked_user","ResultCode":38999,"ResultInfo":"try later"}]})");
  // Default (allow) for the other before-callback.
  a = Send("1400000000", "Sns.CallbackPrevFriendResponse",
           TestData("tencent/Sns.CallbackPrevFriendResponse.json"));
  EXPECT_THAT(a.body, HasSubstr(R"("To_Account":"blocked_user","ResultCode":0)"));
  const std::string metrics = metrics_.Render();
  EXPECT_THAT(
      metrics,
      HasSubstr(
          R"(friendgate_gateway_policy_fallbacks_total{action="deny",command="Sns.CallbackPrevFriendAdd",reason="unavailable",vendor="tencent"} 1)"));
  EXPECT_THAT(
      metrics,
      HasSubstr(R"(action="allow",command="Sns.CallbackPrevFriendResponse",reason="unavailable")"));
}

TEST_F(TencentAdapterTest, PerTargetDecisionsReachTheAnswer) {
  v1::Decision& d = policy_.decision;
  d.set_verdict(v1::VERDICT_REFUSE);
  auto* t = d.add_targets();
  t->set_relation_index(1);
  t->set_to_user("blocked_user");
  t->set_verdict(v1::VERDICT_REFUSE);
  t->mutable_reason()->set_vendor_code(38100);
  t->mutable_reason()->set_message("blocked");
  auto* ok = d.add_targets();
  ok->set_relation_index(0);
  ok->set_verdict(v1::VERDICT_ALLOW);
  const HttpAnswer a = Send("1400000000", "Sns.CallbackPrevFriendResponse",
                            TestData("tencent/Sns.CallbackPrevFriendResponse.json"));
  EXPECT_EQ(a.body, R"({"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ResultItem":[)"
                    R"({"To_Account":"id1","ResultCode":0,"ResultInfo":""},)"
                    R"({"To_Account":"blocked_user","ResultCode":38100,"ResultInfo":"blocked"}]})");
  EXPECT_THAT(metrics_.Render(), HasSubstr(R"(result="partial")"));
}

class OpenImAdapterTest : public ::testing::Test {
 protected:
  OpenImAdapterTest() { policy_.decision.set_verdict(v1::VERDICT_ALLOW); }

  HttpAnswer Send(const std::string& command, const std::string& body,
                  std::vector<std::pair<std::string, std::string>> headers = {},
                  const std::string& remote = "127.0.0.1") {
    openim::OpenImAdapter adapter(settings_, limits_, &decider_, &metrics_, [] { return kNow; });
    HttpRequest req;
    req.path = settings_.path_prefix + "/" + command;
    req.remote_addr = remote;
    for (auto& [k, v] : headers) req.headers.emplace_back(k, v);
    req.body = body;
    return HandleNow(adapter, req);
  }

  OpenImSettings settings_;
  InputLimitSettings limits_;
  FakePolicy policy_;
  GatewayMetrics metrics_;
  Decider decider_{&policy_, &metrics_};
};

TEST_F(OpenImAdapterTest, NormalizesAndKeepsTheOperationIdWhateverItsCase) {
  const HttpAnswer a =
      Send("callbackAfterDeleteFriendCommand",
           TestData("openim/callbackAfterDeleteFriendCommand.json"), {{"Operationid", "op-42"}});
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, R"({"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0})");
  ASSERT_EQ(policy_.events.size(), 1u);
  const v1::FriendshipEvent& e = policy_.events[0];
  EXPECT_EQ(e.vendor(), v1::VENDOR_OPENIM);
  EXPECT_EQ(e.tenant(), "openim");
  EXPECT_EQ(e.trace_id(), "op-42");
  EXPECT_EQ(e.type(), v1::EVENT_TYPE_FRIEND_DELETED);
  EXPECT_EQ(e.relations(0).from_user(), "user123");
}

TEST_F(OpenImAdapterTest, UnknownCommandIs404InOpenImsShape) {
  const HttpAnswer a = Send("callbackBeforeSendSingleMsgCommand", "{}");
  EXPECT_EQ(a.status, 404);
  EXPECT_THAT(a.body, HasSubstr(R"("actionCode":1,"errCode":404)"));
  EXPECT_EQ(Send("", "{}").status, 404);
  EXPECT_TRUE(policy_.events.empty());
}

TEST_F(OpenImAdapterTest, BasicCredentialsAndSourceNetworks) {
  settings_.basic_credentials = SecretList::Fixed({"im:pw"});
  const std::string body = TestData("openim/callbackAfterDeleteFriendCommand.json");
  EXPECT_EQ(Send("callbackAfterDeleteFriendCommand", body).status, 401);
  EXPECT_EQ(Send("callbackAfterDeleteFriendCommand", body,
                 {{"Authorization", "Basic " + absl::Base64Escape("im:wrong")}})
                .status,
            401);
  const std::pair<std::string, std::string> auth = {"authorization",
                                                    "Basic " + absl::Base64Escape("im:pw")};
  EXPECT_EQ(Send("callbackAfterDeleteFriendCommand", body, {auth}).status, 200);
  settings_.allowed_networks.push_back(*Cidr::Parse("10.0.0.0/8"));
  EXPECT_EQ(Send("callbackAfterDeleteFriendCommand", body, {auth}, "192.168.1.1").status, 403);
  EXPECT_EQ(Send("callbackAfterDeleteFriendCommand", body, {auth}, "10.9.8.7").status, 200);
  EXPECT_EQ(policy_.events.size(), 2u);
}

TEST_F(OpenImAdapterTest, PolicyDownDeniesOnlyWhereConfigured) {
  policy_.error = absl::DeadlineExceededError("slow");
  settings_.failure.deny_by_command["callbackBeforeAddFriendCommand"] = true;
  settings_.failure.deny_code = 20999;
  settings_.failure.deny_message = "busy";
  HttpAnswer a = Send("callbackBeforeAddFriendCommand",
                      TestData("openim/callbackBeforeAddFriendCommand.json"));
  EXPECT_EQ(a.body, R"({"actionCode":0,"errCode":20999,"errMsg":"busy","errDlt":"","nextCode":1})");
  a = Send("callbackBeforeAddBlackCommand", TestData("openim/callbackBeforeAddBlackCommand.json"));
  EXPECT_EQ(a.body, R"({"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0})");
  EXPECT_THAT(metrics_.Render(), HasSubstr(R"(reason="timeout")"));
}

// Rotation with overlap: the old and the new token are both accepted until
// the old one is removed from the file.
TEST_F(TencentAdapterTest, AnyListedTokenSignsDuringARotation) {
  settings_.apps["1400000001"].tokens = SecretList::Fixed({"old-token", "new-token"});
  const std::string body = TestData("tencent/Sns.CallbackFriendDelete.json");
  for (const char* token : {"old-token", "new-token"}) {
    EXPECT_EQ(
        Send("1400000001", "Sns.CallbackFriendDelete", body,
             {{"RequestTime", "1669872112"}, {"Sign", tencent::ComputeSign(token, "1669872112")}})
            .status,
        200)
        << token;
  }
  EXPECT_EQ(Send("1400000001", "Sns.CallbackFriendDelete", body,
                 {{"RequestTime", "1669872112"},
                  {"Sign", tencent::ComputeSign("other-token", "1669872112")}})
                .status,
            401);
}

TEST_F(TencentAdapterTest, AllowedNetworksSeeTheClientBehindATrustedProxy) {
  settings_.allowed_networks.push_back(*Cidr::Parse("203.0.113.0/24"));  // the vendor's egress
  settings_.trusted_proxies.push_back(*Cidr::Parse("10.0.0.0/8"));       // the ingress
  auto send = [&](const std::string& peer, std::vector<std::string> forwarded) {
    tencent::TencentAdapter adapter(settings_, limits_, &decider_, &metrics_, [] { return kNow; });
    HttpRequest req;
    req.path = "/tencent/callback";
    req.query = {{"SdkAppid", "1400000000"}, {"CallbackCommand", "Sns.CallbackFriendDelete"}};
    req.remote_addr = peer;
    for (std::string& f : forwarded) req.headers.emplace_back("X-Forwarded-For", std::move(f));
    req.body = TestData("tencent/Sns.CallbackFriendDelete.json");
    return HandleNow(adapter, req).status;
  };
  EXPECT_EQ(send("203.0.113.9", {}), 200);                          // direct, allowed
  EXPECT_EQ(send("10.1.1.1", {"203.0.113.9"}), 200);                // via the ingress
  EXPECT_EQ(send("10.1.1.1", {"198.51.100.1"}), 403);               // via the ingress, not allowed
  EXPECT_EQ(send("10.1.1.1", {}), 403);                             // the ingress itself
  EXPECT_EQ(send("198.51.100.1", {"203.0.113.9"}), 403);            // untrusted peer: XFF ignored
  EXPECT_EQ(send("10.1.1.1", {"203.0.113.9, 198.51.100.1"}), 403);  // rightmost untrusted hop
  EXPECT_EQ(send("10.1.1.1", {"198.51.100.1", "203.0.113.9"}), 200);  // spoofed left hop ignored
  EXPECT_TRUE(policy_.events.size() == 3u);
}

TEST_F(OpenImAdapterTest, SeveralCredentialsDuringARotation) {
  settings_.basic_credentials = SecretList::Fixed({"im:old", "im2:new"});
  const std::string body = TestData("openim/callbackAfterDeleteFriendCommand.json");
  for (const char* credentials : {"im:old", "im2:new"}) {
    EXPECT_EQ(Send("callbackAfterDeleteFriendCommand", body,
                   {{"Authorization", "Basic " + absl::Base64Escape(credentials)}})
                  .status,
              200)
        << credentials;
  }
  EXPECT_EQ(Send("callbackAfterDeleteFriendCommand", body,
                 {{"Authorization", "Basic " + absl::Base64Escape("im:new")}})
                .status,
            401);
}

}  // namespace
}  // namespace friendgate::gateway
