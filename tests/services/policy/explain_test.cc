// Explain: `friendgate-policy eval` on the example rules (a refused and an
// allowed event), and PolicyAdmin.Explain on a running service giving the
// same text without changing state.

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "common/strings.h"
#include "friendgate/v1/policy_admin.grpc.pb.h"
#include "friendgate/v1/policy_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/policy/policy_server.h"
#include "services/policy/policy_tool.h"

namespace friendgate::policy {
namespace {

using ::testing::HasSubstr;

const std::string kExampleRules = std::string(FRIENDGATE_SOURCE_DIR) + "/examples/rules.yaml";

constexpr char kBlockedAnswer[] = R"({"eventId": "e1", "vendor": "VENDOR_OPENIM",
  "tenant": "prod", "type": "EVENT_TYPE_FRIEND_RESPONSE", "phase": "PHASE_BEFORE",
  "relations": [{"fromUser": "blocked_user", "toUser": "alice",
                 "responseAction": "RESPONSE_ACTION_AGREE"}]})";
constexpr char kDecline[] = R"({"eventId": "e2", "vendor": "VENDOR_OPENIM",
  "tenant": "prod", "type": "EVENT_TYPE_FRIEND_RESPONSE", "phase": "PHASE_BEFORE",
  "relations": [{"fromUser": "blocked_user", "toUser": "alice",
                 "responseAction": "RESPONSE_ACTION_REJECT"}]})";

struct EvalResult {
  int status;
  std::string out;
  std::string err;
};

EvalResult Eval(const std::string& rules, const std::string& event, bool json = false) {
  std::ostringstream out;
  std::ostringstream err;
  const int status = RunEval(rules, event, json, out, err);
  return {status, out.str(), err.str()};
}

TEST(EvalTest, ExplainsARefusedEventOfTheExampleRules) {
  const EvalResult r = Eval(kExampleRules, kBlockedAnswer);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("decision: refuse (code 20100, reason blocklisted: "
                               "\"this user cannot make or answer friend requests\")\n"));
  EXPECT_THAT(r.out, HasSubstr("relation 0: blocked_user -> alice: refuse\n"));
  // Every rule, in evaluation order, with its outcome and why.
  const std::vector<std::string> lines = {
      "staff-exempt                     exempt      no match  no from user on the list",
      "blocked-user-no-friend-requests  blocklist   matched   from user 'blocked_user' is on "
      "the list => refuse",
      "no-import-of-banned-accounts     blocklist   skipped   event friend_response is not listed",
      "spam-wording                     content     no match  no listed word in the wording",
      "remark-slurs-masked              content     skipped   event friend_response is not listed",
      "friend-request-rate              rate_limit  skipped   event friend_response is not listed",
      "delete-rate                      rate_limit  skipped   event friend_response is not listed",
  };
  size_t at = 0;
  for (const std::string& line : lines) {
    const size_t found = r.out.find("  " + line + "\n", at);
    ASSERT_NE(found, std::string::npos) << line << "\n--- in ---\n" << r.out;
    at = found;
  }
}

TEST(EvalTest, ExplainsAnAllowedDecline) {
  const EvalResult r = Eval(kExampleRules, kDecline);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("decision: allow\n"));
  EXPECT_THAT(r.out, HasSubstr("blocked-user-no-friend-requests  blocklist   skipped   "
                               "response reject is not listed\n"));
}

TEST(EvalTest, JsonAndErrors) {
  const EvalResult json = Eval(kExampleRules, kBlockedAnswer, true);
  ASSERT_EQ(json.status, 0) << json.err;
  EXPECT_THAT(json.out, HasSubstr("\"verdict\": \"refuse\""));
  EXPECT_THAT(json.out, HasSubstr("\"outcome\": \"RULE_OUTCOME_MATCHED\""));
  const EvalResult bad = Eval(kExampleRules, R"({"relations": 5})");
  EXPECT_EQ(bad.status, 2);
  EXPECT_THAT(bad.err, HasSubstr("--event"));
  EXPECT_EQ(Eval("/nonexistent/rules.yaml", kDecline).status, 2);
}

// Content rules match the normalized text; eval shows the original and the
// normalized form that matched.
TEST(EvalTest, ShowsTheOriginalTextBehindANormalizedMatch) {
  char dir[] = "/tmp/explain_test_XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string rules = std::string(dir) + "/rules.yaml";
  std::ofstream(rules) << R"(
rules:
  - id: words
    content: {words: [bad, "caf\u00e9"]}
)";
  auto event = [](std::string_view wording_json) {
    return StrCat(R"({"eventId": "e", "vendor": "VENDOR_TENCENT", "tenant": "1",
      "type": "EVENT_TYPE_FRIEND_REQUEST", "phase": "PHASE_BEFORE",
      "relations": [{"fromUser": "alice", "toUser": "bob", "wording": ")",
                  wording_json, R"("}]})");
  };
  EvalResult r = Eval(rules, event("so \\uff22\\uff21\\uff24"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("decision: refuse"));
  EXPECT_THAT(r.out, HasSubstr("wording contains '\uFF22\uFF21\uFF24' (matched as 'bad')"));
  r = Eval(rules, event("B\\u200bAD"));
  EXPECT_THAT(r.out, HasSubstr("wording contains 'B\u200BAD' (matched as 'bad')"));
  r = Eval(rules, event("cafe\\u0301"));
  EXPECT_THAT(r.out, HasSubstr("wording contains 'cafe\u0301' (matched as 'caf\u00e9')"));
  r = Eval(rules, event("good"));
  EXPECT_THAT(r.out, HasSubstr("decision: allow"));
}

TEST(ExplainRpcTest, SameTextAsEvalAndNoStateChange) {
  char dir[] = "/tmp/explain_test_XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string rules = std::string(dir) + "/rules.yaml";
  std::ofstream(rules) << R"(
rules:
  - id: bl
    blocklist: {users: [blocked_user]}
    refusal: {vendor_codes: {tencent: 38100}}
  - id: requests
    events: [friend_request]
    rate_limit: {limit: 1, window_seconds: 60}
)";
  PolicyServer::Options options;
  options.rules_path = rules;
  options.grpc_listen = "127.0.0.1:0";
  options.decision_log = "off";
  auto server = PolicyServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string((*server)->grpc_port()),
                                     grpc::InsecureChannelCredentials());
  auto admin = v1::PolicyAdmin::NewStub(channel);
  auto policy = v1::PolicyService::NewStub(channel);

  constexpr char kRequest[] = R"({"eventId": "e", "vendor": "VENDOR_TENCENT",
    "tenant": "1", "type": "EVENT_TYPE_FRIEND_REQUEST", "phase": "PHASE_BEFORE",
    "relations": [{"fromUser": "alice", "toUser": "bob"}]})";
  v1::ExplainRequest request;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(kRequest, request.mutable_event()).ok());
  auto explain = [&]() {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::ExplainResponse response;
    const grpc::Status s = admin->Explain(&context, request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response;
  };
  for (int i = 0; i < 3; ++i) {  // explaining does not count
    const v1::ExplainResponse response = explain();
    EXPECT_EQ(response.verdict(), "allow");
    ASSERT_EQ(response.relations_size(), 1);
    ASSERT_EQ(response.relations(0).rules_size(), 2);
    EXPECT_EQ(response.relations(0).rules(1).outcome(), v1::RULE_OUTCOME_NOT_MATCHED);
    EXPECT_EQ(response.relations(0).rules(1).why(), "user 'alice' has 0 of 1 in the last 1m");
    EXPECT_EQ(response.text(), Eval(rules, kRequest).out);
  }
  // Deciding counts; then Explain sees the limit reached.
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::DecideRequest decide;
  *decide.mutable_event() = request.event();
  v1::Decision decision;
  ASSERT_TRUE(policy->Decide(&context, decide, &decision).ok());
  EXPECT_EQ(decision.verdict(), v1::VERDICT_ALLOW);
  const v1::ExplainResponse after = explain();
  EXPECT_EQ(after.verdict(), "refuse");
  EXPECT_THAT(after.text(), HasSubstr("user 'alice' has 1 of 1 in the last 1m: limit reached"));
  // Bounded input.
  v1::ExplainRequest empty;
  grpc::ClientContext bad_context;
  bad_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::ExplainResponse ignored;
  EXPECT_EQ(admin->Explain(&bad_context, empty, &ignored).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  (*server)->Drain(absl::Seconds(1));
}

}  // namespace
}  // namespace friendgate::policy
